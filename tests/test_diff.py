"""`clausetag diff`: alignment of two versions, category and checklist changes, outputs, the page in a
browser, bad input."""

from __future__ import annotations

import json

import pytest
from browser import render, requires_chromium
from test_evaluate import assert_one_line_error, invoke

from clausetag.taxonomy import load_taxonomy

LABELS = load_taxonomy("harmonized").names
OLD = [("Privacy Policy", ["other"]),
       ("We collect your name and phone number when you register.", ["collection_use"]),
       ("We do not sell your personal information.", ["third_party_sharing"]),
       ("We keep your account data for as long as your account is active.", ["data_retention"]),
       ("Contact us at privacy@example.com.", ["contact"])]
NEW = [("Privacy Policy", ["other"]),
       ("We collect your name, phone number and date of birth when you register.", ["collection_use"]),
       ("We share your data with advertising partners.", ["third_party_sharing"]),
       ("Contact us at privacy@example.com.", ["contact"]),
       ("We may update this policy and will notify you by email.", ["policy_change"])]


def records(doc: str, units: list[tuple[str, list[str]]]) -> list[dict]:
    """`clausetag label` output for one policy."""
    out = [{"type": "unit", "doc": doc, "id": f"{doc}#{i:05d}", "start": None, "end": None, "lang": "en",
            "section": None, "text": text, "labels": labels,
            "scores": {n: (0.9 if n in labels else 0.05) for n in LABELS}} for i, (text, labels) in enumerate(units)]
    return out + [{"type": "summary", "doc": doc, "path": f"/in/{doc}", "units": len(units), "languages": ["en"],
                   "label_counts": {}, "errors": [], "warnings": []}]


@pytest.fixture
def versions(tmp_path):
    paths = []
    for name, units in (("v1.txt", OLD), ("v2.txt", NEW)):
        path = tmp_path / f"{name}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in records(name, units)), encoding="utf-8")
        paths.append(path)
    return paths


def test_units_are_aligned_and_categories_and_checklist_compared(versions):
    from clausetag.reports.diff import ADDED, REMOVED, REWORDED, diff_versions, read_versions

    batch = diff_versions(*(read_versions(p) for p in versions))
    assert not (batch.only_old or batch.only_new or batch.failed)
    (d,) = batch.diffs  # one policy a side: compared whatever their names
    assert d.unchanged == 2  # the title and the contact sentence
    assert [(c.kind, c.old.unit.text[:12] if c.old else None, c.new.unit.text[:12] if c.new else None)
            for c in d.changes] == [
        (REWORDED, "We collect y", "We collect y"),
        (REMOVED, "We do not se", None), (REMOVED, "We keep your", None),
        (ADDED, None, "We share you"),
        (ADDED, None, "We may updat")]
    assert d.changes[-1].gained == ["policy_change"] and d.changes[2].lost == ["data_retention"]
    assert d.changes[0].gained == [] and d.changes[0].lost == []
    status = {c.category: c.status for c in d.categories}
    assert status["data_retention"] == "no longer disclosed" and status["policy_change"] == "now disclosed"
    assert status["collection_use"] == "same" and "other" not in status
    items = {(i.item.framework, i.item.id): (i.old, i.new) for i in d.items}
    assert items[("pipl", "retention_period")] == ("found", "missing")
    assert d.count(ADDED) == 2 and d.count(REMOVED) == 2 and d.count(REWORDED) == 1


def test_cli_writes_a_summary_json_and_a_page(versions, tmp_path):
    out = tmp_path / "diff.json"
    r = invoke("diff", *versions, "-o", out)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == "v1.txt → v2.txt: 2 units unchanged, 2 added, 2 removed, 1 reworded"
    assert "  data_retention: no longer disclosed (1 → 0 units)" in r.stdout
    assert "  policy_change: now disclosed (0 → 1 units)" in r.stdout
    (saved,) = json.loads(out.read_text(encoding="utf-8"))["policies"]
    assert saved["counts"] == {"unchanged": 2, "added": 2, "removed": 2, "reworded": 1}
    assert saved["changes"][0]["old"]["text"] == OLD[1][0] and saved["changes"][0]["new"]["text"] == NEW[1][0]
    page = tmp_path / "diff.html"
    assert invoke("diff", *versions, "-o", page).returncode == 0
    html = page.read_text(encoding="utf-8")
    assert "<del> and</del>" in html and "<ins> and date of birth</ins>" in html  # the words changed, marked
    assert "<span class='gained'>+policy_change</span>" in html and "<span class='lost'>data_retention</span>" in html


def test_inline_diff_marks_chinese_characters():
    from clausetag.reports.diff_html import inline_diff

    old, new = inline_diff("我们收集您的手机号码。", "我们收集您的手机号码和位置信息。")
    assert old == "我们收集您的手机号码。" and new == "我们收集您的手机号码<ins>和位置信息</ins>。"


@requires_chromium
def test_diff_page_renders_and_filters_in_chromium(versions, tmp_path):
    page = tmp_path / "diff.html"
    assert invoke("diff", *versions, "-o", page).returncode == 0
    probe = """
    const f=document.querySelector('.filters[data-target=changes-0]');const s=f.querySelector('select');
    s.value='added';s.dispatchEvent(new Event('input'));
    document.body.dataset.visible=[...document.getElementById('changes-0').tBodies[0].rows].filter(r=>!r.hidden).length;
    """
    shown = render(page, probe)
    assert shown.console == []
    assert 'data-visible="2"' in shown.dom
    for table_id in ("categories-0", "checklist-0", "changes-0"):
        assert f'<table id="{table_id}"' in shown.dom


def test_batches_are_paired_by_document_name(tmp_path):
    old, new = tmp_path / "2024.jsonl", tmp_path / "2025.jsonl"
    old.write_text("".join(json.dumps(r) + "\n" for r in records("a.txt", OLD) + records("b.txt", OLD)
                           + records("c.txt", OLD)), encoding="utf-8")
    new.write_text("".join(json.dumps(r) + "\n" for r in records("b.txt", OLD) + records("a.txt", NEW)
                           + records("d.txt", NEW)), encoding="utf-8")
    out = tmp_path / "diff.html"
    r = invoke("diff", old, new, "-o", out)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == "a.txt: 2 units unchanged, 2 added, 2 removed, 1 reworded"
    assert "b.txt: 5 units unchanged, 0 added, 0 removed, 0 reworded" in r.stdout
    assert "only in the old versions: c.txt" in r.stdout and "only in the new versions: d.txt" in r.stdout
    html = out.read_text(encoding="utf-8")
    assert "<table id='pairs'" in html and "href='#pair-1'>b.txt</a>" in html and "No unit changed." in html
    assert "<h3>Only in the new versions</h3><ul><li>/in/d.txt</li></ul>" in html


def test_bad_input_is_one_line_error(versions, tmp_path):
    assert_one_line_error(invoke("diff", *versions, "-o", tmp_path / "diff.txt"), "diff.txt", ".html or .json")
    other = tmp_path / "other.jsonl"
    other.write_text("".join(json.dumps({**r, "scores": {"a": 0.5}}) + "\n" for r in records("v3.txt", NEW)
                             if r["type"] == "unit"), encoding="utf-8")
    assert_one_line_error(invoke("diff", versions[0], other), "different label sets")
    assert_one_line_error(invoke("diff", versions[0], versions[1], "--lang", "xx"), "--lang 'xx'")
    assert_one_line_error(invoke("diff", versions[0], versions[1], "--backend", "gpu"), "--backend must be torch or onnx")


@pytest.mark.slow
def test_documents_are_labeled_with_the_default_model(tmp_path):
    old, new = tmp_path / "old.txt", tmp_path / "new.txt"
    old.write_text("Privacy Policy\n\nWe collect your email address to send you receipts.\n\n"
                   "Contact us at privacy@example.com.\n", encoding="utf-8")
    new.write_text("Privacy Policy\n\nWe collect your email address to send you receipts.\n\n"
                   "We share your email address with advertising partners.\n\nContact us at privacy@example.com.\n",
                   encoding="utf-8")
    r = invoke("diff", old, new)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == "old.txt → new.txt: 3 units unchanged, 1 added, 0 removed, 0 reworded"
    assert "third_party_sharing: now disclosed (0 → 1 units)" in r.stdout  # what the added sentence discloses
    assert_one_line_error(invoke("diff", old, tmp_path / "missing.txt"), "missing.txt")
    # folders: paired by file name; a file that cannot be read is named and the others compared
    for folder, text in (("2024", old.read_text()), ("2025", new.read_text())):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "policy.txt").write_text(text, encoding="utf-8")
    (tmp_path / "2025" / "broken.txt").write_bytes(b"")
    r = invoke("diff", tmp_path / "2024", tmp_path / "2025")
    assert r.returncode == 1
    assert r.stdout.splitlines()[0] == "policy.txt: 3 units unchanged, 1 added, 0 removed, 0 reworded"
    assert r.stderr.strip() == f"clausetag: {tmp_path / '2025' / 'broken.txt'}: empty file"
