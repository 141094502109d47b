"""Headings take the topic of their section (infer/headings.py, data/GUIDELINES.md rule 1)."""

from __future__ import annotations

import pytest

from clausetag.infer.headings import by_document, heading_kind, section_bodies, section_labels
from clausetag.records import Prediction, Unit

CONTENT = ["collection_use", "third_party_sharing", "user_rights", "contact"]


def doc(rows, name="p.txt"):
    """Predictions from (text, labels) rows; a row whose labels are None is a heading the model called `other`."""
    return [Prediction(Unit(id=f"{name}#{i}", doc=name, lang="en", text=t, heading=labels is None),
                       labels or ["other"], {}) for i, (t, labels) in enumerate(rows)]


@pytest.mark.parametrize("text, kind", [
    ("一、我们如何收集您的信息", "chinese"), ("（二）更正您的个人信息", "chinese_paren"), ("第三条 联系我们", "article"),
    ("1. Information we collect", "dotted1"), ("5.5.2存储地域", "dotted3"), ("4.1.1,在获得您的同意的情况下共享", "dotted3"),
    ("(3) Retention", "number_paren"), ("IV. Your rights", "roman"), ("B) Cookies", "letter"),
    ("Your rights", "plain"), ("2021年隐私政策更新", "plain"),
])
def test_heading_kind(text, kind):
    assert heading_kind(text) == kind


def test_a_section_is_its_sentences_or_else_its_subsections():
    texts = ["1. Data", "1.1 Provided", "a", "b", "1.2 Automatic", "c", "2. Sharing", "d", "Cookies", "e", "3. Rights"]
    flags = [t[0].isdigit() or t == "Cookies" for t in texts]
    bodies = section_bodies(flags, texts)
    assert bodies[0] == [2, 3, 5]  # no sentence of its own: its subsections' sentences
    assert bodies[1] == [2, 3] and bodies[4] == [5]
    assert bodies[6] == [7]  # its own sentence; the unnumbered heading after it starts a section of its own
    assert bodies[8] == [9] and bodies[10] == []


def test_headings_take_the_majority_labels_of_their_section():
    preds = doc([
        ("Privacy Policy", None),
        ("Contents", None), ("1. What we collect", None), ("2. Who we share it with", None),
        ("1. What we collect", None),
        ("We collect your e-mail address.", ["collection_use"]),
        ("We collect your location.", ["collection_use", "third_party_sharing"]),
        ("2. Who we share it with", None),
        ("We share data with advertisers.", ["third_party_sharing"]),
        ("You may object to this.", ["user_rights"]),
        ("3. Questions", None),
        ("Write to privacy@example.com.", ["contact"]),
    ])
    out = section_labels(preds, CONTENT, 0.5)
    labels = [(p.unit.text, p.labels, p.basis) for p in out]
    assert labels[0] == ("Privacy Policy", ["other"], "model")  # the title keeps the model's labels
    assert labels[2] == ("1. What we collect", ["collection_use"], "section")  # a contents entry: its twin's
    assert labels[4] == ("1. What we collect", ["collection_use"], "section")  # 1 of 2 sharing: not > half
    assert labels[7] == ("2. Who we share it with", ["other"], "model")  # no label over half: the model's
    assert labels[3][2] == "model"
    assert labels[10] == ("3. Questions", ["contact"], "section")
    assert labels[1][1:] == (["other"], "model")  # "Contents": a section of headings only
    assert [p.labels for p in out if not p.unit.heading] == [p.labels for p in preds if not p.unit.heading]
    assert preds[10].labels == ["other"]  # the input is left as it was


def test_each_document_on_its_own():
    a = doc([("Contact", None), ("Mail us.", ["contact"])], "a.txt")
    b = doc([("Contact", None), ("We collect your name.", ["collection_use"])], "b.txt")
    out = by_document(a + b, CONTENT, 0.5)
    assert [p.labels for p in out if p.unit.heading] == [["contact"], ["collection_use"]]
    assert by_document([], CONTENT, 0.5) == []
