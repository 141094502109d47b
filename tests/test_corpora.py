"""Readers: synthetic files test each rule; the real corpora test counts against the raw files."""

import csv
import json
from collections import Counter

import pytest

from clausetag.corpora import CorpusError, read_capp130, read_jsonl, read_opp115, to_dataset
from clausetag.taxonomy import load_taxonomy


def _write_capp(root, name, rows, lang_dir="annotation", bom=False):
    folder = root / "capp130" / lang_dir
    folder.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    if bom:
        lines[0] = "\ufeff" + lines[0]
    (folder / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_opp115_merges_rows_and_skips_artefacts(tmp_path):
    folder = tmp_path / "opp115"
    folder.mkdir()
    with (folder / "train.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["We collect your e-mail.", "First Party Collection/Use"])
        w.writerow(["#NAME?", "First Party Collection/Use"])
        w.writerow(["We collect your e-mail.", "Data Security"])
        w.writerow(["Contact us at privacy@example.com.", "Privacy contact information"])
    c = read_opp115("train", tmp_path)
    assert [u.text for u in c.units] == ["We collect your e-mail.", "Contact us at privacy@example.com."]
    assert c.units[0].labels == ["First Party Collection/Use", "Data Security"]
    assert c.skipped == 1
    h = load_taxonomy("harmonized")
    assert [u.labels for u in c.mapped(h)] == [["collection_use", "data_security"], ["contact"]]
    assert c.describe_docs() == "policies not identified in this release"  # the CSV has no policy ids


def test_capp130_bom_noise_and_empty_topics(tmp_path, caplog):
    rows = [
        {"task": "rw_1.jsonl", "id": 1, "text": "隐私政策", "label": [], "rewrite": []},
        {"task": "rw_1.jsonl", "id": 2, "text": "我们会收集您的手机号。", "label": ["数据收集", "摘要"], "rewrite": []},
        {"task": "rw_1.jsonl", "id": 3, "text": "联系我们。", "label": ["联系方式", "这是一句话而不是标签。"], "rewrite": []},
    ]
    _write_capp(tmp_path, "rw_1", rows, bom=True)
    c = read_capp130("zh", tmp_path)
    assert [u.labels for u in c.units] == [["无主题"], ["数据收集"], ["联系方式"]]
    assert sum(c.noise.values()) == 1
    assert "noise" in caplog.text
    assert {u.doc for u in c.units} == {"rw_1"}
    assert c.describe_docs() == "1 document"
    en = [{"task": "rw_1.jsonl", "id": 2, "text": "We collect your phone number.", "label": ["First Party Collection Information", "Important"]}]
    _write_capp(tmp_path, "rw_1", en, lang_dir="translation_en")
    assert read_capp130("en", tmp_path).units[0].labels == ["数据收集"]


def test_jsonl_reader_names_file_and_line(tmp_path):
    good = {"id": "a", "doc": "d", "lang": "en", "text": "Hi.", "labels": ["contact"]}
    p = tmp_path / "x.jsonl"
    p.write_text(json.dumps(good) + "\n" + json.dumps({**good, "labels": ["nope"]}) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"x\.jsonl:2: label\(s\) not in taxonomy"):
        read_jsonl(p)
    p.write_text("{broken\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"x\.jsonl:1: not valid JSON"):
        read_jsonl(p)


def test_dataset_has_schema_columns(tmp_path):
    p = tmp_path / "x.jsonl"
    p.write_text(json.dumps({"id": "a", "doc": "d", "lang": "en", "text": "Hi.", "labels": ["contact"],
                             "start": 0, "end": 3, "section": None}) + "\n", encoding="utf-8")
    ds = to_dataset(read_jsonl(p).units)
    assert ds.column_names == ["id", "doc", "lang", "text", "labels", "start", "end", "section", "source"]
    assert ds[0]["labels"] == ["contact"]


# --- the real corpora ------------------------------------------------------------------------

@pytest.mark.corpora
@pytest.mark.parametrize("split", ["train", "validation"])
def test_opp115_counts_match_file(corpora_root, split):
    rows = list(csv.reader((corpora_root / "opp115" / f"{split}.csv").open(encoding="utf-8", newline="")))
    pairs = {(t.strip(), l) for t, l in rows if t.strip() != "#NAME?"}
    expected = Counter(l for _, l in pairs)
    c = read_opp115(split, corpora_root)
    assert c.label_counts() == expected
    assert len(c.units) == len({t for t, _ in pairs})


@pytest.mark.corpora
@pytest.mark.parametrize("lang,sub", [("zh", "annotation"), ("en", "translation_en")])
def test_capp130_counts_match_files(corpora_root, lang, sub):
    tax = load_taxonomy("capp130")
    expected, n_lines, n_empty = Counter(), 0, 0
    for path in (corpora_root / "capp130" / sub).glob("rw_*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            d = json.loads(line.lstrip("\ufeff"))
            n_lines += 1
            topics = {tax.canonical(l) for l in d["label"]} - {None}
            expected.update(topics)
            n_empty += not topics
    c = read_capp130(lang, corpora_root)
    counts = c.label_counts()
    assert counts.pop(tax.fallback) == n_empty
    assert counts == expected
    assert len(c.units) == n_lines
    assert len(c.docs()) == 104
