"""`clausetag report`: coverage per policy and batch from `clausetag label` output, the PIPL/GDPR
checklist, CSV/JSON outputs, the page in a real browser, bad inputs, and label → report end to end."""

import csv
import json
import os
import subprocess
import sys

import pytest

from browser import render, requires_chromium
from clausetag.reports.coverage import load_checklist
from clausetag.taxonomy import load_taxonomy

NAMES = load_taxonomy("harmonized").names


def unit(doc, i, lang, text, label, score, extra=None):
    scores = {n: 0.02 for n in NAMES}
    scores[label] = score
    scores.update(extra or {})
    return {"type": "unit", "doc": doc, "id": f"{doc}#{i}", "start": 0, "end": len(text), "lang": lang,
            "section": "S", "text": text, "labels": [label], "scores": scores}


def summary(doc, lang, units, errors=()):
    return {"type": "summary", "doc": doc, "path": f"/in/{doc}", "units": units, "languages": [lang] if units else [],
            "label_counts": {}, "errors": list(errors)}


ALPHA = [("我们收集您的手机号码用于注册。", "collection_use", 0.95),
         ("我们会将信息共享给合作伙伴。", "third_party_sharing", 0.90),
         ("我们在您的账户存续期限内保存您的信息。", "data_retention", 0.80),
         ("您可以撤回同意或注销账户。", "user_rights", 0.85),
         ("我们收集您的位置信息。", "collection_use", 0.70)]
BETA = [("Contact us at privacy@example.com.", "contact", 0.90),
        ("We may update this policy and will notify you.", "policy_change", 0.88),
        ("We use encryption to protect your data.", "data_security", 0.92),
        ("We keep your data for as long as your account is open.", "data_retention", 0.70),
        ("We collect your email address.", "collection_use", 0.93),
        ("Children under 13 may not use the service.", "specific_audiences", 0.80),
        ("You can lodge a complaint with a supervisory authority.", "user_rights", 0.75)]


@pytest.fixture(scope="module")
def labels_file(tmp_path_factory):
    recs = [unit("alpha.txt", i, "zh", *u) for i, u in enumerate(ALPHA)]
    recs.append(unit("alpha.txt", 5, "zh", "本政策由某公司制定。", "other", 0.9, {"contact": 0.3}))
    recs.append(summary("alpha.txt", "zh", 6))
    recs += [unit("beta.txt", i, "en", *u) for i, u in enumerate(BETA)] + [summary("beta.txt", "en", 7)]
    error = "/in/gamma.pdf: no text layer (scanned PDF?)"
    recs += [{"type": "error", "doc": "gamma.pdf", "path": "/in/gamma.pdf", "error": error},
             summary("gamma.pdf", "", 0, [error])]
    warning = "/in/delta.html: no clause found in its 1 unit (all 'other'); is it a privacy policy?"
    recs += [unit("delta.html", 0, "en", "Download the app", "other", 0.97),
             {**summary("delta.html", "en", 1), "warnings": [warning]}]
    path = tmp_path_factory.mktemp("labels") / "labels.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    return path


def clausetag(*args):
    return subprocess.run([sys.executable, "-m", "clausetag.cli", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"}, timeout=600)


@pytest.fixture(scope="module")
def report_dir(labels_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    r = clausetag("report", labels_file, "-o", out)
    assert r.returncode == 0, r.stderr
    assert "4 policies (3 labeled, 1 failed)" in r.stdout
    return out


def test_checklist_refers_to_harmonized_categories():
    cl = load_checklist()
    assert {f.id for f in cl.frameworks} == {"pipl", "gdpr"}
    for f in cl.frameworks:
        for it in f.items:
            assert set(it.categories) <= set(NAMES) and (it.categories or it.keywords), it
    assert "machine reading" in cl.disclaimer and "person" in cl.disclaimer


def test_coverage_json(report_dir):
    cov = json.loads((report_dir / "coverage.json").read_text(encoding="utf-8"))
    pol = {p["doc"]: p for p in cov["policies"]}
    assert list(pol) == ["alpha.txt", "beta.txt", "gamma.pdf", "delta.html"]
    a, b, g, d = pol["alpha.txt"], pol["beta.txt"], pol["gamma.pdf"], pol["delta.html"]
    assert a["warnings"] == [] and d["warnings"] == ["/in/delta.html: no clause found in its 1 unit (all 'other'); "
                                                     "is it a privacy policy?"]
    assert a["units"] == 6 and a["languages"] == ["zh"] and a["path"] == "/in/alpha.txt"
    cu = a["categories"]["collection_use"]
    assert cu["count"] == 2 and [e["id"] for e in cu["evidence"]] == ["alpha.txt#0", "alpha.txt#4"]  # strongest first
    assert a["absent"] == ["data_security", "specific_audiences", "policy_change", "contact"]
    assert a["categories"]["contact"]["best_candidate"]["id"] == "alpha.txt#5"
    status = {c["item"]: c["status"] for c in a["checklist"]}
    assert status["pipl:identity_contact"] == "missing" and status["pipl:changes"] == "missing"
    assert status["pipl:retention_period"] == "found"  # 期限
    assert status["pipl:cross_border"] == "check"  # sharing/retention sentences, none about cross-border
    assert status["pipl:minors"] == "optional_missing"
    assert status["gdpr:withdraw_consent"] == "found"  # 撤回
    assert status["gdpr:automated_decisions"] == "optional_missing"
    assert b["absent"] == ["third_party_sharing"]
    status = {c["item"]: c["status"] for c in b["checklist"]}
    assert status["pipl:third_party_recipients"] == "missing" and status["gdpr:recipients"] == "missing"
    assert status["gdpr:complaint"] == "found" and status["gdpr:retention_period"] == "found"
    assert g["units"] == 0 and g["errors"] and g["checklist"] == []
    batch = cov["batch"]
    assert batch == {**batch, "policies": 4, "labeled": 3, "failed": 1, "units": 14}
    assert batch["policies_with_category"]["collection_use"] == 2 and batch["policies_with_category"]["contact"] == 1
    assert batch["policies_missing_item"]["pipl:identity_contact"] == 2
    assert "other" not in cov["categories"] and "machine reading" in cov["disclaimer"]


def test_coverage_csv(report_dir):
    with (report_dir / "coverage.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["policy"] for r in rows] == ["alpha.txt", "beta.txt", "gamma.pdf", "delta.html"]
    a = rows[0]
    assert a["collection_use"] == "2" and a["contact"] == "0" and a["units"] == "6"
    assert "identity_contact" in a["pipl_seems_missing"].split(";")
    assert a["pipl:retention_period"] == "found"
    assert rows[2]["errors"] and rows[2]["collection_use"] == ""
    assert rows[0]["warnings"] == "" and "no clause found" in rows[3]["warnings"]


@requires_chromium
def test_report_renders_in_chromium(report_dir):
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    assert "<script src=" not in html and "<link " not in html
    probe = """
    const t=document.getElementById('batch');t.tHead.rows[0].cells[2].click();t.tHead.rows[0].cells[2].click();
    document.body.dataset.firstByUnits=t.tBodies[0].rows[0].cells[0].textContent;
    const f=document.querySelector('.filters[data-target=batch]');const q=f.querySelector('input[type=search]');
    q.value='beta';q.dispatchEvent(new Event('input'));
    document.body.dataset.visible=[...t.tBodies[0].rows].filter(r=>!r.hidden).length;
    """
    page = render(report_dir / "report.html", probe, screenshot="coverage-report.png")
    assert page.console == []
    dom = page.dom
    for table_id in ("batch", "category-summary", "checklist", "checklist-items", "policy-0-pipl", "policy-1-gdpr"):
        assert f'<table id="{table_id}"' in dom
    assert 'data-first-by-units="beta.txt"' in dom  # sorted by units, descending
    assert 'data-visible="1"' in dom  # the search filter kept one policy
    assert 'download="coverage.csv"' in dom and 'href="data:text/csv;charset=utf-8,' in dom
    assert "1 shown" in dom and "machine reading" in dom
    assert "我们收集您的手机号码用于注册。" in dom
    assert "delta.html</a> <span class=\"neg\">(check)</span>" in dom and "warning: /in/delta.html: no clause" in dom


@pytest.mark.parametrize("content, words", [
    (None, ["missing.jsonl", "no such file"]),
    ("policy,units\na,1\n", ["labels.txt:1", "not valid JSON"]),
    (json.dumps(summary("a.txt", "en", 0)) + "\n", ["labels.txt", "no unit records"]),
    ("", ["labels.txt", "no unit records"]),
    (b"\xff\xfe\x00\x01binary", ["labels.txt", "UTF-8"]),
    (json.dumps({"type": "unit", "doc": "a", "text": "x", "labels": []}) + "\n", ["labels.txt:1", "scores"]),
])
def test_bad_input_is_one_line_error(tmp_path, content, words):
    path = tmp_path / ("missing.jsonl" if content is None else "labels.txt")
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    r = clausetag("report", path, "-o", tmp_path / "out")
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and r.stderr.startswith("clausetag: error:")
    for w in words:
        assert w in r.stderr
    assert not (tmp_path / "out" / "report.html").exists()


@pytest.mark.slow
def test_label_then_report(tiny_model, seeds_dir, tmp_path):
    labels = tmp_path / "labels.jsonl"
    r = clausetag("label", seeds_dir / "000_7b5a3971007343a4.txt", seeds_dir / "003_b7ec3afbff0be310.txt",
                  "-m", tiny_model, "-o", labels, "-q")
    assert r.returncode == 0, r.stderr
    r = clausetag("report", labels, "-o", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    with (tmp_path / "out" / "coverage.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["policy"] for r in rows] == ["000_7b5a3971007343a4.txt", "003_b7ec3afbff0be310.txt"]
    assert rows[1]["languages"].startswith("cs") and int(rows[1]["units"]) > 50
    cov = json.loads((tmp_path / "out" / "coverage.json").read_text(encoding="utf-8"))
    assert len(cov["checklist"]) == len(cov["policies"][0]["checklist"]) == 23
    assert (tmp_path / "out" / "report.html").stat().st_size > 10_000


def test_one_policy_is_counted_in_the_singular(tmp_path):
    path = tmp_path / "labels.jsonl"
    recs = [unit("beta.txt", 0, "en", *BETA[0]), summary("beta.txt", "en", 1)]
    path.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    r = clausetag("report", path, "-o", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    assert "1 policy (1 labeled)" in r.stdout
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "1 policy (1 labeled), 1 unit<" in page and "beta.txt — 1 unit, en, 7 categories never" in page and "(1 unit)" in page


def test_a_transfer_abroad_tagged_as_for_international_users_is_found(tmp_path):
    path = tmp_path / "labels.jsonl"
    recs = [unit("t.txt", 0, "en", "Your data may be transferred to the United States under the Standard Contractual "
                 "Clauses.", "specific_audiences", 0.9),
            unit("t.txt", 1, "en", "Children under 13 may not use the service.", "specific_audiences", 0.9),
            summary("t.txt", "en", 2)]
    path.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    r = clausetag("report", path, "-o", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    items = {c["item"]: c for c in json.loads((tmp_path / "out" / "coverage.json").read_text())["policies"][0]["checklist"]}
    for item in ("pipl:cross_border", "gdpr:third_country_transfers"):
        assert items[item]["status"] == "found" and [e["id"] for e in items[item]["evidence"]] == ["t.txt#0"]


def test_headings_labeled_by_their_section_are_no_evidence(tmp_path):
    """A heading that took its section's labels restates the sentences under it: the report counts and
    quotes the sentences only, and a heading's wording alone finds no checklist item."""
    path = tmp_path / "labels.jsonl"
    heading = {**unit("h.txt", 0, "en", "3. How to withdraw your consent", "user_rights", 0.01),
               "heading": True, "basis": "section"}
    recs = [heading, unit("h.txt", 1, "en", "You can delete your account in the settings.", "user_rights", 0.9),
            summary("h.txt", "en", 2)]
    path.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    r = clausetag("report", path, "-o", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    policy = json.loads((tmp_path / "out" / "coverage.json").read_text())["policies"][0]
    rights = policy["categories"]["user_rights"]
    assert rights["count"] == 1 and [e["id"] for e in rights["evidence"]] == ["h.txt#1"]
    items = {c["item"]: c for c in policy["checklist"]}
    assert items["gdpr:withdraw_consent"]["status"] == "check", items["gdpr:withdraw_consent"]
