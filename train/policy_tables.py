"""data/policies/README.md's tables, made from the files as they are: the documents, the units per label
and language, and the agreement of the two annotations."""

from __future__ import annotations

import json
import re
from pathlib import Path

from clausetag.infer.output import atomic_write_text
from clausetag.taxonomy import load_taxonomy
from clausetag.train.policy_agreement import agreement_table
from clausetag.train.policy_sheets import ROOT, read_split

# README.md heading -> the table that follows it
README_TABLES = {"documents": "## Documents", "counts": "## Counts", "agreement": "## Agreement"}


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


def table_span(text: str, heading: str) -> tuple[int, int]:
    """Character span of the first Markdown table below the line that starts with `heading` (ValueError when
    there is none)."""
    found = re.search(rf"^{re.escape(heading)}\b.*\n", text, re.M)  # the heading may go on: "## Agreement (…)"
    if not found:
        raise ValueError(f"no heading {heading!r}")
    start = end = None
    pos = found.end()
    for line in text[pos:].splitlines(keepends=True):
        if line.startswith("|"):
            start = pos if start is None else start
            end = pos + len(line.rstrip("\n"))
        elif start is not None:
            break
        pos += len(line)
    if start is None:
        raise ValueError(f"no table below {heading!r}")
    return start, end


def readme_table(name: str, root: Path = ROOT) -> str:
    """The table README.md shows under the heading of table `name`."""
    text = (root / "README.md").read_text(encoding="utf-8")
    start, end = table_span(text, README_TABLES[name])
    return text[start:end]


def write_readme_tables(root: Path = ROOT) -> list[str]:
    """Replace README.md's tables with what the files give (whole-or-nothing write); the names of those
    that changed."""
    path = root / "README.md"
    text = path.read_text(encoding="utf-8")
    changed = []
    for name, heading in README_TABLES.items():
        start, end = table_span(text, heading)
        new = tables([name], root)
        if text[start:end] != new:
            text = text[:start] + new + text[end:]
            changed.append(name)
    if changed:
        atomic_write_text(path, text)
    return changed
