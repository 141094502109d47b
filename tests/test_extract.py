"""Reading input files: table rows as self-contained units, PDF lines wrapped by the page joined."""

import pytest

from clausetag.infer.extract import InputError, read_document
from clausetag.infer.pdf_text import tighten_cjk_spacing
from clausetag.infer.segment import segment
from clausetag.infer.tables import flatten_tables
from clausetag.infer.unwrap import unwrap

SDK_TABLE = """<html><body><main><h2>三、我们如何共享您的个人信息</h2>
<p>我们会与以下第三方SDK共享您的个人信息，具体如下：</p>
<table><tr><th>SDK名称</th><th>使用目的</th><th>收集的个人信息</th></tr>
<tr><td>微信SDK</td><td>微信登录、分享</td><td>设备标识符、网络信息</td></tr>
<tr><td>友盟统计SDK</td><td>统计分析</td><td>设备信息、应用列表</td></tr></table>
<p>我们不会出售您的个人信息。</p></main></body></html>"""


def test_html_table_rows_are_units_that_name_their_columns(tmp_path):
    path = tmp_path / "policy.html"
    path.write_text(SDK_TABLE, encoding="utf-8")
    doc = read_document(path)
    assert "|---" not in doc.text
    units = segment(doc.text)
    rows = [u for u in units if "SDK名称" in u.text]
    assert [u.text for u in rows] == ["SDK名称: 微信SDK | 使用目的: 微信登录、分享 | 收集的个人信息: 设备标识符、网络信息",
                                      "SDK名称: 友盟统计SDK | 使用目的: 统计分析 | 收集的个人信息: 设备信息、应用列表"]
    # the rows stay in the section of the heading above the table; the header row is no heading
    assert {u.section for u in rows} == {"三、我们如何共享您的个人信息"}
    assert units[-1].text == "我们不会出售您的个人信息。" and units[-1].section == "三、我们如何共享您的个人信息"


def test_markdown_tables_without_header_and_escaped_pipes(tmp_path):
    text = ("Intro line.\n| Name | Purpose |\n|:---|---:|\n| Google | Ads \\| tracking |\n| | empty first |\n"
            "between\n| a | b |\n| c | d |\nmid\n| only | header |\n|---|---|\nend")
    assert flatten_tables(text).split("\n") == [
        "Intro line.", "Name: Google | Purpose: Ads | tracking", "Purpose: empty first", "between", "a | b", "c | d",
        "mid", "only | header", "end"]
    plain = tmp_path / "policy.txt"  # offsets of a plain text file stay offsets into the file
    plain.write_text(text, encoding="utf-8")
    assert read_document(plain).text == text


def write_pdf(path, *pages: list[str]) -> None:
    """A PDF with a text layer: one page per list of lines, each line printed on a line of its own."""
    esc = lambda s: s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")  # noqa: E731
    n = len(pages)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [%s] /Count %d >>" % (" ".join(f"{4 + 2 * i} 0 R" for i in range(n)).encode(), n),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    for i, lines in enumerate(pages):
        stream = "\n".join(["BT", "/F1 10 Tf", "12 TL", "50 800 Td"] + [f"({esc(s)}) Tj T*" for s in lines]
                           + ["ET"]).encode("latin-1")
        objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
                    b"/Resources << /Font << /F1 3 0 R >> >> >>" % (5 + 2 * i),
                    b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))


def test_pdf_lines_wrapped_by_the_page_are_joined_into_sentences(tmp_path):
    path = tmp_path / "policy.pdf"
    write_pdf(path, ["Privacy Policy", "1. Information We Collect",
                     "We collect your name, e-mail address and phone number when you",
                     "register for an account. We also collect device information such as",
                     "your IP address and browser type, and your e-",
                     "mail provider.",
                     "2. Sharing",
                     "- Advertising partners, who show you ads;",
                     "- Analytics providers."])
    units = segment(read_document(path).text)
    assert [(u.text, u.section) for u in units] == [
        ("Privacy Policy", None),
        ("1. Information We Collect", "Privacy Policy"),
        ("We collect your name, e-mail address and phone number when you register for an account.",
         "1. Information We Collect"),
        ("We also collect device information such as your IP address and browser type, and your e-mail provider.",
         "1. Information We Collect"),
        ("2. Sharing", "1. Information We Collect"),
        ("- Advertising partners, who show you ads;", "2. Sharing"),
        ("- Analytics providers.", "2. Sharing")]


def test_pdf_running_headers_footers_and_page_numbers_are_dropped(tmp_path):
    path = tmp_path / "policy.pdf"
    header = "Acme Inc. Privacy Policy (version 2)"
    write_pdf(path,
              [header, "1. Information We Collect", "We collect your name, e-mail address and phone number when you",
               "register for an", "Page 1 of 3"],
              [header, "account, and we keep them for as long as the account exists.", "2. Sharing",
               "We share your personal data with advertising partners and analytics", "- 2 -"],
              [header, "providers. We do not sell your data.", "3"])
    units = segment(read_document(path).text)
    assert [u.text for u in units] == [
        "1. Information We Collect",
        "We collect your name, e-mail address and phone number when you register for an account, and we keep "
        "them for as long as the account exists.",
        "2. Sharing", "We share your personal data with advertising partners and analytics providers.",
        "We do not sell your data."]


def test_pdf_spaces_of_font_changes_in_chinese_and_headings_after_unfinished_lines():
    assert tighten_cjk_spacing("生效日期 :2025 年 4 月 25 日，( 三 ) 将 Cookie 和 Google Analytics 用于") == \
        "生效日期:2025年4月25日，(三)将Cookie和Google Analytics用于"
    assert tighten_cjk_spacing("We share data , with partners") == "We share data , with partners"
    text = ("8.6 If you have questions about exercising the rights above, you can contact us as described in\n"
            "section 10, Contact us\nChanges to this policy\nWe may update this policy from time to time, and we\n"
            "will tell you about any material change by e-mail before it takes effect.")
    assert unwrap(text).split("\n") == [
        "8.6 If you have questions about exercising the rights above, you can contact us as described in section 10, "
        "Contact us", "Changes to this policy",
        "We may update this policy from time to time, and we will tell you about any material change by e-mail "
        "before it takes effect."]
    # a short last line ends its paragraph even without a full stop, after lines joined into one
    text = ("We collect data from you when you register for an account on our website and\n"
            "use it for marketing purposes\nWe share it with partners who help us run the site and deliver\n"
            "the service to you, and keep it for two years.")
    assert unwrap(text).split("\n") == [
        "We collect data from you when you register for an account on our website and use it for marketing purposes",
        "We share it with partners who help us run the site and deliver the service to you, and keep it for two years."]


def test_wrapped_chinese_lines_join_without_spaces_and_list_items_start_anew():
    text = ("三、我们如何共享您的个人信息\n我们不会与任何公司、组织和个人共享您的个人信息，但以下情况除外：\n"
            "1、在获取明确同意的情况下共享：获得您的明确同意后，我们会与其他方共享您的个人\n信息。\n"
            "2、根据法律法规规定，或按政府主管部门的强制性要求，我们可能会对外共享您的个人信\n息。\n"
            "（一）委托处理\n我们可能委托授权合作伙伴处理您的个人信息，以便其代表我们为您提供某些服务或\n履行职能。")
    assert unwrap(text).split("\n") == [
        "三、我们如何共享您的个人信息", "我们不会与任何公司、组织和个人共享您的个人信息，但以下情况除外：",
        "1、在获取明确同意的情况下共享：获得您的明确同意后，我们会与其他方共享您的个人信息。",
        "2、根据法律法规规定，或按政府主管部门的强制性要求，我们可能会对外共享您的个人信息。",
        "（一）委托处理", "我们可能委托授权合作伙伴处理您的个人信息，以便其代表我们为您提供某些服务或履行职能。"]
    latin_at_break = ("我们会与以下第三方共享您的设备信息、网络信息和位置信息，用于统计分析，例如我们使用\n"
                      "Google Analytics服务对您的使用情况进行统计分析。")
    assert unwrap(latin_at_break) == latin_at_break.replace("\n", "")


PARAGRAPHS = ["We collect your name, e-mail address and phone number when you register, and device information "
              "such as your IP address, browser type and operating system when you use the service.",
              "We share personal data with processors that host our servers, with payment providers and with "
              "advertising partners, who may combine it with data they collect elsewhere.",
              "You may ask us at any time for a copy of your data, or ask us to correct or delete it; we answer "
              "within thirty days of receiving your request."]


def test_text_files_are_unwrapped_only_when_hard_wrapped(tmp_path, seeds_dir):
    import textwrap

    wrapped = tmp_path / "wrapped.txt"
    wrapped.write_text("Privacy Policy\n\n" + "\n\n".join(textwrap.fill(p, 60) for p in PARAGRAPHS), encoding="utf-8")
    assert read_document(wrapped).text.split("\n") == ["Privacy Policy", ""] + "\n\n".join(PARAGRAPHS).split("\n")
    for seed in sorted(seeds_dir.glob("*.txt")):  # one paragraph per line: read as they are
        assert read_document(seed).text == seed.read_text(encoding="utf-8").removeprefix("\ufeff"), seed.name
    # the same text in an HTML page's <pre> block, or a printed line per <p> (PDFs turned into HTML), is
    # unwrapped too
    pre = tmp_path / "pre.html"
    pre.write_text("<html><body><pre>" + wrapped.read_text(encoding="utf-8") + "</pre></body></html>", encoding="utf-8")
    lines = tmp_path / "lines.html"
    lines.write_text("<html><body><main>" + "".join(f"<p>{x}</p>" for x in wrapped.read_text(encoding="utf-8")
                                                    .split("\n")) + "</main></body></html>", encoding="utf-8")
    for page in (pre, lines):
        assert [x for x in read_document(page).text.split("\n") if x] == ["Privacy Policy", *PARAGRAPHS]


def test_a_short_policy_with_numbered_headings_is_not_taken_for_wrapped_text(tmp_path):
    """Its headings are as long as its short paragraphs and end without punctuation, as wrapped lines do;
    read as wrapped, each heading ran into the sentence below it."""
    lines = ["隐私政策", "", "一、我们如何收集和使用您的个人信息", "我们会收集您的手机号码。", "",
             "二、我们如何共享、转让、公开披露您的个人信息", "我们不会向第三方共享您的信息。", "", "三、您的权利",
             "您可以删除您的账号。", "", "四、我们如何存储您的个人信息", "我们会将您的信息保存两年。"]
    policy = tmp_path / "short.txt"
    policy.write_text("\n".join(lines), encoding="utf-8")
    assert read_document(policy).text.split("\n") == lines


def test_a_word_document_that_unpacks_past_the_limit_is_refused_before_parsing(tmp_path, monkeypatch):
    import zipfile

    import docx

    from clausetag.infer import extract

    d = docx.Document()
    d.add_paragraph("We collect your email address.")
    small, bomb = tmp_path / "small.docx", tmp_path / "bomb.docx"
    d.save(small)
    with zipfile.ZipFile(small) as zin, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():  # 3 MB of padding inside document.xml, a few kB once packed
            data = zin.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(b"<w:body>", b"<w:body><!--" + b" " * 3 * 2**20 + b"-->", 1)
            zout.writestr(item, data)
    assert bomb.stat().st_size < 100_000
    real = extract.defaults

    def limited():
        settings = real()
        settings["input"]["max_unpacked_mb"] = 2
        return settings

    monkeypatch.setattr(extract, "defaults", limited)
    assert "We collect your email address." in read_document(small).text
    with pytest.raises(InputError, match=r"bomb\.docx: Word document unpacks to [34] MB, over the 2 MB limit"):
        read_document(bomb)


def test_addresses_other_than_http_and_malformed_ones_are_that_documents_error():
    from clausetag.infer.extract import input_path

    with pytest.raises(InputError, match=r"^ftp://example\.com/policy\.txt: only http:// and https:// addresses"):
        read_document("ftp://example.com/policy.txt")  # not read as the file path ftp:/example.com/…
    broken = input_path("http://[::1")
    assert broken.name == "[::1"  # naming it does not fail; fetching it does, as its error
    with pytest.raises(InputError, match=r"^http://\[::1: cannot fetch it \(Invalid IPv6 URL\)"):
        read_document("http://[::1")


@pytest.mark.parametrize("front", ["---\ntitle: Privacy\nlayout: page\n---\n",
                                   "+++\ntitle = \"Privacy\"\n+++\n",
                                   '{\n  "title": "Privacy",\n  "layout": "page"\n}\n'])
def test_markdown_front_matter_yaml_toml_or_json_is_left_out(tmp_path, front):
    md = tmp_path / "privacy.md"
    md.write_text(front + "# Privacy Policy\n\nWe collect your email address.\n", encoding="utf-8")
    doc = read_document(md)
    units = segment(doc.text, headings=doc.headings)
    assert [(u.text, u.is_heading) for u in units] == [("Privacy Policy", True), ("We collect your email address.", False)]
    plain = tmp_path / "notes.txt"  # only Markdown files have front matter
    plain.write_text(front + "Text.\n", encoding="utf-8")
    assert read_document(plain).text == front + "Text.\n"


def test_markdown_is_read_as_a_browser_shows_it(tmp_path):
    """Inline HTML lists and tables, kramdown attributes and attribute lists (names with a colon too), links, emphasis and escapes: the text a reader sees;
    a zero-width character before `##` no longer hides the heading."""
    source = (
        '{xml:lang="cs" ns="https://example.com"}\n\n{id="gdpr" short="GDPR"}\n\n'
        "\u200d## Article 4\n{:.perex}\n\n"
        "We collect **your name** and [e-mail](https://example.com/mail) \\*only\\* when you register.\n"
        "{:.perex}\n\n"
        "<ol>\n<li>We share data with\nour payment provider.</li>\n<li>We keep invoices for ten years.</li>\n</ol>\n\n"
        "| Data | Period |\n|---|---|\n| Logs | 7 days |\n"
    )
    md = tmp_path / "policy.md"
    md.write_text(source, encoding="utf-8")
    doc = read_document(md)
    units = [u.text for u in segment(doc.text, lang="en", headings=doc.headings)]
    assert units[0] == "Article 4" and "Article 4" in doc.headings
    assert "We collect your name and e-mail *only* when you register." in units
    assert "- We share data with our payment provider." in units and "- We keep invoices for ten years." in units
    assert not any(("<" in u or "{" in u or "](" in u or "**" in u) for u in units), units
    assert any("Logs" in u and "7 days" in u for u in units)


def test_a_pdf_that_needs_a_password_is_named_as_such(tmp_path):
    from pypdf import PdfWriter

    locked = tmp_path / "locked.pdf"
    w = PdfWriter()
    w.add_blank_page(200, 200)
    w.encrypt("secret")
    w.write(locked)
    with pytest.raises(InputError, match=r"locked\.pdf: encrypted PDF \(a password is needed to open it"):
        read_document(locked)


def test_word_documents_keep_paragraph_and_table_order(tmp_path):
    import docx
    from docx.oxml.ns import qn

    d = docx.Document()
    d.add_heading("3. Third parties", 2)
    d.add_paragraph("We share data with the SDK providers below:")
    sdk = d.add_table(rows=3, cols=3)
    for i, row in enumerate([("SDK", "Purpose", "Data"), ("WeChat SDK", "Login | sharing", "Device ID"),
                             ("Umeng", "Analytics", "Device info")]):
        for j, value in enumerate(row):
            sdk.cell(i, j).paragraphs[0].add_run(value).bold = i == 0  # a bold first row is the header
    contact = d.add_table(rows=2, cols=2)  # right after the first: a table of its own, no header
    for i, row in enumerate([("Controller", "Acme Ltd"), ("Address", "1 Main St.")]):
        for j, value in enumerate(row):
            contact.cell(i, j).text = value
    last = d.add_paragraph("You may delete your account at any time.")
    sdt = last._p.makeelement(qn("w:sdt"), {})  # a content control around the last paragraph (templates, forms)
    content = sdt.makeelement(qn("w:sdtContent"), {})
    last._p.addprevious(sdt)
    sdt.append(content)
    content.append(last._p)
    path = tmp_path / "policy.docx"
    d.save(path)
    units = segment(read_document(path).text)
    assert [u.text for u in units] == [
        "3. Third parties", "We share data with the SDK providers below:",
        "SDK: WeChat SDK | Purpose: Login | sharing | Data: Device ID", "SDK: Umeng | Purpose: Analytics | Data: Device info",
        "Controller | Acme Ltd", "Address | 1 Main St.", "You may delete your account at any time."]
    assert {u.section for u in units[1:]} == {"3. Third parties"}  # a table row is never a heading

    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputError, match="broken.docx: unreadable Word document"):
        read_document(broken)


CZECH = ("Zásady ochrany osobních údajů. Shromažďujeme vaše jméno, e-mailovou adresu a údaje o zařízení, "
         "abychom mohli poskytovat a zlepšovat naše služby. Vaše údaje nesdílíme s třetími stranami bez "
         "vašeho souhlasu. Máte právo na přístup ke svým údajům, jejich opravu a výmaz.\n") * 4


@pytest.mark.parametrize("encoding, text", [
    ("cp1250", CZECH),
    ("gb18030", "我们会收集您的手机号码，用于注册账号和身份验证。未经您的同意，我们不会向第三方共享您的个人信息。\n" * 5),
    ("latin-1", "Nous collectons votre adresse e-mail afin de créer votre compte. Vos données sont conservées "
                "pendant la durée nécessaire, puis supprimées. Vous pouvez exercer vos droits d'accès, de "
                "rectification et d'effacement à tout moment. Nous ne vendons pas vos données à des tiers.\n" * 3),
])
def test_legacy_encodings_are_detected_without_warnings(tmp_path, encoding, text):
    path = tmp_path / "policy.txt"
    path.write_bytes(text.encode(encoding))
    doc = read_document(path)
    assert doc.text == text and doc.warnings == []


def test_utf8_with_a_few_bad_bytes_is_read_as_utf8_and_says_where(tmp_path):
    good = CZECH.encode("utf-8")
    cut = good.index(b" ", 300)  # between two words, so only the stray byte is lost
    stray = tmp_path / "stray.txt"
    stray.write_bytes(b"\xef\xbb\xbf" + good[:cut] + b"\x92" + good[cut:])  # a Windows apostrophe
    doc = read_document(stray)
    assert doc.text == CZECH[:len(good[:cut].decode())] + "\ufffd" + CZECH[len(good[:cut].decode()):]
    assert doc.warnings == [f"{stray}: 1 invalid UTF-8 byte sequence (the first at byte {3 + cut:,}) replaced by "
                            "\ufffd; the rest is read as UTF-8"]
    truncated = tmp_path / "truncated.txt"
    truncated.write_bytes(good[:-2] + "č".encode()[:1])  # a download cut inside its last character
    doc = read_document(truncated)
    assert doc.text.endswith("výmaz\ufffd") and "1 invalid UTF-8 byte sequence" in doc.warnings[0]
    assert str(truncated) in doc.warnings[0]


def test_html_headings_are_sections_even_as_questions(tmp_path):
    path = tmp_path / "policy.html"
    path.write_text(
        "<html><body><main><h1>Privacy Notice</h1><h2>What information do we collect?</h2>"
        "<p>We collect your name. We also collect usage data.</p>"
        "<details><summary>How long do we keep it?</summary><p>As long as necessary.</p></details>"
        "<p><b>Important.</b> We never sell your data.</p></main></body></html>", encoding="utf-8")
    doc = read_document(path)
    assert doc.headings == ["Privacy Notice", "What information do we collect?", "How long do we keep it?"]
    units = segment(doc.text, headings=doc.headings)
    sections = {u.text: u.section for u in units if not u.is_heading}
    assert sections == {"We collect your name.": "What information do we collect?",
                        "We also collect usage data.": "What information do we collect?",
                        "As long as necessary.": "How long do we keep it?",
                        "Important.": "How long do we keep it?", "We never sell your data.": "How long do we keep it?"}


def test_a_wrapped_paragraphs_last_line_ending_in_a_question_still_joins():
    text = ("We collect information when you contact us and when you ask how we use it, for instance your\n"
            "Address?\n\nWhat do we collect?\nWe collect your name.")
    assert unwrap(text).split("\n") == [
        "We collect information when you contact us and when you ask how we use it, for instance your Address?", "",
        "What do we collect?", "We collect your name."]


def test_word_heading_paragraphs_are_headings_even_as_sentences(tmp_path):
    import docx
    from docx.enum.style import WD_STYLE_TYPE

    d = docx.Document()
    d.add_heading("Cookies and similar technologies.", 1)  # a built-in heading style, ending in a full stop
    d.add_paragraph("We use cookies to keep you signed in.")
    wps = d.styles.add_style("标题 2", WD_STYLE_TYPE.PARAGRAPH)  # a heading style by name only (WPS, templates)
    d.add_paragraph("我们如何收集您的信息？", style=wps)
    d.add_paragraph("我们会收集您的手机号码。")
    d.add_paragraph("Note the following.", style="Quote")  # another style: its wording decides
    path = tmp_path / "policy.docx"
    d.save(path)
    doc = read_document(path)
    assert doc.headings == ["Cookies and similar technologies.", "我们如何收集您的信息？"]
    units = segment(doc.text, headings=doc.headings)
    assert [(u.text, u.is_heading) for u in units] == [
        ("Cookies and similar technologies.", True), ("We use cookies to keep you signed in.", False),
        ("我们如何收集您的信息？", True), ("我们会收集您的手机号码。", False), ("Note the following.", False)]
    assert units[3].section == "我们如何收集您的信息?" and units[4].section == "我们如何收集您的信息?"


def test_pdf_outline_titles_are_headings(tmp_path):
    from pypdf import PdfReader, PdfWriter

    plain = tmp_path / "plain.pdf"
    write_pdf(plain, ["Privacy Notice", "Cookies and similar technologies.", "We use cookies to keep you signed in.",
                      "Your choices.", "You can turn cookies off in your browser."])
    writer = PdfWriter()
    writer.append(PdfReader(plain))
    top = writer.add_outline_item(title="Privacy Notice", page_number=0)
    # nested entries, as Word makes them from its headings
    writer.add_outline_item(title="Cookies and  similar technologies.", page_number=0, parent=top)
    writer.add_outline_item(title="Your choices.", page_number=0, parent=top)
    path = tmp_path / "bookmarked.pdf"
    with path.open("wb") as f:
        writer.write(f)
    doc = read_document(path)
    assert doc.headings == ["Privacy Notice", "Cookies and similar technologies.", "Your choices."]
    units = segment(doc.text, headings=doc.headings)
    assert [u.text for u in units if u.is_heading] == doc.headings
    assert units[-1].section == "Your choices."
    assert read_document(plain).headings == []  # without an outline, wording alone decides


def test_web_addresses_are_read_by_suffix_or_content_type(web, tmp_path):
    routes, base = web
    routes["/privacy.html"] = (200, "text/html", b"<html><body><main><h2>Data we collect.</h2>"
                                                 b"<p>We collect your e-mail address.</p></main></body></html>")
    write_pdf(tmp_path / "p.pdf", ["Privacy Policy", "We share data with partners."])
    routes["/legal/privacy"] = (200, "application/pdf", (tmp_path / "p.pdf").read_bytes())  # no suffix: by type
    routes["/zh"] = (200, "text/plain; charset=gbk", "我们会收集您的手机号码。\n我们不会出售您的信息。".encode("gb18030"))
    routes["/empty"] = (200, "text/html", b"")
    import docx

    d = docx.Document()
    d.add_paragraph("You may delete your account at any time.")
    d.save(tmp_path / "p.docx")
    word = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    routes["/download?id=3"] = (200, word, (tmp_path / "p.docx").read_bytes())  # a Word file only by its type
    doc = read_document(f"{base}/privacy.html")
    assert doc.doc == f"{base.removeprefix('http://')}/privacy.html" and doc.path == f"{base}/privacy.html"
    assert doc.headings == ["Data we collect."] and "We collect your e-mail address." in doc.text
    assert "We share data with partners." in read_document(f"{base}/legal/privacy").text  # read as a PDF
    assert read_document(f"{base}/zh").text == "我们会收集您的手机号码。\n我们不会出售您的信息。"
    word_file = read_document(f"{base}/download?id=3")
    assert word_file.text == "You may delete your account at any time."
    assert word_file.doc == f"{base.removeprefix('http://')}/download?id=3"  # the query tells documents apart
    for address, problem in ((f"{base}/missing", "cannot fetch it (HTTP 404"), (f"{base}/empty", "the server sent nothing"),
                             ("http://127.0.0.1:9/x.html", "cannot fetch it (Connection refused)")):
        with pytest.raises(InputError) as e:
            read_document(address)
        assert str(e.value).startswith(f"{address}: {problem}")
    with pytest.raises(InputError, match="limit"):
        read_document(f"{base}/legal/privacy", max_mb=0.0001)


SECTIONS = [("Information we collect", "We collect your name and e-mail address when you register for an account."),
            ("How we share information", "We share your address with the courier that delivers your order to you."),
            ("Your rights", "You may ask us for a copy of your data or ask us to delete it at any time."),
            ("How long we keep data", "We keep your account data for as long as your account stays open with us."),
            ("Contact us", "Write to privacy@example.com with any question about this notice or your data.")]


def _single_page_app(section: str) -> str:
    """A page shaped as a single-page app renders it: every heading and paragraph in its own <div>s."""
    body = "".join(section.format(n=n, heading=h, text=t) for n, (h, t) in enumerate(SECTIONS, 1))
    return ("<!doctype html><html><head><title>Privacy</title></head><body><div id='root'><div class='App'>"
            "<header><nav><a href='/'>Home</a> <a href='/blog'>Blog</a></nav></header><main><div class='container'>"
            f"<h1>Privacy Policy</h1>{body}</div></main><footer>© 2026 Example</footer></div></div></body></html>")


@pytest.mark.parametrize("section", [
    # headings trafilatura drops altogether
    "<div class='section'><h2>{n}. {heading}</h2><div class='content'><p>{text}</p><p>Section {n} ends.</p></div></div>",
    # headings trafilatura moves into a block after the first section's text
    "<div class='block'><div class='heading'><h3><span>{heading}</span></h3></div>"
    "<div class='text'><span>{text}</span><br><span>Section {n} ends.</span></div></div>",
])
def test_html_headings_the_extractor_drops_or_moves_are_put_back_from_the_markup(tmp_path, section):
    path = tmp_path / "policy.html"
    path.write_text(_single_page_app(section), encoding="utf-8")
    doc = read_document(path)
    units = segment(doc.text, headings=doc.headings)
    numbered = section.startswith("<div class='section'>")
    names = [f"{n}. {h}" if numbered else h for n, (h, _) in enumerate(SECTIONS, 1)]
    assert [u.text for u in units if u.is_heading] == ["Privacy Policy", *names]
    for name, (_, text) in zip(names, SECTIONS):  # every paragraph under its own heading
        assert next(u for u in units if u.text == text).section == name
    assert "Home" not in doc.text and "© 2026" not in doc.text  # still the main text only


def test_html_headings_in_place_are_left_as_extracted_and_a_table_of_contents_keeps_its_lines(tmp_path):
    """A page whose headings the extractor keeps is read as before. Where it drops them, the bold lines of
    a table of contents that repeat the headings' words stay (words found on the page outside a heading are
    never taken for a displaced heading) and the paragraphs go under the restored headings, not under them."""
    import trafilatura

    from clausetag.infer.extract import _markup_tree
    from clausetag.infer.html_headings import restore_headings

    body = "".join(f"<h2>{h}</h2><p>{t}</p>" for h, t in SECTIONS)
    page = f"<html><body><main><h1>Privacy Policy</h1>{body}</main></body></html>"
    extracted = trafilatura.bare_extraction(page, include_comments=False, include_tables=True, favor_recall=True)
    assert all(h in extracted.text.split("\n") for h, _ in SECTIONS)
    assert restore_headings(extracted.text, _markup_tree(page)) == (extracted.text, [])

    contents = "<p>" + "<br>".join(f"<b>{h}</b>" for h, _ in SECTIONS) + "</p>"
    spa = _single_page_app("<div class='section'><h2>{heading}</h2><div class='content'><p>{text}</p></div></div>")
    path = tmp_path / "policy.html"
    path.write_text(spa.replace("<h1>Privacy Policy</h1>", f"<h1>Privacy Policy</h1>{contents}"), encoding="utf-8")
    doc = read_document(path)
    lines = doc.text.split("\n")
    assert all(lines.count(h) == 2 for h, _ in SECTIONS), lines  # its contents entry and its heading
    units = segment(doc.text, headings=doc.headings)
    assert units[0].text == "Privacy Policy"  # the extractor put the first paragraph above it: markup order
    for h, text in SECTIONS:
        unit = next(u for u in units if u.text == text)
        assert unit.section == h and units[units.index(unit) - 1].text == h


def test_a_short_block_that_recurs_anchors_no_heading(tmp_path):
    """An address line under a heading that also stands elsewhere on the page could put the heading in
    the wrong place: such a heading is not moved."""
    from clausetag.infer.html_headings import restore_headings
    from clausetag.infer.extract import _markup_tree

    page = ("<html><body><h2>Imprint</h2><p>Example e.V.<br>Main Street 1</p><h3>Bank account</h3>"
            "<p>Example e.V.<br>IBAN DE00 0000</p></body></html>")
    text = "Imprint\nExample e.V.\nMain Street 1\nExample e.V.\nIBAN DE00 0000"  # as if the h3 were dropped
    assert restore_headings(text, _markup_tree(page)) == (text, [])


def test_hugo_shortcodes_show_their_title_and_never_their_settings(tmp_path):
    path = tmp_path / "datenschutz.md"
    path.write_text(
        '+++\ntitle = "Datenschutz"\n+++\n\n{{< rawhtml >}}<div style="float:right">{{< /rawhtml >}}\n'
        '{{< fa-stack  color="freifunk" size="5" firsticon="circle" secondicon="user-shield" >}}\n\n'
        "Wir erheben nur die Daten, die wir brauchen.\n\n"
        '{{< rozbal "Právo na výmaz ("právo být zapomenut")" >}}\nSie können die Löschung verlangen.\n{{< /rozbal >}}\n\n'
        '{{< expand "Speicherdauer" open="true" >}}\nWir löschen die Daten nach 30 Tagen.\n{{< /expand >}}\n\n'
        '{{< notice title="Kontakt" color="blue" >}}\nSchreiben Sie an privacy@example.org.\n{{< /notice >}}\n',
        encoding="utf-8")
    units = [u.text for u in segment(read_document(path).text)]
    assert units == ["Wir erheben nur die Daten, die wir brauchen.", 'Právo na výmaz ("právo být zapomenut")',
                     "Sie können die Löschung verlangen.", "Speicherdauer", "Wir löschen die Daten nach 30 Tagen.",
                     "Kontakt", "Schreiben Sie an privacy@example.org."]
