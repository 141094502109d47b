"""Per-language thresholds: tuned per language on validation, a default row for every other language,
applied by language at prediction and in evaluation; the other-half estimate of their optimism."""

from __future__ import annotations

import numpy as np

from clausetag.decision import Thresholds, decide
from clausetag.reports.evaluation import pr_curves
from clausetag.metrics import label_metrics
from clausetag.modeldir import Model, ModelInfo
from clausetag.records import Unit
from clausetag.taxonomy import load_taxonomy
from clausetag.train.thresholds import ThresholdPolicy, cross_fitted_metrics, fit_thresholds

TAX = load_taxonomy("harmonized")
CU = TAX.names.index("collection_use")
OTHER = TAX.names.index(TAX.fallback)


def _units(lang: str, doc: str, n: int, positive: float, negative: float) -> tuple[list[Unit], np.ndarray]:
    """n collection_use units scoring `positive` and n `other` units scoring `negative` on collection_use."""
    units, rows = [], []
    for i in range(2 * n):
        pos = i < n
        units.append(Unit(id=f"{doc}/{i}", doc=doc, lang=lang, text="x", labels=["collection_use" if pos else "other"]))
        row = np.zeros(len(TAX.names), dtype=np.float32)
        row[CU] = positive if pos else negative
        row[OTHER] = 0.04 if pos else 0.9  # below the lowest threshold tried (0.05)
        rows.append(row)
    return units, np.stack(rows)


def test_each_language_gets_thresholds_tuned_on_its_own_units_and_the_rest_a_default_row():
    zh, zh_s = _units("zh", "z", 300, 0.8, 0.6)  # 600 Chinese units: separable above 0.6
    en, en_s = _units("en", "e", 300, 0.4, 0.2)  # 600 English units: separable above 0.2
    units, scores = {"a": zh, "b": en}, {"a": zh_s, "b": en_s}
    alone = {"a": zh_s - 0.5, "b": en_s - 0.1}  # what a language outside the blend gets: 0.3 / 0.1 and lower
    th = fit_thresholds(scores, units, TAX, ThresholdPolicy(by_language=True, min_language_units=500), alone)
    assert sorted(th.by_language) == ["en", "zh"]
    assert 0.6 < th.by_language["zh"][CU] <= 0.8
    assert 0.2 < th.by_language["en"][CU] <= 0.4
    assert 0.1 < th.default[CU] <= 0.3 - 1e-6  # tuned on the encoder-alone scores
    rows = th.rows(["zh", "cs", "en"], 3)
    assert rows[0][CU] == th.by_language["zh"][CU] and rows[1][CU] == th.default[CU]
    # too few units for a language of its own: the default row only, tuned on `alone`
    few = fit_thresholds(scores, units, TAX, ThresholdPolicy(by_language=True, min_language_units=1000), alone)
    assert few.by_language == {} and few.default[CU] == th.default[CU]
    off = fit_thresholds(scores, units, TAX, ThresholdPolicy(), alone)  # off by default: one row, on `scores`
    assert off.by_language == {} and 0.2 < off.default[CU] <= 0.6


def test_model_decides_each_unit_with_its_language_thresholds():
    base = {n: 0.5 for n in TAX.names}
    info = ModelInfo(method="tfidf", taxonomy=TAX.to_dict(), thresholds=base,
                     thresholds_by_language={"zh": {**base, "collection_use": 0.7}})
    model = Model(classifier=None, info=info, taxonomy=TAX)
    scores = np.zeros((2, len(TAX.names)), dtype=np.float32)
    scores[:, CU], scores[:, OTHER] = 0.6, 0.45  # collection_use passes 0.5, not 0.7
    chosen = model.decide(scores, ["en", "zh"])
    assert list(np.flatnonzero(chosen[0])) == [CU]
    assert list(np.flatnonzero(chosen[1])) == [OTHER]  # nothing passes: best score/threshold ratio (0.9 > 0.86)
    assert model.decide(scores)[:, CU].all()  # no languages: the default row


def test_pr_curve_operating_point_follows_per_unit_thresholds():
    gold = np.array([[1], [0], [1], [0]], dtype=bool)
    scores = np.array([[0.6], [0.4], [0.8], [0.65]])
    per_unit = np.array([[0.3], [0.3], [0.7], [0.7]])  # the first two units' language is lenient
    e = pr_curves(gold, scores, per_unit, ["x"])["x"]
    assert e["threshold"] is None and e["threshold_range"] == [0.3, 0.7]
    assert e["precision_at_threshold"] == 200 / 3 and e["recall_at_threshold"] == 100.0  # unit 2 (0.4) counts
    one = pr_curves(gold, scores, np.array([0.7]), ["x"])["x"]  # one threshold for all: only 0.8 passes
    assert one["threshold"] == 0.7 and one["precision_at_threshold"] == 100.0 and one["recall_at_threshold"] == 50.0


def test_other_half_estimate_tunes_on_the_documents_it_does_not_decide():
    # Two documents whose best thresholds differ: tuned on both together the label scores F1 0.8;
    # tuned on one and applied to the other, each half is decided with the wrong threshold.
    a, a_s = _units("en", "A", 10, 0.3, 0.2)
    b, b_s = _units("en", "B", 10, 0.8, 0.7)
    units, scores = {"set": a + b}, {"set": np.concatenate([a_s, b_s])}
    policy = ThresholdPolicy(by_language=True, min_language_units=1)
    gold = TAX.to_matrix([u.labels for u in units["set"]])
    th = fit_thresholds(scores, units, TAX, policy)
    in_sample = label_metrics(gold, decide(scores["set"], th.rows(["en"] * 40, 40), TAX), TAX.names)
    assert in_sample["per_label"]["collection_use"]["f1"] == 80.0
    cross = cross_fitted_metrics(scores, units, TAX, policy, seed=1)
    # B tuned on A: its negatives (0.7) pass; A tuned on B: its positives (0.3) fail. TP 10, FP 10, FN 10.
    expected = np.zeros_like(gold)
    expected[:10, OTHER] = True  # A's positives miss collection_use; nothing passes, `other` has the best ratio
    # (0.04 / 0.05 > 0.3 / 0.725)
    expected[10:20, OTHER] = True
    expected[20:40, CU] = True
    assert cross["set"] == {**{k: label_metrics(gold, expected, TAX.names)[k] for k in ("macro_f1", "micro_f1")},
                            "split": "documents"}
    assert cross["set"]["macro_f1"] < in_sample["macro_f1"] - 10
    # a set naming one document is split by unit; A's units are all alike, so halves agree with the whole
    one_doc = cross_fitted_metrics({"set": a_s}, {"set": a}, TAX, policy)["set"]
    assert one_doc["split"] == "units" and one_doc["macro_f1"] == 100.0


def test_thresholds_round_trip_through_dicts():
    th = Thresholds(np.full(len(TAX.names), 0.5, np.float32), {"zh": np.full(len(TAX.names), 0.25, np.float32)})
    default, by_language = th.to_dicts(TAX.names)
    again = Thresholds.from_dicts(TAX.names, default, by_language)
    assert np.array_equal(again.default, th.default) and np.array_equal(again.by_language["zh"], th.by_language["zh"])


def test_overridden_thresholds_set_a_label_in_every_row_and_refuse_an_unknown_label():
    names = TAX.names
    th = Thresholds(np.full(len(names), 0.5, dtype=np.float32), {"de": np.full(len(names), 0.4, dtype=np.float32)})
    out = th.overridden(names, {"specific_audiences": 0.75, "contact": 0.6})
    sa, contact = names.index("specific_audiences"), names.index("contact")
    for row, base in ((out.default, 0.5), (out.by_language["de"], 0.4)):
        assert row[sa] == 0.75 and abs(row[contact] - 0.6) < 1e-6
        assert np.all(np.delete(row, [sa, contact]) == base)
    assert th.default[sa] == 0.5  # a copy: the thresholds overridden are left as they were
    import pytest

    with pytest.raises(ValueError, match="'children' is not a label"):
        th.overridden(names, {"children": 0.5})
