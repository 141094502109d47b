"""Pipe tables (what the HTML extractor makes of a <table>, and Markdown's tables) as one line per row.

Privacy policies put much of what they disclose in tables: the SDKs or partners data go to, with
purpose and data categories per row. Left as pipe-delimited lines, a header row reads like a section
heading and the `|---|` rule joins the first row, so each row is rewritten as one self-contained line
that names its columns: `SDK名称: 微信SDK | 使用目的: 微信登录、分享 | …`.
"""

from __future__ import annotations

import re

_ROW = re.compile(r"^[ \t]*\|.*\|[ \t]*$")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_RULE_CELL = re.compile(r"^:?-{3,}:?$")


def _cells(line: str) -> list[str]:
    inner = line.strip()[1:-1]
    return [c.strip().replace("\\|", "|") for c in _CELL_SPLIT.split(inner)]


def _is_rule(cells: list[str]) -> bool:
    return all(_RULE_CELL.match(c) for c in cells)


def _row_line(cells: list[str], header: list[str] | None) -> str:
    if header is None:
        return " | ".join(c for c in cells if c)
    named = []
    for i, cell in enumerate(cells):
        if not cell:
            continue
        name = header[i] if i < len(header) else ""
        named.append(f"{name}: {cell}" if name and name != cell else cell)
    return " | ".join(named)


def _flatten_block(lines: list[str]) -> list[str]:
    rows = [_cells(line) for line in lines]
    header = None
    if len(rows) >= 2 and _is_rule(rows[1]) and not _is_rule(rows[0]):
        header, rows = rows[0], rows[2:]
        if not rows:  # a header with no rows below it: keep its names
            return [" | ".join(c for c in header if c)]
    out = [_row_line(cells, header) for cells in rows if not _is_rule(cells)]
    return [line for line in out if line]


def flatten_tables(text: str) -> str:
    """`text` with every block of pipe-table lines (`| a | b |`) rewritten one row per line, cells named
    by the header row where a `|---|` rule marks one; every other line as it was."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        if not _ROW.match(lines[i]):
            out.append(lines[i])
            i += 1
            continue
        j = i
        while j < len(lines) and _ROW.match(lines[j]):
            j += 1
        out += _flatten_block(lines[i:j])
        i = j
    return "\n".join(out)
