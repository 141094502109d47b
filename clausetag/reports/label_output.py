"""A `clausetag label` output read one policy at a time.

The output is a JSONL file or a folder of the partitions `label --engine ray` wrote (Parquet or JSONL).
`LabelOutput` first reads it once through for where each policy's records lie (byte ranges of a JSONL
file, rows of a partition: a few numbers per policy), then reads a policy from there when asked for it,
so `clausetag report` and `clausetag diff` hold one policy's units at a time however large the batch.
A policy's records are its units, then its error, then its summary, next to each other in what
`clausetag label` writes; a policy whose records lie apart (a JSONL of units from several documents in
turn) is read from each of its places, in order, as one policy.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Iterable, Iterator

from clausetag.infer.structure import MODEL_BASIS, SECTION_BASIS
from clausetag.jsonlines import json_lines_at, located
from clausetag.records import ERROR_RECORD, OUTPUT_ONLY_RECORDS, Prediction, SUMMARY_RECORD, UNIT_RECORD, Unit
from clausetag.taxonomy import load_taxonomy

HINT = "; expected the output of clausetag label"
#: Rows of Parquet row groups kept decoded at once (a partition of `label --engine ray` holds 16 documents).
CACHED_ROWS = 20_000


class LabelSet:
    """The label names of a batch (`labels`), the fallback among them and the categories (the rest)."""

    labels: list[str]

    @property
    def fallback(self) -> str | None:
        fb = load_taxonomy("harmonized").fallback
        return fb if fb in self.labels else None

    @property
    def categories(self) -> list[str]:
        return [l for l in self.labels if l != self.fallback]


class CoverageError(ValueError):
    """The labels file is missing or not the output of `clausetag label`; the message names it."""


@dataclass
class Policy:
    """One labeled document: its predictions in reading order, or the errors that stopped it."""

    doc: str
    path: str | None = None
    predictions: list[Prediction] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. no clause found at all: is it a policy?
    unit_count: int | None = field(default=None, repr=False)  # an outline's units (it holds none of them)

    @property
    def units(self) -> int:
        return len(self.predictions) if self.unit_count is None else self.unit_count

    @property
    def labeled(self) -> bool:
        return self.units > 0

    @property
    def evidence(self) -> list[Prediction]:
        """The predictions coverage rests on: all but the headings labeled by their sections, which restate
        what the sentences under them disclose (infer/structure.py)."""
        return [p for p in self.predictions if p.basis != SECTION_BASIS]

    def outline(self) -> Policy:
        """The policy without its units (their count kept): what a report holds of a policy it is done with."""
        return replace(self, predictions=[], unit_count=self.units)


def check_unit(path: Path, n: int, r: dict) -> None:
    missing = [k for k in ("doc", "text", "labels", "scores") if k not in r]
    if missing or not isinstance(r.get("scores"), dict) or not isinstance(r.get("labels"), list):
        what = f"lacks {', '.join(missing)}" if missing else "has malformed labels or scores"
        raise CoverageError(f"{path}:{n}: unit record {what}")


def prediction(path: Path, n: int, r: dict) -> Prediction:
    """The prediction a unit record holds (`path`, `n`: where it is, for the message when it is malformed)."""
    check_unit(path, n, r)
    unit = Unit(id=str(r.get("id", f"{r['doc']}#{n}")), doc=str(r["doc"]), lang=r.get("lang") or "", text=r["text"],
                start=r.get("start"), end=r.get("end"), section=r.get("section"), source="label",
                heading=r.get("heading") is True)
    return Prediction(unit, list(r["labels"]), {k: float(v) for k, v in r["scores"].items()},
                      r.get("basis") or MODEL_BASIS)


def build_policy(doc: str, records: Iterable[tuple[Path, int, dict]]) -> Policy:
    """A policy from its records (units, error and summary records of `doc`, in order): path, languages and
    warnings from the first record that has them; languages counted from the units where no summary names
    them."""
    policy = Policy(doc)
    for source, n, r in records:
        kind = r.get("type")
        if kind == UNIT_RECORD:
            policy.predictions.append(prediction(source, n, r))
            continue
        policy.path = policy.path or r.get("path")
        if kind == SUMMARY_RECORD:
            policy.languages = policy.languages or list(r.get("languages") or [])
            policy.warnings = policy.warnings or [str(w) for w in r.get("warnings") or []]
        elif r.get("error") and r["error"] not in policy.errors:
            policy.errors.append(str(r["error"]))
    if not policy.languages:
        counts: dict[str, int] = {}
        for p in policy.predictions:
            counts[p.unit.lang] = counts.get(p.unit.lang, 0) + 1
        policy.languages = sorted(counts, key=lambda l: -counts[l])
    return policy


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


@dataclass(slots=True)
class _Entry:
    """Where a policy's records lie: runs of (file number, start, end, first line or row number), where
    start and end are byte offsets (JSONL) or row numbers (Parquet); its unit count; whether it failed."""

    runs: list[list[int]]
    units: int = 0
    failed: bool = False


class LabelOutput(LabelSet):
    """A `clausetag label` output, indexed by policy (reading it once through, record by record), then read
    policy by policy (`policies`, `policy`). Raises CoverageError, naming the file, for anything that is not
    such an output."""

    def __init__(self, path: str | Path):
        self.source = Path(path)
        self.files = self._files()
        self.labels: list[str] = []
        self._entries: dict[str, _Entry] = {}
        self._cache: dict[tuple[int, int], object] = {}  # (file, row group) -> pyarrow table, oldest first
        self._sizes: tuple[int, list[int]] = (-1, [])  # a partition's row group sizes
        for number, file in enumerate(self.files):
            with _readable(file):
                self._index(number, file)
        if not self.labels:
            raise CoverageError(f"{self.source}: no unit records (expected the JSONL output of clausetag label)")
        # a pre-segmented JSONL input is summarised under its file name while its units keep their own documents
        self.docs = [d for d, e in self._entries.items() if e.units or e.failed]

    # --- the index ---------------------------------------------------------------------------

    def _files(self) -> list[Path]:
        path = self.source
        if not path.exists():
            raise CoverageError(f"{path}: no such file")
        if not path.is_dir():
            return [path]
        from clausetag.infer.partitions import is_partition_folder, partition_files

        if not is_partition_folder(path):
            raise CoverageError(f"{path}: is a folder without label partitions; expected the output of clausetag label")
        return partition_files(path)

    def _index(self, number: int, file: Path) -> None:
        last: _Entry | None = None
        for doc, kind, n, start, end, failed in self._scan(file):
            entry = self._entries.get(doc)
            if entry is None:
                entry = self._entries[doc] = _Entry([])
            if entry is last and entry.runs[-1][0] == number:
                entry.runs[-1][2] = end
            else:
                entry.runs.append([number, start, end, n])
            entry.units += kind == UNIT_RECORD
            entry.failed = entry.failed or failed
            last = entry

    def _scan(self, file: Path) -> Iterator[tuple[str, str, int, int, int, bool]]:
        """(doc, type, line or row number, start, end, an error record with an error) of each record."""
        if file.suffix == ".parquet":
            yield from self._scan_parquet(file)
            return
        for n, start, end, r in json_lines_at(file, located(CoverageError, file), HINT):
            kind = r.get("type")
            if kind == UNIT_RECORD:
                check_unit(file, n, r)
                self.labels = self.labels or list(r["scores"])
            elif kind not in OUTPUT_ONLY_RECORDS:
                continue
            yield str(r.get("doc", "")), kind, n, start, end, kind == ERROR_RECORD and bool(r.get("error"))

    def _scan_parquet(self, file: Path) -> Iterator[tuple[str, str, int, int, int, bool]]:
        import pyarrow.parquet as pq

        from clausetag.infer.partitions import parquet_batches

        row = 0
        for batch in parquet_batches(file, ["type", "doc", "error"], rows=65536):
            for kind, doc, error in zip(*(batch.column(c).to_pylist() for c in ("type", "doc", "error"))):
                row += 1
                if kind == UNIT_RECORD and not self.labels:
                    self.labels = [f.name for f in pq.read_schema(file).field("scores").type]
                if kind in (UNIT_RECORD, *OUTPUT_ONLY_RECORDS):
                    yield str(doc or ""), kind, row, row - 1, row, kind == ERROR_RECORD and bool(error)

    # --- what it holds -----------------------------------------------------------------------

    @cached_property
    def sha256(self) -> str:
        return output_sha256(self.source)

    def to_jsonl(self, path: Path) -> LabelOutput:
        """This output's records copied, in order, into one JSONL file at `path`, and that file indexed: its
        policies can then be read in any order at the cost of a seek each (of a Parquet row group otherwise)."""
        from clausetag.infer.partitions import partition_records

        with path.open("w", encoding="utf-8") as f:
            for file in self.files:
                with _readable(file):
                    for record in partition_records(file):
                        f.write(json.dumps(record, ensure_ascii=False) + "\n")
        return LabelOutput(path)

    def units(self, doc: str) -> int:
        return self._entries[doc].units

    def policies(self) -> Iterator[Policy]:
        """Every policy (with units or an error), one at a time, in the order they first appear."""
        for doc in self.docs:
            yield self.policy(doc)

    def policy(self, doc: str) -> Policy:
        """The policy `doc`, read from where its records lie."""
        with _readable(self.source):
            return build_policy(doc, (rec for run in self._entries[doc].runs for rec in self._run(doc, *run)
                                      if rec[2].get("type") in (UNIT_RECORD, *OUTPUT_ONLY_RECORDS)))

    def _run(self, doc: str, number: int, start: int, end: int, first: int) -> Iterator[tuple[Path, int, dict]]:
        file = self.files[number]
        if file.suffix == ".parquet":
            from clausetag.infer.partitions import record_of_row

            for i, row in enumerate(self._parquet_rows(number, start, end)):
                yield file, first + i, record_of_row(row)
            return
        for n, _, _, r in json_lines_at(file, located(CoverageError, file), HINT, start, end, first):
            if str(r.get("doc", "")) == doc:
                yield file, n, r

    def _parquet_rows(self, number: int, start: int, end: int) -> list[dict]:
        """Rows start..end of a Parquet partition, from its row groups (the last few read kept decoded)."""
        rows: list[dict] = []
        first = 0
        for group, size in enumerate(self._group_sizes(number)):
            if first < end and start < first + size:
                lo, hi = max(start - first, 0), min(end - first, size)
                rows += self._group(number, group).slice(lo, hi - lo).to_pylist()
            first += size
        return rows

    def _group_sizes(self, number: int) -> list[int]:
        if self._sizes[0] != number:
            import pyarrow.parquet as pq

            meta = pq.read_metadata(self.files[number])
            self._sizes = (number, [meta.row_group(g).num_rows for g in range(meta.num_row_groups)])
        return self._sizes[1]

    def _group(self, number: int, group: int):
        key = (number, group)
        if key in self._cache:
            self._cache[key] = self._cache.pop(key)  # most recently used last
            return self._cache[key]
        import pyarrow.parquet as pq

        table = pq.ParquetFile(self.files[number]).read_row_group(group)
        while self._cache and sum(t.num_rows for t in self._cache.values()) + table.num_rows > CACHED_ROWS:
            self._cache.pop(next(iter(self._cache)))
        self._cache[key] = table
        return table


@contextmanager
def _readable(path: Path):
    """A partition that cannot be read, or pyarrow missing, as one CoverageError naming the file."""
    from clausetag.infer.partitions import PartitionError

    try:
        yield
    except PartitionError as e:
        raise CoverageError(str(e)) from None
    except ImportError:
        raise CoverageError(f"{path}: reading Parquet partitions needs pyarrow (pip install 'clausetag[ray]')") from None
    except (OSError, ValueError) as e:  # pyarrow's ArrowInvalid is a ValueError
        if isinstance(e, ValueError) and not type(e).__module__.startswith("pyarrow"):
            raise
        raise CoverageError(f"{path}: not a readable label output ({e})") from None
