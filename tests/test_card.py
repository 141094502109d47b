"""Model cards (train/card.py) say which parts of a model this run made and which it kept."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from clausetag.modeldir import read_info
from clausetag.train.card import model_card

FAST = Path(__file__).resolve().parents[1] / "models" / "fast"


def _blend(fitted_here: list[str] | None = None) -> dict:
    kept = {"model": "models/default", "config": "train/configs/default-update.toml", "created": "2026-12-07 07:44:09 UTC"}
    if fitted_here is not None:
        kept["fitted_here"] = fitted_here
    features = {"en": "character 1-4-grams (38,082)", "zh": "character 1-4-grams (100,000)",
                "de": "character 1-4-grams (61,200)"}
    return {"tfidf_weight": 0.5, "languages": ["en", "zh", "de"], "per_language": True, "tfidf_features": features,
            "kept_from": kept}


def _scores_section(card: str) -> str:
    return card[card.index("## Scores"):].split("\n## ")[0]


def test_a_kept_blend_with_an_added_language_credits_only_that_part_to_this_run():
    info = read_info(FAST)
    card = model_card(replace(info, blend=_blend(["de"])))
    scores = " ".join(_scores_section(card).split())
    assert "de: `tfidf-de.json.xz/.safetensors.xz`, character 1-4-grams (61,200), fitted on this run's training units" in scores
    for lang in ("en", "zh"):
        assert f"{lang}: `tfidf-{lang}.json.xz/.safetensors.xz`, character 1-4-grams" in scores
        assert f"tfidf-{lang}.json.xz/.safetensors.xz`, {_blend()['tfidf_features'][lang]}, fitted on" not in scores
    assert "the others kept from `models/default` as it was on 2026-12-07 07:44:09 UTC" in scores
    kept_only = " ".join(_scores_section(model_card(replace(info, blend=_blend()))).split())
    assert "fitted on this run's" not in kept_only and "kept from `models/default`" in kept_only


def test_the_card_describes_the_nearest_units_part_and_kept_thresholds():
    info = read_info(FAST)
    spec = {"units": 15661, "dims": 96, "k": 10, "temperature": 0.01, "weight": 0.5, "blend_language_weight": 0.0,
            "sources": ["jsonl:data/policies/annotations"]}
    metrics = json.loads(json.dumps(info.metrics)) | {"thresholds_from": "models/default"}
    card = " ".join(model_card(replace(info, neighbours=spec, metrics=metrics)).split())
    assert ("The labels of the 10 training units nearest to a unit (cosine similarity of the encoder's mean-pooled "
            "embeddings, weighted by softmax(similarity / 0.01)) are averaged into its scores, weight 0.5 in the "
            "languages without a TF-IDF part and 0 in those with one.") in card
    assert ("The 15661 units kept (`neighbours.safetensors`: their embeddings in 96 dimensions, int8, and their labels) "
            "are the distinct training units of jsonl:data/policies/annotations.") in card
    assert "Thresholds (and early stopping) are those of `models/default`, kept as they are" in card
    plain = model_card(info)
    assert "## Nearest training units" not in plain and "kept as they are" not in plain
    tuned = metrics | {"thresholds_from": "", "thresholds_tuned_on": ["capp130:zh", "opp115:validation"],
                       "threshold_weighting": "pooled", "threshold_overrides": {"specific_audiences": 0.75}}
    assert ("Thresholds (and early stopping) used capp130:zh, opp115:validation (pooled: every unit weighing the "
            "same), but specific_audiences set to 0.75 ([validation] threshold_overrides), so the figures") in " ".join(
        model_card(replace(info, metrics=tuned)).split())
