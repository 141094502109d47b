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
    python -m clausetag.train.policy_corpus differences DOC ...        # where the two annotations differ
    python -m clausetag.train.policy_corpus adjudicate DOC DECISIONS   # decided labels into the sheet
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from clausetag.infer.extract import read_document
from clausetag.infer.segment import Segment, segment
from clausetag.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parents[1] / "data" / "policies"
META_FIELDS = ("doc", "organisation", "lang", "kind", "title", "source", "url", "licence", "date_read")
#: `split` value of a document added after the split was fixed (it trains; see choose_split).
ADDED_LATER = "train"
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


def _sheet_row(path: Path, n: int, line: str, names: set[str]) -> SheetRow:
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


def _sheet_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, line) of a sheet's rows: blank lines and `#` comments left out."""
    return [(n, line) for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if line.strip() and not line.startswith("#")]


def read_sheet(path: Path, names: set[str]) -> list[SheetRow]:
    """A label sheet's rows, checked: labels from the taxonomy, `other` alone, indices 0, 1, 2, …"""
    rows = [_sheet_row(path, n, line, names) for n, line in _sheet_lines(path)]
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


def agreement(root: Path = ROOT) -> dict:
    """How the first annotation (as it was before adjudication: adjudication/first-pass/, else sheets/) and
    the independent second one (second/) of the same documents agree, per language and over all: units, exact label-set agreement, micro-F1 of one against the other,
    and Cohen's kappa per label (each unit a yes/no decision for that label)."""
    taxonomy = load_taxonomy("harmonized")
    names = list(taxonomy.names)
    pairs: dict[str, list[tuple[set, set]]] = {}
    for second in sorted((root / "second").glob("*.tsv")):
        doc = second.stem
        lang = read_meta(doc, root)["lang"]
        a, b = _both_passes(doc, set(names), root)
        pairs.setdefault(lang, []).extend((set(x.labels), set(y.labels)) for x, y in zip(a, b))
    pairs["all"] = [p for lang in sorted(pairs) for p in pairs[lang]]
    return {lang: _agreement_figures(ps, names) | {"documents": sorted(
        d.stem for d in (root / "second").glob("*.tsv") if lang == "all" or read_meta(d.stem, root)["lang"] == lang)}
        for lang, ps in pairs.items()}


def _both_passes(doc: str, names: set[str], root: Path = ROOT) -> tuple[list[SheetRow], list[SheetRow]]:
    """The first annotation of a document as it was before adjudication (adjudication/first-pass/, else
    sheets/) and its independent second one (second/), checked to have the same rows."""
    first = root / "adjudication" / "first-pass" / f"{doc}.tsv"
    a = read_sheet(first if first.is_file() else root / "sheets" / f"{doc}.tsv", names)
    b = read_sheet(root / "second" / f"{doc}.tsv", names)
    if len(a) != len(b):
        raise ValueError(f"{doc}: the two sheets have {len(a)} and {len(b)} rows")
    return a, b


def differences(doc: str, root: Path = ROOT) -> str:
    """The units on which the two annotations of `doc` differ, each with its section, text and both passes'
    labels and notes: what the adjudicator reads before writing decisions for `adjudicate`."""
    a, b = _both_passes(doc, set(load_taxonomy("harmonized").names), root)
    _, units = document_units(raw_file(doc, root))
    out = []
    for x, y in zip(a, b):
        if set(x.labels) != set(y.labels):
            u = units[x.index]
            out.append(f"{x.index}\t[{u.section or ''}] {u.text}\n  first:  {','.join(x.labels)}"
                       f"{'  (' + x.note + ')' if x.note else ''}\n  second: {','.join(y.labels)}"
                       f"{'  (' + y.note + ')' if y.note else ''}")
    return "\n".join(out + [f"# {doc}: {len(out)} of {len(a)} units differ"])


def _agreement_figures(pairs: list[tuple[set, set]], names: list[str]) -> dict:
    tp = sum(len(a & b) for a, b in pairs)
    fp_fn = sum(len(a ^ b) for a, b in pairs)
    kappa = {}
    for label in names:
        x = [label in a for a, _ in pairs]
        y = [label in b for _, b in pairs]
        n = len(x)
        po = sum(p == q for p, q in zip(x, y)) / n
        pa, pb = sum(x) / n, sum(y) / n
        pe = pa * pb + (1 - pa) * (1 - pb)
        kappa[label] = None if pe == 1 else round((po - pe) / (1 - pe), 3)
    return {"units": len(pairs), "exact": round(sum(a == b for a, b in pairs) / len(pairs), 3),
            "micro_f1": round(2 * tp / (2 * tp + fp_fn), 3) if tp + fp_fn else None,
            "kappa": kappa}


def read_split(root: Path = ROOT) -> dict:
    """split.json: {"test": [...], "validation": [...]} (both empty before it is written)."""
    path = root / "split.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"test": [], "validation": []}


def stats_table(root: Path = ROOT) -> str:
    """Markdown: documents, units and units per label for each language (a unit counts once per label)."""
    names = list(load_taxonomy("harmonized").names)
    rows: dict[str, dict] = {}
    for folder in ("annotations", "test"):
        for path in sorted((root / folder).glob("*.jsonl")):
            recs = [json.loads(l) for l in path.read_text(encoding="utf-8").splitlines() if l.strip()]
            for lang in (recs[0]["lang"], "all"):
                row = rows.setdefault(lang, {"docs": 0, "units": 0, **{n: 0 for n in names}})
                row["docs"] += 1
                row["units"] += len(recs)
                for r in recs:
                    for label in r["labels"]:
                        row[label] += 1
    head = "| lang | documents | units | " + " | ".join(f"`{n}`" for n in names) + " |"
    lines = [head, "|" + "---|" * (len(names) + 3)]
    for lang in sorted(rows, key=lambda l: (l == "all", l)):
        r = rows[lang]
        lines.append(f"| {lang} | {r['docs']} | {r['units']} | " + " | ".join(str(r[n]) for n in names) + " |")
    return "\n".join(lines)


def documents_table(root: Path = ROOT) -> str:
    """Markdown: one row per document (id, language, organisation, kind, units, split part, source)."""
    split = read_split(root)
    lines = ["| doc | lang | organisation | kind | units | part | source |", "|---|---|---|---|---|---|---|"]
    for path in sorted((root / "meta").glob("*.json")):
        meta = json.loads(path.read_text(encoding="utf-8"))
        doc = meta["doc"]
        part = "test" if doc in split["test"] else "validation" if doc in split["validation"] else "train"
        built = root / ("test" if part == "test" else "annotations") / f"{doc}.jsonl"
        units = sum(1 for l in built.read_text(encoding="utf-8").splitlines() if l.strip()) if built.is_file() else 0
        source = meta["source"] if len(meta["source"]) <= 91 else meta["source"][:90] + "…"
        lines.append(f"| `{doc}` | {meta['lang']} | {meta['organisation']} | {meta['kind']} | {units} | {part} | `{source}` |")
    return "\n".join(lines)


def agreement_table(figures: dict) -> str:
    """Markdown: `agreement()`'s figures, one row per language and one over all (κ per label, `–` where
    neither pass used the label)."""
    names = list(load_taxonomy("harmonized").names)
    short = {"collection_use": "coll", "third_party_sharing": "share", "user_rights": "rights",
             "data_retention": "reten", "data_security": "secur", "specific_audiences": "aud",
             "policy_change": "change"}
    lines = ["| lang | documents | units | exact | micro-F1 | " + " | ".join(f"κ {short.get(n, n)}" for n in names) + " |",
             "|---|---|---:|---:|---:|" + "---:|" * len(names)]
    for lang, f in figures.items():
        docs = f"{len(f['documents'])} documents" if lang == "all" else ", ".join(f"`{d}`" for d in f["documents"])
        kappas = ["–" if f["kappa"].get(n) is None else f"{f['kappa'][n]:.2f}" for n in names]
        lines.append(f"| {lang} | {docs} | {f['units']} | {f['exact']:.3f} | {f['micro_f1']:.3f} | " + " | ".join(kappas) + " |")
    return "\n".join(lines)


def tables(which: list[str], root: Path = ROOT) -> str:
    """README.md's tables, from the files as they are: `documents`, `agreement` (agreement.json) and
    `counts` (all three when `which` is empty)."""
    makers = {"agreement": lambda: agreement_table(json.loads((root / "agreement.json").read_text(encoding="utf-8"))),
              "counts": lambda: stats_table(root), "documents": lambda: documents_table(root)}
    unknown = [w for w in which if w not in makers]
    if unknown:
        raise ValueError(f"unknown table {unknown[0]!r}: choose from {', '.join(makers)}")
    chosen = which or list(makers)
    if len(chosen) == 1:
        return makers[chosen[0]]()
    return "\n\n".join(f"<!-- {w} -->\n" + makers[w]() for w in chosen)


@dataclass(frozen=True)
class Decision:
    """An adjudicated unit: the labels decided, the two passes' labels, and why."""

    unit: str
    first: tuple[str, ...]
    second: tuple[str, ...] | None
    decided: tuple[str, ...]
    why: str

    def row(self) -> str:
        """The unit's row in adjudication/README.md (`decided` says which pass it follows)."""
        follows = ("first" if set(self.decided) == set(self.first) else
                   "second" if self.second is not None and set(self.decided) == set(self.second) else "neither")
        second = ",".join(self.second) if self.second is not None else "–"
        return f"| `{self.unit}` | {','.join(self.first)} | {second} | {follows} | {self.why} |"


def adjudicate(doc: str, decisions: Path, root: Path = ROOT) -> list[Decision]:
    """Write the labels decided for some units of `doc` into its sheet: `decisions` has lines
    `index<TAB>labels<TAB>why`. The sheet as it was before its first adjudication is kept once under
    adjudication/first-pass/ (what `agreement` compares with second/). A decided unit loses its
    uncertainty note. Checks every decision before changing anything; returns them in index order."""
    names = load_taxonomy("harmonized").names
    sheet = root / "sheets" / f"{doc}.tsv"
    rows = read_sheet(sheet, set(names))
    decided = {}
    for n, line in _sheet_lines(decisions):
        row = _sheet_row(decisions, n, line, set(names))
        if row.index >= len(rows):
            raise ValueError(f"{decisions.name} line {n}: {doc} has no unit {row.index} (it has {len(rows)})")
        if row.index in decided:
            raise ValueError(f"{decisions.name} line {n}: unit {row.index} is decided twice")
        if not row.note:
            raise ValueError(f"{decisions.name} line {n}: say why (index<TAB>labels<TAB>why)")
        decided[row.index] = row
    first_path = root / "adjudication" / "first-pass" / f"{doc}.tsv"
    first = read_sheet(first_path, set(names)) if first_path.is_file() else rows
    second_path = root / "second" / f"{doc}.tsv"
    second = read_sheet(second_path, set(names)) if second_path.is_file() else None
    if not first_path.is_file():
        _write_text(first_path, sheet.read_text(encoding="utf-8"))
    new_rows = [SheetRow(r.index, decided[r.index].labels) if r.index in decided else r for r in rows]
    _write_text(sheet, "".join(f"{r.index}\t{_sheet_line(r.labels, r.note)}\n" for r in new_rows))
    return [Decision(f"{doc}-{i:04d}", first[i].labels, second[i].labels if second else None,
                     decided[i].labels, decided[i].note or "") for i in sorted(decided)]


def _write_text(path: Path, text: str) -> None:
    """Write a file whole or not at all (a temporary file renamed over it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def write_jsonl(path: Path, records: list[dict]) -> None:
    _write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


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
            rows += [_sheet_line(old_labels[i], old_notes[i]) for i in range(i1, i2)]
            continue
        if tag == "delete":
            continue
        carried = sorted({l for i in range(i1, i2) for l in old_labels[i]}, key=taxonomy.names.index)
        if len(carried) > 1 and "other" in carried:
            carried.remove("other")
        for j in range(j1, j2):
            todo += 1
            rows.append(_sheet_line(tuple(carried or ["other"]),
                                    f"{RESEGMENTED}: labels carried from earlier units {i1}-{i2 - 1}; read again"))
    _write_text(sheet, "".join(f"{n}\t{r}\n" for n, r in enumerate(rows)))
    return todo


def _sheet_line(labels, note) -> str:
    return ",".join(labels) + (f"\t{note}" if note else "")


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
        (ROOT / "agreement.json").write_text(json.dumps(figures, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        for lang, f in figures.items():
            print(f"{lang}\t{f['units']} units\texact {f['exact']:.3f}\tmicro-F1 {f['micro_f1']:.3f}")
        return 0
    if args[0] == "stats":
        print(stats_table())
        return 0
    if args[0] == "tables":
        try:
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
        (ROOT / "split.json").write_text(json.dumps(choose_split(metas), indent=1) + "\n", encoding="utf-8")
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
