"""Undo hard line breaks: a PDF's text layer breaks lines where the page did, and so does text that
was wrapped at a fixed width (pdftotext's output, e-mail).

Left as they are, each printed line would be a unit of its own (half a sentence), and a wrapped line
with no final punctuation would be taken for a section heading. A line joins the one before when it
starts in lower case, or when the one before runs to near the text width (as wrapped lines do and
headings do not) without ending a sentence, unless the line is a short one that reads as a heading;
a list item or a numbered heading always starts anew.
"""

from __future__ import annotations

import re

from clausetag.infer.segment import is_cjk, is_heading, is_numbered_heading, opens_block
from clausetag.settings import defaults

_CLOSERS = "\"'”’»)）]】」』》〉"
_SENTENCE_END = ".!?;:…。！？；："
_LOWER_START = re.compile(r"^[a-zà-öø-ÿ]")  # a Latin lower-case letter: the sentence goes on
_MIN_TEXT_LINE = 10  # characters


def _width(lengths: list[int]) -> float:
    """The text width: the 90th percentile of the line lengths."""
    ordered = sorted(lengths)
    return ordered[int(0.9 * (len(ordered) - 1))] if ordered else 0.0


def _ends_sentence(line: str) -> bool:
    return line.rstrip(_CLOSERS)[-1:] in tuple(_SENTENCE_END)


def _glue(prev: str, nxt: str, cjk: bool) -> str:
    if cjk and (is_cjk(prev[-1:]) or is_cjk(nxt[:1])):
        return prev + nxt  # Chinese text runs on without a space, beside a Latin word too
    if re.search(r"[^\W\d_]-$", prev) and _LOWER_START.match(nxt):
        return prev + nxt  # e-\nmail: the hyphen stays, the break goes
    return f"{prev} {nxt}"


def _layout(text: str) -> tuple[list[str], set[int], dict[bool, float]]:
    """Stripped lines, the indices of the CJK ones, and the text width of each script (from lines of
    at least `_MIN_TEXT_LINE` characters: bare bullets and page numbers say nothing about it)."""
    lines = [line.strip() for line in text.split("\n")]
    cjk_lines = {i for i, line in enumerate(lines) if line and is_cjk(line)}
    width = {cjk: _width([len(line) for i, line in enumerate(lines)
                          if len(line) >= _MIN_TEXT_LINE and (i in cjk_lines) == cjk])
             for cjk in (True, False)}
    return lines, cjk_lines, width


def _full(line: str, cjk: bool, width: dict[bool, float]) -> bool:
    """Whether `line` runs to near the text width of its script (`[input] unwrap_min_width_share`)."""
    return len(line) >= _MIN_TEXT_LINE and len(line) >= defaults()["input"]["unwrap_min_width_share"] * width[cjk]


def looks_wrapped(text: str) -> bool:
    """Whether `text` was wrapped at a fixed width: most of its lines that run near the text width end
    mid-sentence (in text with one paragraph per line, nearly all of them end a sentence). Numbered
    headings say nothing either way: in a short policy they can be as long as its paragraphs."""
    settings = defaults()["input"]
    lines, cjk_lines, width = _layout(text)
    full = [line for i, line in enumerate(lines)
            if _full(line, i in cjk_lines, width) and not is_numbered_heading(line, i in cjk_lines)]
    unended = sum(not _ends_sentence(line) for line in full)
    return len(full) >= settings["wrapped_min_lines"] and unended >= settings["wrapped_min_share"] * len(full)


def unwrap(text: str) -> str:
    """`text` with wrapped lines joined into their paragraph's line; blank lines stay paragraph breaks. A
    short line after an unfinished full one joins it unless it reads as a heading by its wording, a
    question excepted (a paragraph's last line may well end in one)."""
    lines, cjk_lines, width = _layout(text)
    out: list[str] = []
    last, last_cjk = "", False  # the printed line before, as it was (out[-1] may have several joined)
    for i, line in enumerate(lines):
        cjk = i in cjk_lines
        heading = is_heading(line, cjk, questions=False)
        if out and out[-1] and line and not opens_block(line) and not _ends_sentence(last) and (
                _LOWER_START.match(line)
                or (_full(last, last_cjk, width) and (_full(line, cjk, width) or not heading))):
            out[-1] = _glue(out[-1], line, cjk and last_cjk)
        else:
            out.append(line)
        last, last_cjk = line, cjk
    return "\n".join(out)
