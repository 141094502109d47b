"""`clausetag report`: what each labeled policy discloses, per category and against a notice checklist.

Input: the JSONL that `clausetag label` writes (unit, summary and error records). Output: coverage per
policy and for the batch as JSON and CSV, and the HTML report (`coverage_html`).
"""

from __future__ import annotations

import hashlib
import time
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Iterator

from clausetag import __version__
from clausetag.infer.structure import MODEL_BASIS, SECTION_BASIS
from clausetag.infer.output import spreadsheet_csv
from clausetag.jsonlines import json_objects, located
from clausetag.records import OUTPUT_ONLY_RECORDS, Prediction, SUMMARY_RECORD, UNIT_RECORD, Unit
from clausetag.settings import defaults
from clausetag.taxonomy import load_taxonomy

REPORT_FILE, CSV_FILE, JSON_FILE = "report.html", "coverage.csv", "coverage.json"
STATUS_ORDER = ("found", "check", "missing", "optional_missing", "not_assessable")


class CoverageError(ValueError):
    """The labels file is missing or not the output of `clausetag label`; the message names it."""


# --- reading `clausetag label` output --------------------------------------------------------

@dataclass
class Policy:
    """One labeled document: its predictions in reading order, or the errors that stopped it."""

    doc: str
    path: str | None = None
    predictions: list[Prediction] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. no clause found at all: is it a policy?

    @property
    def evidence(self) -> list[Prediction]:
        """The predictions coverage rests on: all but the headings labeled by their sections, which restate
        what the sentences under them disclose (infer/structure.py)."""
        return [p for p in self.predictions if p.basis != SECTION_BASIS]


@dataclass
class LabeledBatch:
    source: Path
    sha256: str
    labels: list[str]
    policies: list[Policy]

    @property
    def fallback(self) -> str | None:
        fb = load_taxonomy("harmonized").fallback
        return fb if fb in self.labels else None

    @property
    def categories(self) -> list[str]:
        return [l for l in self.labels if l != self.fallback]


def _records(path: Path) -> Iterator[tuple[Path, int, dict]]:
    """(file, line or row, record) of a label output: a JSONL file, or a folder of partitions that
    `label --engine ray` wrote (streamed record batch by record batch)."""
    if not path.exists():
        raise CoverageError(f"{path}: no such file")
    if path.is_dir():
        from clausetag.infer.partitions import PartitionError, folder_records, is_partition_folder

        if not is_partition_folder(path):
            raise CoverageError(f"{path}: is a folder without label partitions; expected the output of clausetag label")
        try:
            yield from folder_records(path)
        except PartitionError as e:
            raise CoverageError(str(e)) from None
        except ImportError:
            raise CoverageError(f"{path}: reading Parquet partitions needs pyarrow (pip install 'clausetag[ray]')") from None
        return
    for n, r in json_objects(path, located(CoverageError, path), hint="; expected the output of clausetag label"):
        yield path, n, r


def output_sha256(path: Path) -> str:
    """The hash of a label output (a folder of partitions: of its partitions in name order), read in chunks."""
    if path.is_dir():
        from clausetag.infer.partitions import folder_sha256

        return folder_sha256(path)
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _prediction(path: Path, n: int, r: dict) -> Prediction:
    missing = [k for k in ("doc", "text", "labels", "scores") if k not in r]
    if missing or not isinstance(r.get("scores"), dict) or not isinstance(r.get("labels"), list):
        what = f"lacks {', '.join(missing)}" if missing else "has malformed labels or scores"
        raise CoverageError(f"{path}:{n}: unit record {what}")
    unit = Unit(id=str(r.get("id", f"{r['doc']}#{n}")), doc=str(r["doc"]), lang=r.get("lang") or "", text=r["text"],
                start=r.get("start"), end=r.get("end"), section=r.get("section"), source="label",
                heading=r.get("heading") is True)
    return Prediction(unit, list(r["labels"]), {k: float(v) for k, v in r["scores"].items()},
                      r.get("basis") or MODEL_BASIS)


def read_labels(path: str | Path) -> LabeledBatch:
    """Policies of a `clausetag label` output (a JSONL file or a folder of partitions, read as a stream):
    units grouped by document (in order of appearance), with path, languages and errors from the summary
    and error records."""
    path = Path(path)
    policies: dict[str, Policy] = {}
    labels: list[str] = []
    for source, n, r in _records(path):
        kind = r.get("type")
        if kind == UNIT_RECORD:
            p = _prediction(source, n, r)
            labels = labels or list(p.scores)
            policies.setdefault(p.unit.doc, Policy(p.unit.doc)).predictions.append(p)
        elif kind in OUTPUT_ONLY_RECORDS:
            doc = str(r.get("doc", ""))
            policy = policies.setdefault(doc, Policy(doc))
            policy.path = policy.path or r.get("path")
            if kind == SUMMARY_RECORD:
                policy.languages = policy.languages or list(r.get("languages") or [])
                policy.warnings = policy.warnings or [str(w) for w in r.get("warnings") or []]
            elif r.get("error") and r["error"] not in policy.errors:
                policy.errors.append(str(r["error"]))
    if not labels:
        raise CoverageError(f"{path}: no unit records (expected the JSONL output of clausetag label)")
    # a pre-segmented JSONL input is summarised under its file name while its units keep their own documents
    policies = {d: p for d, p in policies.items() if p.predictions or p.errors}
    for policy in policies.values():
        if not policy.languages:
            counts: dict[str, int] = {}
            for p in policy.predictions:
                counts[p.unit.lang] = counts.get(p.unit.lang, 0) + 1
            policy.languages = sorted(counts, key=lambda l: -counts[l])
    return LabeledBatch(path, output_sha256(path), labels, list(policies.values()))


# --- the checklist ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ChecklistItem:
    framework: str
    id: str
    article: str
    requirement: str
    categories: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    optional: bool = False


@dataclass(frozen=True)
class Framework:
    id: str
    title: str
    reference: str
    items: tuple[ChecklistItem, ...]


@dataclass(frozen=True)
class Checklist:
    title: str
    disclaimer: str
    statuses: dict[str, str]
    frameworks: tuple[Framework, ...]


def load_checklist(name_or_path: str | None = None) -> Checklist:
    """The packaged checklist (`[report] checklist` in defaults.toml) or a TOML file of the same shape."""
    name = name_or_path or defaults()["report"]["checklist"]
    path = Path(name)
    raw = path.read_text("utf-8") if path.is_file() else resources.files("clausetag").joinpath(name).read_text("utf-8")
    d = tomllib.loads(raw)
    shared = d.get("keywords", {})
    frameworks = []
    for f in d["frameworks"]:
        items = []
        for it in f["items"]:
            kw = it.get("keywords", ())
            kw = shared[kw] if isinstance(kw, str) else kw
            items.append(ChecklistItem(f["id"], it["id"], it["article"], it["requirement"], tuple(it["categories"]),
                                       tuple(k.lower() for k in kw), it.get("applies", "always") != "always"))
        frameworks.append(Framework(f["id"], f["title"], f.get("reference", ""), tuple(items)))
    return Checklist(d["title"], d["disclaimer"].strip(), d["statuses"], tuple(frameworks))


# --- coverage --------------------------------------------------------------------------------

@dataclass
class CategoryCoverage:
    """Units tagged with a category, the strongest of them, and (when none) the closest candidate."""

    count: int
    evidence: list[Prediction]
    best_candidate: Prediction | None = None

    @property
    def present(self) -> bool:
        return self.count > 0


@dataclass
class ItemResult:
    item: ChecklistItem
    status: str  # one of STATUS_ORDER
    evidence: list[Prediction]


@dataclass
class PolicyCoverage:
    policy: Policy
    categories: dict[str, CategoryCoverage]
    checklist: list[ItemResult]

    @property
    def absent(self) -> list[str]:
        return [c for c, cov in self.categories.items() if not cov.present]

    def items_with(self, status: str, framework: str | None = None) -> list[ItemResult]:
        return [r for r in self.checklist if r.status == status and (framework is None or r.item.framework == framework)]


def _top(preds: list[Prediction], label: str, k: int) -> list[Prediction]:
    return sorted(preds, key=lambda p: -p.scores.get(label, 0.0))[:k]


def category_coverage(preds: list[Prediction], category: str, k: int) -> CategoryCoverage:
    tagged = [p for p in preds if category in p.labels]
    best = None if tagged or not preds else _top(preds, category, 1)[0]
    return CategoryCoverage(len(tagged), _top(tagged, category, k), best)


def check_item(preds: list[Prediction], item: ChecklistItem, labels: list[str], k: int = 2) -> ItemResult:
    """Found / check / (seems) missing / not assessable, with the sentences behind the verdict."""
    if any(c not in labels for c in item.categories) or not (item.categories or item.keywords):
        return ItemResult(item, "not_assessable", [])
    pool = [p for p in preds if set(p.labels) & set(item.categories)] if item.categories else list(preds)

    def best(ps: list[Prediction]) -> list[Prediction]:
        return sorted(ps, key=lambda p: -max((p.scores.get(c, 0.0) for c in item.categories), default=0.0))

    if item.keywords:
        hits = [p for p in pool if any(kw in p.unit.text.lower() for kw in item.keywords)]
        if hits:
            return ItemResult(item, "found", best(hits)[:k])
        if pool and item.categories:
            return ItemResult(item, "check", best(pool)[:k])
    elif pool:
        return ItemResult(item, "found", best(pool)[:k])
    return ItemResult(item, "optional_missing" if item.optional else "missing", [])


def policy_coverage(policy: Policy, batch: LabeledBatch, checklist: Checklist, k: int) -> PolicyCoverage:
    preds = policy.evidence
    cats = {c: category_coverage(preds, c, k) for c in batch.categories}
    items = [check_item(preds, it, batch.labels) for f in checklist.frameworks for it in f.items] if preds else []
    return PolicyCoverage(policy, cats, items)


@dataclass
class Coverage:
    batch: LabeledBatch
    checklist: Checklist
    policies: list[PolicyCoverage]

    @property
    def labeled(self) -> list[PolicyCoverage]:
        return [p for p in self.policies if p.policy.predictions]

    def policies_with(self, category: str) -> int:
        return sum(p.categories[category].present for p in self.labeled)

    def policies_missing(self, item: ChecklistItem) -> int:
        return sum(any(r.item == item and r.status == "missing" for r in p.checklist) for p in self.labeled)


def compute_coverage(batch: LabeledBatch, checklist: Checklist | None = None, k: int | None = None) -> Coverage:
    checklist = checklist or load_checklist()
    k = k or defaults()["report"]["evidence_per_category"]
    return Coverage(batch, checklist, [policy_coverage(p, batch, checklist, k) for p in batch.policies])


# --- outputs ---------------------------------------------------------------------------------

def _unit_json(p: Prediction, label: str | None = None) -> dict:
    u = p.unit
    out = {"id": u.id, "section": u.section, "text": u.text, "labels": p.labels}
    if label:
        out["score"] = round(p.scores.get(label, 0.0), 4)
    return out


def item_key(item: ChecklistItem) -> str:
    return f"{item.framework}:{item.id}"


def to_json(cov: Coverage) -> dict:
    b = cov.batch
    policies = []
    for pc in cov.policies:
        p = pc.policy
        policies.append({
            "doc": p.doc, "path": p.path, "units": len(p.predictions), "languages": p.languages, "errors": p.errors,
            "warnings": p.warnings,
            "categories": {c: {"count": cc.count, "present": cc.present,
                               "evidence": [_unit_json(e, c) for e in cc.evidence],
                               "best_candidate": _unit_json(cc.best_candidate, c) if cc.best_candidate else None}
                           for c, cc in pc.categories.items()},
            "absent": pc.absent,
            "checklist": [{"item": item_key(r.item), "status": r.status,
                           "evidence": [_unit_json(e, r.item.categories[0] if r.item.categories else None)
                                        for e in r.evidence]} for r in pc.checklist],
        })
    labeled = len(cov.labeled)
    return {
        "clausetag": __version__, "created": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "source": {"path": str(b.source), "sha256": b.sha256}, "labels": b.labels, "categories": b.categories,
        "disclaimer": cov.checklist.disclaimer,
        "checklist": [{"item": item_key(it), "framework": f.title, "article": it.article, "requirement": it.requirement,
                       "categories": list(it.categories), "where_applicable": it.optional}
                      for f in cov.checklist.frameworks for it in f.items],
        "statuses": cov.checklist.statuses,
        "batch": {"policies": len(cov.policies), "labeled": labeled, "failed": len(cov.policies) - labeled,
                  "units": sum(len(p.policy.predictions) for p in cov.policies),
                  "policies_with_category": {c: cov.policies_with(c) for c in b.categories},
                  "policies_missing_item": {item_key(it): cov.policies_missing(it)
                                            for f in cov.checklist.frameworks for it in f.items}},
        "policies": policies,
    }


def csv_columns(cov: Coverage) -> list[str]:
    items = [item_key(it) for f in cov.checklist.frameworks for it in f.items]
    return ["policy", "path", "units", "languages", "errors", "warnings", *cov.batch.categories, "categories_absent",
            *(f"{f.id}_seems_missing" for f in cov.checklist.frameworks), *items]


def to_csv(cov: Coverage) -> str:
    """One row per policy: counts per category, absent categories, checklist statuses (`spreadsheet_csv`)."""
    rows = [csv_columns(cov)]
    for pc in cov.policies:
        p = pc.policy
        labeled = bool(p.predictions)
        status = {item_key(r.item): r.status for r in pc.checklist}
        rows.append([p.doc, p.path or "", len(p.predictions), ";".join(p.languages), " | ".join(p.errors),
                    " | ".join(p.warnings),
                    *(pc.categories[c].count if labeled else "" for c in cov.batch.categories),
                    ";".join(pc.absent) if labeled else "",
                    *(";".join(r.item.id for r in pc.items_with("missing", f.id)) for f in cov.checklist.frameworks),
                    *(status.get(item_key(it), "") for f in cov.checklist.frameworks for it in f.items)])
    return spreadsheet_csv(rows)
