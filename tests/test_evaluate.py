"""`clausetag evaluate`: the evaluation core against scikit-learn on a hand-made gold set (no model),
the written files, re-rendering, the report in a real browser, the CLI end to end and its errors."""

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, precision_recall_fscore_support

from browser import render, requires_chromium
from clausetag.reports.evaluation import (BootstrapConfig, cluster_counts, clusters_for, evaluate_arrays, resample_counts,
                                  resampled_metrics, reliability, top_errors)
from clausetag.reports.evaluation_run import GoldSet, ModelRun, read_predictions, write_evaluation
from clausetag.records import Unit

LABELS = ["collection_use", "third_party_sharing", "user_rights", "other"]
# (doc, lang, gold labels, scores in LABELS order); 12 units, 3 documents, 2 languages
UNITS = [
    ("d1", "zh", ["collection_use"], [0.90, 0.20, 0.10, 0.05]),
    ("d1", "zh", ["collection_use", "third_party_sharing"], [0.70, 0.40, 0.10, 0.05]),
    ("d1", "zh", ["other"], [0.30, 0.10, 0.10, 0.80]),
    ("d1", "zh", ["user_rights"], [0.20, 0.10, 0.45, 0.30]),
    ("d2", "zh", ["third_party_sharing"], [0.60, 0.80, 0.10, 0.10]),
    ("d2", "zh", ["collection_use"], [0.55, 0.30, 0.20, 0.10]),
    ("d2", "zh", ["other"], [0.10, 0.10, 0.20, 0.60]),
    ("d2", "zh", ["user_rights"], [0.10, 0.20, 0.90, 0.10]),
    ("d3", "cs", ["collection_use"], [0.35, 0.10, 0.10, 0.50]),
    ("d3", "cs", ["third_party_sharing"], [0.40, 0.65, 0.10, 0.10]),
    ("d3", "cs", ["user_rights", "collection_use"], [0.60, 0.10, 0.70, 0.10]),
    ("d3", "cs", ["other"], [0.20, 0.55, 0.10, 0.40]),
]
THRESHOLDS = np.array([0.5, 0.5, 0.5, 0.5])
CFG = BootstrapConfig(resamples=300, seed=1)


def arrays():
    gold = np.array([[l in u[2] for l in LABELS] for u in UNITS])
    scores = np.array([u[3] for u in UNITS])
    return gold, scores, scores >= THRESHOLDS, [u[0] for u in UNITS], [u[1] for u in UNITS]


def sk(gold, pred):
    """Reference numbers from scikit-learn, in percent."""
    p, r, f, s = precision_recall_fscore_support(gold, pred, average=None, zero_division=0)
    mp, mr, mf, _ = precision_recall_fscore_support(gold, pred, average="micro", zero_division=0)
    present = s > 0
    return {"per_label": {n: (100 * p[i], 100 * r[i], 100 * f[i], s[i]) for i, n in enumerate(LABELS)},
            "macro_f1": 100 * f[present].mean(), "macro_precision": 100 * p[present].mean(),
            "macro_recall": 100 * r[present].mean(), "micro_f1": 100 * mf, "micro_precision": 100 * mp,
            "micro_recall": 100 * mr}


def assert_matches(m: dict, ref: dict):
    for n, (p, r, f, s) in ref["per_label"].items():
        got = m["per_label"][n]
        assert got["precision"] == pytest.approx(p) and got["recall"] == pytest.approx(r)
        assert got["f1"] == pytest.approx(f) and got["support"] == s
    for k in ("macro_f1", "macro_precision", "macro_recall", "micro_f1", "micro_precision", "micro_recall"):
        assert m[k] == pytest.approx(ref[k]), k


def test_metrics_and_breakdowns_match_sklearn():
    gold, scores, pred, docs, langs = arrays()
    r = evaluate_arrays(gold, {"model": pred}, LABELS, docs, langs, {"model": scores}, {"model": THRESHOLDS}, CFG)
    assert_matches(r["overall"]["models"]["model"], sk(gold, pred))
    assert r["overall"]["resampled"] == "document" and r["overall"]["documents"] == 3
    for lang in ("zh", "cs"):
        idx = [i for i, l in enumerate(langs) if l == lang]
        assert_matches(r["by_language"][lang]["models"]["model"], sk(gold[idx], pred[idx]))
    assert r["by_language"]["zh"]["resampled"] == "document"  # two documents
    assert r["by_language"]["cs"]["resampled"] == "unit"  # one document: its units are resampled
    for doc in ("d1", "d2", "d3"):
        idx = [i for i, d in enumerate(docs) if d == doc]
        assert_matches(r["by_document"][doc]["models"]["model"], sk(gold[idx], pred[idx]))
        assert r["by_document"][doc]["units"] == 4
    # intervals: ordered and seeded (same seed → same numbers; another seed → other draws)
    m = r["overall"]["models"]["model"]
    for k, (lo, hi) in m["ci"].items():
        assert 0 <= lo <= hi <= 100, k
    again = evaluate_arrays(gold, {"model": pred}, LABELS, docs, langs, cfg=CFG)
    assert again["overall"]["models"]["model"]["ci"] == m["ci"]
    assert not np.array_equal(next(resample_counts(3, 50, seed=1)), next(resample_counts(3, 50, seed=2)))
    # charts' numbers
    assert np.array_equal(r["cooccurrence"]["model"], gold.astype(int).T @ pred.astype(int))
    for j, n in enumerate(LABELS):
        pr = r["precision_recall"]["model"][n]
        assert pr["average_precision"] == pytest.approx(100 * average_precision_score(gold[:, j], scores[:, j]))
        assert pr["precision_at_threshold"] == pytest.approx(m["per_label"][n]["precision"])
        assert pr["recall_at_threshold"] == pytest.approx(m["per_label"][n]["recall"])
    cal = r["calibration"]["model"]
    assert cal["pairs"] == 48 and sum(b["count"] for b in cal["bins"]) == 48
    assert cal["brier"] == pytest.approx(np.mean((scores - gold) ** 2))
    ece = sum(b["count"] * abs(b["fraction_gold"] - b["mean_score"]) for b in cal["bins"] if b["count"]) / 48
    assert cal["ece"] == pytest.approx(ece)


def test_document_bootstrap_matches_weighted_sklearn():
    """Each resample equals scikit-learn on the units weighted by how often their document was drawn."""
    gold, _, pred, docs, _ = arrays()
    clusters, unit = clusters_for(docs, len(docs))
    assert unit == "document" and clusters.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    weights = next(resample_counts(3, 20, seed=5))
    got = resampled_metrics(cluster_counts(gold, pred, clusters), weights)
    for r, w in enumerate(weights):
        sw = w[clusters]
        p, rec, f, s = precision_recall_fscore_support(gold, pred, average=None, zero_division=0, sample_weight=sw)
        _, _, mf, _ = precision_recall_fscore_support(gold, pred, average="micro", zero_division=0, sample_weight=sw)
        assert got["micro_f1"][r] == pytest.approx(mf)
        assert got["macro_f1"][r] == pytest.approx(f[s > 0].mean())
        for j in range(len(LABELS)):
            if s[j] > 0:
                assert got["recall"][r, j] == pytest.approx(rec[j])
                assert got["f1"][r, j] == pytest.approx(f[j])
            else:  # undefined in this resample: left out of the interval
                assert np.isnan(got["recall"][r, j])


def test_top_errors_and_reliability_bins():
    gold, scores, pred, _, _ = arrays()
    errs = top_errors(gold, pred, scores, LABELS, k=5)
    fp = errs["collection_use"]["false_positive"]  # unit 5 (0.60) is the only false positive
    assert fp == [4]
    assert errs["collection_use"]["false_negative"] == [8]  # 0.35
    assert errs["third_party_sharing"]["false_negative"] == [1]
    assert errs["other"]["false_negative"] == [11]
    rel = reliability(np.array([[1], [0], [1], [0]]), np.array([[0.95], [0.05], [0.55], [0.52]]), bins=10)
    b5 = rel["bins"][5]
    assert b5["count"] == 2 and b5["fraction_gold"] == 0.5 and b5["mean_score"] == pytest.approx(0.535)


def flat(d, prefix=""):
    """Nested dicts and lists as one {path: value} dict (for approximate comparison)."""
    items = d.items() if isinstance(d, dict) else enumerate(d) if isinstance(d, list) else None
    if items is None:
        return {prefix: d}
    out = {}
    for k, v in items:
        out.update(flat(v, f"{prefix}/{k}"))
    return out


def _meta(name: str, thresholds) -> dict:
    return {"path": f"/models/{name}", "name": name, "method": "test", "taxonomy": "harmonized", "labels": LABELS,
            "thresholds": dict(zip(LABELS, map(float, thresholds))), "encoder": None, "encoder_fingerprint_16": None,
            "config_name": name, "config_sha256_16": "0123456789abcdef", "seed": 0, "created": "today",
            "train_units": 0, "training_sources": [{"spec": "jsonl:x", "weight": 1.0, "units_used": 1, "docs": 1,
                                                    "sha256_16": "fedcba9876543210"}], "model_json_sha256": "0" * 64}


def _gold_set() -> GoldSet:
    units = [Unit(id=f"u{i}", doc=d, lang=l, text=f"Sentence {i} <b>&amp;</b>", labels=g, section="§ 1")
             for i, (d, l, g, _) in enumerate(UNITS)]
    prov = {"spec": "hand-made", "kind": "files", "files": [{"path": "gold.jsonl", "sha256": "a" * 64}],
            "sha256": "a" * 64, "sha256_of": "files", "units_sha256": "b" * 64, "units": 12, "documents": 3,
            "languages": {"zh": 8, "cs": 4}, "native_taxonomy": "harmonized", "mapped_to": "harmonized"}
    return GoldSet("hand-made", units, prov)


def clausetag(*args):
    return subprocess.run([sys.executable, "-m", "clausetag.cli", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"}, timeout=600)


def invoke(*args):
    """The CLI in-process (fast: no interpreter start, torch already imported)."""
    from typer.testing import CliRunner

    from clausetag.cli import app

    r = CliRunner().invoke(app, list(map(str, args)))
    return subprocess.CompletedProcess(args, r.exit_code, r.stdout, r.stderr)


def assert_one_line_error(r, *words):
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert r.stderr.startswith("clausetag: error:")
    for w in words:
        assert w in r.stderr


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """A two-model evaluation of the hand-made set written to disk, without any model."""
    gold, scores, pred, _, _ = arrays()
    other = np.clip(scores[:, ::-1] * 0.5 + scores * 0.6, 0, 1)  # a second, different "model"
    runs = [ModelRun("model", _meta("alpha", THRESHOLDS), scores, pred),
            ModelRun("compare", _meta("beta", THRESHOLDS), other, other >= THRESHOLDS)]
    out = tmp_path_factory.mktemp("evaluation")
    metrics = write_evaluation(out, _gold_set(), runs, LABELS, CFG)
    return out, metrics, gold, runs


def test_written_files_and_rerender(written, tmp_path):
    out, metrics, gold, runs = written
    saved = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert saved["gold"]["sha256"] == "a" * 64 and saved["models"]["model"]["config_sha256_16"] == "0123456789abcdef"
    a, b = saved["overall"]["models"]["model"], saved["overall"]["models"]["compare"]
    assert_matches(a, sk(gold, runs[0].pred))
    assert_matches(b, sk(gold, runs[1].pred))
    diff = saved["overall"]["difference"]
    for n in LABELS:
        assert diff["per_label"][n]["f1"] == pytest.approx(a["per_label"][n]["f1"] - b["per_label"][n]["f1"])
        lo, hi = diff["per_label"][n]["ci"]["f1"]
        assert lo <= hi
    assert diff["macro_f1"] == pytest.approx(a["macro_f1"] - b["macro_f1"])
    lines = (out / "predictions.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 13 and json.loads(lines[1])["predicted"]["model"] == ["collection_use"]
    # re-render from predictions.jsonl alone: the same numbers
    r = clausetag("evaluate", out / "predictions.jsonl", "--rerender", "-o", tmp_path / "again", "--resamples", 300,
                  "--seed", 1)
    assert r.returncode == 0, r.stderr
    again = json.loads((tmp_path / "again" / "metrics.json").read_text(encoding="utf-8"))
    for key in ("overall", "by_language", "by_document", "cooccurrence", "calibration", "precision_recall"):
        assert flat(again[key]) == pytest.approx(flat(saved[key])), key
    assert (tmp_path / "again" / "report.html").stat().st_size > 1_000_000


@requires_chromium
def test_report_renders_in_chromium(written):
    out, *_ = written
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script src=" not in html and "<link " not in html  # everything inline
    probe = """
    const t=document.getElementById('per-label');t.tHead.rows[0].cells[5].click();
    document.body.dataset.firstLabel=t.tBodies[0].rows[0].cells[0].textContent;
    const f=document.querySelector('.filters[data-target=errors]');const s=f.querySelector('select[data-key=label]');
    s.value='other';s.dispatchEvent(new Event('input'));
    document.body.dataset.errorRows=[...document.getElementById('errors').tBodies[0].rows].filter(r=>!r.hidden).length;
    """
    page = render(out / "report.html", probe, screenshot="evaluate-report.png")
    assert page.console == []
    dom = page.dom
    assert dom.count('class="main-svg"') >= 14  # plotly drew every chart (two SVG layers per chart)
    for chart_id in ("chart-label-f1", "chart-difference", "chart-groups", "chart-cooccurrence", "chart-reliability",
                     "chart-pr"):
        assert f'id="{chart_id}"' in dom and "plot-container" in dom
    for table_id in ("summary", "per-label", "by-language", "by-document", "errors", "gold-files"):
        assert f'<table id="{table_id}"' in dom
    per_label = written[1]["overall"]["models"]["model"]["per_label"]
    first = dom.split('data-first-label="')[1].split('"')[0]  # sorted by F1 of model A, ascending
    assert per_label[first]["f1"] == min(m["f1"] for m in per_label.values())
    shown = int(dom.split('data-error-rows="')[1].split('"')[0])  # the label filter kept the `other` rows only
    assert shown == dom.count('data-label="other"') > 0 and shown < dom.count("<tr data-model=")
    assert "Sentence 1 &lt;b&gt;&amp;amp;" in dom  # unit text escaped
    assert "0123456789abcdef" in dom and "a" * 64 in dom  # provenance


def _fake_model_dir(path: Path) -> Path:
    from clausetag.modeldir import ModelInfo
    from clausetag.taxonomy import load_taxonomy

    tax = load_taxonomy("harmonized")
    path.mkdir()
    info = ModelInfo(method="tfidf", taxonomy=tax.to_dict(), thresholds={n: 0.5 for n in tax.names})
    (path / "model.json").write_text(json.dumps(asdict(info)), encoding="utf-8")
    return path


def test_cli_errors_are_one_line(tmp_path):
    model = _fake_model_dir(tmp_path / "model")
    assert_one_line_error(invoke("evaluate", tmp_path / "nope.jsonl", "-m", model), "nope.jsonl", "no such file")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "1", "doc": "d", "lang": "en", "text": "x", "labels": ["collection_use"]}\nnot json\n')
    assert_one_line_error(invoke("evaluate", bad, "-m", model), "bad.jsonl:2")
    unknown = tmp_path / "unknown.jsonl"
    unknown.write_text('{"id": "1", "doc": "d", "lang": "en", "text": "x", "labels": ["nonsense"]}\n')
    assert_one_line_error(invoke("evaluate", unknown, "-m", model), "unknown.jsonl:1", "nonsense")
    assert_one_line_error(invoke("evaluate", bad, "-m", tmp_path / "no-model"), "no-model")
    assert_one_line_error(invoke("evaluate", bad, "--rerender"), "bad.jsonl")
    assert_one_line_error(invoke("evaluate", "capp130:zh:validation", "-m", model), "capp130:zh:validation",
                          "held out no CAPP-130 policies")


@pytest.mark.corpora
def test_capp130_validation_spec_keeps_only_the_held_out_policies(corpora_root):
    from clausetag.reports.evaluation_run import load_gold
    from clausetag.taxonomy import load_taxonomy

    gold = load_gold("capp130:zh:validation", load_taxonomy("harmonized"), corpora_root, ["rw_10", "rw_100"])
    assert {u.doc for u in gold.units} == {"rw_10", "rw_100"}
    assert sum(u.section is not None for u in gold.units) > len(gold.units) / 2  # headings carried, as in training
    everything = load_gold("capp130:zh", load_taxonomy("harmonized"), corpora_root)
    assert len({u.doc for u in everything.units}) == 104


@pytest.mark.slow
def test_cli_end_to_end_on_seed_subset(tiny_model, tmp_path):
    seeds = Path(__file__).resolve().parents[1] / "data" / "seeds"
    gold = tmp_path / "gold"
    gold.mkdir()
    for name in ("000_7b5a3971007343a4.jsonl", "003_b7ec3afbff0be310.jsonl"):
        lines = (seeds / name).read_text(encoding="utf-8").splitlines()[:20]
        (gold / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    r = clausetag("evaluate", gold, "-m", tiny_model, "--compare", tiny_model, "-o", out, "--resamples", 100, "-q")
    assert r.returncode == 0, r.stderr
    assert "macro-F1" in r.stdout and str(out / "report.html") in r.stdout
    m = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert m["gold"]["units"] == 40 and m["gold"]["documents"] == 2 and set(m["by_language"]) == {"zh", "cs"}
    listing = "".join(f"{hashlib.sha256((gold / n).read_bytes()).hexdigest()}  {n}\n" for n in sorted(os.listdir(gold)))
    assert m["gold"]["sha256"] == hashlib.sha256(listing.encode()).hexdigest()
    info = json.loads((tiny_model / "model.json").read_text(encoding="utf-8"))
    assert m["models"]["model"]["config_sha256_16"] == info["training"]["config_sha256_16"]
    assert m["models"]["model"]["training_sources"][0]["spec"] == "jsonl:data/seeds"
    # the same model twice: identical numbers, zero differences
    assert m["overall"]["models"]["model"] == m["overall"]["models"]["compare"]
    assert all(d["f1"] == 0 for d in m["overall"]["difference"]["per_label"].values())
    preds = (out / "predictions.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(preds) == 41 and set(json.loads(preds[1])["scores"]) == {"model", "compare"}
    # seed 000 trains the tiny model and 003 is held out (tests/data/tiny_seeds.toml): the report says so
    assert m["models"]["model"]["training_overlap"] == {
        "checked": True, "units": 40, "units_seen": 20, "documents": 2,
        "documents_mostly_seen": ["000_7b5a3971007343a4.txt"]}
    assert "Not held out." in (out / "report.html").read_text(encoding="utf-8")


def test_saved_overrides_are_read_back_in_both_formats():
    from clausetag.train.config import load_config
    from clausetag.training_overlap import saved_overrides

    cfg = load_config(Path(__file__).parent / "data" / "tiny_seeds.toml",
                      {"validation.holdout_docs": ["a.txt", "b.txt"], "finetune.max_minutes": "0"})
    assert saved_overrides(cfg.text) == {"validation.holdout_docs": ["a.txt", "b.txt"], "finetune.max_minutes": "0"}
    legacy = "seed = 1\n# overrides: finetune.init_from=/x/y, finetune.max_minutes=0\n"
    assert saved_overrides(legacy) == {"finetune.init_from": "/x/y", "finetune.max_minutes": "0"}
    assert saved_overrides("seed = 1\n") == {}


def test_per_language_thresholds_reach_the_report(tmp_path):
    """A model with its own Chinese row: each unit's operating point uses its language's row, the
    per-label table shows the range, the provenance block lists the row, and re-rendering keeps them."""
    gold, scores, pred, _, _ = arrays()
    meta = _meta("alpha", THRESHOLDS)
    meta["thresholds_by_language"] = {"zh": {**meta["thresholds"], "collection_use": 0.8}}
    run = ModelRun("model", meta, scores, pred)
    langs = [u.lang for u in _gold_set().units]
    rows = run.thresholds(LABELS, langs)
    assert [r[0] for r in rows] == pytest.approx([0.8 if lang == "zh" else 0.5 for lang in langs])
    metrics = write_evaluation(tmp_path, _gold_set(), [run], LABELS, CFG)
    entry = metrics["precision_recall"]["model"]["collection_use"]
    assert entry["threshold"] is None and entry["threshold_range"] == pytest.approx([0.5, 0.8])
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "0.50–0.80 (per language)" in html and "thresholds, zh" in html
    _, again, _ = read_predictions(tmp_path / "predictions.jsonl")
    assert again[0].meta["thresholds_by_language"]["zh"]["collection_use"] == 0.8


def test_overlap_of_a_changed_annotated_folder_is_approximate_and_says_so(tiny_model, tmp_path):
    """The project's annotated folders change after training (re-annotation, a reader fix that restores a
    heading): their units are then taken as they are now, and the check says it is approximate."""
    import shutil

    from clausetag.corpora import read_jsonl
    from clausetag.training_overlap import describe, overlap

    gold = read_jsonl(Path(__file__).parents[1] / "data" / "seeds" / "003_b7ec3afbff0be310.jsonl").units
    exact = overlap(tiny_model, gold)
    assert exact["checked"] is True and "changed_since_training" not in exact
    changed = tmp_path / "model"
    shutil.copytree(tiny_model, changed)
    info = json.loads((changed / "model.json").read_text(encoding="utf-8"))
    info["training"]["data"]["sources"][0]["sha256_16"] = "0123456789abcdef"  # as if trained on other data
    (changed / "model.json").write_text(json.dumps(info), encoding="utf-8")
    result = overlap(changed, gold)
    assert result["checked"] is True and result["changed_since_training"] == ["jsonl:data/seeds"]
    assert result["units_seen"] == exact["units_seen"]
    assert "approximate: jsonl:data/seeds changed since training" in describe(result, "tiny")


@pytest.mark.corpora
def test_overlap_is_not_claimed_when_a_public_corpus_has_changed_since_training(tiny_model, tmp_path,
                                                                                corpora_root):
    """A corpus folder with documents added since training (say, its test part) would pass them off as
    training units; the recorded hash of each source's training units tells, and the check says so."""
    import shutil

    from clausetag.corpora import read_jsonl
    from clausetag.training_overlap import overlap

    gold = read_jsonl(Path(__file__).parents[1] / "data" / "seeds" / "003_b7ec3afbff0be310.jsonl").units
    changed = tmp_path / "model"
    shutil.copytree(tiny_model, changed)
    config = changed / "config.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "[[sources]]", '[[sources]]\nspec = "capp130:zh"\nweight = 1.0\n\n[[sources]]', 1), encoding="utf-8")
    info = json.loads((changed / "model.json").read_text(encoding="utf-8"))
    info["training"]["data"]["sources"].append({"spec": "capp130:zh", "sha256_16": "0123456789abcdef"})
    (changed / "model.json").write_text(json.dumps(info), encoding="utf-8")
    result = overlap(changed, gold, corpora_root)
    assert result["checked"] is False
    assert "capp130:zh is not the data the model was trained on" in result["reason"]
    assert "0123456789abcdef" in result["reason"]


def test_a_reviewers_corrected_label_output_is_gold(tmp_path):
    """`clausetag label` output, JSONL or CSV, with its labels corrected, reads as gold or training data:
    its summary, error and warning records are skipped, CSV labels are split on ';'."""
    from clausetag.corpora import CorpusError, read_jsonl
    from clausetag.reports.evaluation_run import load_gold
    from clausetag.infer.output import to_csv
    from clausetag.taxonomy import load_taxonomy

    names = load_taxonomy("harmonized").names
    unit = lambda i, text, labels: {  # noqa: E731 - a unit record as `label` writes it
        "type": "unit", "doc": "p.html", "id": f"p.html#{i:05d}", "start": 10 * i, "end": 10 * i + len(text),
        "lang": "en", "section": "Sharing" if i else None, "text": text, "labels": labels,
        "scores": {n: 0.5 for n in names}}
    records = [unit(0, "Sharing", ["other"]), unit(1, "We share data\nwith partners.", ["third_party_sharing", "contact"]),
               {"type": "summary", "doc": "p.html", "path": "/in/p.html", "units": 2, "languages": ["en"],
                "label_counts": {}, "errors": [], "warnings": ["/in/p.html: a warning"]},
               {"type": "error", "doc": "q.pdf", "path": "/in/q.pdf", "error": "/in/q.pdf: no text layer"},
               {"type": "summary", "doc": "q.pdf", "path": "/in/q.pdf", "units": 0, "languages": [], "label_counts": {},
                "errors": ["/in/q.pdf: no text layer"], "warnings": []}]
    as_jsonl, as_csv = tmp_path / "labels.jsonl", tmp_path / "labels.csv"
    as_jsonl.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    as_csv.write_text(to_csv(records, names), encoding="utf-8")
    for path in (as_jsonl, as_csv):
        units = read_jsonl(path).units
        assert [(u.id, u.doc, u.lang, u.section, u.start, u.text, u.labels) for u in units] == [
            ("p.html#00000", "p.html", "en", None, 0, "Sharing", ["other"]),
            ("p.html#00001", "p.html", "en", "Sharing", 10, "We share data\nwith partners.",
             ["third_party_sharing", "contact"])], path.name
        gold = load_gold(str(path), load_taxonomy("harmonized"))
        assert gold.provenance["units"] == 2 and gold.provenance["files"][0]["path"] == path.name
    corrected = tmp_path / "corrected.csv"
    corrected.write_text("text,labels\nWe keep data for a year.,data_retention; retention_period\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"corrected.csv:2: label\(s\) not in taxonomy 'harmonized': \['retention_period'\]"):
        read_jsonl(corrected)
    corrected.write_text("sentence,labels\nWe keep data.,data_retention\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="corrected.csv: the CSV's header row lacks the column"):
        read_jsonl(corrected)
    corrected.write_text("text,labels\nWe keep your data for one year after you leave.,data_retention\n", encoding="utf-8")
    (u,) = read_jsonl(corrected).units  # without id, doc and lang columns: the file's name and the detected language
    assert (u.id, u.doc, u.lang, u.labels) == ("corrected.csv#2", "corrected.csv", "en", ["data_retention"])


def test_gold_in_the_corpora_own_formats(tmp_path):
    """A CAPP-130 policy file (Chinese or its English translation) and an OPP-115 CSV, as their releases
    give them (a held-back test part, say), are gold as they are; one format at a time."""
    from clausetag.corpora import CorpusError
    from clausetag.reports.evaluation_run import EvaluationError, load_gold
    from clausetag.taxonomy import load_taxonomy

    tax = load_taxonomy("harmonized")
    capp = tmp_path / "capp"
    capp.mkdir()
    records = [("rw_7", 1, "三、我们如何共享您的个人信息", []),
               ("rw_7", 2, "我们会与关联公司共享您的设备信息。", ["共享、委托、转让、公开（披露）", "摘要", "错别字"]),
               ("rw_7", 3, "我们采用加密技术保护您的个人信息。", ["安全措施"])]
    (capp / "rw_7.jsonl").write_text("".join(json.dumps({"task": f"{d}.jsonl", "id": i, "text": t, "label": l,
                                                         "rewrite": []}, ensure_ascii=False) + "\n"
                                             for d, i, t, l in records), encoding="utf-8")
    gold = load_gold(str(capp), tax)
    assert [(u.id, u.doc, u.lang, u.labels) for u in gold.units] == [
        ("capp130/zh/rw_7/1", "rw_7", "zh", ["other"]),
        ("capp130/zh/rw_7/2", "rw_7", "zh", ["third_party_sharing"]),  # the attribute 摘要 and the noise dropped
        ("capp130/zh/rw_7/3", "rw_7", "zh", ["data_security"])]
    assert gold.units[2].section == "三、我们如何共享您的个人信息"  # headings carried, as from the corpus folder
    assert gold.provenance["native_taxonomy"] == "capp130"
    english = tmp_path / "rw_7_en.jsonl"
    english.write_text(json.dumps({"task": "rw_7.jsonl", "id": 2, "text": "We share your device information with "
                                   "affiliates.", "label": ["共享、委托、转让、公开（披露）"]}) + "\n", encoding="utf-8")
    (u,) = load_gold(str(english), tax).units
    assert (u.lang, u.labels) == ("en", ["third_party_sharing"])

    opp = tmp_path / "test.csv"
    opp.write_text('"We share your email with advertisers.",Third Party Sharing/Collection\n'
                   '"We share your email with advertisers.",First Party Collection/Use\n'
                   '"You may opt out at any time.",User Choice/Control\n#NAME?,Other\n', encoding="utf-8")
    gold = load_gold(str(opp), tax)
    assert [(u.id, u.doc, u.labels) for u in gold.units] == [
        ("opp115/test/00000", "opp115-test", ["collection_use", "third_party_sharing"]),
        ("opp115/test/00001", "opp115-test", ["user_rights"])]

    (capp / "mine.jsonl").write_text(json.dumps({"id": "1", "doc": "d", "lang": "en", "text": "x",
                                                 "labels": ["other"]}) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"different formats \(rw_7.jsonl \(capp130\), mine.jsonl \(common\)\)"):
        load_gold(str(capp), tax)
    (capp / "mine.jsonl").unlink()
    (capp / "rw_9.jsonl").write_text(json.dumps({"task": "rw_9.jsonl", "text": "无编号", "label": []},
                                                ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="rw_9.jsonl:1: a CAPP-130 record without an id"):
        load_gold(str(capp), tax)
    with pytest.raises(EvaluationError, match="capp130:zh:test: unknown corpus spec"):
        load_gold("capp130:zh:test", tax)
    with pytest.raises(EvaluationError, match="does not record which CAPP-130 policies it trained on"):
        load_gold("capp130:zh:unseen", tax, None, ["rw_8"], None)


@pytest.mark.corpora
def test_a_test_part_added_to_the_corpus_folder_is_unseen_and_checked_exactly(corpora_root, tmp_path):
    """With held-back policies put into the CAPP-130 folder, `capp130:zh:unseen` is those alone, and the
    training-overlap check still rebuilds the shipped model's training units exactly (from the documents
    the model recorded) instead of giving up on the changed folder."""
    from clausetag.reports.evaluation_run import load_gold
    from clausetag.modeldir import read_info
    from clausetag.taxonomy import load_taxonomy
    from clausetag.training_overlap import overlap

    model = Path(__file__).resolve().parents[1] / "models" / "default"
    info = read_info(model)
    assert len(info.capp130_seen_docs) == 104  # 88 trained on, 16 validation, in either language
    root = tmp_path / "corpora"
    for sub in ("annotation", "translation_en"):
        (root / "capp130" / sub).mkdir(parents=True)
        for f in (corpora_root / "capp130" / sub).glob("rw_*.jsonl"):
            (root / "capp130" / sub / f.name).symlink_to(f)
    (root / "opp115").symlink_to(corpora_root / "opp115")
    trained = json.loads((corpora_root / "capp130" / "annotation" / "rw_2.jsonl").read_text(encoding="utf-8")
                         .splitlines()[5])["text"]
    new = [{"task": "rw_1.jsonl", "id": 1, "text": trained, "label": []},
           {"task": "rw_1.jsonl", "id": 2, "text": "本应用不会向第三方出售您的个人信息。", "label": ["共享、委托、转让、公开（披露）"]}]
    (root / "capp130" / "annotation" / "rw_1.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in new), encoding="utf-8")
    gold = load_gold("capp130:zh:unseen", load_taxonomy("harmonized"), root, info.capp130_validation_docs,
                     info.capp130_seen_docs)
    assert {u.doc for u in gold.units} == {"rw_1"} and len(gold.units) == 2
    result = overlap(model, gold.units, root)
    assert result["checked"] is True, result
    assert result["units_seen"] == 1  # the sentence copied from training policy rw_2, not the new one


@pytest.mark.slow
def test_evaluate_labels_headings_as_label_does(tiny_model, tmp_path):
    """A label output used as gold marks its headings; evaluate then decides them as label did: from their
    sections by default, the model's own with --no-structure."""
    policy = tmp_path / "policy.md"
    policy.write_text("# Privacy Policy\n\n## 1. Information we collect\nWe collect your e-mail address.\n"
                      "We collect your name.\n\n## 2. Contact\nWrite to privacy@example.com.\n", encoding="utf-8")
    written = {}
    for mode in ("structure", "no-structure"):
        out = tmp_path / f"{mode}.jsonl"
        r = clausetag("label", policy, "-m", tiny_model, "-o", out, "-q", f"--{mode}")
        assert r.returncode == 0, r.stderr
        written[mode] = [json.loads(l) for l in out.read_text(encoding="utf-8").splitlines()]
    units = [x for x in written["structure"] if x["type"] == "unit"]
    assert [x["heading"] for x in units] == [True, True, False, False, True, False]
    assert any(x["basis"] == "section" for x in units)  # else both ways would agree and the test say nothing
    for mode in ("structure", "no-structure"):
        r = clausetag("evaluate", tmp_path / "structure.jsonl", "-m", tiny_model, "-o", tmp_path / f"ev-{mode}",
                      "--resamples", 20, f"--{mode}")
        assert r.returncode == 0, r.stderr
        assert ("the gold set marks 3 headings: headings and list items are decided" in r.stderr) == (mode == "structure")
        predicted = [json.loads(l)["predicted"]["model"] for l in
                     (tmp_path / f"ev-{mode}" / "predictions.jsonl").read_text(encoding="utf-8").splitlines()[1:]]
        assert predicted == [x["labels"] for x in written[mode] if x["type"] == "unit"]
