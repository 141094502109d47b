"""Headings the main-text extractor dropped or moved, put back from the page's markup.

trafilatura keeps a page's paragraphs but can lose its headings: `<h2>`s inside the `<div>`s of a
single-page app vanish, or come out in a block after the first section. The segmenter then takes bold
table-of-contents lines as the sections of hundreds of units. Each heading of the markup (`<h1>`–`<h6>`,
`role="heading"`) is tied to the first block of text that follows it; where that block is in the extracted
text and its heading is not the line above it, the heading is inserted there. A text whose headings all
stand where the markup has them is returned unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
#: Elements whose text is never shown, so it anchors nothing.
HIDDEN_TAGS = frozenset({"script", "style", "noscript", "template", "head", "title", "meta"})
#: Elements that end a block of text (an anchor is the first block after its heading).
BLOCK_TAGS = frozenset("""address article aside blockquote br dd details div dl dt fieldset figcaption figure footer
    form header hr li main nav ol p pre section summary table tbody td tfoot th thead tr ul""".split())
ANCHOR_CHARS = 200  # as much of the following block as must be found in a line of the extracted text
_BULLET = re.compile(r"^(?:[-*•·・]|\d+[.)])\s+")


def _norm(text: str) -> str:
    return " ".join(text.split())


@dataclass
class MarkupHeading:
    """A heading of the page and the start of the block of text that follows it."""
    text: str
    anchor: str


def _is_heading(el) -> bool:
    return el.tag in HEADING_TAGS or (el.get("role") or "").lower() == "heading"


def _runs(tree) -> list[tuple[str, str]]:
    """The page's visible text in document order: ("h", heading text) | ("t", text) | ("b", "") where a
    block of text ends."""
    runs: list[tuple[str, str]] = []

    def walk(el) -> None:
        if not isinstance(el.tag, str) or el.tag in HIDDEN_TAGS:
            return
        if _is_heading(el):
            runs.append(("h", _norm("".join(el.itertext()))))
            return
        block = el.tag in BLOCK_TAGS
        if block:
            runs.append(("b", ""))
        if el.text:
            runs.append(("t", el.text))
        for child in el:
            walk(child)
            if child.tail:
                runs.append(("t", child.tail))
        if block:
            runs.append(("b", ""))

    walk(tree)
    return runs


def _items(runs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Headings ("h", text) and blocks of text ("t", text), normalized, in document order."""
    items, block = [], []
    for kind, value in runs + [("b", "")]:
        if kind == "t":
            block.append(value)
            continue
        if text := _norm("".join(block)):
            items.append(("t", text))
        block = []
        if kind == "h" and value:
            items.append(("h", value))
    return items


def markup_headings(tree) -> tuple[list[MarkupHeading], set[str]]:
    """The headings of an lxml tree in document order, each with its anchor, and the page's other blocks of
    text (normalized), to tell a heading from the same words elsewhere on the page (a table of contents)."""
    runs = _runs(tree)
    headings = [MarkupHeading(value, _anchor(runs, i + 1)) for i, (kind, value) in enumerate(runs)
                if kind == "h" and value]
    return headings, {text for kind, text in _items(runs) if kind == "t"}


def markup_order(text: str, tree) -> tuple[str, list[str]] | None:
    """The extracted lines in the order the page's markup has them, each heading above the blocks it heads
    (restored where the extractor dropped it); and the headings restored. None where some extracted line is
    no block of the markup (a table the extractor laid out, text it joined): nothing may be lost."""
    lines = [line for line in text.split("\n") if line.strip()]
    left: dict[str, list[int]] = {}
    for i, line in enumerate(lines):
        left.setdefault(_BULLET.sub("", _norm(line)), []).append(i)
    out, restored, pending = [], [], []
    for kind, value in _items(_runs(tree)):
        key = _BULLET.sub("", value)
        if kind == "h" and left.get(key):
            out.append(lines[left[key].pop(0)])
            pending = []
        elif kind == "h":
            pending.append(value)  # in the text only where a block under it is
        elif left.get(key):
            out.extend(pending)
            restored.extend(pending)
            out.append(lines[left[key].pop(0)])
            pending = []
        else:  # a block the extractor left out (navigation, a footer): so are the headings above it
            pending = []
    if any(left.values()):
        return None
    return "\n".join(out), restored


def _anchor(runs: list[tuple[str, str]], start: int) -> str:
    """The first block of text from `start` on, up to the next block boundary or heading."""
    parts: list[str] = []
    for kind, value in runs[start:]:
        if kind == "h" or (kind == "b" and _norm("".join(parts))):
            break
        parts.append(value)
    return _norm("".join(parts))


def _line_matches(line: str, anchor: str) -> bool:
    line, anchor = _BULLET.sub("", _norm(line)), _BULLET.sub("", anchor)
    if len(anchor) >= ANCHOR_CHARS:
        return anchor[:ANCHOR_CHARS] in line
    return line == anchor or (len(anchor) >= 12 and line.startswith(anchor))


def _anchor_line(lines: list[str], anchor: str, start: int) -> int | None:
    """The line from `start` on where the block `anchor` is; None where no line, or more than one, holds it
    (a short block such as an address line may recur: better no heading than one in the wrong place)."""
    found = [i for i in range(start, len(lines)) if _line_matches(lines[i], anchor)]
    return found[0] if len(found) == 1 or (found and len(anchor) >= ANCHOR_CHARS) else None


def _previous_text_line(lines: list[str], i: int) -> str | None:
    for line in reversed(lines[:i]):
        if line.strip():
            return _norm(line)
    return None


def restore_headings(text: str, tree) -> tuple[str, list[str]]:
    """`text` (extracted from the page `tree`) with the markup's missing or displaced headings put back on
    their own lines above the block they head; and the headings inserted."""
    if tree is None:
        return text, []
    headings, blocks = markup_headings(tree)
    lines = text.split("\n")
    insert: dict[int, list[str]] = {}
    cursor, added, pending = 0, [], []
    for h in headings:
        if not h.anchor:  # followed at once by another heading: goes in with that one
            pending.append(h.text)
            continue
        at = _anchor_line(lines, h.anchor, cursor)
        group, pending = pending + [h.text], []
        if at is None:
            continue
        cursor = at + 1
        if _previous_text_line(lines, at) != h.text:
            above = _previous_text_line(lines, at)
            new = [t for t in group if t != above]
            insert.setdefault(at, []).extend(new)
            added.extend(new)
    if not insert:
        return text, []
    if (ordered := markup_order(text, tree)) is not None:
        return ordered
    # a heading's words found as a line of the text but nowhere on the page outside headings were displaced:
    # the copy put in place replaces them (the same words as a table of contents' link stay)
    displaced = set(added) - blocks
    out: list[str] = []
    for i, line in enumerate(lines):
        out.extend(insert.get(i, []))
        if _norm(line) in displaced:
            continue
        out.append(line)
    return "\n".join(out), added
