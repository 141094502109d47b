"""Labels from a document's structure, as the guidelines give them (data/GUIDELINES.md, rules 1 and 3).

**Headings take the topic of their section.** The guidelines label a heading with the topic it names
("3. How we share your information" → `third_party_sharing`, "十、联系我们" → `contact`), and so do the
seed annotations (113 of their 126 numbered headings). The model learned headings mostly from
CAPP-130, which labels 4,103 of its 4,294 numbered Chinese headings `other`, and on new policies it
calls nearly every heading `other`. What a heading names is what its section discloses, so a heading
gets the content labels that more than half (`[labeler] heading_min_share`) of its section's units
carry. A heading's section is the units up to the next heading. Where a subheading follows at once,
the section takes in its subsections: everything up to the next heading of the same numbering kind or
of one above it ("2." closes "1.1" and "1."; "（一）" nests under "一、"; headings without a number are
siblings of each other). A heading with no units even so (a table-of-contents entry) takes what the
same heading text gets where its section is. Such an entry without its twin, the document's title (its
first heading, unnumbered, when more follow), and a section where no label reaches the share keep the
model's labels.

**List items the model finds no clause in take the topic of their lead-in.** An item carries the
topic of the sentence that introduces its list (rule 3: "we collect:" → "- your name" is
`collection_use`), which the model, reading one unit at a time, does not see. An item (a unit that
starts with a bullet or an item number: "-", "•", "1、", "(1)", "①", "a)"; a short "1、姓名" that the
segmenter takes for a numbered heading counts too) that the model labels with no content label gets
the content labels of its lead-in: the unit ending in a colon (in Japanese also "。") that the list follows, the items between
them marked alike, numbered one on from 1, and all headings to the segmenter or none. Items the model
gives a label keep theirs. Japanese policies also list bare nouns under a heading-like lead-in
("取得する情報" → "氏名", "メールアドレス"), which the segmenter takes for a run of headings with nothing under
them: at least two such short, unmarked lines after a heading the model gives a content label are its
items; the last line of the run is a heading where a sentence follows it ("利用目的" → "当社は…").
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import replace
from typing import Iterable

from clausetag.records import Prediction
from clausetag.settings import defaults
from clausetag.taxonomy import Taxonomy

SECTION_BASIS, LEAD_IN_BASIS, MODEL_BASIS = "section", "lead_in", "model"

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
# How a list item is marked; the items of one list are marked alike.
_ITEM_KINDS = [
    ("bullet", re.compile(r"[•·・▪●◦‣∙*\-–—]")),
    ("circled", re.compile(r"[①-⑳]")),
    ("number_paren", re.compile(r"[（(]\d{1,2}[）)]")),
    ("letter_paren", re.compile(r"[（(][a-zA-Z][）)]")),
    ("number_close", re.compile(r"\d{1,2}[)）]")),
    ("number_comma", re.compile(r"\d{1,2}、")),
    ("number_dot", re.compile(r"\d{1,2}[.．](?!\d)")),
    ("letter_close", re.compile(r"[a-zA-Z][)）]\s")),
]
_WORD = re.compile(r"[^\W\d_]")
_LEAD_IN_END = (":", "：")
BARE_ITEM_MAX_CHARS = 30  # a bare Japanese list item is a noun phrase: "端末の識別子", "メールアドレス"
_SENTENCE_END = ("。", "．", ".", "!", "?", "！", "？", ":", "：")


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


def item_marker(text: str) -> tuple[str, int | None] | None:
    """How a list item is marked ("bullet", "number_paren", ...) and its number (None for a bullet), or None
    for a unit that is no item (a marker with no words after it, "（3）", is none either)."""
    t = text.lstrip()
    for kind, pattern in _ITEM_KINDS:
        m = pattern.match(t)
        if m:
            if not _WORD.search(t, m.end()):
                return None
            mark = m.group().strip("（()）、.． ")
            number = (ord(mark) - ord("①") + 1 if kind == "circled" else int(mark) if mark.isdigit()
                      else ord(mark.lower()) - ord("a") + 1 if mark.isalpha() else None)
            return kind, number
    return None


def item_kind(text: str) -> str | None:
    """`item_marker`'s kind."""
    marker = item_marker(text)
    return marker[0] if marker else None


def lead_in_labels(predictions: list[Prediction], content: list[str]) -> list[Prediction]:
    """One document's predictions, in order, with each list item that has no content label given its
    lead-in's content labels (`basis` "lead_in"); every other prediction as it was."""
    out = list(predictions)
    for i, lead_at in bare_items(predictions, content).items():
        if not set(predictions[i].labels) & set(content):
            out[i] = replace(predictions[i], labels=[l for l in predictions[lead_at].labels if l in content],
                             basis=LEAD_IN_BASIS)
    lead: list[str] = []  # the content labels of the open list's lead-in
    last = None  # the open list's last item: (kind, number, whether the segmenter took it for a heading)
    for i, p in enumerate(predictions):
        marker = item_marker(p.unit.text)  # "1、姓名" reads as a numbered heading too; after a lead-in it is an item
        if marker and lead and _continues(last, (*marker, p.unit.heading)):
            last = (*marker, p.unit.heading)
            if not set(p.labels) & set(content):
                out[i] = replace(p, labels=list(lead), basis=LEAD_IN_BASIS)
            continue
        lead, last = ([l for l in p.labels if l in content] if opens_list(p.unit) else []), None
    return out


def _bare_item(unit) -> bool:
    """A Japanese line the segmenter took for a heading that may be a bare list item: short, unmarked,
    unnumbered, no sentence."""
    text = unit.text.strip()
    return (unit.lang == "ja" and unit.heading and len(text) <= BARE_ITEM_MAX_CHARS and not text.endswith(_SENTENCE_END)
            and item_marker(text) is None and heading_kind(text) == "plain")


def bare_items(predictions: list[Prediction], content: list[str]) -> dict[int, int]:
    """Japanese lists of bare items that the segmenter took for headings (module docstring): the index of
    each item, to the index of its lead-in (a heading with a content label)."""
    items: dict[int, int] = {}
    i = 0
    while i < len(predictions):
        p = predictions[i]
        if not (p.unit.lang == "ja" and p.unit.heading and set(p.labels) & set(content)):
            i += 1
            continue
        end = i + 1
        while end < len(predictions) and _bare_item(predictions[end].unit):
            end += 1
        last = end - 1 if end == len(predictions) or predictions[end].unit.heading else end - 2
        if last - i >= 2:  # two items at least; a heading over a sentence is no item
            items.update(dict.fromkeys(range(i + 1, last + 1), i))
            i = last + 1
        else:
            i += 1
    return items


def opens_list(unit) -> bool:
    """Whether a unit can lead in a list: a sentence (no heading) ending in a colon, or in Japanese also in
    "。", as Japanese policies introduce their lists ("当社は、以下の情報を取得します。" → "・氏名")."""
    text = unit.text.rstrip()
    return not unit.heading and (text.endswith(_LEAD_IN_END) or unit.lang == "ja" and text.endswith("。"))


def _continues(last: tuple[str, int | None, bool] | None, item: tuple[str, int | None, bool]) -> bool:
    """Whether an item is the next of its list: marked as the list's items are, numbered one on (the first
    numbered 1, "a" or "①"), and read as a heading or not as they are. So "2. How we use cookies" after a
    list "1. … 9." ends it, and so does a heading "7. Third-party services" after sentences "1. … 6."."""
    kind, number, heading = item
    if last is None:
        return number in (None, 1)
    return ((kind, heading) == (last[0], last[2])
            and (number is None or last[1] is not None and number == last[1] + 1))


def structure_labels(predictions: list[Prediction], content: list[str], min_share: float) -> list[Prediction]:
    """One document's predictions with both rules: list items first, so that a heading's section counts
    the labels its items took."""
    return section_labels(lead_in_labels(predictions, content), content, min_share)


def apply_rules(predictions: Iterable[Prediction], taxonomy: Taxonomy) -> list[Prediction]:
    """Both rules on predictions in document order, with the taxonomy's content labels and `[labeler]
    heading_min_share`: what `clausetag label` and `clausetag evaluate` apply."""
    return by_document(predictions, taxonomy.content, defaults()["labeler"]["heading_min_share"])


def by_document(predictions: Iterable[Prediction], content: list[str], min_share: float) -> list[Prediction]:
    """`structure_labels` for each run of consecutive predictions of one document."""
    out: list[Prediction] = []
    run: list[Prediction] = []
    for p in predictions:
        if run and p.unit.doc != run[0].unit.doc:
            out += structure_labels(run, content, min_share)
            run = []
        run.append(p)
    return out + structure_labels(run, content, min_share)
