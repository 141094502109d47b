"""Cleaning a PDF's text layer: running headers, footers and page numbers dropped before the pages are
joined, and the spaces a font change puts into Chinese text taken out.

Left in, a footer line such as "Acme privacy policy · page 3 of 12" would be a unit on every page, and
it would stand between the two halves of every sentence that runs over a page break. Where Chinese
text switches fonts (digits and punctuation often come from a Latin font), pypdf puts a space at each
switch: "生效日期 :2025 年 4 月", "( 三 ) 共享", "将 Cookie 和"; the model reads those differently from the
text itself.
"""

from __future__ import annotations

import re
from collections import Counter

from clausetag.settings import defaults

# A line that is only a page number: "3", "- 3 -", "Page 3", "Page 3 of 12", "3/12", "第 3 页", "第3页 共12页".
_PAGE_NUMBER = re.compile(
    r"^\W*(?:(?:page|strana|str\.|seite|página|pagina)\s*)?\d{1,3}(?:\s*(?:of|z|/|von|de|di)\s*\d{1,3})?\W*$"
    r"|^\W*第\s*\d{1,3}\s*页(?:\s*[，,/]?\s*共\s*\d{1,3}\s*页)?\W*$",
    re.IGNORECASE,
)


_HAN = "\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_SPACE = re.compile(f"(?<=[{_HAN}])[ \\t]+(?=\\S)|(?<=\\S)[ \\t]+(?=[{_HAN}])")


def tighten_cjk_spacing(text: str) -> str:
    """`text` without spaces next to a Chinese (or Japanese) character: "使用 Cookie 技术" becomes
    "使用Cookie技术", as CAPP-130's Chinese policies write it 15 times in 16. Text without CJK is kept."""
    return _CJK_SPACE.sub("", text)


def _shape(line: str) -> str:
    """A line with digits and spacing evened out, so that "page 3" and "page 4" compare equal."""
    return re.sub(r"\s+", " ", re.sub(r"\d+", "#", line)).strip().lower()


def _edges(lines: list[str], depth: int) -> set[int]:
    """Indices of the first and last `depth` non-blank lines."""
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return set(filled[:depth] + filled[-depth:])


def drop_page_furniture(pages: list[str]) -> list[str]:
    """`pages` without the lines at a page's top or bottom that are a page number, or that recur (digits
    aside) at the top or bottom of at least `[input] furniture_min_share` of the pages (3 pages or more)."""
    settings = defaults()["input"]
    depth = settings["furniture_lines"]
    split = [page.split("\n") for page in pages]
    # each page's edge lines (index -> shape), the shapes worked out once
    edges = [{i: _shape(lines[i]) for i in _edges(lines, depth)} for lines in split]
    counts = Counter(shape for shapes in edges for shape in set(shapes.values()))
    recurring = {shape for shape, n in counts.items()
                 if len(pages) >= 3 and n >= max(2, settings["furniture_min_share"] * len(pages))}
    kept = []
    for lines, shapes in zip(split, edges):
        kept.append("\n".join(line for i, line in enumerate(lines)
                              if i not in shapes or not (_PAGE_NUMBER.match(line.strip()) or shapes[i] in recurring)))
    return kept
