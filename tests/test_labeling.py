"""Inference end to end: the CLI on the seeds, bad inputs, --resume, pre-segmented JSONL, formats."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow


def clausetag(*args, cwd=None, stdin=None):
    return subprocess.run([sys.executable, "-m", "clausetag.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, "HF_HUB_OFFLINE": "1"}, timeout=900, input=stdin)


def records(path):
    return [json.loads(l) for l in Path(path).read_text(encoding="utf-8").splitlines() if l.strip()]


def test_label_seeds_end_to_end(tiny_model, seeds_dir, tmp_path):
    out = tmp_path / "seeds.jsonl"
    r = clausetag("label", seeds_dir, "-m", tiny_model, "-o", out, "--quiet")
    assert r.returncode == 0, r.stderr
    recs = records(out)
    summaries = [x for x in recs if x["type"] == "summary"]
    assert len(summaries) == 5 and all(not s["errors"] for s in summaries)
    units = [x for x in recs if x["type"] == "unit"]
    for u in units:
        assert set(u) >= {"doc", "id", "start", "end", "lang", "section", "text", "labels", "scores"}
        assert u["labels"] and len(u["scores"]) == 9
    by_doc = {}
    for u in units:
        by_doc.setdefault(u["doc"], []).append(u)
    for doc, us in by_doc.items():
        text = (seeds_dir / doc).read_text(encoding="utf-8")
        assert all(text[u["start"]:u["end"]] == u["text"] for u in us)
    langs = {s["doc"]: s["languages"][0] for s in summaries}
    assert langs["003_b7ec3afbff0be310.txt"] == "cs"
    assert langs["001_3a06f27cab6bc51d.txt"] == "zh"


def _bad_inputs(folder: Path) -> dict[str, str]:
    """Each bad input with a word its error must contain."""
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (folder / "undecodable.md").write_bytes(b"\xff\xfe" + b"\x00\xd8" * 3)
    (folder / "notext.pdf").write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    (folder / "huge.txt").write_bytes(b"We collect data. " * (3 * 1024 * 1024))  # ~50 MB
    (folder / "moved.html").symlink_to(folder / "gone.html")
    return {"empty.txt": "empty", "binary.txt": "binary", "undecodable.md": "undecodable", "notext.pdf": "PDF",
            "huge.txt": "MB", "moved.html": "broken link", "missing.txt": "no such file"}


def test_bad_inputs_are_reported_and_the_batch_goes_on(tiny_model, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    expected = _bad_inputs(folder)
    (folder / "broken.html").write_text("<html><body><div><p>We collect your e-mail.<p>We share it <b>with "
                                        "partners", encoding="utf-8")
    (folder / "oneline.txt").write_text("我们收集信息并与合作伙伴共享" * 7200, encoding="utf-8")  # 100,800 chars
    (folder / "mixed.txt").write_text("我们会收集您的邮箱 📧。We share data with partners 🤝. Sdílíme údaje. ✨",
                                      encoding="utf-8")
    (folder / "gbk.txt").write_bytes("我们会收集您的手机号码,用于注册账号和身份验证。".encode("gb18030"))
    (folder / "stray.txt").write_bytes("我们会收集您的手机号码。".encode() + b"\x92" + "我们不会出售您的信息。".encode())
    out = tmp_path / "out.jsonl"
    r = clausetag("label", folder, folder / "missing.txt", "-m", tiny_model, "-o", out, "--quiet")
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    recs = records(out)
    errors = {Path(x["path"]).name: x["error"] for x in recs if x["type"] == "error"}
    for name, word in expected.items():
        assert word in errors[name], errors.get(name)
        assert name in errors[name]
        assert any(name in line and word in line for line in r.stderr.splitlines())
    summaries = {x["doc"]: x for x in recs if x["type"] == "summary"}
    assert len(summaries) == 12  # documents in = labeled + errors
    for name in ("broken.html", "oneline.txt", "mixed.txt", "gbk.txt", "stray.txt"):
        assert not summaries[name]["errors"] and summaries[name]["units"] > 0
    assert summaries["oneline.txt"]["units"] >= 67  # cut into units of at most 1,500 characters
    # a stray byte in UTF-8 text: read, with a warning that names the file, in its summary and on stderr
    stray = [w for w in summaries["stray.txt"]["warnings"] if "invalid UTF-8" in w]
    assert stray and "stray.txt" in stray[0] and f"warning: {stray[0]}" in r.stderr
    assert "7 failed" in r.stderr and "5 labeled" in r.stderr


def test_folder_runs_leave_out_their_output_and_name_unsupported_files(tiny_model, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "policy.txt").write_text("We collect your e-mail address. We share it with partners.", encoding="utf-8")
    (folder / "policy.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64)  # old binary Word
    out = folder / "labels.jsonl"
    for _ in range(2):  # the second run must not read the first run's output as an input
        r = clausetag("label", folder, "-m", tiny_model, "-o", out)
        assert r.returncode == 0, r.stderr
        assert "1 document: 1 labeled, 0 failed" in r.stderr
        assert "policy.doc" in r.stderr and "not a supported type (.doc)" in r.stderr
    units = [x for x in records(out) if x["type"] == "unit"]
    # a file named on the command line is read whatever its suffix; a binary one says why it failed
    again = tmp_path / "again.jsonl"
    r = clausetag("label", out, folder / "policy.doc", "-m", tiny_model, "-o", again, "-q")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "policy.doc: unsupported file type .doc" in r.stderr
    relabeled = [x for x in records(again) if x["type"] == "unit"]  # an earlier output's units, labeled again
    assert [(x["id"], x["text"]) for x in relabeled] == [(x["id"], x["text"]) for x in units]


def test_standard_input_is_read_and_unwrapped(tiny_model, seeds_dir, tmp_path):
    import textwrap

    policy = (seeds_dir / "003_b7ec3afbff0be310.txt").read_text(encoding="utf-8")
    wrapped = "\n".join(textwrap.fill(line, 70) for line in policy.splitlines())  # as pdftotext would give it
    out = tmp_path / "stdin.jsonl"
    r = clausetag("label", "-", "-m", tiny_model, "-o", out, "-q", stdin=wrapped)
    assert r.returncode == 0, r.stderr
    units = [x for x in records(out) if x["type"] == "unit"]
    from_file = clausetag("label", seeds_dir / "003_b7ec3afbff0be310.txt", "-m", tiny_model, "-q")
    expected = [x["text"] for x in map(json.loads, from_file.stdout.splitlines()) if x["type"] == "unit"]
    assert {x["doc"] for x in units} == {"stdin"} and len(units) >= len(expected) - 2
    assert len(set(x["text"] for x in units) & set(expected)) >= 0.9 * len(expected)
    r = clausetag("label", "-", "-m", tiny_model, stdin="")
    assert r.returncode == 1 and "stdin: nothing on standard input" in r.stderr
    r = clausetag("label", "-", "-m", tiny_model, "-o", out, "--resume", stdin="x")
    assert r.returncode == 2 and "--resume" in r.stderr and "standard input" in r.stderr


def test_resume_continues_without_duplicates(tiny_model, seeds_dir, tmp_path):
    out = tmp_path / "batch.jsonl"
    full = tmp_path / "full.jsonl"
    assert clausetag("label", seeds_dir, "-m", tiny_model, "-o", full, "-q").returncode == 0
    # Simulate an interruption: the partial file holds two finished documents and half of a third.
    lines = full.read_text(encoding="utf-8").splitlines()
    ends = [i for i, l in enumerate(lines) if json.loads(l)["type"] == "summary"]
    partial = out.with_name(out.name + ".partial.jsonl")
    partial.write_text("\n".join(lines[: ends[1] + 1] + lines[ends[1] + 1 : ends[1] + 5]) + "\n", encoding="utf-8")
    r = clausetag("label", seeds_dir, "-m", tiny_model, "-o", out, "--resume")
    assert r.returncode == 0, r.stderr
    assert "2 already done" in r.stderr
    assert not partial.exists()
    got = records(out)
    ids = [x["id"] for x in got if x["type"] == "unit"]
    assert len(ids) == len(set(ids))
    assert sorted(ids) == sorted(json.loads(l)["id"] for l in lines if json.loads(l)["type"] == "unit")


def test_resume_keeps_to_one_model_and_counts_what_it_keeps(tiny_model, tmp_path):
    """Each summary names the model that labeled the document; --resume with another model is refused
    (one output, one model), and a resumed batch counts the earlier documents it keeps."""
    import shutil

    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("We collect your e-mail address.", encoding="utf-8")
    b.write_text("We share your data with advertisers.", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert clausetag("label", a, "-m", tiny_model, "-o", out, "-q").returncode == 0
    (summary,) = [x for x in records(out) if x["type"] == "summary"]
    info = json.loads((Path(tiny_model) / "model.json").read_text(encoding="utf-8"))
    assert summary["model"] == {"name": info["training"]["config_name"], "created": info["training"]["created"],
                                "path": str(tiny_model), "structure_rules": True}
    r = clausetag("label", a, b, "-m", tiny_model, "-o", out, "--resume", "--no-structure")
    assert r.returncode == 2 and f"{out}: its documents were labeled with --structure, not --no-structure" in r.stderr
    other = tmp_path / "other"
    shutil.copytree(tiny_model, other)  # the same weights with another training date: another model
    info["training"]["created"] = "2099-01-01 00:00:00 UTC"
    (other / "model.json").write_text(json.dumps(info), encoding="utf-8")
    r = clausetag("label", a, b, "-m", other, "-o", out, "--resume")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"{out}: its documents were labeled by the model" in r.stderr and "without --resume" in r.stderr
    r = clausetag("label", b, "-m", tiny_model, "-o", out, "--resume")
    assert r.returncode == 0, r.stderr
    assert "2 documents: 2 labeled, 0 failed" in r.stderr and "1 from the earlier run not among these inputs" in r.stderr
    assert [x["doc"] for x in records(out) if x["type"] == "summary"] == ["a.txt", "b.txt"]


def test_a_folder_with_nothing_to_label_says_so(tiny_model, tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "notes.rtf").write_text("{\\rtf1 x}", encoding="utf-8")
    r = clausetag("label", tmp_path / "in", "-m", tiny_model, "-o", tmp_path / "out.jsonl")
    assert r.returncode == 0, r.stderr
    assert f"warning: no documents to label in {tmp_path / 'in'}" in r.stderr and "left out 1 file" in r.stderr
    assert "0 documents: 0 labeled, 0 failed" in r.stderr and (tmp_path / "out.jsonl").read_text() == ""


def test_presegmented_jsonl_keeps_ids(tiny_model, tmp_path):
    src = tmp_path / "units.jsonl"
    src.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in [
        {"id": "a1", "text": "We share your data with advertisers.", "lang": "en"},
        {"id": "a2", "text": "您可以注销您的账户。", "section": "七、您如何管理个人信息"},
        {"text": "Kontaktujte nás na privacy@example.cz."},
    ]) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    r = clausetag("label", src, "-m", tiny_model, "-o", out, "-q")
    assert r.returncode == 0, r.stderr
    units = [x for x in records(out) if x["type"] == "unit"]
    assert [u["id"] for u in units][:2] == ["a1", "a2"]
    assert [u["text"] for u in units] == ["We share your data with advertisers.", "您可以注销您的账户。",
                                           "Kontaktujte nás na privacy@example.cz."]
    assert units[1]["section"] == "七、您如何管理个人信息" and units[1]["lang"] == "zh"


@pytest.mark.parametrize("fmt", ["csv", "html"])
def test_other_formats(tiny_model, seeds_dir, tmp_path, fmt):
    out = tmp_path / ("rows.dat" if fmt == "csv" else "view.html")  # csv asked for; html by -o's suffix
    given = ["-f", fmt] if fmt == "csv" else []
    r = clausetag("label", seeds_dir / "003_b7ec3afbff0be310.txt", "-m", tiny_model, "-o", out, *given, "-q")
    assert r.returncode == 0, r.stderr
    text = out.read_text(encoding="utf-8")
    if fmt == "csv":
        import csv

        assert text.startswith("\ufeff")  # a byte-order mark: Excel then reads UTF-8
        rows = list(csv.DictReader(text.removeprefix("\ufeff").splitlines()))
        assert len(rows) > 100 and rows[0]["type"] == "unit" and "score_contact" in rows[0]
    else:
        assert "<input type='checkbox' value='contact'" in text and "http" not in text.split("<main>")[0]
        # the review mode's data: every unit, and the thresholds of the model that labeled them
        import json

        data = json.loads(text.split("id='review-data'>")[1].split("</script>")[0])
        assert len(data["units"]) == text.count("class='u' ") and data["model"]["name"] == "tiny-seeds"
        assert set(data["thresholds"]["default"]) == set(data["labels"]) and "id='rv-uncertain'>" in text


def test_python_api_and_long_unit_windows(tiny_model):
    import clausetag
    from clausetag import Labeler

    assert Labeler is clausetag.infer.labeler.Labeler
    with pytest.raises(AttributeError, match="no attribute 'Labeller'"):
        clausetag.Labeller
    labeler = Labeler.load(tiny_model)
    preds = labeler.label_text("一、我们如何收集信息\n我们会收集您的手机号码。", doc="t")
    assert [p.unit.text for p in preds] == ["一、我们如何收集信息", "我们会收集您的手机号码。"]
    assert preds[1].unit.section == "一、我们如何收集信息"
    long = "We collect your name, e-mail address and phone number, " * 40  # far over 128 tokens
    scores = labeler.model.scores([long])
    batch = labeler.model.classifier.encode_batch([long], [None], truncate=False)
    assert batch["input_ids"].shape[0] > 1  # several windows, not one truncated input
    assert scores.shape == (1, 9)


def test_scores_do_not_depend_on_batching(tiny_model):
    """Units are batched by token count: any order or batch size gives each unit the same scores."""
    from clausetag.infer.labeler import Labeler

    model = Labeler.load(tiny_model).model
    texts = ["我们会收集您的手机号码。", "We share your data with advertisers and analytics partners.",
             "Kontaktujte nás.", "Cookies.", "If you have questions, contact privacy@example.com. " * 12]
    sections = ["一、收集", None, "Kontakt", "Cookies", None]
    ref = model.scores(texts, sections, batch_size=64)
    back = model.scores(texts[::-1], sections[::-1], batch_size=2)[::-1]
    assert abs(ref - back).max() < 1e-4
    batches = list(model.classifier.batches(texts, sections, batch_size=3))
    owners = sorted(int(o) for b in batches for o in b[0])
    assert owners[:4] == [0, 1, 2, 3] and owners.count(4) > 1  # every unit, the long one in windows
    widths = [int(b["attention_mask"].sum(1).max()) for _, b in batches]
    assert widths == sorted(widths)  # shortest windows first, so little padding


def test_onnx_float_projections_follow_the_settings(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    from clausetag.infer.onnx_backend import export_settings, ffn_float_nodes

    names = [f"/encoder/layer.{i}/{kind}/dense/MatMul" for i in range(6)
             for kind in ("attention/output", "intermediate", "output")]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    nodes = [helper.make_node("MatMul", ["x", "x"], [f"y{i}"], name=n) for i, n in enumerate(names)]
    path = tmp_path / "g.onnx"
    onnx.save(helper.make_model(helper.make_graph(nodes, "g", [x], [])), str(path))

    def kept(**model):
        return sorted(ffn_float_nodes(path, export_settings(model)))

    assert kept(fp32_ffn_intermediate_share=0.0) == [f"/encoder/layer.{i}/output/dense/MatMul" for i in (4, 5)]
    assert kept(fp32_ffn_intermediate_share=0.0, fp32_ffn_output_share=0.0) == []
    assert len(kept()) == 6 + 2  # defaults: every intermediate projection, the last third of the outputs
    both = kept(fp32_ffn_intermediate_share=1.0, fp32_ffn_output_share=0.0)
    assert both == [f"/encoder/layer.{i}/intermediate/dense/MatMul" for i in range(6)]
    assert export_settings({"fp32_ffn_intermediate_share": 1.0})["quantize_ops"] == ["MatMul"]  # the rest: defaults


def test_onnx_int8_backend_matches_torch_and_is_cached(tiny_model, tmp_path, monkeypatch):
    import shutil

    from clausetag.infer.labeler import Labeler
    from clausetag.infer.onnx_backend import cache_path, export_settings
    from clausetag.modeldir import read_info

    tiny_model = Path(shutil.copytree(tiny_model, tmp_path / "model"))  # the export is cached beside the model

    texts = ["我们会收集您的手机号码。", "We share your data with advertisers.", "Kontaktujte nás na e-mailu.",
             "If you have questions about this policy, contact privacy@example.com. " * 12]  # several windows
    torch_scores = Labeler.load(tiny_model).model.scores(texts)
    onnx_model = Labeler.load(tiny_model, backend="onnx").model
    path = cache_path(tiny_model, export_settings(read_info(tiny_model).onnx))  # as the backend computes it
    assert path.exists() and path.parent.parent == tiny_model
    data = path.with_name(path.name + ".data")  # the word embeddings, memory-mapped by ONNX Runtime
    assert data.stat().st_size > path.stat().st_size
    mtime = path.stat().st_mtime_ns
    onnx_scores = onnx_model.scores(texts)
    assert onnx_scores.shape == torch_scores.shape
    assert abs(onnx_scores - torch_scores).mean() < 0.05  # int8 weights: close, not equal
    # the pooled embedding (what a model's nearest-training-units part compares) from the same runs
    both = onnx_model.classifier.scores_and_embeddings(texts)
    np.testing.assert_allclose(both[0], onnx_scores, atol=1e-6)
    torch_both = Labeler.load(tiny_model).model.classifier.scores_and_embeddings(texts)
    np.testing.assert_allclose(torch_both[0], torch_scores, atol=1e-6)
    cosine = (both[1] * torch_both[1]).sum(1) / np.linalg.norm(both[1], axis=1) / np.linalg.norm(torch_both[1], axis=1)
    assert both[1].shape == (4, 384) and cosine.min() > 0.95
    Labeler.load(tiny_model, backend="onnx")
    assert path.stat().st_mtime_ns == mtime  # exported once, then reused
    # with the export cached, the encoder's weights are never loaded: tokenizer, TF-IDF parts and graph only
    import clausetag.encoder_classifier as classifier_module

    def no_weights(*args, **kwargs):
        raise AssertionError("the encoder's weights were loaded")

    monkeypatch.setattr(classifier_module.EncoderClassifier, "load", no_weights)
    light = Labeler.load(tiny_model, backend="onnx").model
    assert not isinstance(light.classifier.clf, classifier_module.EncoderClassifier)
    assert np.allclose(light.scores(texts), onnx_scores, atol=1e-6)
    import onnx

    ops = {}
    for node in onnx.load(str(path)).graph.node:
        ops.setdefault(node.op_type, []).append(node.name)
    assert len(ops.get("QAttention", [])) == 12  # transformer fusion, then int8 attention weights
    float_matmuls = [n for n in ops.get("MatMul", []) if "/output/dense/" in n]
    assert [n.split("/")[3] for n in float_matmuls] == ["layer.8", "layer.9", "layer.10", "layer.11"]
    assert len([n for n in ops.get("MatMul", []) if "/intermediate/dense/" in n]) == 12
    out = tmp_path / "o.jsonl"
    r = clausetag("label", tmp_path / "none.txt", "-m", tiny_model, "--backend", "onnx", "-o", out, "-q")
    assert r.returncode == 1 and "none.txt" in r.stderr and "Traceback" not in r.stderr


def test_lang_option_sets_every_units_language(tiny_model, tmp_path):
    policy = tmp_path / "short.txt"
    policy.write_text("Kontakt\nNapište nám.\n", encoding="utf-8")  # too short to tell its language
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"text": "Ochrana dat"}\n{"text": "We share data.", "lang": "en"}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    r = clausetag("label", policy, rows, "-m", tiny_model, "-o", out, "--lang", "CS", "-q")
    assert r.returncode == 0, r.stderr
    units = [x for x in records(out) if x["type"] == "unit"]
    # every unit of a file, and each JSONL unit without its own `lang`, is taken to be Czech
    assert [(x["doc"], x["lang"]) for x in units] == [("short.txt", "cs"), ("short.txt", "cs"), ("rows.jsonl", "cs"),
                                                      ("rows.jsonl", "en")]
    r = clausetag("label", policy, "-m", tiny_model, "-o", out, "--lang", "czech")
    assert r.returncode == 2 and "--lang 'czech' is not a language code" in r.stderr and " cs " in r.stderr
    r = clausetag("label", policy, "-m", tiny_model, "-o", out, "--backend", "tensorflow")
    assert r.returncode == 2 and r.stderr.strip() == "clausetag: error: --backend must be torch or onnx, not 'tensorflow'"
    r = clausetag("label", policy, "-m", tiny_model, "-o", out, "--max-mb", "-1")
    assert r.returncode == 2 and r.stderr.strip() == "clausetag: error: --max-mb must be above 0, not -1"
    r = clausetag("label", policy, "-m", tiny_model, "-o", out, "--encoder", tmp_path / "no-encoder-here")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith(f"clausetag: error: encoder '{tmp_path / 'no-encoder-here'}': cannot be loaded")


def test_recurring_units_are_scored_once_with_the_same_result(tiny_model):
    from clausetag.infer.labeler import Labeler

    cached = Labeler.load(tiny_model, score_cache_units=3)  # numbered headings: sections, not titles
    plain = Labeler(cached.model, score_cache_units=0)
    scored: list[str] = []
    score = cached.model.unit_parts

    def counting(texts, *args, **kwargs):
        scored.extend(texts)
        return score(texts, *args, **kwargs)

    cached.model.unit_parts = counting
    text = "1. Data\nWe collect your e-mail address.\nWe collect your e-mail address.\nWe share it with partners."
    first = cached.label_text(text, doc="a")
    assert scored == ["1. Data", "We collect your e-mail address.", "We share it with partners."]  # the repeat once
    second = cached.label_text("1. Data\nWe share it with partners.\nContact us.", doc="b")
    assert scored[3:] == ["Contact us."]  # the others were kept from the document before
    cached.label_text("1. Data\nWe collect your e-mail address.", doc="c")
    assert scored[4:] == ["1. Data"]  # kept no longer: only the 3 latest are, and "1. Data" was the oldest
    again = cached.label_text("2. Other\nWe share it with partners.", doc="d")
    assert scored[5:] == ["2. Other", "We share it with partners."]  # another section: another unit
    for predictions, text in ((first, text), (second, "1. Data\nWe share it with partners.\nContact us.")):
        expected = plain.label_text(text, doc="x")  # scored in other batches: float rounding may differ
        assert [p.labels for p in predictions] == [p.labels for p in expected]
        assert [p.scores for p in predictions] == [pytest.approx(p.scores, abs=1e-5) for p in expected]
    assert again[1].unit.section == "2. Other"


def test_web_addresses_are_labeled_with_the_files(tiny_model, web, tmp_path):
    routes, base = web
    routes["/privacy"] = (200, "text/html; charset=utf-8", "<html><body><main><h2>我们如何收集您的信息</h2><p>我们会收集"
                          "您的手机号码，用于注册账号。</p></main></body></html>".encode())
    local = tmp_path / "local.txt"
    local.write_text("我们不会出售您的个人信息。", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    r = clausetag("label", f"{base}/privacy", local, f"{base}/gone", "-m", tiny_model, "-o", out)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert f"{base}/gone: cannot fetch it (HTTP 404" in r.stderr and "3 documents: 2 labeled, 1 failed" in r.stderr
    summaries = {x["path"]: x for x in records(out) if x["type"] == "summary"}
    page = summaries[f"{base}/privacy"]
    assert page["doc"] == f"{base.removeprefix('http://')}/privacy" and page["units"] == 2 and page["languages"] == ["zh"]
    assert summaries[str(local)]["units"] == 1 and summaries[f"{base}/gone"]["errors"]
