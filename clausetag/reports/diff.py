"""`clausetag diff`: what changed between two versions of a policy (or two batches, policy by policy),
sentence by sentence, per category and against the notice checklist.

Units are aligned by their text (whitespace aside) in reading order (difflib); within a stretch that
changed, an old and a new unit whose texts are similar enough (`[diff] min_similarity`) are one
reworded unit, the rest were removed or added.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import TYPE_CHECKING

from clausetag import __version__
from clausetag.reports.coverage import (STATUS_ORDER, Checklist, ChecklistItem, CoverageError, Policy, check_item,
                                load_checklist, read_labels)
from clausetag.jsonlines import json_objects, located
from clausetag.records import UNIT_RECORD, Prediction
from clausetag.records import normalized
from clausetag.wording import counted

if TYPE_CHECKING:
    from clausetag.infer.labeler import DocumentResult

ADDED, REMOVED, REWORDED = "added", "removed", "reworded"


@dataclass
class UnitChange:
    """One unit added, removed or reworded (then both versions)."""

    kind: str  # ADDED, REMOVED or REWORDED
    old: Prediction | None = None
    new: Prediction | None = None

    @property
    def gained(self) -> list[str]:
        """Labels the new version has and the old one had not."""
        return [l for l in (self.new.labels if self.new else []) if not self.old or l not in self.old.labels]

    @property
    def lost(self) -> list[str]:
        return [l for l in (self.old.labels if self.old else []) if not self.new or l not in self.new.labels]


@dataclass
class CategoryChange:
    """How many units carry a category in each version."""

    category: str
    old: int
    new: int

    @property
    def status(self) -> str:
        if self.old == self.new:
            return "same"
        if not self.old:
            return "now disclosed"
        if not self.new:
            return "no longer disclosed"
        return "more" if self.new > self.old else "fewer"


@dataclass
class ItemChange:
    """A checklist item's status in each version (found, check, missing, …)."""

    item: ChecklistItem
    old: str
    new: str

    @property
    def changed(self) -> bool:
        return self.old != self.new

    @property
    def worse(self) -> bool:
        return STATUS_ORDER.index(self.new) > STATUS_ORDER.index(self.old)


@dataclass
class PolicyDiff:
    old: Policy
    new: Policy
    changes: list[UnitChange]
    unchanged: int
    categories: list[CategoryChange]
    items: list[ItemChange]

    def count(self, kind: str) -> int:
        return sum(c.kind == kind for c in self.changes)

    @property
    def name(self) -> str:
        """"policy.html" for a policy of the same name in both versions, else "old.txt → new.txt"."""
        return self.old.doc if self.old.doc == self.new.doc else f"{self.old.doc} → {self.new.doc}"


def similarity(a: str, b: str, at_least: float = 0.0) -> float:
    """Character-level similarity of two unit texts, 0–1 (difflib's ratio); 0 as soon as its cheap upper
    bounds show it is below `at_least`."""
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < at_least or matcher.quick_ratio() < at_least:
        return 0.0
    return matcher.ratio()


def _pair(old: list[Prediction], new: list[Prediction], min_similarity: float) -> list[UnitChange]:
    """Changes within one stretch that differs: each old unit, in order, is paired with the most similar
    new unit after the last pairing when they are similar enough; every other unit is removed or added."""
    changes: list[UnitChange] = []
    new_texts = [normalized(n.unit.text) for n in new]
    j = 0
    for o in old:
        text, best = normalized(o.unit.text), (0.0, -1)
        for k in range(j, len(new)):
            score = similarity(text, new_texts[k], max(min_similarity, best[0] + 1e-9))
            if score > best[0]:  # the first of equals
                best = (score, k)
        if best[0] < min_similarity:
            changes.append(UnitChange(REMOVED, old=o))
            continue
        changes += [UnitChange(ADDED, new=n) for n in new[j:best[1]]]
        changes.append(UnitChange(REWORDED, old=o, new=new[best[1]]))
        j = best[1] + 1
    return changes + [UnitChange(ADDED, new=n) for n in new[j:]]


def align(old: list[Prediction], new: list[Prediction], min_similarity: float = 0.6) -> tuple[list[UnitChange], int]:
    """(changes in reading order, number of units whose text is unchanged)."""
    matcher = SequenceMatcher(None, [normalized(p.unit.text) for p in old], [normalized(p.unit.text) for p in new],
                              autojunk=False)
    changes: list[UnitChange] = []
    unchanged = 0
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            unchanged += i2 - i1
        else:
            changes += _pair(old[i1:i2], new[j1:j2], min_similarity)
    return changes, unchanged


def diff_policies(old: Policy, new: Policy, labels: list[str], fallback: str | None = "other",
                  checklist: Checklist | None = None, min_similarity: float = 0.6) -> PolicyDiff:
    """Compare two labeled versions of a policy (`labels`: the model's label names; `fallback`: the one
    that means no clause, not counted as a category)."""
    checklist = checklist or load_checklist()
    changes, unchanged = align(old.predictions, new.predictions, min_similarity)
    categories = [CategoryChange(c, sum(c in p.labels for p in old.evidence), sum(c in p.labels for p in new.evidence))
                  for c in labels if c != fallback]
    items = [ItemChange(it, check_item(old.evidence, it, labels).status, check_item(new.evidence, it, labels).status)
             for f in checklist.frameworks for it in f.items]
    return PolicyDiff(old, new, changes, unchanged, categories, items)


# --- inputs ----------------------------------------------------------------------------------

class DiffError(ValueError):
    """A version cannot be read or labeled; the message names it."""


@dataclass
class Versions:
    """One side of a diff: labeled policies (one, or a batch), failed ones among them, and their label set."""

    source: str
    policies: list[Policy]
    labels: list[str]
    fallback: str | None

    @property
    def labeled(self) -> list[Policy]:
        return [p for p in self.policies if p.predictions]

    @property
    def failed(self) -> list[Policy]:
        return [p for p in self.policies if not p.predictions]


def is_label_output(path: Path) -> bool:
    """Whether `path` is the JSONL that `clausetag label` wrote (unit records with scores), rather than a
    document or a JSONL of units still to be labeled, or a folder of the partitions `label --engine ray` wrote."""
    if path.is_dir():
        from clausetag.infer.partitions import is_partition_folder

        return is_partition_folder(path)
    if path.suffix.lower() != ".jsonl" or not path.is_file():
        return False
    try:
        for _, record in json_objects(path, located(DiffError, path)):
            if record.get("type") == UNIT_RECORD:
                return "scores" in record
    except DiffError:
        return False
    return False


def read_versions(path: Path) -> Versions:
    """The policies of a `clausetag label` output."""
    try:
        batch = read_labels(path)
    except CoverageError as e:
        raise DiffError(str(e)) from None
    return Versions(str(path), batch.policies, batch.labels, batch.fallback)


def labeled_versions(source: str, results: list[DocumentResult], labels: list[str], fallback: str | None) -> Versions:
    """The policies the labeler made of a file, folder or web address."""
    policies = [Policy(r.doc, r.path, r.predictions, r.languages, [r.error] if r.error else [], r.warnings)
                for r in results]
    return Versions(source, policies, labels, fallback)


# --- pairs -----------------------------------------------------------------------------------

@dataclass
class BatchDiff:
    """The diffs of the policies both sides have (one each: that pair), and those only one side has."""

    diffs: list[PolicyDiff]
    only_old: list[Policy]
    only_new: list[Policy]
    failed: list[Policy]


def pair_versions(old: Versions, new: Versions) -> tuple[list[tuple[Policy, Policy]], list[Policy], list[Policy]]:
    """(pairs, only in old, only in new): one labeled policy a side is one pair whatever their names;
    batches are paired by document name (a name that recurs in both, in order)."""
    if len(old.labeled) == 1 and len(new.labeled) == 1:
        return [(old.labeled[0], new.labeled[0])], [], []
    waiting: dict[str, list[Policy]] = {}
    for p in new.labeled:
        waiting.setdefault(p.doc, []).append(p)
    pairs, only_old = [], []
    for p in old.labeled:
        if waiting.get(p.doc):
            pairs.append((p, waiting[p.doc].pop(0)))
        else:
            only_old.append(p)
    return pairs, only_old, [p for ps in waiting.values() for p in ps]


def diff_versions(old: Versions, new: Versions, checklist: Checklist | None = None,
                  min_similarity: float = 0.6) -> BatchDiff:
    """Compare two versions of a policy, or two batches policy by policy; a side with no labeled policy is
    a DiffError naming what went wrong with it."""
    for side in (old, new):
        if not side.labeled:
            raise DiffError("; ".join(e for p in side.failed for e in p.errors) or f"{side.source}: no policy in it")
    if old.labels != new.labels:
        raise DiffError(f"{old.source} and {new.source} were labeled with different label sets; label both with "
                        "the same model")
    checklist = checklist or load_checklist()
    pairs, only_old, only_new = pair_versions(old, new)
    diffs = [diff_policies(a, b, old.labels, old.fallback, checklist, min_similarity) for a, b in pairs]
    return BatchDiff(diffs, only_old, only_new, old.failed + new.failed)


# --- outputs ---------------------------------------------------------------------------------

def summary_lines(batch: BatchDiff, checklist: Checklist | None = None) -> list[str]:
    """What `clausetag diff` prints: per policy the counts, the categories now or no longer disclosed and
    the checklist items whose status changed (in the checklist's words); then the unpaired policies."""
    checklist = checklist or load_checklist()
    titles = {f.id: f.title for f in checklist.frameworks}
    status = lambda s: checklist.statuses.get(s, s).split(":")[0]  # noqa: E731 - "check: …" -> "check"
    lines = []
    for d in batch.diffs:
        lines.append(f"{d.name}: {counted(d.unchanged, 'unit')} unchanged, "
                     + ", ".join(f"{d.count(k)} {k}" for k in (ADDED, REMOVED, REWORDED)))
        lines += [f"  {c.category}: {c.status} ({c.old} → {c.new} units)" for c in d.categories
                  if c.status in ("now disclosed", "no longer disclosed")]
        lines += [f"  {titles.get(i.item.framework, i.item.framework)} {i.item.article}: {status(i.old)} → "
                  f"{status(i.new)} ({i.item.requirement})" for i in d.items if i.changed]
    for title, policies in (("only in the old versions", batch.only_old), ("only in the new versions", batch.only_new)):
        if policies:
            lines.append(f"{title}: {', '.join(p.doc for p in policies)}")
    return lines

def _unit(p: Prediction | None) -> dict | None:
    if p is None:
        return None
    return {"id": p.unit.id, "section": p.unit.section, "text": p.unit.text, "labels": p.labels,
            "start": p.unit.start, "end": p.unit.end}


def _side(p: Policy) -> dict:
    return {"doc": p.doc, "path": p.path, "units": len(p.predictions), "languages": p.languages}


def diff_json(diff: PolicyDiff) -> dict:
    """One policy's diff as plain data."""
    return {
        "old": _side(diff.old), "new": _side(diff.new),
        "counts": {"unchanged": diff.unchanged, ADDED: diff.count(ADDED), REMOVED: diff.count(REMOVED),
                   REWORDED: diff.count(REWORDED)},
        "categories": [{"category": c.category, "old": c.old, "new": c.new, "status": c.status} for c in diff.categories],
        "checklist": [{"framework": i.item.framework, "id": i.item.id, "article": i.item.article,
                       "requirement": i.item.requirement, "old": i.old, "new": i.new} for i in diff.items],
        "changes": [{"kind": c.kind, "old": _unit(c.old), "new": _unit(c.new), "labels_gained": c.gained,
                     "labels_lost": c.lost} for c in diff.changes],
    }


def to_json(batch: BatchDiff) -> dict:
    """The whole comparison as plain data (`clausetag diff -o FILE.json`)."""
    return {"type": "clausetag-diff", "clausetag": __version__, "policies": [diff_json(d) for d in batch.diffs],
            "only_old": [_side(p) for p in batch.only_old], "only_new": [_side(p) for p in batch.only_new],
            "failed": [{"doc": p.doc, "path": p.path, "errors": p.errors} for p in batch.failed]}
