"""Headings take the topic of their section (data/GUIDELINES.md, rule 1).

The guidelines label a heading with the topic it names ("3. How we share your information" →
`third_party_sharing`, "十、联系我们" → `contact`), and so do the seed annotations (113 of their 126
numbered headings). The model learned headings mostly from CAPP-130, which labels 4,103 of its 4,294
numbered Chinese headings `other`, and on new policies it calls nearly every heading `other`. What a
heading names is what its section discloses, so with `[labeler] heading_labels = "section"` a heading
gets the content labels that more than half (`heading_min_share`) of its section's body units carry.

A heading's section is the sentences up to the next heading. Where a subheading follows at once,
the section takes in its subsections: everything up to the next heading of the same numbering kind or
of one above it ("2." closes "1.1" and "1."; "（一）" nests under "一、"; headings without a number are
siblings of each other). A heading with no sentences even so (a table-of-contents entry) takes what the
same heading text gets where its section is. Such an entry without its twin, the document's title (its
first heading, unnumbered, when more follow), and a section where no label reaches the share keep the
model's labels.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import replace
from typing import Iterable

from clausetag.records import Prediction

SECTION_BASIS, MODEL_BASIS = "section", "model"
MODES = (SECTION_BASIS, MODEL_BASIS)

_CN = "一二三四五六七八九十百零〇"
# How a heading is numbered; two headings of one kind are siblings. Dotted numbers are a kind per depth.
_KINDS = [
    ("chinese", re.compile(rf"第?[{_CN}]+\s*[、.．]")),
    ("article", re.compile(rf"第[{_CN}\d]+\s*[条章节部篇]")),
    ("chinese_paren", re.compile(rf"[（(][{_CN}]+[）)]")),
    ("number_paren", re.compile(r"[（(]\d+[）)]")),
    ("number_close", re.compile(r"\d+[)）]")),
    ("roman", re.compile(r"[IVXivx]+[.)]\s")),
    ("letter", re.compile(r"[A-Za-z][.)]\s")),
]
_DOTTED = re.compile(r"(\d{1,2}(?:[.．]\d{1,2})*)[.、．]?\s*\D")  # "2.", "5.5.2存储", not "2021年"


def heading_kind(text: str) -> str:
    """The numbering kind of a heading: "chinese" (一、), "dotted2" (1.1), ..., or "plain" (no number)."""
    t = unicodedata.normalize("NFKC", text).strip()
    for kind, pattern in _KINDS:
        if pattern.match(t):
            return kind
    m = _DOTTED.match(t)
    return f"dotted{len(re.split('[.．]', m.group(1)))}" if m else "plain"


def section_bodies(is_heading: list[bool], texts: list[str]) -> dict[int, list[int]]:
    """For each heading's index, the indices of the body units in its section: those up to the next
    heading, or where there are none, those of its subsections (up to the next heading of its kind or
    of a kind it is nested in)."""
    own: dict[int, list[int]] = {}
    nested: dict[int, list[int]] = {}
    open_: list[tuple[str, int]] = []  # (kind, index) of the headings whose sections are open, outermost first
    for i, (heading, text) in enumerate(zip(is_heading, texts)):
        if not heading:
            for _, j in open_:
                nested[j].append(i)
            if open_:
                own[open_[-1][1]].append(i)
            continue
        kind = heading_kind(text)
        if any(k == kind for k, _ in open_):
            while open_.pop()[0] != kind:
                pass
        open_.append((kind, i))
        own[i], nested[i] = [], []
    return {i: own[i] or nested[i] for i in own}


def _key(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def _majority(label_sets: list[list[str]], content: list[str], min_share: float) -> list[str]:
    counts = Counter(l for labels in label_sets for l in labels)
    return [l for l in content if counts[l] > min_share * len(label_sets)]


def section_labels(predictions: list[Prediction], content: list[str], min_share: float) -> list[Prediction]:
    """One document's predictions, in order, with each heading's labels from its section where it has
    a majority label (`basis` "section"); every other prediction as it was."""
    flags = [p.unit.heading for p in predictions]
    if not any(flags):
        return predictions
    texts = [p.unit.text for p in predictions]
    bodies = section_bodies(flags, texts)
    first = next(i for i, h in enumerate(flags) if h)
    title = first if heading_kind(texts[first]) == "plain" and len(bodies) > 1 else None
    derived: dict[int, list[str]] = {}
    for i, body in bodies.items():
        if i != title and body and (labels := _majority([predictions[j].labels for j in body], content, min_share)):
            derived[i] = labels
    by_text: dict[str, list[str]] = {}
    for i, labels in derived.items():
        by_text.setdefault(_key(texts[i]), labels)
    out = list(predictions)
    for i, body in bodies.items():
        labels = derived.get(i) or (by_text.get(_key(texts[i])) if not body and i != title else None)
        if labels:
            out[i] = replace(predictions[i], labels=labels, basis=SECTION_BASIS)
    return out


def by_document(predictions: Iterable[Prediction], content: list[str], min_share: float) -> list[Prediction]:
    """`section_labels` for each run of consecutive predictions of one document."""
    out: list[Prediction] = []
    run: list[Prediction] = []
    for p in predictions:
        if run and p.unit.doc != run[0].unit.doc:
            out += section_labels(run, content, min_share)
            run = []
        run.append(p)
    return out + section_labels(run, content, min_share)
