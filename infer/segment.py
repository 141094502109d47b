"""Split a document into sentence, list-item and heading units with character offsets.

The same segmenter produced the seed annotations, so training and labeling see
the same units. Every non-blank character of the input belongs to exactly one
unit, and ``text[unit.start:unit.end] == unit.text`` always holds.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from functools import lru_cache
from importlib import resources
from typing import Collection, Iterator

from clausetag.records import Segment
from clausetag.settings import defaults

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_CJK_LANGS = {"zh", "ja", "ko"}
_CLOSERS = "\"'”’»)）]】」』》〉"
_CJK_TERMINAL = "。！？；!?;"
_LATIN_TERMINAL = ".!?…"
_CLAUSE_END = "。；;：:，,！？!?.…、"

_CN_NUM = "一二三四五六七八九十百零〇"
# A line that starts like this is a list item, never a heading.
_ITEM_START = re.compile(
    r"^\s*(?:[•·▪●◦‣∙*\-–—]\s|\d{1,2}[)）]|[（(]\d{1,2}[）)]|[①-⑳]|[a-zA-Z][)）]\s)"
)
# Where a list item starts inside a line (after a colon or white space).
_INLINE_ITEM = re.compile(
    rf"(?<=[：:\s])\s*(?=(?:[（(][{_CN_NUM}\d]{{1,3}}[）)]|[①-⑳]|\d{{1,2}}[、)）]|[{_CN_NUM}]{{1,3}}、|[•·▪●◦‣]))"
)
# A line that starts like this is a numbered heading, even if it ends with a question mark.
_HEADING_MARKER = re.compile(
    rf"^\s*(?:第[{_CN_NUM}\d]+[部分章条节]|[{_CN_NUM}]{{1,3}}[、.．]|[（(][{_CN_NUM}]{{1,3}}[）)]|\d{{1,2}}(?:\.\d{{1,2}})*[.、．]?\s*\D)"
)
# A Markdown ATX heading's marks ("## Data we collect"): the line is a heading, the marks not part of it.
_MARKDOWN_HEADING = re.compile(r"#{1,6}[ \t]+(?=\S)")
_QUOTE_OR_URL = re.compile(r"[\"“”„«»]|://|www\.|\?.*\?")
_KEY_VALUE = re.compile(r"[:：]\s*\S")
_LETTER = re.compile(r"[^\W\d_]")
# A line drawn with one character at least three times ("---", "=====", "* * *", "━━━━"), spaces aside.
_RULE = re.compile(r"([-=*_~—─━═])(?:[ \t]*\1){2,}")
_WORD = re.compile(r"[^\W_]")


@lru_cache(maxsize=1)
def _segmenter_rules() -> dict:
    raw = resources.files("clausetag.infer").joinpath("segmenter.toml").read_text("utf-8")
    return tomllib.loads(raw)


@lru_cache(maxsize=1)
def _abbreviations() -> frozenset[str]:
    """Abbreviations after which a period does not end the sentence."""
    return frozenset(a.lower() for a in _segmenter_rules()["abbreviations"])


def _period_ends_sentence(line: str, dot: int, after: str) -> bool:
    """Whether the period at `line[dot]`, followed by white space and then `after`, ends a sentence."""
    word = re.search(r"([\w.]+)$", line[:dot])
    token = word.group(1).lower() if word else ""
    bare = token.rstrip(".")
    rules = _segmenter_rules()
    if bare in rules["list_enders"]:  # "etc. We": a new sentence; "etc. TLS", "etc. and": not
        return after[:1].isupper() and after[1:2].islower()
    if token in _abbreviations() or bare in _abbreviations():
        return False
    # "2. Rozsah" inside a line is a numbering or a Czech ordinal, not a sentence end.
    if token.isdigit() and len(token) <= 2:
        return False
    if len(token) == 1 and token.isalpha():
        # A single capital letter before the period is an initial ("J. Novák"); a single letter next to
        # another short one is a spaced abbreviation ("z. B.", "u. a.", "d. h.", "p. ex.").
        if line[dot - 1].isupper() or re.match(r"[^\W\d_]{1,2}\.", after) \
                or re.search(r"(?:^|[\s(])[^\W\d_]\.\s+$", line[: dot - 1]):
            return False
    if after[:1].isdigit() and any(bare.endswith(s) and len(bare) > len(s)
                                   for s in rules["number_abbreviation_suffixes"]):
        return False  # "Musterstr. 12"
    return True


def _limits() -> dict:
    return defaults()["segmenter"]


def is_cjk(text: str, lang: str | None = None) -> bool:
    """Whether `text` should be split by CJK rules."""
    if lang:
        return lang.split("-")[0].lower() in _CJK_LANGS
    letters = _LETTER.findall(text[:2000])
    if not letters:
        return False
    return sum(1 for ch in letters if _CJK.match(ch)) / len(letters) > 0.3


def _stripped_lines(text: str) -> Iterator[tuple[int, int]]:
    for m in re.finditer(r"[^\n\r\u2028\u2029\x0b\x0c\x85]+", text):
        a, b = m.span()
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            yield a, b


def _lines(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each non-blank line, stripped; a bare bullet line joins the next line, and a rule
    line ("---", "=====", "* * *": a separator, a Markdown rule or a heading's underline) is no unit."""
    pending = None
    for a, b in _stripped_lines(text):
        if _RULE.fullmatch(text, a, b):
            continue
        if pending is not None:
            a, pending = pending, None
        if not _WORD.search(text, a, b):
            pending = a
            continue
        yield a, b
    if pending is not None:
        yield pending, len(text.rstrip())


def opens_block(line: str) -> bool:
    """Whether `line` starts a list item or a numbered heading (so never continues the line before)."""
    return bool(_ITEM_START.match(line) or _HEADING_MARKER.match(line))


def is_numbered_heading(line: str, cjk: bool) -> bool:
    """A heading that starts with its number ("一、我们如何收集您的信息", "2. Welche Daten wir erheben")."""
    return bool(_HEADING_MARKER.match(line)) and is_heading(line, cjk, questions=False)


def is_heading(line: str, cjk: bool, questions: bool = True) -> bool:
    """A short line that names a topic: no final punctuation, no `key: value`, not a list item; with
    `questions`, also a line (not CJK) that is one question ("What information do we collect?")."""
    t = line.strip()
    limits = _limits()
    max_len = limits["max_heading_chars_cjk"] if cjk else limits["max_heading_chars_latin"]
    if not t or len(t) > max_len:
        return False
    question_heading = t[-1] in "?？" and (_HEADING_MARKER.match(t) or questions and _latin_question(t, cjk))
    if t[-1] in _CLAUSE_END and not question_heading:
        return False
    if _KEY_VALUE.search(t) or _ITEM_START.match(t) or not _LETTER.search(t) or " | " in t:  # | : a table row
        return False
    if cjk and re.search(r"[。！？]", t):
        return False
    if not cjk:
        first = _LETTER.search(t).group()
        if first.islower():
            return False
        # A Latin heading is a phrase, not several sentences.
        if re.search(r"[.!?]\s+\S", re.sub(r"^\d+(?:\.\d+)*\.?\s*", "", t)):
            return False
    return True


def _latin_question(line: str, cjk: bool) -> bool:
    """A line that is one question and nothing else, in a text not written in CJK ("What information do we
    collect?", "Welche Daten erheben wir?"): a heading, as policies word theirs. Not a quotation or a URL."""
    return (not cjk and line.endswith("?") and not _QUOTE_OR_URL.search(line)
            and not re.search(r"[.!?;:]\s", line))


#: Brackets inside which a full stop ends no sentence (「…。」 quotes one, as Japanese policies quote
#: a consent text; （以下「当社」といいます。） names a term); an opener whose closer is not on the line does not count.
_QUOTE_BRACKETS = {"「": "」", "『": "』", "（": "）"}


def _cjk_breaks(text: str, a: int, b: int) -> list[int]:
    breaks = []
    i = a
    open_until = -1  # inside a closed quotation bracket up to this index
    while i < b:
        ch = text[i]
        end_here = False
        if ch in _QUOTE_BRACKETS and i > open_until:
            close = text.find(_QUOTE_BRACKETS[ch], i + 1, b)
            if close > 0:
                open_until = close
        if i < open_until:
            i += 1
            continue
        if ch in _CJK_TERMINAL:
            nxt = text[i + 1] if i + 1 < b else ""
            prev = text[i - 1] if i > a else ""
            # ASCII ! ? ; inside an ASCII token (a URL, code) are not sentence ends.
            inside_ascii = prev.isascii() and prev.isalnum() and nxt.isascii() and (nxt.isalnum() or nxt in "=&/#%")
            end_here = ch in "。！？；" or not inside_ascii
        elif ch == "." and i > a and _CJK.match(text[i - 1]):
            nxt = text[i + 1] if i + 1 < b else ""
            end_here = nxt == "" or nxt.isspace() or bool(_CJK.match(nxt))
        if end_here:
            j = i + 1
            while j < b and (text[j] in _CLOSERS or text[j] in _CJK_TERMINAL):
                j += 1
            breaks.append(j)
            i = j
            continue
        i += 1
    return breaks


def _latin_breaks(text: str, a: int, b: int) -> list[int]:
    breaks = []
    for m in re.finditer(r"[.!?…]+[" + re.escape(_CLOSERS) + r"]*(?=\s+)", text[a:b]):
        end = a + m.end()
        nxt = re.match(r"\s+(\S)", text[end:b])
        if not nxt:
            continue
        follower = nxt.group(1)
        if not (follower.isupper() or follower.isdigit() or follower in "\"'“‘„«([•·▪-–" or _CJK.match(follower)):
            continue
        if m.group().startswith(".") and not _period_ends_sentence(text[a:b], m.start(), text[end:b].lstrip()):
            continue
        breaks.append(end)
    return breaks


def _cut_long(text: str, a: int, b: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut an over-long span at the last comma or space before the limit (hard cut if none)."""
    spans = []
    while b - a > max_chars:
        window = text[a : a + max_chars]
        cut = max(window.rfind(c) for c in "，,、 \t")
        cut = a + cut + 1 if cut > max_chars // 3 else a + max_chars
        spans.append((a, cut))
        a = cut
    spans.append((a, b))
    return spans


_MARKER_CLOSER = re.compile(r"(?:^|(?<=[\s:：;；,，]))\d{1,2}[)）]")


def _inline_items(line: str) -> list[int]:
    """Where list items start inside `line`. A number and a closing parenthesis after a word, inside a
    parenthesis opened before it, closes that parenthesis rather than starting an item ("(see Section
    5)."; "…: 1) name; 2) e-mail" and "1) jméno 2) adresa" are items)."""
    starts = []
    for m in _INLINE_ITEM.finditer(line):
        before = _MARKER_CLOSER.sub("", line[: m.end()])  # the parentheses that item numbers close aside
        if re.match(r"\d{1,2}[)）]", line[m.end():]) and re.search(r"\w\s*$", line[: m.end()]) \
                and before.count("(") + before.count("（") > before.count(")") + before.count("）"):
            continue
        starts.append(m.start())
    return starts


def _split_line(text: str, a: int, b: int, cjk: bool) -> list[tuple[int, int]]:
    cuts = set(_cjk_breaks(text, a, b) if cjk else _latin_breaks(text, a, b))
    cuts.update(a + start for start in _inline_items(text[a:b]))
    bounds = [a, *sorted(c for c in cuts if a < c < b), b]
    pieces: list[list[int]] = []
    carry = None
    for s, e in zip(bounds, bounds[1:]):
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s >= e:
            continue
        if carry is not None:
            s, carry = carry, None
        if not _WORD.search(text, s, e):  # a bare bullet or stray mark joins its neighbour
            carry = s
            continue
        pieces.append([s, e])
    if carry is not None:
        if pieces:
            pieces[-1][1] = b
        else:
            pieces.append([carry, b])
    max_chars = _limits()["max_unit_chars"]
    return [span for s, e in pieces for span in _cut_long(text, s, e, max_chars)]


def _heading_key(line: str) -> str:
    """How a heading line is matched against the headings a document's markup names."""
    return " ".join(unicodedata.normalize("NFKC", line).split())


def segment(text: str, lang: str | None = None, headings: Collection[str] = ()) -> list[Segment]:
    """Split `text` into units; headings become units and the `section` of what follows.

    A line is a heading when its wording reads as one (`is_heading`), or when the document's markup
    makes it one and it is no longer than a heading may be: a Markdown `#` line (the marks are left out
    of the unit) or a line whose text is one of `headings` (an HTML page's <h1>-<h6>, a Word heading
    paragraph), which may end in a question mark ("我们如何收集您的信息？") or a full stop ("Cookies.")."""
    text = text or ""
    cjk_doc = is_cjk(text, lang)
    marked = {_heading_key(h) for h in headings}
    limits = _limits()
    units: list[Segment] = []
    section: str | None = None
    for a, b in _lines(text):
        marks = _MARKDOWN_HEADING.match(text, a, b)
        if marks:
            a = marks.end()
        line = text[a:b]
        cjk = cjk_doc if lang else is_cjk(line) or (cjk_doc and not _LETTER.search(line))
        max_len = limits["max_heading_chars_cjk"] if cjk else limits["max_heading_chars_latin"]
        explicit = (marks is not None or _heading_key(line) in marked) and len(line) <= max_len
        if explicit or is_heading(line, cjk):
            units.append(Segment(a, b, line, is_heading=True, section=section))
            section = unicodedata.normalize("NFKC", line)
            continue
        for s, e in _split_line(text, a, b, cjk):
            units.append(Segment(s, e, text[s:e], section=section))
    return _without_dominant_title(units, limits["title_section_max_share"])


def _without_dominant_title(units: list[Segment], max_share: float) -> list[Segment]:
    """Units under the document's title (its first unit, a heading without a number) lose it as their
    section when they are more than `max_share` of the other units: a policy without further headings
    (or with few) gains nothing from its own name, and the model, which learned titles as the section
    of app policies' preambles (mostly `other`), would take its sentences for a preamble. A preamble
    before the first real heading keeps its title, and a numbered first heading ("6. Storage", a
    policy's section on its own) is a section, not a title."""
    if len(units) < 2 or not units[0].is_heading or _HEADING_MARKER.match(units[0].text):
        return units
    end = next((i for i in range(1, len(units)) if units[i].is_heading), len(units))
    if end - 1 <= max_share * (len(units) - 1):
        return units
    for u in units[1:end]:
        u.section = None
    return units
