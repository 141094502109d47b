"""The second, independent annotation of data/policies documents: how it agrees with the first
(`agreement`, `agreement_table`), where the two differ (`differences`), and writing the adjudicator's
decisions into the first annotation's sheet (`adjudicate`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clausetag.infer.output import atomic_write_text
from clausetag.taxonomy import load_taxonomy
from clausetag.train.policy_sheets import (ROOT, SheetRow, document_units, raw_file, read_meta, read_sheet,
                                           sheet_line, sheet_lines, sheet_row)


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
        a, b = both_passes(doc, set(names), root)
        pairs.setdefault(lang, []).extend((set(x.labels), set(y.labels)) for x, y in zip(a, b))
    pairs["all"] = [p for lang in sorted(pairs) for p in pairs[lang]]
    return {lang: agreement_figures(ps, names) | {"documents": sorted(
        d.stem for d in (root / "second").glob("*.tsv") if lang == "all" or read_meta(d.stem, root)["lang"] == lang)}
        for lang, ps in pairs.items()}


def both_passes(doc: str, names: set[str], root: Path = ROOT) -> tuple[list[SheetRow], list[SheetRow]]:
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
    a, b = both_passes(doc, set(load_taxonomy("harmonized").names), root)
    _, units = document_units(raw_file(doc, root))
    out = []
    for x, y in zip(a, b):
        if set(x.labels) != set(y.labels):
            u = units[x.index]
            out.append(f"{x.index}\t[{u.section or ''}] {u.text}\n  first:  {','.join(x.labels)}"
                       f"{'  (' + x.note + ')' if x.note else ''}\n  second: {','.join(y.labels)}"
                       f"{'  (' + y.note + ')' if y.note else ''}")
    return "\n".join(out + [f"# {doc}: {len(out)} of {len(a)} units differ"])


def agreement_figures(pairs: list[tuple[set, set]], names: list[str]) -> dict:
    """Units, exact label-set agreement, micro-F1 and Cohen's kappa per label of (first, second) label sets."""
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
    for n, line in sheet_lines(decisions):
        row = sheet_row(decisions, n, line, set(names))
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
        atomic_write_text(first_path, sheet.read_text(encoding="utf-8"))
    new_rows = [SheetRow(r.index, decided[r.index].labels) if r.index in decided else r for r in rows]
    atomic_write_text(sheet, "".join(f"{r.index}\t{sheet_line(r.labels, r.note)}\n" for r in new_rows))
    return [Decision(f"{doc}-{i:04d}", first[i].labels, second[i].labels if second else None,
                     decided[i].labels, decided[i].note or "") for i in sorted(decided)]
