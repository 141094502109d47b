"""Batch integrity: a folder of odd and bad inputs is accounted for whole, and each good document is labeled
as it is alone; documents that share a name stay apart; a symlink loop, a broken JSONL line, UTF-16
without a byte-order mark, deep HTML, PDF compatibility characters and emoji-only text."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from clausetag.infer.extract import InputError, decode_bytes, extract_html, read_document, unified_cjk
from clausetag.infer.labeler import document_ids, expand_inputs

from test_extract import write_pdf

GOOD_EN = "We collect your e-mail address when you register. We share it with our payment provider."


def clausetag(*args):
    return subprocess.run([sys.executable, "-m", "clausetag.cli", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"}, timeout=900)


def records(path):
    return [json.loads(l) for l in Path(path).read_text(encoding="utf-8").splitlines() if l.strip()]


def _docx(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return buf.getvalue()


def make_odd_folder(folder: Path) -> tuple[dict[str, str], set[str]]:
    """At least 25 kinds of odd input. Returns {failing document id: a word its error must hold} and the
    ids of the documents that must be labeled."""
    w = lambda name, data: (folder / name).parent.mkdir(parents=True, exist_ok=True) or (folder / name).write_bytes(data)  # noqa: E731
    cz = "Zpracováváme Vaši e-mailovou adresu. Osobní údaje uchováváme po dobu tří let."
    good = {
        "gb18030.txt": "我们会收集您的手机号码，用于注册账号和身份验证。".encode("gb18030"),
        "big5.txt": "我們會收集您的電子郵件地址，用於寄送通知。".encode("big5"),
        "cp1250.txt": cz.encode("cp1250"),
        "shiftjis.txt": "当社は、お客様の氏名及びメールアドレスを取得します。".encode("shift_jis"),
        "truncated.txt": ("我们会收集您的位置信息。" * 3).encode()[:-2],  # cut inside the last character
        "long_line.txt": ("We collect data and share it with partners " * 4600).encode(),  # ~200,000 chars
        "rtl.txt": "نحن نجمع عنوان بريدك الإلكتروني. אנו אוספים את כתובת הדוא\"ל שלך.".encode(),
        "utf16le.txt": GOOD_EN.encode("utf-16-le"),
        "utf16be.txt": cz.encode("utf-16-be"),
        "utf32.txt": GOOD_EN.encode("utf-32-le"),
        "deep.html": ("<html><body>" + "<div>" * 600 + f"<p>{GOOD_EN}</p>" + "</div>" * 600 + "</body></html>").encode(),
        "name with spaces.txt": GOOD_EN.encode(),
        "política de privacidad ü.txt": "Recogemos su dirección de correo electrónico.".encode(),
        "folder.txt/inner.md": b"# Cookies\n\nWe use cookies to remember your language.\n",
        "a/policy.txt": GOOD_EN.encode(),
        "b/policy.txt": "Sie können der Verarbeitung Ihrer Daten jederzeit widersprechen.".encode(),
        "emoji.txt": "🍪🔒✨ 🎉🎉".encode(),
        "broken_line.jsonl": b'{"text": "We collect your name."}\n{"text": broken\n{"text": "You may delete your account."}\n',
        "mixed.html": ("<html><body><h1>Privacy</h1><p>We collect your e-mail address to send the newsletter.</p>"
                       "<p>当您注册时，我们会收集您的手机号码、电子邮箱，用于账号登录。</p></body></html>").encode(),
        "bom_utf8.md": "\ufeff---\ntitle: Privacy\n---\n## Sharing\n\nWe share your data with processors.\n".encode(),
    }
    for name, data in good.items():
        w(name, data)
    bad = {"empty.txt": (b"", "empty"), "whitespace.txt": (b" \n\t\n  ", "empty"),
           "random.txt": (bytes(range(256)) * 40, "binary"), "image.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(300), "binary"),
           "huge.txt": (b"We collect data. " * 120_000, "MB"),  # ~2 MB, over --max-mb 1
           "script_only.html": (b"<html><head><script>var x = 1;</script></head><body><script>go()</script></body></html>", "HTML"),
           "zero.pdf": (b"", "empty"), "corrupt.docx": (b"PK\x03\x04 not really a zip", "Word"),
           "bomb.docx": (_docx({"word/document.xml": b"<w:document>" + b" " * (201 * 2**20) + b"</w:document>"}), "MB limit")}
    for name, (data, _) in bad.items():
        w(name, data)
    write_pdf(folder / "image_only.pdf", [])  # a page without a text layer
    (folder / "loop").symlink_to("loop")
    (folder / "gone.html").symlink_to(folder / "nowhere.html")
    failing = {name: word for name, (_, word) in bad.items()} | {"image_only.pdf": "text layer", "loop": "symlink loop",
                                                                "gone.html": "broken link"}
    if os.geteuid() != 0:  # root reads any file whatever its mode
        w("unreadable.txt", GOOD_EN.encode())
        (folder / "unreadable.txt").chmod(0)
        failing["unreadable.txt"] = "cannot read"
    labeled = {n if n.startswith(("a/", "b/")) else Path(n).name for n in good}  # ids: names, unless two share one
    return failing, labeled


@pytest.mark.slow
def test_a_folder_of_odd_inputs_is_accounted_for_whole(tiny_model, tmp_path):
    folder = tmp_path / "odd"
    folder.mkdir()
    failing, labeled = make_odd_folder(folder)
    out = tmp_path / "out.jsonl"
    r = clausetag("label", folder, "-m", tiny_model, "-o", out, "--max-mb", "1")
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    recs = records(out)
    summaries = {x["doc"]: x for x in recs if x["type"] == "summary"}
    errors = {x["doc"]: x["error"] for x in recs if x["type"] == "error"}
    assert len(summaries) == len(failing) + len(labeled) >= 25  # documents in = labeled + failed
    assert set(errors) == set(failing), (set(errors) ^ set(failing))
    for doc, word in failing.items():
        assert word in errors[doc] and doc.split("/")[-1] in errors[doc], errors[doc]
        line = [l for l in r.stderr.splitlines() if l.startswith("clausetag: error:") and doc in l]
        assert len(line) == 1 and word in line[0]
    for doc in labeled:
        assert not summaries[doc]["errors"] and summaries[doc]["units"] > 0, (doc, summaries[doc])
    assert f"{len(labeled)} labeled" in r.stderr and f"{len(failing)} failed" in r.stderr
    # every good document is labeled as when it is alone
    units = [x for x in recs if x["type"] == "unit"]
    for name in ("gb18030.txt", "utf16le.txt", "deep.html", "mixed.html", "a/policy.txt", "name with spaces.txt"):
        alone = tmp_path / "alone.jsonl"
        single = clausetag("label", folder / name, "-m", tiny_model, "-o", alone, "--quiet")
        assert single.returncode == 0, single.stderr
        strip = lambda u: {k: v for k, v in u.items() if k not in ("doc", "id")}  # noqa: E731
        assert [strip(u) for u in records(alone) if u["type"] == "unit"] == \
            [strip(u) for u in units if u["doc"] == name]
    # the mixed page: its Chinese sentence is Chinese
    mixed = [u for u in units if u["doc"] == "mixed.html"]
    assert {u["lang"] for u in mixed if "手机号码" in u["text"]} == {"zh"}
    assert {u["lang"] for u in mixed if "newsletter" in u["text"]} == {"en"}
    # emoji only: no clause, and the warning that says so
    assert {tuple(u["labels"]) for u in units if u["doc"] == "emoji.txt"} == {("other",)}
    assert any("no clause found" in w for w in summaries["emoji.txt"]["warnings"])
    # a broken JSONL line: the rest labeled, the line named
    assert [u["text"] for u in units if u["doc"] == "broken_line.jsonl"] == ["We collect your name.", "You may delete your account."]
    assert any("line 2: not valid JSON" in w for w in summaries["broken_line.jsonl"]["warnings"])


def test_documents_that_share_a_name_keep_ids_of_their_own(tmp_path):
    for sub in ("a", "b", "c/d"):
        (tmp_path / sub).mkdir(parents=True)
        (tmp_path / sub / "policy.txt").write_text(GOOD_EN, encoding="utf-8")
    (tmp_path / "other.txt").write_text(GOOD_EN, encoding="utf-8")
    paths = list(expand_inputs([tmp_path]))
    assert document_ids(paths) == ["a/policy.txt", "b/policy.txt", "c/d/policy.txt", "other.txt"]
    twice = [tmp_path / "other.txt", tmp_path / "other.txt"]
    assert document_ids(twice) == ["other.txt", "other.txt (2)"]


@pytest.mark.slow
def test_same_name_in_two_folders_through_label_report_and_resume(tiny_model, tmp_path):
    for sub, text in (("a", GOOD_EN), ("b", "Sie können der Verarbeitung Ihrer Daten widersprechen.")):
        (tmp_path / "dup" / sub).mkdir(parents=True)
        (tmp_path / "dup" / sub / "policy.txt").write_text(text, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    r = clausetag("label", tmp_path / "dup", "-m", tiny_model, "-o", out, "--quiet")
    assert r.returncode == 0, r.stderr
    recs = records(out)
    assert sorted(x["doc"] for x in recs if x["type"] == "summary") == ["a/policy.txt", "b/policy.txt"]
    ids = [x["id"] for x in recs if x["type"] == "unit"]
    assert len(ids) == len(set(ids)) and all(i.startswith(("a/policy.txt#", "b/policy.txt#")) for i in ids)
    again = clausetag("label", tmp_path / "dup", "-m", tiny_model, "-o", out, "--resume")
    assert again.returncode == 0 and "2 already done" in again.stderr
    report = clausetag("report", out, "-o", tmp_path / "report")
    assert report.returncode == 0, report.stderr
    assert "2 policies" in report.stdout + report.stderr


def test_a_symlink_loop_is_that_files_error(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "good.txt").write_text(GOOD_EN, encoding="utf-8")
    (tmp_path / "in" / "loop1").symlink_to("loop2")
    (tmp_path / "in" / "loop2").symlink_to("loop1")
    found = [p.name for p in expand_inputs([tmp_path / "in"])]
    assert found == ["good.txt", "loop1", "loop2"]
    for name in ("loop1", "loop2"):
        with pytest.raises(InputError, match=rf"{name}: symlink loop"):
            read_document(tmp_path / "in" / name)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
@pytest.mark.parametrize("text", [GOOD_EN, "我们会收集您的手机号码，用于账号登录。", "Zpracováváme Vaši adresu."])
def test_utf16_and_utf32_without_byte_order_mark(encoding, text):
    assert decode_bytes(text.encode(encoding), Path("x.txt"))[0] == text


def test_binary_files_with_nul_bytes_are_still_refused():
    for data in (bytes(range(256)) * 20, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(500), b"\x00" * 1000):
        with pytest.raises(InputError, match="binary file"):
            decode_bytes(data, Path("x.txt"))


@pytest.mark.parametrize("depth", [250, 500, 2_000, 10_000])
def test_deeply_nested_html_keeps_its_text(depth):
    page = "<html><body>" + "<div class='w'><span>" * depth + "<h2>Sharing</h2><p>We share your data.</p>" \
        + "</span></div>" * depth + "</body></html>"
    text, headings = extract_html(page, Path("deep.html"))
    assert text.split() == "Sharing We share your data.".split() and headings == ["Sharing"]


def test_nesting_that_cannot_be_flattened_says_so():
    page = "<html><body>" + "<ul><li>" * 300 + "<p>We share your data.</p>" + "</li></ul>" * 300 + "</body></html>"
    with pytest.raises(InputError, match="nested too deeply"):
        extract_html(page, Path("deep.html"))


def test_pdf_compatibility_characters_become_the_ordinary_ones(tmp_path):
    """Kangxi radicals and CJK compatibility ideographs (what Chromium's PDFs hold) read as the unified
    ideographs, one character for one."""
    assert unified_cjk("百度⽂库，⾸⻚ 丽") == "百度文库，首⻚ 丽"
    assert len(unified_cjk("⽂⼈⼤")) == 3


def test_units_without_letters_or_digits_are_other(tiny_model):
    from clausetag.infer.labeler import Labeler

    labeler = Labeler.load(tiny_model)
    assert [p.labels for p in labeler.label_text("🍪🔒✨ 🎉!!", lang="en")] == [["other"]]
    date = labeler.label_text("2024-05-01", lang="en")[0]
    assert date.scores == labeler.label_units([date.unit])[0].scores  # digits: the model decides
