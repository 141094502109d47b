"""Reviewing labels: the review mode of the labels page driven in a real browser (Selenium, Debian's
chromium and chromedriver), `clausetag review`, Label Studio export and import (checked with Label
Studio's own SDK where it is installed), corrections as a gold set for `clausetag evaluate` (with
`--compare`'s fixed and broken units) and as a weighted training source."""

import json
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from browser import ARTIFACTS, requires_selenium, selenium_driver
from clausetag.corpora import iter_jsonl_units
from clausetag.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parents[1]
FAST = ROOT / "models" / "fast"
NAMES = load_taxonomy("harmonized").names
COMMON = ("id", "doc", "lang", "text", "section", "labels")
REVIEW = ("reviewed", "model_labels", "reviewer", "reviewed_at")

# (text, model labels, scores that differ from 0.02); the thresholds are models/fast's
UNITS = [("We collect your e-mail address when you register.", ["collection_use"], {"collection_use": 0.95}),
         ("We may share your data with our advertising partners.", ["third_party_sharing"],
          {"third_party_sharing": 0.91}),
         ("You can reach our data protection officer at dpo@example.com.", ["other"], {"other": 0.62, "contact": 0.3}),
         ("We keep your data for two years.", ["data_retention"], {"data_retention": 0.88})]


def clausetag(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "clausetag.cli", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"}, timeout=600, cwd=cwd)


def fast_thresholds() -> dict:
    return json.loads((FAST / "model.json").read_text(encoding="utf-8"))["thresholds"]


@pytest.fixture
def labels_file(tmp_path):
    """A `clausetag label` output of one policy whose summary names models/fast; the third unit's
    `contact` score sits just below that model's threshold (an uncertain unit)."""
    th = fast_thresholds()
    recs = []
    for i, (text, labels, extra) in enumerate(UNITS):
        scores = {n: 0.02 for n in NAMES} | extra
        if i == 2:
            scores["contact"] = round(th["contact"] - 0.03, 4)
        recs.append({"type": "unit", "doc": "policy.txt", "id": f"policy-{i:04d}", "start": 0, "end": len(text),
                     "lang": "en", "section": "Your data", "heading": False, "text": text, "labels": labels,
                     "basis": "model", "scores": scores})
    recs.append({"type": "summary", "doc": "policy.txt", "path": "/in/policy.txt", "units": len(UNITS),
                 "languages": ["en"], "label_counts": {}, "errors": [], "warnings": [],
                 "model": {"name": "fast", "created": "2026-12-01 10:00:00 UTC", "path": str(FAST)}})
    path = tmp_path / "labels.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    return path


# --- the review mode in a real browser -------------------------------------------------------

def _wait(predicate, timeout=10.0, what="condition"):
    end = time.time() + timeout
    while time.time() < end:
        if value := predicate():
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _count(driver, kind):
    return int(driver.find_element("id", "rv-count").get_attribute(f"data-{kind}"))


@requires_selenium
def test_review_mode_in_chromium(labels_file, tmp_path):
    page = tmp_path / "view.html"
    r = clausetag("review", labels_file, "-o", page)  # thresholds from the model folder the summary names
    assert r.returncode == 0, r.stderr
    assert "4 units of 1 document" in r.stdout and "warning" not in r.stderr
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver = selenium_driver(tmp_path / "profile", downloads)
    try:
        driver.get(page.as_uri())
        unit = lambda i: driver.find_element("css selector", f".u[data-i='{i}']")
        body = driver.find_element("tag name", "body")
        assert not driver.find_element("id", "rv-panel").is_displayed()
        driver.find_element("id", "rv-toggle").click()
        assert driver.find_element("id", "rv-panel").is_displayed()
        driver.find_element("id", "rv-reviewer").send_keys("ana")
        # only the unit whose contact score is near its threshold is uncertain
        driver.find_element("id", "rv-uncertain").click()
        assert driver.find_element("id", "rv-shown").text == "1 of 4 units shown"
        assert "dim" in unit(0).get_attribute("class") and "dim" not in unit(2).get_attribute("class")
        body.send_keys("j")  # next shown unit: the uncertain one
        assert "sel" in unit(2).get_attribute("class")
        panel = driver.find_element("id", "rv-unit").text
        assert "dpo@example.com" in panel and f"{fast_thresholds()['contact']:.2f}" in panel
        body.send_keys(str(NAMES.index("contact") + 1))  # toggle contact on: a correction
        assert unit(2).get_attribute("data-labels") == "contact other"
        assert (_count(driver, "reviewed"), _count(driver, "corrected")) == (1, 1)
        assert "rc" in unit(2).get_attribute("class")
        body.send_keys(str(NAMES.index("other") + 1))  # and other off
        assert unit(2).get_attribute("data-labels") == "contact"
        # the label filter: units now labeled contact
        driver.find_element("id", "rv-uncertain").click()
        driver.find_element("css selector", "#rv-label option[value='contact']").click()
        assert driver.find_element("id", "rv-shown").text == "1 of 4 units shown"
        driver.find_element("css selector", "#rv-label option[value='']").click()
        unit(0).click()  # click a unit, accept it as it is
        body.send_keys("a")
        assert (_count(driver, "reviewed"), _count(driver, "corrected")) == (2, 1)
        assert "rv" in unit(0).get_attribute("class") and "sel" in unit(1).get_attribute("class")  # a moved on
        body.send_keys("k")
        assert "sel" in unit(0).get_attribute("class")

        # a reload keeps every review (localStorage, keyed by document and model). Chromium hands a page's
        # writes to its storage service asynchronously, so under load an immediate reload can overtake them
        # (CI saw 0, 0 once): reload until they are there, as a reviewer coming back a moment later would.
        def reloaded_counts():
            driver.refresh()
            return (_count(driver, "reviewed"), _count(driver, "corrected")) == (2, 1)

        _wait(reloaded_counts, what="the reviews to survive a reload")
        assert unit(2).get_attribute("data-labels") == "contact" and "rc" in unit(2).get_attribute("class")
        keys = driver.execute_script("return Object.keys(localStorage)")
        assert "clausetag-review|policy.txt|fast|2026-12-01 10:00:00 UTC" in keys
        driver.find_element("id", "rv-toggle").click()
        unit(2).click()
        ARTIFACTS.mkdir(exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / "review-mode.png"))
        driver.find_element("id", "rv-export").click()
        exported = _wait(lambda: [p for p in downloads.glob("*.jsonl")], what="the exported file")[0]
        _wait(lambda: exported.stat().st_size > 0 and not list(downloads.glob("*.crdownload")), what="the download")
        console = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert console == [], console
    finally:
        driver.quit()
    assert exported.name == "corrections.jsonl"
    rows = [json.loads(line) for line in exported.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["policy-0000", "policy-0002"]
    for r in rows:
        assert set(r) == set(COMMON + REVIEW) and r["reviewed"] is True and r["reviewer"] == "ana"
        assert r["doc"] == "policy.txt" and r["lang"] == "en" and r["section"] == "Your data"
        datetime.fromisoformat(r["reviewed_at"].replace("Z", "+00:00"))
    assert rows[0]["labels"] == rows[0]["model_labels"] == ["collection_use"]
    assert rows[1]["labels"] == ["contact"] and rows[1]["model_labels"] == ["other"]
    assert rows[1]["text"] == UNITS[2][0]
    # the file is a gold set / training source as it is
    units = list(iter_jsonl_units(exported))
    assert [(u.id, u.labels) for u in units] == [("policy-0000", ["collection_use"]), ("policy-0002", ["contact"])]


def test_label_writes_the_review_mode(labels_file, tmp_path):
    """`clausetag label -o view.html` and `clausetag review` write the same page (label's renderer); the
    data the review script reads holds every unit, the thresholds and the model."""
    from clausetag.infer.html_view import render_html

    recs = [json.loads(l) for l in labels_file.read_text(encoding="utf-8").splitlines()]
    page = render_html(recs, NAMES, {"model": str(FAST), "documents": 1})
    assert "id='rv-toggle'" in page and "http" not in page.split("<main>")[0]
    data = json.loads(page.split("id='review-data'>")[1].split("</script>")[0])
    assert [u["id"] for u in data["units"]] == [r["id"] for r in recs if r["type"] == "unit"]
    assert data["thresholds"]["default"] == pytest.approx(fast_thresholds())
    assert data["model"] == {"name": "fast", "created": "2026-12-01 10:00:00 UTC"} and data["margin"] > 0
    out = tmp_path / "again.html"
    assert clausetag("review", labels_file, "-o", out).returncode == 0
    assert out.read_text(encoding="utf-8") == render_html(recs, NAMES, {"model": "fast", "documents": 1,
                                                                         "thresholds": data["thresholds"]})
    # a text cannot close the data element
    recs[0]["text"] = "</script><script>alert(1)</script>"
    evil = render_html(recs, NAMES, {})
    assert json.loads(evil.split("id='review-data'>")[1].split("</script>")[0])["units"][0]["text"] == recs[0]["text"]


def test_review_command_errors(labels_file, tmp_path):
    lines = labels_file.read_text(encoding="utf-8").splitlines()
    moved = tmp_path / "moved.jsonl"  # the model folder it names is gone: a page without the uncertain filter
    moved.write_text("\n".join(l.replace(str(FAST), str(tmp_path / "gone")) for l in lines) + "\n", encoding="utf-8")
    r = clausetag("review", moved, "-o", tmp_path / "p.html")
    assert r.returncode == 0 and "give -m MODEL" in r.stderr
    assert "id='rv-uncertain' disabled" in (tmp_path / "p.html").read_text(encoding="utf-8")
    r = clausetag("review", moved, "-o", tmp_path / "p.html", "-m", FAST)
    assert r.returncode == 0 and r.stderr == ""
    bad = tmp_path / "bad.jsonl"
    bad.write_text(lines[0] + "\n" + json.dumps({"type": "unit", "doc": "x"}) + "\n", encoding="utf-8")
    cases = [((labels_file, "-o", tmp_path / "p.txt"), "written as .html"),
             ((tmp_path / "none.jsonl", "-o", tmp_path / "p.html"), "none.jsonl: no such file"),
             ((bad, "-o", tmp_path / "p.html"), "bad.jsonl:2: unit record lacks"),
             ((labels_file, "-o", tmp_path / "p.html", "-m", ROOT / "models" / "opp115"), "are not those of")]
    for args, message in cases:
        r = clausetag("review", *args)
        assert r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


# --- Label Studio ----------------------------------------------------------------------------

def ls_export(tasks: list[dict], answers: dict[int, list[str] | None]) -> list[dict]:
    """What Label Studio's JSON export holds after annotators answered some of the imported tasks
    (its documented shape: task id, data, annotations with result, predictions)."""
    out = []
    for i, t in enumerate(tasks):
        anns = []
        if i in answers:
            cancelled = answers[i] is None
            anns.append({"id": 100 + i, "completed_by": 7, "was_cancelled": cancelled, "ground_truth": False,
                         "created_at": "2026-12-06T17:00:00.000000Z", "updated_at": "2026-12-06T17:05:00.000000Z",
                         "lead_time": 4.2, "result": [] if cancelled else [
                             {"id": f"r{i}", "from_name": "labels", "to_name": "text", "type": "choices",
                              "value": {"choices": answers[i]}, "origin": "prediction-changed"}]})
        out.append({"id": 1 + i, "data": t["data"], "annotations": anns, "drafts": [],
                    "predictions": [dict(p, id=500 + i, task=1 + i) for p in t["predictions"]],
                    "meta": {}, "created_at": "2026-12-06T16:00:00.000000Z", "inner_id": 1 + i, "project": 3})
    return out


@pytest.fixture
def exported_tasks(labels_file, tmp_path):
    out = tmp_path / "tasks.json"
    r = clausetag("export", labels_file, "--format", "label-studio", "-o", out)
    assert r.returncode == 0, r.stderr
    assert "4 tasks of 1 document" in r.stdout
    return json.loads(out.read_text(encoding="utf-8")), (tmp_path / "tasks.label-config.xml").read_text(encoding="utf-8")


def test_label_studio_round_trip(exported_tasks, tmp_path):
    tasks, config = exported_tasks
    t = tasks[2]
    assert t["data"]["text"] == UNITS[2][0] and t["data"]["unit_id"] == "policy-0002"
    assert t["predictions"][0]["result"][0]["value"]["choices"] == ["other"]
    assert t["predictions"][0]["model_version"] == "fast 2026-12-01 10:00:00 UTC"
    assert t["predictions"][0]["score"] == pytest.approx(0.62)  # the weakest chosen label's score
    assert t["data"]["scores"]["contact"] == pytest.approx(fast_thresholds()["contact"] - 0.03)
    assert all(f'<Choice value="{n}"/>' in config for n in NAMES) and 'choice="multiple"' in config
    answers = {0: ["collection_use"], 2: ["contact"], 3: None}  # accepted, corrected, cancelled; 1 untouched
    export = tmp_path / "ls-export.json"
    export.write_text(json.dumps(ls_export(tasks, answers)), encoding="utf-8")
    out = tmp_path / "corrections.jsonl"
    r = clausetag("import", export, "-o", out)
    assert r.returncode == 0, r.stderr
    assert "2 reviewed units (1 corrected), 2 tasks without an annotation skipped" in r.stdout
    rows = [json.loads(l) for l in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["id"], r["labels"], r["model_labels"]) for r in rows] == [
        ("policy-0000", ["collection_use"], ["collection_use"]), ("policy-0002", ["contact"], ["other"])]
    for row in rows:
        assert set(row) == set(COMMON + REVIEW) and row["reviewed"] is True and row["reviewer"] == "7"
        assert row["reviewed_at"] == "2026-12-06T17:05:00.000000Z" and row["section"] == "Your data"
    assert [u.labels for u in iter_jsonl_units(out)] == [["collection_use"], ["contact"]]


def test_label_studio_import_errors(exported_tasks, tmp_path):
    tasks, _ = exported_tasks
    good = ls_export(tasks, {0: ["contact"]})
    broken = [dict(good[0]), dict(good[0], data="x")]
    unknown = ls_export(tasks, {1: ["contact", "marketing"]})
    cases = {"notjson.json": ("{", "not valid JSON"), "object.json": ({"tasks": []}, "expected a list of tasks"),
             "nodata.json": (broken, "task 1: not a task with a data object"),
             "minimal.json": ([{"text": "a", "labels": "contact"}], "task 0: not a task with a data object (a JSON-MIN"),
             "unknown.json": (unknown, "task 1: label(s) not in taxonomy 'harmonized': marketing"),
             "empty.json": (ls_export(tasks, {}), "no annotated task (4 tasks without an annotation)")}
    for name, (content, message) in cases.items():
        path = tmp_path / name
        path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
        r = clausetag("import", path, "-o", tmp_path / "c.jsonl")
        assert r.returncode == 2 and f"{path}: " in r.stderr and message in r.stderr, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and not (tmp_path / "c.jsonl").exists()


def test_label_studio_sdk_accepts_the_tasks_and_reads_the_export_alike(exported_tasks, tmp_path):
    """Label Studio's own SDK parses the labeling config, validates the tasks and their predictions, and
    its converter reads the export to the same labels as `clausetag import`."""
    pytest.importorskip("label_studio_sdk", reason="label-studio-sdk is not installed (pip install -e '.[test]')")
    from label_studio_sdk.converter import Converter
    from label_studio_sdk.label_interface import LabelInterface

    tasks, config = exported_tasks
    li = LabelInterface(config)
    assert li.get_control("labels").labels == NAMES
    for t in tasks:
        assert li.validate_task({"data": t["data"]})
        assert li.validate_prediction(t["predictions"][0], return_errors=True) == []
    wrong = {"model_version": "x", "score": 0.5, "result": [dict(tasks[0]["predictions"][0]["result"][0],
                                                                 value={"choices": ["marketing"]})]}
    assert li.validate_prediction(wrong, return_errors=True) != []  # the check can fail
    answers = {0: ["collection_use", "third_party_sharing"], 1: ["contact"]}
    export = tmp_path / "ls-export.json"
    export.write_text(json.dumps(ls_export(tasks, answers)), encoding="utf-8")
    Converter(config=config, project_dir=str(tmp_path)).convert(str(export), str(tmp_path / "min"), "JSON_MIN",
                                                                  is_dir=False)
    (minimal,) = (tmp_path / "min").glob("*.json")
    theirs = {}
    for row in json.loads(minimal.read_text(encoding="utf-8")):
        if "labels" not in row:  # a task nobody annotated
            continue
        got = row["labels"]
        theirs[row["text"]] = sorted(got["choices"] if isinstance(got, dict) else [got])
    r = clausetag("import", export, "-o", tmp_path / "c.jsonl")
    assert r.returncode == 0, r.stderr
    ours = {row["text"]: sorted(row["labels"]) for row in map(json.loads, (tmp_path / "c.jsonl").read_text().splitlines())}
    assert ours == theirs == {UNITS[0][0]: ["collection_use", "third_party_sharing"], UNITS[1][0]: ["contact"]}


# --- corrections in evaluation and training --------------------------------------------------

def test_fixed_and_broken_units():
    from clausetag.reports.evaluation import fixed_and_broken

    gold = np.array([[1, 0], [0, 1], [1, 1], [0, 1]], dtype=bool)
    a = np.array([[1, 0], [1, 0], [1, 1], [0, 1]], dtype=bool)  # wrong on unit 1
    b = np.array([[1, 0], [0, 1], [1, 0], [0, 1]], dtype=bool)  # right on unit 1, wrong on unit 2
    found = fixed_and_broken(gold, a, b)
    assert found["fixed"] == [1] and found["broken"] == [2]
    assert found["decisions_fixed"] == [1, 1] and found["decisions_broken"] == [0, 1]
    assert fixed_and_broken(gold, a, a) == {"fixed": [], "broken": [], "decisions_fixed": [0, 0],
                                            "decisions_broken": [0, 0]}


CORRECTED = [("We collect your name and phone number to create your account.", ["collection_use"]),
             ("We share your location with advertising networks.", ["third_party_sharing"]),
             ("You may ask us to delete your personal data at any time.", ["user_rights"]),
             ("We store your data for five years after you close your account.", ["data_retention"]),
             ("We encrypt your data in transit and at rest.", ["data_security"]),
             ("Our service is not directed to children under 13.", ["specific_audiences"]),
             ("We will post any changes to this policy on this page.", ["policy_change"]),
             ("Write to privacy@example.com with any question.", ["contact"]),
             ("This policy was last updated in May.", ["policy_change"]),
             ("Cookies help us remember your preferences and show you ads from partners.",
              ["collection_use", "third_party_sharing"])]


@pytest.fixture
def corrections(tmp_path):
    path = tmp_path / "corrections.jsonl"
    rows = [{"id": f"c{i}", "doc": f"doc{i % 3}.txt", "lang": "en", "text": t, "section": None, "labels": labels,
             "reviewed": True, "model_labels": ["other"], "reviewer": "ana", "reviewed_at": "2026-12-06T17:00:00Z"}
            for i, (t, labels) in enumerate(CORRECTED)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.slow
def test_evaluate_on_corrections_and_compare(corrections, tmp_path):
    out = tmp_path / "ev"
    r = clausetag("evaluate", corrections, "-m", FAST, "--compare", ROOT / "models" / "default", "-o", out,
                  "--resamples", "50", "-q")
    assert r.returncode == 0, r.stderr
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["overall"]["units"] == len(CORRECTED) and metrics["gold"]["documents"] == 3
    preds = [json.loads(l) for l in (out / "predictions.jsonl").read_text(encoding="utf-8").splitlines()[1:]]
    right = {role: [sorted(p["predicted"][role]) == sorted(p["gold"]) for p in preds] for role in ("model", "compare")}
    fixed = [p["id"] for p, a, b in zip(preds, right["model"], right["compare"]) if b and not a]
    broken = [p["id"] for p, a, b in zip(preds, right["model"], right["compare"]) if a and not b]
    c = metrics["changes"]
    assert [u["id"] for u in c["fixed_units"]] == fixed and [u["id"] for u in c["broken_units"]] == broken
    assert (c["fixed"], c["broken"]) == (len(fixed), len(broken))
    assert f"default fixed {len(fixed)} and broke {len(broken)} of 10 units against fast" in r.stdout
    page = (out / "report.html").read_text(encoding="utf-8")
    assert f"<b id='fixed-count'>{len(fixed)}</b>" in page and "id='changes'" in page
    # the report is re-rendered from predictions.jsonl alike
    again = clausetag("evaluate", out / "predictions.jsonl", "--rerender", "-o", tmp_path / "ev2", "-q",
                      "--resamples", "50")
    assert again.returncode == 0, again.stderr
    assert json.loads((tmp_path / "ev2" / "metrics.json").read_text())["changes"] == c


def test_reviewed_units_are_a_weighted_training_source(corrections, tmp_path):
    from clausetag.train.config import load_config
    from clausetag.train.data import build_data

    config = tmp_path / "review.toml"
    config.write_text(f"""name = "from-corrections"
method = "finetune"
[[sources]]
spec = "jsonl:{corrections}"
weight = 3.0
[validation]
opp115 = ""
capp130_fraction = 0.0
""", encoding="utf-8")
    cfg = load_config(config, {"finetune.init_from": str(FAST)})
    assert cfg.finetune.init_from == str(FAST)
    data = build_data(cfg)
    assert len(data.train) == 3 * len(CORRECTED)
    assert sorted({u.id for u in data.train}) == sorted(f"c{i}" for i in range(len(CORRECTED)))
    by_id = {u.id: u.labels for u in data.train}
    assert by_id["c9"] == ["collection_use", "third_party_sharing"]
    (src,) = data.summary["sources"]
    assert src["weight"] == 3.0 and src["units_used"] == 3 * len(CORRECTED) and src["units_available"] == 10
