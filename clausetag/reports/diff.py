"""`clausetag diff`: what changed between two versions of a policy (or two batches, policy by policy),
sentence by sentence, per category and against the notice checklist.

Units are aligned by their text (whitespace aside) in reading order (difflib); within a stretch that
changed, an old and a new unit whose texts are similar enough (`[diff] min_similarity`) are one
reworded unit, the rest were removed or added.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cached_property
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import TYPE_CHECKING, Iterator

from clausetag import __version__
from clausetag.jsonlines import json_lines_at, located
from clausetag.reports.coverage import STATUS_ORDER, Checklist, ChecklistItem, check_item, load_checklist, read_labels
from clausetag.reports.label_output import CoverageError, LabelOutput, Policy
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
    """One side of a diff held in memory: labeled policies (one, or a batch), failed ones among them, and
    their label set."""

    source: str
    policies: list[Policy]
    labels: list[str]
    fallback: str | None

    @cached_property
    def labeled(self) -> list[Policy]:
        return [p for p in self.policies if p.labeled]

    @property
    def failed(self) -> list[Policy]:
        return [p for p in self.policies if not p.labeled]

    @property
    def labeled_docs(self) -> list[str]:
        return [p.doc for p in self.labeled]

    def labeled_policy(self, i: int) -> Policy:
        return self.labeled[i]


class StreamedVersions:
    """One side of a diff read from a label output a policy at a time (`LabelOutput`): only the names of
    its policies, and those that failed (which have no units), are held."""

    def __init__(self, path: Path):
        try:
            self.output = LabelOutput(path)
        except CoverageError as e:
            raise DiffError(str(e)) from None
        self.source, self.labels, self.fallback = str(path), self.output.labels, self.output.fallback
        self.labeled_docs = [d for d in self.output.docs if self.output.units(d)]
        self.failed = [self._read(d) for d in self.output.docs if not self.output.units(d)]
        self._spill: TemporaryDirectory | None = None

    def read_in_any_order(self) -> None:
        """Make reading the policies in another order than theirs cheap: Parquet partitions are copied into
        one temporary JSONL file first (`LabelOutput.to_jsonl`), read by seeking."""
        if self._spill is None and any(f.suffix == ".parquet" for f in self.output.files):
            self._spill = TemporaryDirectory(prefix="clausetag-diff-")
            try:
                self.output = self.output.to_jsonl(Path(self._spill.name) / "labels.jsonl")
            except CoverageError as e:
                raise DiffError(str(e)) from None

    def labeled_policy(self, i: int) -> Policy:
        return self._read(self.labeled_docs[i])

    def _read(self, doc: str) -> Policy:
        try:
            return self.output.policy(doc)
        except CoverageError as e:
            raise DiffError(str(e)) from None


def is_label_output(path: Path) -> bool:
    """Whether `path` is the JSONL that `clausetag label` wrote (unit records with scores), rather than a
    document or a JSONL of units still to be labeled, or a folder of the partitions `label --engine ray` wrote."""
    if path.is_dir():
        from clausetag.infer.partitions import is_partition_folder

        return is_partition_folder(path)
    if path.suffix.lower() != ".jsonl" or not path.is_file():
        return False
    try:
        for _, _, _, record in json_lines_at(path, located(DiffError, path)):
            if record.get("type") == UNIT_RECORD:
                return "scores" in record
    except DiffError:
        return False
    return False


def read_versions(path: Path) -> Versions:
    """The policies of a `clausetag label` output, all in memory (`StreamedVersions`: one at a time)."""
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


Side = Versions | StreamedVersions


# --- pairs -----------------------------------------------------------------------------------

@dataclass
class BatchDiff:
    """The diffs of the policies both sides have (one each: that pair), and those only one side has;
    `compared`: the pairs compared, where `diffs` holds only some of them (a large batch's page)."""

    diffs: list[PolicyDiff]
    only_old: list[Policy]
    only_new: list[Policy]
    failed: list[Policy]
    compared: int | None = None

    @property
    def complete(self) -> bool:
        return self.compared is None or self.compared == len(self.diffs)


def pair_names(old: list[str], new: list[str]) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """(pairs, only in old, only in new) as positions in the two lists of labeled policies' names: one
    policy a side is one pair whatever their names; batches are paired by name (a name that recurs in
    both, in order)."""
    if len(old) == 1 and len(new) == 1:
        return [(0, 0)], [], []
    waiting: dict[str, list[int]] = {}
    for j, doc in enumerate(new):
        waiting.setdefault(doc, []).append(j)
    pairs, only_old = [], []
    for i, doc in enumerate(old):
        if waiting.get(doc):
            pairs.append((i, waiting[doc].pop(0)))
        else:
            only_old.append(i)
    return pairs, only_old, sorted(j for js in waiting.values() for j in js)


@dataclass
class Comparison:
    """Two versions checked and paired by name; `diffs` compares them a pair at a time."""

    old: Side
    new: Side
    checklist: Checklist
    min_similarity: float
    pairs: list[tuple[int, int]]
    only_old_at: list[int]
    only_new_at: list[int]

    def diffs(self) -> Iterator[PolicyDiff]:
        for i, j in self.pairs:
            yield diff_policies(self.old.labeled_policy(i), self.new.labeled_policy(j), self.old.labels,
                                self.old.fallback, self.checklist, self.min_similarity)

    def only_old(self) -> list[Policy]:
        return [self.old.labeled_policy(i).outline() for i in self.only_old_at]

    def only_new(self) -> list[Policy]:
        return [self.new.labeled_policy(j).outline() for j in self.only_new_at]

    @property
    def failed(self) -> list[Policy]:
        return self.old.failed + self.new.failed


def compare(old: Side, new: Side, checklist: Checklist | None = None, min_similarity: float = 0.6) -> Comparison:
    """Check two versions of a policy, or two batches, and pair them; a side with no labeled policy is a
    DiffError naming what went wrong with it."""
    for side in (old, new):
        if not side.labeled_docs:
            raise DiffError("; ".join(e for p in side.failed for e in p.errors) or f"{side.source}: no policy in it")
    if old.labels != new.labels:
        raise DiffError(f"{old.source} and {new.source} were labeled with different label sets; label both with "
                        "the same model")
    pairs, only_old, only_new = pair_names(old.labeled_docs, new.labeled_docs)
    if isinstance(new, StreamedVersions) and any(b[1] < a[1] for a, b in zip(pairs, pairs[1:])):
        new.read_in_any_order()  # the new side is read in the old side's order, not its own
    return Comparison(old, new, checklist or load_checklist(), min_similarity, pairs, only_old, only_new)


def diff_versions(old: Side, new: Side, checklist: Checklist | None = None, min_similarity: float = 0.6) -> BatchDiff:
    """Compare two versions of a policy, or two batches policy by policy, in memory (`compare` then
    `Comparison.diffs`: a pair at a time)."""
    c = compare(old, new, checklist, min_similarity)
    return BatchDiff(list(c.diffs()), c.only_old(), c.only_new(), c.failed)


# --- outputs ---------------------------------------------------------------------------------

def _status_word(checklist: Checklist, status: str) -> str:
    return checklist.statuses.get(status, status).split(":")[0]  # "check: …" -> "check"


def pair_lines(d: PolicyDiff, checklist: Checklist) -> list[str]:
    """What `clausetag diff` prints for a pair: the counts, the categories now or no longer disclosed and
    the checklist items whose status changed (in the checklist's words)."""
    titles = {f.id: f.title for f in checklist.frameworks}
    lines = [f"{d.name}: {counted(d.unchanged, 'unit')} unchanged, "
             + ", ".join(f"{d.count(k)} {k}" for k in (ADDED, REMOVED, REWORDED))]
    lines += [f"  {c.category}: {c.status} ({c.old} → {c.new} units)" for c in d.categories
              if c.status in ("now disclosed", "no longer disclosed")]
    lines += [f"  {titles.get(i.item.framework, i.item.framework)} {i.item.article}: "
              f"{_status_word(checklist, i.old)} → {_status_word(checklist, i.new)} ({i.item.requirement})"
              for i in d.items if i.changed]
    return lines


def unpaired_lines(only_old: list[Policy], only_new: list[Policy]) -> list[str]:
    return [f"{title}: {', '.join(p.doc for p in policies)}"
            for title, policies in (("only in the old versions", only_old), ("only in the new versions", only_new))
            if policies]


def summary_lines(batch: BatchDiff, checklist: Checklist | None = None) -> list[str]:
    """What `clausetag diff` prints: `pair_lines` per pair, then the unpaired policies."""
    checklist = checklist or load_checklist()
    return [l for d in batch.diffs for l in pair_lines(d, checklist)] + unpaired_lines(batch.only_old, batch.only_new)


def _unit(p: Prediction | None) -> dict | None:
    if p is None:
        return None
    return {"id": p.unit.id, "section": p.unit.section, "text": p.unit.text, "labels": p.labels,
            "start": p.unit.start, "end": p.unit.end}


def _side(p: Policy) -> dict:
    return {"doc": p.doc, "path": p.path, "units": p.units, "languages": p.languages}


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


def json_document(only_old: list[Policy], only_new: list[Policy], failed: list[Policy]) -> dict:
    """The comparison as plain data (`clausetag diff -o FILE.json`), its "policies" (`diff_json` each) left empty."""
    return {"type": "clausetag-diff", "clausetag": __version__, "policies": [],
            "only_old": [_side(p) for p in only_old], "only_new": [_side(p) for p in only_new],
            "failed": [{"doc": p.doc, "path": p.path, "errors": p.errors} for p in failed]}


def to_json(batch: BatchDiff) -> dict:
    """The whole comparison as plain data, in memory."""
    return {**json_document(batch.only_old, batch.only_new, batch.failed),
            "policies": [diff_json(d) for d in batch.diffs]}
