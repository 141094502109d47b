"""The corpus of real policies in data/policies: units from the raw files, annotations from label sheets.

A document is a raw file `raw/<doc>.<ext>` (as its publisher wrote it) with a record `meta/<doc>.json`.
Its units are what `clausetag label` makes of the file (the project's reader and segmenter, language
detected as `label` does). An annotator reads the numbered units (`units`), writes one line per unit in
a label sheet `sheets/<doc>.tsv` (`index<TAB>label,label[<TAB>note]`; a note marks the unit uncertain),
and `build` turns sheet and units into `annotations/<doc>.jsonl` in the seed schema.

    python -m clausetag.train.policy_corpus units data/policies/raw/de-example.md
    python -m clausetag.train.policy_corpus build [DOC ...]
    python -m clausetag.train.policy_corpus check DOC SHEET    # a second, independent sheet of DOC
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from clausetag.infer.extract import read_document
from clausetag.infer.segment import Segment, segment
from clausetag.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parents[1] / "data" / "policies"
META_FIELDS = ("doc", "organisation", "lang", "kind", "title", "source", "url", "licence", "date_read")
KINDS = ("company", "app", "shop", "ngo", "public_body", "university", "party", "media")


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
    meta = json.loads((root / "meta" / f"{doc}.json").read_text(encoding="utf-8"))
    missing = [f for f in META_FIELDS if f not in meta]
    if missing:
        raise ValueError(f"meta/{doc}.json lacks {', '.join(missing)}")
    return meta


def read_sheet(path: Path, names: set[str]) -> list[SheetRow]:
    """A label sheet's rows, checked: labels from the taxonomy, `other` alone, indices 0, 1, 2, …"""
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 2:
            raise ValueError(f"{path.name} line {n}: expected 'index<TAB>labels[<TAB>note]'")
        labels = tuple(x.strip() for x in parts[1].split(",") if x.strip())
        bad = [x for x in labels if x not in names]
        if not labels or bad or ("other" in labels and len(labels) > 1) or len(set(labels)) != len(labels):
            raise ValueError(f"{path.name} line {n}: bad labels {parts[1]!r}")
        note = parts[2].strip() if len(parts) > 2 and parts[2].strip() else None
        rows.append(SheetRow(int(parts[0]), labels, note))
    if [r.index for r in rows] != list(range(len(rows))):
        raise ValueError(f"{path.name}: indices are not 0, 1, 2, … in order")
    return rows


def build_document(doc: str, root: Path = ROOT, sheet: Path | None = None) -> list[dict]:
    """The annotation records of one document from its raw file, meta record and label sheet."""
    meta = read_meta(doc, root)
    taxonomy = load_taxonomy("harmonized")
    order = {n: i for i, n in enumerate(taxonomy.names)}
    path = raw_file(doc, root)
    _, units = document_units(path)
    rows = read_sheet(sheet or root / "sheets" / f"{doc}.tsv", set(taxonomy.names))
    if len(rows) != len(units):
        raise ValueError(f"{doc}: the sheet has {len(rows)} rows, the document {len(units)} units")
    records = []
    for i, (u, r) in enumerate(zip(units, rows)):
        rec = {"id": f"{doc}-{i:04d}", "doc": path.name, "lang": meta["lang"], "text": u.text,
               "labels": sorted(r.labels, key=order.__getitem__), "start": u.start, "end": u.end,
               "section": u.section, "source": "policies", "heading": u.is_heading}
        if r.note:
            rec.update(uncertain=True, note=r.note)
        records.append(rec)
    return records


def write_jsonl(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    tmp.replace(path)


def _print_units(path: Path) -> None:
    _, units = document_units(path)
    for i, u in enumerate(units):
        mark = "H" if u.is_heading else " "
        print(f"{i}\t{mark}\t{u.text}")
    print(f"# {len(units)} units", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in ("units", "build", "check"):
        print(__doc__, file=sys.stderr)
        return 2
    if args[0] == "units":
        for a in args[1:]:
            _print_units(Path(a))
        return 0
    if args[0] == "check":
        try:
            n = len(build_document(args[1], sheet=Path(args[2])))
        except (ValueError, OSError, IndexError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        print(f"{args[2]}: {n} rows match the units of {args[1]}", file=sys.stderr)
        return 0
    docs = args[1:] or sorted(p.stem for p in (ROOT / "sheets").glob("*.tsv"))
    failed = 0
    for doc in docs:
        try:
            write_jsonl(ROOT / "annotations" / f"{doc}.jsonl", build_document(doc))
        except (ValueError, OSError) as e:
            failed += 1
            print(f"error: {e}", file=sys.stderr)
    print(f"{len(docs) - failed} built, {failed} failed", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
