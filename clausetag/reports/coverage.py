"""`clausetag report`: what each labeled policy discloses, per category and against a notice checklist.

Input: the JSONL that `clausetag label` writes (unit, summary and error records). Output: coverage per
policy and for the batch as JSON and CSV, and the HTML report (`coverage_html`).
"""

from __future__ import annotations

import time
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from clausetag import __version__
from clausetag.infer.output import spreadsheet_csv
from clausetag.records import Prediction
from clausetag.reports.label_output import LabelOutput, LabelSet, Policy
from clausetag.settings import defaults

REPORT_FILE, CSV_FILE, JSON_FILE = "report.html", "coverage.csv", "coverage.json"
STATUS_ORDER = ("found", "check", "missing", "optional_missing", "not_assessable")


@dataclass
class LabeledBatch(LabelSet):
    """A label output read into memory: every policy with its units (`read_labels`)."""

    source: Path
    sha256: str
    labels: list[str]
    policies: list[Policy]


def read_labels(path: str | Path) -> LabeledBatch:
    """Every policy of a `clausetag label` output (a JSONL file or a folder of partitions), with its units,
    in order of appearance; `LabelOutput` reads one policy at a time instead."""
    out = LabelOutput(path)
    return LabeledBatch(out.source, out.sha256, out.labels, list(out.policies()))


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


def policy_coverage(policy: Policy, batch: LabelSet, checklist: Checklist, k: int) -> PolicyCoverage:
    preds = policy.evidence
    cats = {c: category_coverage(preds, c, k) for c in batch.categories}
    items = [check_item(preds, it, batch.labels) for f in checklist.frameworks for it in f.items] if preds else []
    return PolicyCoverage(policy, cats, items)


def item_key(item: ChecklistItem) -> str:
    return f"{item.framework}:{item.id}"


@dataclass
class BatchTally:
    """The batch's figures, counted one policy at a time (`add`)."""

    policies: int = 0
    labeled: int = 0
    units: int = 0
    with_category: Counter = field(default_factory=Counter)
    missing_item: Counter = field(default_factory=Counter)  # item_key -> policies where it seems missing

    def add(self, pc: PolicyCoverage) -> None:
        self.policies += 1
        self.units += pc.policy.units
        if pc.policy.labeled:
            self.labeled += 1
            self.with_category.update(c for c, cc in pc.categories.items() if cc.present)
            self.missing_item.update({item_key(r.item) for r in pc.checklist if r.status == "missing"})

    @property
    def failed(self) -> int:
        return self.policies - self.labeled


@dataclass
class Coverage:
    """A batch's coverage: `policies` holds every policy's (`compute_coverage`), or only those a large
    batch's page shows (`coverage_run`, policies without their units), `tally` the whole batch's figures."""

    batch: LabeledBatch | LabelOutput
    checklist: Checklist
    policies: list[PolicyCoverage]
    tally: BatchTally | None = None

    def __post_init__(self) -> None:
        if self.tally is None:
            self.tally = BatchTally()
            for pc in self.policies:
                self.tally.add(pc)

    @property
    def labeled(self) -> list[PolicyCoverage]:
        return [p for p in self.policies if p.policy.labeled]

    @property
    def complete(self) -> bool:
        """Whether `policies` holds every policy of the batch."""
        return len(self.policies) == self.tally.policies

    def policies_with(self, category: str) -> int:
        return self.tally.with_category[category]

    def policies_missing(self, item: ChecklistItem) -> int:
        return self.tally.missing_item[item_key(item)]


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


def policy_json(pc: PolicyCoverage) -> dict:
    """One policy's entry in coverage.json."""
    p = pc.policy
    return {
        "doc": p.doc, "path": p.path, "units": p.units, "languages": p.languages, "errors": p.errors,
        "warnings": p.warnings,
        "categories": {c: {"count": cc.count, "present": cc.present,
                           "evidence": [_unit_json(e, c) for e in cc.evidence],
                           "best_candidate": _unit_json(cc.best_candidate, c) if cc.best_candidate else None}
                       for c, cc in pc.categories.items()},
        "absent": pc.absent,
        "checklist": [{"item": item_key(r.item), "status": r.status,
                       "evidence": [_unit_json(e, r.item.categories[0] if r.item.categories else None)
                                    for e in r.evidence]} for r in pc.checklist],
    }


def json_head(cov: Coverage) -> dict:
    """coverage.json without its policies (`policy_json` each): source, checklist and the batch's figures."""
    b, t = cov.batch, cov.tally
    return {
        "clausetag": __version__, "created": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "source": {"path": str(b.source), "sha256": b.sha256}, "labels": b.labels, "categories": b.categories,
        "disclaimer": cov.checklist.disclaimer,
        "checklist": [{"item": item_key(it), "framework": f.title, "article": it.article, "requirement": it.requirement,
                       "categories": list(it.categories), "where_applicable": it.optional}
                      for f in cov.checklist.frameworks for it in f.items],
        "statuses": cov.checklist.statuses,
        "batch": {"policies": t.policies, "labeled": t.labeled, "failed": t.failed, "units": t.units,
                  "policies_with_category": {c: cov.policies_with(c) for c in b.categories},
                  "policies_missing_item": {item_key(it): cov.policies_missing(it)
                                            for f in cov.checklist.frameworks for it in f.items}},
        "policies": [],
    }


def to_json(cov: Coverage) -> dict:
    return {**json_head(cov), "policies": [policy_json(pc) for pc in cov.policies]}


def csv_columns(categories: list[str], checklist: Checklist) -> list[str]:
    items = [item_key(it) for f in checklist.frameworks for it in f.items]
    return ["policy", "path", "units", "languages", "errors", "warnings", *categories, "categories_absent",
            *(f"{f.id}_seems_missing" for f in checklist.frameworks), *items]


def csv_row(pc: PolicyCoverage, categories: list[str], checklist: Checklist) -> list:
    """One policy's row of coverage.csv: counts per category, absent categories, checklist statuses."""
    p = pc.policy
    status = {item_key(r.item): r.status for r in pc.checklist}
    return [p.doc, p.path or "", p.units, ";".join(p.languages), " | ".join(p.errors), " | ".join(p.warnings),
            *(pc.categories[c].count if p.labeled else "" for c in categories),
            ";".join(pc.absent) if p.labeled else "",
            *(";".join(r.item.id for r in pc.items_with("missing", f.id)) for f in checklist.frameworks),
            *(status.get(item_key(it), "") for f in checklist.frameworks for it in f.items)]


def to_csv(cov: Coverage) -> str:
    """One row per policy (`csv_row`, `spreadsheet_csv`)."""
    cats = cov.batch.categories
    return spreadsheet_csv([csv_columns(cats, cov.checklist), *(csv_row(pc, cats, cov.checklist) for pc in cov.policies)])
