"""The corpus of real policies in data/policies: units from the raw files, annotations from label sheets.

A document is a raw file `raw/<doc>.<ext>` (as its publisher wrote it) with a record `meta/<doc>.json`.
Its units are what `clausetag label` makes of the file (the project's reader and segmenter, language
detected as `label` does). An annotator reads the numbered units (`units`), writes one line per unit in
a label sheet `sheets/<doc>.tsv` (`index<TAB>label,label[<TAB>note]`; a note marks the unit uncertain),
and `build` turns sheet and units into `annotations/<doc>.jsonl` in the seed schema (`test/<doc>.jsonl`
for the held-out test documents that `split.json` names: never trained on, nor used for thresholds).

    python -m clausetag.train.policy_corpus units data/policies/raw/de-example.md
    python -m clausetag.train.policy_corpus build [DOC ...]
    python -m clausetag.train.policy_corpus check DOC SHEET    # a second, independent sheet of DOC
    python -m clausetag.train.policy_corpus agreement          # sheets/ against second/ -> agreement.json
    python -m clausetag.train.policy_corpus split              # test/validation documents -> split.json
    python -m clausetag.train.policy_corpus stats              # units per label and language (Markdown)
    python -m clausetag.train.policy_corpus tables [documents|agreement|counts]   # README.md's tables
    python -m clausetag.train.policy_corpus tables --write     # ... written into README.md in place
    python -m clausetag.train.policy_corpus differences DOC ...        # where the two annotations differ
    python -m clausetag.train.policy_corpus adjudicate DOC DECISIONS   # decided labels into the sheet
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

from clausetag.infer.output import atomic_write_text
from clausetag.taxonomy import load_taxonomy
from clausetag.train.policy_agreement import adjudicate, agreement, differences
from clausetag.train.policy_sheets import (ROOT, document_units, raw_file, read_meta, read_sheet,
                                           read_split, sheet_line, write_jsonl)
from clausetag.train.policy_tables import stats_table, tables, write_readme_tables

#: `split` value of a document added after the split was fixed (it trains; see choose_split).
ADDED_LATER = "train"
KINDS = ("company", "app", "shop", "ngo", "public_body", "university", "party", "media")


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


def choose_split(metas: list[dict], test_per_language: int = 2, validation_per_language: int = 1) -> dict:
    """Test and validation documents per language, fixed by rule before any training: in the order of the
    SHA-1 of their ids, among the documents of a family (`family` in the record, else the organisation)
    that has no other document in the corpus (so no translation or near-copy of a test document is trained
    on), the first `test_per_language` are test, the next `validation_per_language` validation; every other
    document trains. Documents added after the split was fixed carry `"split": "train"` in their record: they
    train and are never candidates, so adding one leaves the test and validation documents as they were (and a
    new document of a test document's family changes the split, which tests/test_policy_corpus.py catches)."""
    family = lambda m: m.get("family") or m["organisation"]  # noqa: E731
    by_org: dict[str, int] = {}
    for m in metas:
        by_org[family(m)] = by_org.get(family(m), 0) + 1
    split = {"test": [], "validation": []}
    for lang in sorted({m["lang"] for m in metas}):
        alone = sorted((m["doc"] for m in metas
                        if m["lang"] == lang and by_org[family(m)] == 1 and m.get("split") != ADDED_LATER),
                       key=lambda d: hashlib.sha1(d.encode()).hexdigest())
        split["test"] += alone[:test_per_language]
        split["validation"] += alone[test_per_language : test_per_language + validation_per_language]
    return {k: sorted(v) for k, v in split.items()}


#: The note a re-segmented unit carries until an annotator has read it again.
RESEGMENTED = "RESEGMENTED"


def remap_sheet(doc: str, old_records: list[dict], sheet: Path, root: Path = ROOT) -> int:
    """After a reader change: rewrite a label sheet for the document's new units. Units whose text is
    unchanged keep their row; a unit that replaces others (a sentence once cut in two, markup once read
    as text) gets their labels and a note starting RESEGMENTED, for an annotator to read again; a unit
    that is new gets `other` with that note. Returns the number of rows that need reading again."""
    import difflib

    _, units = document_units(raw_file(doc, root))
    taxonomy = load_taxonomy("harmonized")
    old_rows = read_sheet(sheet, set(taxonomy.names))
    old_labels = [r.labels for r in old_rows]
    old_notes = [r.note for r in old_rows]
    norm = lambda t: re.sub(r"[\W_]+", "", t).lower()  # noqa: E731
    a, b = [norm(r["text"]) for r in old_records], [norm(u.text) for u in units]
    rows: list[str] = []
    todo = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            rows += [sheet_line(old_labels[i], old_notes[i]) for i in range(i1, i2)]
            continue
        if tag == "delete":
            continue
        carried = sorted({l for i in range(i1, i2) for l in old_labels[i]}, key=taxonomy.names.index)
        if len(carried) > 1 and "other" in carried:
            carried.remove("other")
        for j in range(j1, j2):
            todo += 1
            rows.append(sheet_line(tuple(carried or ["other"]),
                                    f"{RESEGMENTED}: labels carried from earlier units {i1}-{i2 - 1}; read again"))
    atomic_write_text(sheet, "".join(f"{n}\t{r}\n" for n, r in enumerate(rows)))
    return todo


def build_in_place(doc: str, root: Path = ROOT) -> Path:
    """Build a document's records into test/ (a test document) or annotations/ (any other), removing a
    copy left in the other folder; returns the file written."""
    folder, other = ("test", "annotations") if doc in set(read_split(root)["test"]) else ("annotations", "test")
    path = root / folder / f"{doc}.jsonl"
    write_jsonl(path, build_document(doc, root))
    (root / other / f"{doc}.jsonl").unlink(missing_ok=True)
    return path


def _print_units(path: Path) -> None:
    _, units = document_units(path)
    for i, u in enumerate(units):
        mark = "H" if u.is_heading else " "
        print(f"{i}\t{mark}\t{u.text}")
    print(f"# {len(units)} units", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in ("units", "build", "check", "agreement", "split", "stats", "tables", "differences", "adjudicate"):
        print(__doc__, file=sys.stderr)
        return 2
    if args[0] == "units":
        for a in args[1:]:
            _print_units(Path(a))
        return 0
    if args[0] == "agreement":
        figures = agreement()
        atomic_write_text(ROOT / "agreement.json", json.dumps(figures, ensure_ascii=False, indent=1) + "\n")
        for lang, f in figures.items():
            print(f"{lang}\t{f['units']} units\texact {f['exact']:.3f}\tmicro-F1 {f['micro_f1']:.3f}")
        return 0
    if args[0] == "stats":
        print(stats_table())
        return 0
    if args[0] == "tables":
        try:
            if args[1:] == ["--write"]:
                changed = write_readme_tables(ROOT)
                print(f"{ROOT / 'README.md'}: " + (f"tables rewritten: {', '.join(changed)}" if changed
                                                   else "tables already up to date"), file=sys.stderr)
                return 0
            print(tables(args[1:], ROOT))
        except (ValueError, OSError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        return 0
    if args[0] == "differences":
        try:
            print("\n\n".join(differences(doc, ROOT) for doc in args[1:]))
        except (ValueError, OSError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        return 0
    if args[0] == "adjudicate":
        if len(args) != 3:
            print("usage: python -m clausetag.train.policy_corpus adjudicate DOC DECISIONS", file=sys.stderr)
            return 2
        try:
            decisions = adjudicate(args[1], Path(args[2]), ROOT)
            build_in_place(args[1], ROOT)
        except (ValueError, OSError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        print("\n".join(d.row() for d in decisions))
        print(f"{args[1]}: {len(decisions)} units decided, sheet and annotations rewritten "
              "(rows above for adjudication/README.md)", file=sys.stderr)
        return 0
    if args[0] == "split":
        metas = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "meta").glob("*.json"))]
        atomic_write_text(ROOT / "split.json", json.dumps(choose_split(metas), indent=1) + "\n")
        print(f"{ROOT / 'split.json'} written", file=sys.stderr)
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
            build_in_place(doc)
        except (ValueError, OSError) as e:
            failed += 1
            print(f"error: {e}", file=sys.stderr)
    print(f"{len(docs) - failed} built, {failed} failed", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
