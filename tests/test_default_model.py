"""The shipped models (default, fast): they load, match their cards, and label unambiguous sentences right."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from clausetag.infer.labeler import Labeler
from clausetag.records import Unit

MODEL = Path(__file__).resolve().parents[1] / "models" / "default"
SHIPPED = ["default", "fast"]
pytestmark = pytest.mark.encoder

# Sentences from the seed policies (zh, cs) and plain English ones, each with its language and one
# obvious label.
CLEAR = [
    ("我们会通过以下方式收集您的手机号码、电子邮箱地址等个人信息,用于注册账号。", "zh", "collection_use"),
    ("我们不会与任何公司、组织和个人共享您的个人信息,但以下情况除外:", "zh", "third_party_sharing"),
    ("您可以通过以下方式访问、更正或删除您的个人信息。", "zh", "user_rights"),
    ("我们采用加密技术、匿名化处理等安全措施保护您的个人信息,防止数据泄露。", "zh", "data_security"),
    ("我们仅在实现本政策所述目的所必需的期限内保留您的个人信息,超出期限后将删除或匿名化处理。", "zh", "data_retention"),
    ("如您是未满14周岁的儿童,在使用我们的服务前,应事先取得您的父母或其他监护人的同意。", "zh", "specific_audiences"),
    ("我们可能会适时对本隐私政策进行修订,并在本页面发布更新后的版本。", "zh", "policy_change"),
    ("如您对本隐私政策有任何疑问,可以通过电子邮箱privacy@example.com与我们联系。", "zh", "contact"),
    ("Vaše osobní údaje můžeme sdílet s našimi obchodními partnery a poskytovateli služeb.", "cs", "third_party_sharing"),
    ("We use industry-standard encryption to protect your personal information.", "en", "data_security"),
    ("You may opt out of receiving marketing emails at any time by clicking unsubscribe.", "en", "user_rights"),
]


@pytest.fixture(scope="module", params=SHIPPED)
def shipped(request) -> Path:
    path = MODEL.parent / request.param
    if not (path / "model.json").exists():
        pytest.fail(f"the shipped model is missing at {path}")
    return path


@pytest.fixture(scope="module")
def labeler(shipped):
    return Labeler.load(shipped)


def test_model_directory_is_complete_and_small(shipped):
    info = json.loads((shipped / "model.json").read_text(encoding="utf-8"))
    # the default is fine-tuned; the fast model is distilled from it (train/configs/fast.toml)
    assert info["method"] == {"default": "finetune", "fast": "distill"}[shipped.name]
    assert info["taxonomy"]["name"] == "harmonized"
    assert set(info["thresholds"]) == {l["name"] for l in info["taxonomy"]["labels"]}
    assert info["encoder"]["fingerprint"] and info["training"]["data"]["sources"]
    assert (shipped / "README.md").exists() and (shipped / "config.toml").exists()
    assert sorted(info["blend"]["languages"]) == ["en", "zh"] and info["blend"]["per_language"]
    assert sorted(f.name for f in shipped.glob("tfidf*")) == ["tfidf-en.json.xz", "tfidf-en.safetensors.xz",
                                                               "tfidf-zh.json.xz", "tfidf-zh.safetensors.xz"]
    size = sum(f.stat().st_size for f in shipped.rglob("*") if f.is_file() and f.parent.name != "onnx")
    assert size <= 10 * 2**20


@pytest.mark.parametrize("text,lang,label", CLEAR, ids=[f"{i}-{l}" for i, (_, _, l) in enumerate(CLEAR)])
def test_clear_sentences_get_their_label(labeler, text, lang, label):
    (pred,) = labeler.label_units([Unit(id="u", doc="d", lang=lang, text=text)])
    assert label in pred.labels, (pred.labels, pred.scores)


def test_clauses_under_a_title_alone_get_their_labels(labeler):
    """A policy whose only heading is its title: its sentences are not taken for a preamble."""
    english = [(t, l) for t, lang, l in CLEAR if lang == "en"]
    preds = labeler.label_text("Privacy Policy\n\n" + "\n\n".join(t for t, _ in english), lang="en")
    assert [p.unit.text for p in preds[1:]] == [t for t, _ in english]
    for p, (_, label) in zip(preds[1:], english):
        assert label in p.labels and p.unit.section is None, (p.unit.text, p.labels)


HEADED_POLICY = """# Privacy Policy

## 1. Information we collect
We collect your name, e-mail address and device identifiers when you create an account.
We collect your location when you use the map.

## 2. How we share your information
We share your information with payment processors and advertising partners.

## Your rights
You can access, correct or delete your personal data at any time in the settings.

## 4. Contact us
If you have any questions about this privacy policy, please contact us at privacy@example.com.
"""


def test_headings_take_the_topic_of_their_section(labeler):
    """By default a heading gets what most of its section's sentences carry (GUIDELINES rule 1); the
    title keeps the model's label. Without the structure rules every label is the model's decision."""
    preds = labeler.label_text(HEADED_POLICY, lang="en")
    headings = {p.unit.text: (p.labels, p.basis) for p in preds if p.unit.heading}
    assert headings == {"Privacy Policy": (["other"], "model"),
                        "1. Information we collect": (["collection_use"], "section"),
                        "2. How we share your information": (["third_party_sharing"], "section"),
                        "Your rights": (["user_rights"], "section"), "4. Contact us": (["contact"], "section")}
    own = Labeler(labeler.model, structure=False).label_text(HEADED_POLICY, lang="en")
    assert [p.labels for p in own if not p.unit.heading] == [p.labels for p in preds if not p.unit.heading]
    assert all(p.basis == "model" for p in own)
    decided = labeler.model.decide(np.array([[p.scores[l] for l in labeler.labels] for p in own]), ["en"] * len(own))
    assert [p.labels for p in own] == [[l for l, d in zip(labeler.labels, row) if d] for row in decided]


def test_labels_are_deterministic(labeler):
    units = [Unit(id=str(i), doc="d", lang=lang, text=t) for i, (t, lang, _) in enumerate(CLEAR)]
    a = [p.scores for p in labeler.label_units(units)]
    b = [p.scores for p in labeler.label_units(list(reversed(units)))][::-1]
    for x, y in zip(a, b):
        assert max(abs(x[k] - y[k]) for k in x) < 1e-4


def test_a_document_without_any_clause_is_flagged(labeler, tmp_path):
    shell = tmp_path / "app.html"  # what a page that renders its policy with JavaScript leaves to read
    shell.write_text("<html><body><nav><a href='/'>Home</a> <a href='/app'>Download the app</a></nav>"
                     "<div id='root'></div><script>render()</script></body></html>", encoding="utf-8")
    policy = tmp_path / "policy.txt"
    policy.write_text("\n".join(t for t, _, _ in CLEAR), encoding="utf-8")
    empty, real = labeler.label_document(shell), labeler.label_document(policy)
    assert empty.ok and empty.predictions and {l for p in empty.predictions for l in p.labels} == {"other"}
    assert len(empty.warnings) == 1 and "app.html: no clause found" in empty.warnings[0]
    assert real.ok and real.warnings == []
    # the reader's view says so at the top of that document
    from clausetag.infer.html_view import render_html
    from clausetag.infer.labeler import prediction_record

    records = [prediction_record(p) for p in empty.predictions] + [empty.summary(labeler.labels)]
    page = render_html(records, labeler.labels, {})
    assert page.index("<p class='warn'>warning: ") < page.index("class='u'")
    import csv

    from clausetag.infer.output import to_csv

    rows = list(csv.DictReader(to_csv(records, labeler.labels).removeprefix("\ufeff").splitlines()))
    assert [(r["type"], r["doc"]) for r in rows][-1] == ("warning", "app.html")
    assert "no clause found" in rows[-1]["warning"] and rows[0]["type"] == "unit" and rows[0]["warning"] == ""


# Seed units (data/seeds ids) whose label is plain from the sentence itself. The default model saw the
# seeds in training, so this checks the shipped pipeline end to end, not generalisation.
OBVIOUS_SEED_UNITS = ["001_3a06f27cab6bc51d-0010", "001_3a06f27cab6bc51d-0106", "001_3a06f27cab6bc51d-0144",
                      "001_3a06f27cab6bc51d-0176", "001_3a06f27cab6bc51d-0197", "001_3a06f27cab6bc51d-0214",
                      "001_3a06f27cab6bc51d-0221", "002_ee9fa0c1da88b060-0040", "003_b7ec3afbff0be310-0047",
                      "003_b7ec3afbff0be310-0119", "004_55ffab5a0a8bdfc8-0073"]


@pytest.mark.seeds
@pytest.mark.slow
def test_cli_labels_the_seeds_with_the_default_model(seeds_dir, tmp_path):
    import subprocess
    import sys

    gold = {}
    for path in (MODEL.parents[1] / "data" / "seeds").glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            if r["id"] in OBVIOUS_SEED_UNITS:
                gold[(r["doc"], r["start"], r["end"])] = (r["id"], r["labels"][0])
    out = tmp_path / "labels.jsonl"
    r = subprocess.run([sys.executable, "-m", "clausetag.cli", "label", str(seeds_dir), "-o", str(out), "-q"],
                       capture_output=True, text=True, timeout=1200)  # no -m: the shipped default model
    assert r.returncode == 0, r.stderr
    recs = [json.loads(l) for l in out.read_text(encoding="utf-8").splitlines()]
    assert sum(x["type"] == "summary" and not x["errors"] and not x["warnings"] for x in recs) == 5
    found = {(x["doc"], x["start"], x["end"]): x for x in recs if x["type"] == "unit"}
    assert len(gold) == len(OBVIOUS_SEED_UNITS)
    misses = [(uid, label, found[key]["labels"]) for key, (uid, label) in gold.items()
              if label not in found[key]["labels"]]
    # A statistical model, so one miss in eleven is tolerated (an earlier, CPU-trained default missed the
    # Czech heading 003-0047 "5. Sdílení, přenos a zpřístupnění informací"; the shipped one gets all eleven).
    assert len(misses) <= 1, misses


OPP_CLEAR = [
    ("We use industry-standard SSL encryption to protect your personal information.", "Data Security"),
    ("We may share your information with third-party advertisers and analytics partners.",
     "Third Party Sharing/Collection"),
    ("If you have any questions about this privacy policy, please contact us at privacy@example.com.",
     "Privacy contact information"),
    ("We will notify you by email of any material changes to this privacy policy.", "Policy Change"),
]


def test_shipped_opp115_model_speaks_native_labels():
    """models/opp115 (the OPP-115 native protocol): 12 OPP-115 labels out, English TF-IDF part blended."""
    path = MODEL.parent / "opp115"
    info = json.loads((path / "model.json").read_text(encoding="utf-8"))
    assert info["taxonomy"]["name"] == "opp115" and len(info["thresholds"]) == 12
    assert info["blend"]["languages"] == ["en"] and (path / "tfidf.safetensors.xz").exists()
    labeler = Labeler.load(path)
    preds = labeler.label_units([Unit(id=str(i), doc="d", lang="en", text=t) for i, (t, _) in enumerate(OPP_CLEAR)])
    for pred, (text, label) in zip(preds, OPP_CLEAR):
        assert set(pred.labels) <= set(info["thresholds"]) and label in pred.labels, (text, pred.labels)
