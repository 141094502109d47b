"""The seed annotations in data/seeds: schema, taxonomy, traceability and full coverage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clausetag.infer.segment import segment
from clausetag.records import REQUIRED_COLUMNS, OPTIONAL_COLUMNS
from clausetag.taxonomy import load_taxonomy

SEED_DATA = Path(__file__).resolve().parents[1] / "data" / "seeds"
FILES = sorted(SEED_DATA.glob("*.jsonl"))
EXTRA = {"uncertain", "note"}


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_five_seed_files_exist():
    assert len(FILES) == 5


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_records_validate_against_schema_and_taxonomy(path):
    names = set(load_taxonomy("harmonized").names)
    for r in rows(path):
        assert set(REQUIRED_COLUMNS) <= set(r) <= set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS) | EXTRA, r["id"]
        assert r["doc"] == path.stem + ".txt" and r["lang"] in ("zh", "cs") and r["source"] == "seeds"
        assert r["text"].strip() == r["text"] and r["text"], r["id"]
        assert r["labels"] and set(r["labels"]) <= names, r["id"]
        assert len(set(r["labels"])) == len(r["labels"]), r["id"]
        assert "other" not in r["labels"] or r["labels"] == ["other"], f"{r['id']}: other with a content label"
        assert isinstance(r["start"], int) and 0 <= r["start"] < r["end"], r["id"]
        if r.get("uncertain"):
            assert r.get("note"), f"{r['id']}: uncertain units carry a note"


def test_ids_are_unique_across_files():
    ids = [r["id"] for p in FILES for r in rows(p)]
    assert len(ids) == len(set(ids))


@pytest.mark.seeds
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_offsets_reproduce_seed_text_and_cover_it(path, seeds_dir):
    text = (seeds_dir / (path.stem + ".txt")).read_text(encoding="utf-8")
    recs = sorted(rows(path), key=lambda r: r["start"])
    pos = 0
    for r in recs:
        assert text[r["start"]:r["end"]] == r["text"], r["id"]
        assert not text[pos:r["start"]].strip(), f"{r['id']}: unannotated text before it: {text[pos:r['start']]!r}"
        pos = r["end"]
    assert not text[pos:].strip(), "unannotated text at the end"


@pytest.mark.seeds
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_units_are_the_segmenter_output(path, seeds_dir):
    """Training and labeling see the same units: the annotations follow the product's segmenter."""
    recs = rows(path)
    text = (seeds_dir / (path.stem + ".txt")).read_text(encoding="utf-8")
    segs = segment(text, lang=recs[0]["lang"])
    assert [(s.start, s.end, s.section) for s in segs] == [(r["start"], r["end"], r["section"]) for r in recs]
