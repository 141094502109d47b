"""data/policies' files: raw documents and their units, meta records, label sheets, the split, and
writing any of them whole or not at all. What the corpus commands (`policy_corpus`), the agreement and
adjudication tools (`policy_agreement`) and the README tables (`policy_tables`) share."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from clausetag.infer.extract import read_document
from clausetag.infer.output import atomic_write_text
from clausetag.infer.segment import Segment, segment

ROOT = Path(__file__).resolve().parents[1] / "data" / "policies"
META_FIELDS = ("doc", "organisation", "lang", "kind", "title", "source", "url", "licence", "date_read")


@dataclass(frozen=True)
class SheetRow:
    """One line of a label sheet: the unit's index, its labels and, for an uncertain unit, a note."""

    index: int
    labels: tuple[str, ...]
    note: str | None = None


def raw_file(doc: str, root: Path = ROOT) -> Path:
    """The raw file of a document id (its one file under raw/ with that stem)."""
    found = [p for p in (root / "raw").glob(f"{doc}.*")]
    if len(found) != 1:
        raise ValueError(f"{doc}: {len(found)} raw files named {doc}.* under {root / 'raw'}")
    return found[0]


def document_units(path: Path) -> tuple[str, list[Segment]]:
    """The extracted text of a raw file and its units, exactly as `clausetag label` makes them."""
    document = read_document(path)
    return document.text, segment(document.text, lang=None, headings=document.headings)


def read_meta(doc: str, root: Path = ROOT) -> dict:
    """A document's meta record, checked to have every field of META_FIELDS."""
    meta = json.loads((root / "meta" / f"{doc}.json").read_text(encoding="utf-8"))
    missing = [f for f in META_FIELDS if f not in meta]
    if missing:
        raise ValueError(f"meta/{doc}.json lacks {', '.join(missing)}")
    return meta


def sheet_row(path: Path, n: int, line: str, names: set[str]) -> SheetRow:
    """One `index<TAB>labels[<TAB>note]` line, checked: labels from the taxonomy, `other` alone."""
    parts = line.rstrip("\n").split("\t")
    if len(parts) < 2 or not parts[0].strip().isdigit():
        raise ValueError(f"{path.name} line {n}: expected 'index<TAB>labels[<TAB>note]'")
    labels = tuple(x.strip() for x in parts[1].split(",") if x.strip())
    bad = [x for x in labels if x not in names]
    if not labels or bad or ("other" in labels and len(labels) > 1) or len(set(labels)) != len(labels):
        raise ValueError(f"{path.name} line {n}: bad labels {parts[1]!r}")
    note = parts[2].strip() if len(parts) > 2 and parts[2].strip() else None
    return SheetRow(int(parts[0]), labels, note)


def sheet_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, line) of a sheet's rows: blank lines and `#` comments left out."""
    return [(n, line) for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if line.strip() and not line.startswith("#")]


def read_sheet(path: Path, names: set[str]) -> list[SheetRow]:
    """A label sheet's rows, checked: labels from the taxonomy, `other` alone, indices 0, 1, 2, …"""
    rows = [sheet_row(path, n, line, names) for n, line in sheet_lines(path)]
    if [r.index for r in rows] != list(range(len(rows))):
        raise ValueError(f"{path.name}: indices are not 0, 1, 2, … in order")
    return rows


def sheet_line(labels, note) -> str:
    """A sheet row after its index: `labels[<TAB>note]`."""
    return ",".join(labels) + (f"\t{note}" if note else "")


def read_split(root: Path = ROOT) -> dict:
    """split.json: {"test": [...], "validation": [...]} (both empty before it is written)."""
    path = root / "split.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"test": [], "validation": []}


def write_jsonl(path: Path, records: list[dict]) -> None:
    """Records as JSON lines, written whole or not at all."""
    atomic_write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
