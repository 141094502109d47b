"""The distill method (train/distill.py): a small student trained through `clausetag train` on a teacher's
scores of labeled and unlabeled units, the teacher's scores cached on disk, test documents never read."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from clausetag.cli import app
from clausetag.corpora import read_jsonl
from clausetag.records import Unit
from clausetag.taxonomy import load_taxonomy
from clausetag.train.config import ConfigError, load_config, parse_config

ROOT = Path(__file__).resolve().parents[1]
TINY = Path(__file__).parent / "data" / "tiny_distill.toml"
TEST_DOC = "cs-jci-prague"  # one of data/policies' test documents (split.json)


def _config(tmp_path: Path) -> Path:
    """The tiny config with an unlabeled source: a folder of a new policy (data/reviews), a copy of a test
    document of data/policies (to be left out) and a file that cannot be read (to be reported and left out)."""
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(ROOT / "data" / "reviews" / "raw" / "de-freifunk-kbu.md", docs)
    shutil.copy(ROOT / "data" / "policies" / "raw" / f"{TEST_DOC}.md", docs)
    (docs / "empty.txt").write_text("")
    cfg = tmp_path / "distill.toml"
    cfg.write_text(TINY.read_text() + f'\n[[sources]]\nspec = "documents:{docs}"\nmax_units = 12\n'
                   'exclude = ["jsonl:data/policies/test"]\n')
    return cfg


@pytest.fixture(scope="module")
def distilled(tmp_path_factory):
    """A student distilled from models/default through `clausetag train` (about half a minute on 2 cores),
    with its config and teacher-score cache."""
    tmp = tmp_path_factory.mktemp("distill")
    cfg, cache = _config(tmp), tmp / "cache"
    result = CliRunner().invoke(app, ["train", str(cfg), "-o", str(tmp / "student"), "--set", f"distill.cache={cache}"])
    assert result.exit_code == 0, result.output
    return tmp / "student", cfg, cache


@pytest.mark.slow
@pytest.mark.encoder
def test_distilled_student_loads_and_labels_a_document(distilled):
    from clausetag.infer.labeler import Labeler
    from clausetag.modeldir import load_model

    student, _, _ = distilled
    model = load_model(student)
    assert model.info.method == "distill" and model.info.encoder["layers"] == 1
    assert len(model.classifier.encoder.encoder.layer) == 1
    result = Labeler(model).label_document(ROOT / "data" / "reviews" / "raw" / "de-sportfreunde-suemmern.md")
    assert result.ok and len(result.predictions) > 10
    assert all(set(p.labels) <= set(model.labels) and p.labels for p in result.predictions)
    assert "Distilled from the teacher `models/default`" in (student / "README.md").read_text()


@pytest.mark.slow
@pytest.mark.encoder
def test_students_loss_against_the_teacher_goes_down(distilled):
    from clausetag.modeldir import read_info

    log = read_info(distilled[0]).metrics["finetune"]
    d = log["distill"]
    assert log["steps"] == 12 and log["best_step"] == 12  # no early stopping in the tiny config
    assert d["teacher_loss_units"] == d["units_labeled"] + d["units_unlabeled"]
    assert d["teacher_loss_after"] < d["teacher_loss_before"]


@pytest.mark.slow
@pytest.mark.encoder
def test_unlabeled_documents_contribute_units_and_test_documents_none(distilled):
    from clausetag.modeldir import read_info
    from clausetag.training_overlap import overlap

    student, _, _ = distilled
    info = read_info(student)
    seeds, documents = info.training["data"]["sources"]
    assert documents["labeled"] is False and documents["units_used"] == 12
    assert info.metrics["finetune"]["distill"]["units_unlabeled"] == 12
    assert documents["doc_ids"] == ["de-freifunk-kbu.md"]  # the test document's copy left out, the empty file too
    assert documents["excluded_docs"] == 1 and documents["unreadable_docs"] == 1
    test_units = read_jsonl(ROOT / "data" / "policies" / "test" / f"{TEST_DOC}.jsonl").units
    assert documents["excluded_units"] >= len(test_units)
    seen = overlap(student, test_units)  # the training-overlap check rebuilds its training units, unlabeled ones too
    assert seen["checked"] and seen["units_seen"] == 0
    own = overlap(student, read_jsonl(ROOT / "data" / "seeds").units)
    assert own["units_seen"] >= 40  # the check does see what it trained on


@pytest.mark.slow
@pytest.mark.encoder
def test_second_run_takes_the_teachers_scores_from_the_cache(distilled, tmp_path, monkeypatch):
    import clausetag.train.teacher_scores as teacher_scores

    _, cfg, cache = distilled
    shards = sorted(p.name for p in cache.rglob("scores-*.npz"))

    def no_teacher(*args, **kwargs):
        raise AssertionError("the teacher was loaded although its scores are cached")

    monkeypatch.setattr(teacher_scores, "load_teacher", no_teacher)
    result = CliRunner().invoke(app, ["train", str(cfg), "-o", str(tmp_path / "again"), "--set",
                                      f"distill.cache={cache}", "--set", "finetune.max_steps=2"])
    assert result.exit_code == 0, result.output
    from clausetag.modeldir import read_info

    d = read_info(tmp_path / "again").metrics["finetune"]["distill"]
    assert d["teacher_units_scored"] == 0 and d["units_unlabeled"] == 12
    assert sorted(p.name for p in cache.rglob("scores-*.npz")) == shards


def test_targets_mix_gold_labels_into_the_teachers_scores_of_labeled_units_only():
    from clausetag.train.distill import distill_targets

    tax = load_taxonomy("harmonized")
    units = [Unit("a", "d", "en", "We collect your e-mail address.", ["collection_use"]), Unit("b", "d", "en", "Hello.")]
    teacher = np.full((2, len(tax.names)), 0.2, dtype=np.float32)
    targets = distill_targets(teacher, units, tax, 0.25, labeled=1)
    gold = tax.to_matrix([units[0].labels])[0]
    np.testing.assert_allclose(targets[0], 0.75 * 0.2 + 0.25 * gold)
    np.testing.assert_allclose(targets[1], teacher[1])  # no gold labels: the teacher's scores alone
    np.testing.assert_allclose(distill_targets(teacher, units, tax, 0.0, labeled=1), teacher)


def test_teacher_scores_are_cached_by_teacher_and_unit(tmp_path, monkeypatch):
    import clausetag.train.teacher_scores as teacher_scores

    labels = ["a", "b"]
    calls = []

    class Teacher:
        def __init__(self):
            self.labels = labels

        def scores(self, texts, sections, batch_size, langs, docs):
            calls.append(list(texts))
            return np.array([[len(t) / 100, 1 - len(t) / 100] for t in texts], dtype=np.float32)

    monkeypatch.setattr(teacher_scores, "load_teacher", lambda directory, backend: Teacher())
    teacher = tmp_path / "teacher"
    teacher.mkdir()
    (teacher / "model.json").write_text("{}")
    units = [Unit(str(i), "d", "en", f"unit {'x' * i}", section="S") for i in range(5)]
    first = teacher_scores.TeacherScores(teacher, "torch", tmp_path / "cache", labels).scores(units)
    assert len(calls) == 1 and sorted(calls[0]) == sorted(u.text for u in units)
    again = teacher_scores.TeacherScores(teacher, "torch", tmp_path / "cache", labels)
    np.testing.assert_array_equal(again.scores(units[::-1]), first[::-1])
    assert len(calls) == 1 and again.scored == 0
    other_section = Unit("x", "d", "en", units[0].text, section="Other")  # another input: scored
    again.scores([other_section, units[1]])
    assert calls[-1] == [units[0].text] and again.scored == 1
    (teacher / "model.json").write_text('{"changed": true}')  # another teacher: nothing cached for it
    changed = teacher_scores.TeacherScores(teacher, "torch", tmp_path / "cache", labels)
    changed.scores(units[:2])
    assert changed.scored == 2 and changed.key != again.key
    bad = changed.folder / "scores-broken.npz"
    bad.write_bytes(b"not a numpy archive")
    with pytest.raises(ConfigError, match=r"scores-broken.npz: unreadable teacher scores .*; remove the file$"):
        teacher_scores.TeacherScores(teacher, "torch", tmp_path / "cache", labels)


def test_unlabeled_sources_are_for_distillation_only():
    base = 'name = "x"\n[[sources]]\nspec = "documents:data/reviews/raw"\n'
    with pytest.raises(ConfigError, match=r"^x.toml: documents:data/reviews/raw has no labels; only the distill"):
        parse_config(base, "x.toml")
    base = base.replace('name = "x"', 'name = "x"\nmethod = "distill"')
    assert parse_config(base, "x.toml").method == "distill"
    with pytest.raises(ConfigError, match=r"x.toml: \[distill\] gold_weight must be a number from 0 to 1"):
        parse_config(base + '[distill]\ngold_weight = 1.5\n', "x.toml")
    with pytest.raises(ConfigError, match=r"x.toml: \[distill\] teacher_backend must be onnx or torch"):
        parse_config(base + '[distill]\nteacher_backend = "gpu"\n', "x.toml")
    with pytest.raises(ConfigError, match=r"x.toml: \[\[sources\]\] jsonl:data/seeds: exclude is for sources without labels"):
        parse_config(base + '[[sources]]\nspec = "jsonl:data/seeds"\nexclude = ["jsonl:data/policies/test"]\n', "x.toml")
    fast = load_config(ROOT / "train" / "configs" / "fast.toml")
    assert fast.method == "distill" and fast.distill.teacher == "models/default" and fast.encoder.layers
    specs = [s.spec for s in fast.sources]
    assert any(s.startswith("documents:") for s in specs) and "jsonl:data/policies/annotations" in specs
