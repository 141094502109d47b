"""Segmenter: properties that hold for any input, and behaviour on real policy text."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from clausetag.infer.segment import segment

ZH = """三、我们如何共享、转让、公开披露个人信息
我们不会与任何公司共享您的个人信息,但以下情况除外:1)获得您的明确同意;2)根据法律法规的要求;
（一）共享
我们会与合作伙伴共享信息。您可以随时撤回同意!如有疑问请联系我们?
①与国家安全有关的;②与公共安全有关的。
"""
CS = """6. Úložiště informací
6.1 Informace jsou uloženy např. na serveru v Číně. Uchováváme je tzv. po dobu nezbytnou, tj. 5 let.
• Dodržujte platné zákony a předpisy.
Podle čl. 5 odst. 2 zákona č. 110/2019 Sb. máte právo na výmaz. Kontaktujte J. Nováka.
"""
EN = "Data Security\nWe use encryption, e.g. TLS. We may share data with partners, i.e. processors. Contact us!"


def texts(units):
    return [u.text for u in units]


def test_chinese_sentences_list_items_and_headings():
    units = segment(ZH, lang="zh")
    assert units[0].is_heading and units[0].text.startswith("三、")
    t = texts(units)
    assert "1)获得您的明确同意;" in t and "2)根据法律法规的要求;" in t
    assert "您可以随时撤回同意!" in t and "如有疑问请联系我们?" in t
    assert "①与国家安全有关的;" in t
    heading = next(u for u in units if u.text == "（一）共享")
    assert heading.is_heading
    after = units[units.index(heading) + 1]
    assert after.section == "(一)共享"  # NFKC-normalised heading


def test_czech_abbreviations_and_numbered_clauses():
    units = segment(CS, lang="cs")
    assert units[0].is_heading and units[0].text == "6. Úložiště informací"
    t = texts(units)
    assert "6.1 Informace jsou uloženy např. na serveru v Číně." in t
    assert "Uchováváme je tzv. po dobu nezbytnou, tj. 5 let." in t
    assert "• Dodržujte platné zákony a předpisy." in t
    assert "Podle čl. 5 odst. 2 zákona č. 110/2019 Sb. máte právo na výmaz." in t
    assert all(u.section == "6. Úložiště informací" for u in units[1:])


def test_english_abbreviations():
    t = texts(segment(EN, lang="en"))
    assert t == ["Data Security", "We use encryption, e.g. TLS.", "We may share data with partners, i.e. processors.",
                 "Contact us!"]


def test_german_french_spanish_and_polish_abbreviations():
    de = ("Verantwortlich ist die Beispiel GmbH, Musterstr. 12, 10115 Berlin. Wir erheben z. B. Ihren Namen "
          "u. a. Kontaktdaten. Ggf. speichern wir Ihre IP-Adresse gem. Art. 6 Abs. 1 lit. f DSGVO. Sie haben "
          "das Recht auf Auskunft, Löschung usw. Bitte wenden Sie sich an Dr. Müller.")
    assert texts(segment(de, lang="de")) == [
        "Verantwortlich ist die Beispiel GmbH, Musterstr. 12, 10115 Berlin.",
        "Wir erheben z. B. Ihren Namen u. a. Kontaktdaten.",
        "Ggf. speichern wir Ihre IP-Adresse gem. Art. 6 Abs. 1 lit. f DSGVO.",
        "Sie haben das Recht auf Auskunft, Löschung usw.", "Bitte wenden Sie sich an Dr. Müller."]
    fr_es = ("Écrivez à Mme Dupont, 12 av. de la République. Selon le Règlement (UE) n. 2016/679, p. ex. votre nom. "
             "La Sra. García responde, p. ej. por correo.")
    assert texts(segment(fr_es, lang="fr")) == [
        "Écrivez à Mme Dupont, 12 av. de la République.", "Selon le Règlement (UE) n. 2016/679, p. ex. votre nom.",
        "La Sra. García responde, p. ej. por correo."]
    assert texts(segment("Zbieramy np. imię. Adres: ul. Polna, m.in. e-mail.", lang="pl")) == [
        "Zbieramy np. imię.", "Adres: ul. Polna, m.in. e-mail."]


def test_an_enumeration_closed_by_etc_ends_the_sentence_before_a_capitalised_word():
    text = ("We collect names, addresses etc. We never sell them. Cookies, pixels etc. TLS protects them. "
            "Tags etc. and logs. Jméno, adresu atd. Pokud chcete, napište nám.")
    assert texts(segment(text, lang="en")) == [
        "We collect names, addresses etc.", "We never sell them.", "Cookies, pixels etc. TLS protects them.",
        "Tags etc. and logs.", "Jméno, adresu atd.", "Pokud chcete, napište nám."]


def test_rule_lines_are_no_units_and_join_nothing():
    text = ("We collect your email address.\n\n---\n\n## Sharing\n\nWe share data with advertisers.\n* * *\n"
            "PRIVACY NOTICE\n==============\nWe use cookies.\n•\nWe sell nothing.\n")
    units = segment(text, lang="en")
    assert [(u.text, u.section) for u in units] == [
        ("We collect your email address.", None), ("Sharing", None), ("We share data with advertisers.", "Sharing"),
        ("PRIVACY NOTICE", "Sharing"), ("We use cookies.", "PRIVACY NOTICE"), ("•\nWe sell nothing.", "PRIVACY NOTICE")]
    _check_invariants(text, units)


def test_a_number_closing_a_parenthesis_is_no_list_item():
    assert texts(segment("(c) data collected by cookies (see Section 5). We also use logs.", lang="en")) == [
        "(c) data collected by cookies (see Section 5).", "We also use logs."]
    assert texts(segment("We collect: 1) your name; 2) your email (see 3) below).", lang="en")) == [
        "We collect:", "1) your name;", "2) your email (see 3) below)."]
    assert texts(segment("Rozsah: 1) jméno 2) adresa", lang="cs")) == ["Rozsah:", "1) jméno", "2) adresa"]


def test_long_unbroken_line_is_cut():
    text = "数据" * 40000
    units = segment(text)
    assert len(units) > 1 and max(len(u.text) for u in units) <= 1500
    assert "".join(texts(units)) == text


def _check_invariants(text, units):
    """Units are stripped, disjoint spans of `text` that cover every non-blank character but a Markdown
    heading's `#` marks and rule lines ("---")."""
    from clausetag.infer.segment import _RULE

    line_start = r"(?:^|(?<=[\n\r\u2028\u2029\x0b\x0c\x85]))\s*"
    covered = {i for m in re.finditer(line_start + r"(#{1,6})[ \t]+(?=\S)", text) for i in range(*m.span(1))}
    for line in re.finditer(r"[^\n\r\u2028\u2029\x0b\x0c\x85]+", text):
        stripped = line.group().strip()
        if stripped and _RULE.fullmatch(stripped):
            covered.update(range(*line.span()))
    marks = set(covered)
    for u in units:
        assert u.text, "empty unit"
        assert text[u.start:u.end] == u.text
        assert u.text == u.text.strip()
        assert not (covered - marks) & set(range(u.start, u.end)), "overlapping units"
        covered.update(range(u.start, u.end))
    for i, ch in enumerate(text):
        if not ch.isspace():
            assert i in covered, f"non-blank character {ch!r} at {i} not in any unit"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_unicode_offsets_reproduce_and_cover(text):
    _check_invariants(text, segment(text))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(["我们收集信息。", "1)", "（一）", "• ", "-", "\n", " ", "e.g. ", "Ahoj. ", "č. 5 ",
                                 "!?;", "😀", "第二部分 定义", "\r\n", "。。", "：", "①"]), max_size=60))
def test_policy_like_fragments(parts):
    text = "".join(parts)
    _check_invariants(text, segment(text))


def test_seed_files_fully_covered(seeds_dir):
    for path in sorted(seeds_dir.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        units = segment(text)
        _check_invariants(text, units)
        assert sum(u.is_heading for u in units) >= 5, path.name
        assert not any(re.fullmatch(r"[\W_]+", u.text) for u in units)


def test_headings_named_by_markup_may_read_like_sentences():
    text = ("隐私政策\n我们如何收集您的信息？\n我们会收集您的手机号码。\nCookies and similar technologies.\n"
            "We use cookies.")
    # by wording alone, a Chinese question without a number and a line ending in a full stop are sentences
    assert [u.text for u in segment(text) if u.is_heading] == ["隐私政策"]
    units = segment(text, headings=["我们如何收集您的信息？", "Cookies and  similar technologies."])
    assert [u.text for u in units if u.is_heading] == ["隐私政策", "我们如何收集您的信息？",
                                                       "Cookies and similar technologies."]
    assert [u.section for u in units if not u.is_heading] == ["我们如何收集您的信息?",  # sections are NFKC
                                                              "Cookies and similar technologies."]
    # a line named as a heading but longer than any heading stays text, split into its sentences
    long = "We collect data. " * 8
    assert not any(u.is_heading for u in segment(long.strip(), lang="en", headings=[long.strip()]))


def test_a_line_that_is_one_question_is_a_heading_in_latin_script():
    text = ("What information do we collect?\nWe collect your name.\nWelche Daten erheben wir?\nIhre E-Mail.\n"
            'See "How do we use it?\nDo we sell data? No.\nhttps://example.com/help?\n'
            "我们如何收集您的信息？\n我们会收集您的手机号码。")
    units = segment(text)
    assert [u.text for u in units if u.is_heading] == ["What information do we collect?", "Welche Daten erheben wir?"]
    assert units[1].section == "What information do we collect?" and units[3].section == "Welche Daten erheben wir?"


def test_markdown_heading_marks_make_a_heading_and_are_left_out():
    text = "# Privacy\n\n## What do we collect?\n\nWe collect your e-mail address.\n\n#hashtag is text."
    units = segment(text, lang="en")
    assert [(u.text, u.is_heading) for u in units] == [
        ("Privacy", True), ("What do we collect?", True), ("We collect your e-mail address.", False),
        ("#hashtag is text.", False)]
    assert all(text[u.start:u.end] == u.text for u in units)
    assert units[2].section == "What do we collect?"


def test_a_title_over_most_of_a_document_is_no_section():
    """A policy without further headings gets no section from its title (the model takes sentences under
    a title for a preamble); a preamble before the first real heading keeps its title."""
    plain = "Privacy Policy\n\nWe collect your e-mail address.\n\nWe share it with advertisers.\n\nWrite to us."
    units = segment(plain, lang="en")
    assert units[0].is_heading and [u.section for u in units[1:]] == [None, None, None]
    sections = ("Privacy Policy\n\nThis policy explains what we do.\n\n1. What we collect\n\nYour e-mail address.\n\n"
                "2. Sharing\n\nWe share it with advertisers.\n\n3. Contact\n\nWrite to us.")
    units = segment(sections, lang="en")
    assert [u.section for u in units] == [None, "Privacy Policy", "Privacy Policy", "1. What we collect",
                                          "1. What we collect", "2. Sharing", "2. Sharing", "3. Contact"]


def test_japanese_full_stop_inside_quotation_brackets_ends_no_sentence():
    """「…。」 quotes a text inside the sentence; an opener without its closer on the line counts for nothing."""
    text = "当社は「個人情報の利用目的。詳細は別途定めます。」に従い取り扱います。次の文です。"
    assert [u.text for u in segment(text, lang="ja")] == [
        "当社は「個人情報の利用目的。詳細は別途定めます。」に従い取り扱います。", "次の文です。"]
    assert [u.text for u in segment("当社は「括弧が閉じない。次の文です。", lang="ja")] == ["当社は「括弧が閉じない。", "次の文です。"]
    named = "株式会社イミロン（以下「当社」といいます。）は、個人情報を保護します。次の文です。"
    assert [u.text for u in segment(named, lang="ja")] == ["株式会社イミロン（以下「当社」といいます。）は、個人情報を保護します。", "次の文です。"]
