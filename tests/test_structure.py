"""Labels from a document's structure (infer/structure.py, data/GUIDELINES.md rules 1 and 3): headings take
the topic of their section, list items without a clause that of their lead-in."""

from __future__ import annotations

import pytest

from clausetag.infer.structure import (by_document, heading_kind, item_kind, item_marker, lead_in_labels,
                                      section_bodies, section_labels)
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


@pytest.mark.parametrize("text, kind", [
    ("- your name", "bullet"), ("• 姓名", "bullet"), ("1、姓名", "number_comma"), ("（2）手机号码", "number_paren"),
    ("① 身份证号码", "circled"), ("3) your address", "number_close"), ("a) cookies", "letter_close"),
    ("1.为订立合同所必需", "number_dot"), ("（3）", None), ("6.2.3", None), ("2021年起", None),
    ("We collect your name.", None), ("-5 %", None),
])
def test_item_kind(text, kind):
    assert item_kind(text) == kind


def test_list_items_without_a_clause_take_their_lead_ins_labels():
    preds = doc([
        ("When you register, we collect:", ["collection_use"]),
        ("- your name", ["other"]), ("- your e-mail address", ["collection_use", "contact"]), ("- your age", ["other"]),
        ("1. a numbered note", ["other"]),  # marked otherwise: not an item of that list
        ("You have these rights:", ["other"]), ("- Right of access", ["other"]),  # a lead-in with no clause
        ("Contact us", None), ("- privacy@example.com", ["other"]),  # a heading is no lead-in
        ("我们会收集以下信息：", ["collection_use"]), ("1、姓名", None), ("2、手机号码", None),  # numbered like headings
        ("We share your data with:", ["third_party_sharing"]), ("More text.", ["other"]), ("- after a sentence", ["other"]),
    ])
    out = lead_in_labels(preds, CONTENT)
    got = [(p.labels, p.basis) for p in out]
    assert got[1] == (["collection_use"], "lead_in") and got[3] == (["collection_use"], "lead_in")
    assert got[2] == (["collection_use", "contact"], "model")  # the model's own labels stay
    assert all(b == "model" for _, b in got[4:9])
    assert got[10:12] == [(["collection_use"], "lead_in")] * 2
    assert all(b == "model" for _, b in got[12:])
    assert [p.labels for p in preds[1:2]] == [["other"]]  # the input is left as it was


def test_a_japanese_lead_in_may_end_in_a_full_stop():
    preds = [Prediction(Unit(id=f"j#{i}", doc="j", lang=lang, text=t), labels, {}) for i, (t, labels, lang) in enumerate([
        ("当社は、以下の個人情報を取得します。", ["collection_use"], "ja"), ("・氏名", ["other"], "ja"),
        ("・メールアドレス", ["other"], "ja"),
        ("本ポリシーは変更されることがあります。", ["policy_change"], "ja"), ("本文です。", ["other"], "ja"),
        ("・関係のない項目", ["other"], "ja"),  # the sentence before it opens no list
        ("我们会收集以下信息。", ["collection_use"], "zh"), ("1、姓名", ["other"], "zh"),  # only Japanese ends one in 。
    ])]
    got = [(p.labels, p.basis) for p in lead_in_labels(preds, CONTENT)]
    assert got[1:3] == [(["collection_use"], "lead_in")] * 2
    assert got[5] == (["other"], "model") and got[7] == (["other"], "model")


def test_a_japanese_heading_like_lead_in_gives_its_bare_items_its_labels():
    """"取得する情報" and bare nouns under it, which the segmenter takes for a run of headings: the nouns are its
    items; "利用目的", with a sentence under it, stays a heading; a numbered heading or a sentence ends a run."""
    from clausetag.infer.segment import segment

    text = ("当社は、サービスの提供にあたり、以下の情報を取得します。\n\n取得する情報\n氏名\nメールアドレス\n電話番号\n"
            "端末の識別子\n\n利用目的\n当社は、取得した情報を本サービスの提供のために利用します。\n\n"
            "お問い合わせ\n窓口\n2. 第三者提供\n当社は、法令に基づく場合を除き、第三者に提供しません。\n")
    units = segment(text, lang="ja")
    model = {"当社は、サービスの提供にあたり、以下の情報を取得します。": ["collection_use"], "取得する情報": ["collection_use"],
             "電話番号": ["contact"], "当社は、取得した情報を本サービスの提供のために利用します。": ["collection_use"],
             "お問い合わせ": ["contact"], "当社は、法令に基づく場合を除き、第三者に提供しません。": ["third_party_sharing"]}
    preds = [Prediction(Unit(id=f"j#{i}", doc="j", lang="ja", text=u.text, heading=u.is_heading),
                        model.get(u.text, ["other"]), {}) for i, u in enumerate(units)]
    assert all(p.unit.heading for p in preds[1:7])  # what the segmenter makes of the bare lines
    got = {p.unit.text: (p.labels, p.basis) for p in lead_in_labels(preds, CONTENT)}
    for item in ("氏名", "メールアドレス", "端末の識別子"):
        assert got[item] == (["collection_use"], "lead_in")
    assert got["電話番号"] == (["contact"], "model")  # an item the model labels keeps its label
    assert got["利用目的"] == (["other"], "model")  # heads a sentence: a heading, left to the section rule
    assert got["窓口"] == (["other"], "model")  # one line is no list
    english = [Prediction(replace_lang(p.unit, "en"), p.labels, {}) for p in preds]
    assert all(p.basis == "model" for p in lead_in_labels(english, CONTENT))  # Japanese only


def replace_lang(unit: Unit, lang: str) -> Unit:
    from dataclasses import replace

    return replace(unit, lang=lang)


def test_items_label_before_their_heading_counts_its_section():
    preds = doc([("Data we collect", None), ("Intro.", ["other"]), ("We collect:", ["collection_use"]),
                 ("- your name", ["other"]), ("- your age", ["other"]), ("Contact", None), ("Mail us.", ["contact"])])
    out = by_document(preds, CONTENT, 0.5)
    # the title keeps the model's label; with the items, 3 of its 4 units are collection_use
    assert [(p.labels, p.basis) for p in out if p.unit.heading] == [(["other"], "model"), (["contact"], "section")]
    preds = doc([("Intro", None), ("Hello.", ["other"]), ("Data we collect", None), ("Intro.", ["other"]),
                 ("We collect:", ["collection_use"]), ("- your name", ["other"]), ("- your age", ["other"])])
    assert by_document(preds, CONTENT, 0.5)[2].labels == ["collection_use"]


@pytest.mark.parametrize("text, marker", [
    ("- your name", ("bullet", None)), ("（2）手机号码", ("number_paren", 2)), ("① 姓名", ("circled", 1)),
    ("b) cookies", ("letter_close", 2)), ("12. Contact", ("number_dot", 12)), ("3、身份证号码", ("number_comma", 3)),
])
def test_item_marker(text, marker):
    assert item_marker(text) == marker


def test_a_list_runs_while_its_items_count_on_from_one():
    preds = doc([
        ("We may share your data without consent:", ["third_party_sharing"]),
        ("1. for national security;", ["other"]), ("2. for public health;", ["other"]),
        ("2. How we use cookies", ["other"]),  # numbered again from 2: not the next item, so the list ends
        ("We collect:", ["collection_use"]), ("3. your name", ["other"]),  # a list does not start at 3
        ("We collect:", ["collection_use"]), ("a) your name", ["other"]), ("b) your age", ["other"]),
        ("We may refuse a request:", ["user_rights"]), ("1. for national security;", ["other"]),
        ("2. Third-party services", None),  # the next number, but a heading after sentence items
    ])
    got = [p.basis for p in lead_in_labels(preds, CONTENT)]
    assert got == ["model", "lead_in", "lead_in", "model", "model", "model", "model", "lead_in", "lead_in",
                   "model", "lead_in", "model"]
