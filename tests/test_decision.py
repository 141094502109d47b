"""Scores to labels: per-label thresholds, the fallback label only alone, at least one label; tuning."""

from __future__ import annotations

import numpy as np

from clausetag.decision import decide, tune_thresholds
from clausetag.taxonomy import load_taxonomy


def test_decide_drops_fallback_beside_content_and_never_leaves_a_unit_empty():
    taxonomy = load_taxonomy("harmonized")
    names, n = taxonomy.names, len(taxonomy.names)
    fb, cu, ct = names.index(taxonomy.fallback), names.index("collection_use"), names.index("contact")
    thresholds = np.full(n, 0.5, dtype=np.float32)
    thresholds[ct] = 0.2
    scores = np.zeros((3, n), dtype=np.float32)
    scores[0, [fb, cu]] = 0.9  # content label passes: fallback dropped
    scores[1, fb] = 0.9  # fallback alone stays
    scores[2, [cu, ct]] = [0.4, 0.18]  # nothing passes: best score/threshold ratio (contact: 0.9 > 0.8)
    chosen = decide(scores, thresholds, taxonomy)
    assert [list(np.flatnonzero(row)) for row in chosen] == [[cu], [fb], [ct]]


def test_tuned_threshold_maximises_f1_and_groups_weigh_the_same():
    # One label. Group A (100 units): positives score 0.6-0.7, negatives 0.3. Group B (5 units):
    # positives score 0.2 and 0.25 (below A's negatives), negatives 0.1.
    scores = np.concatenate([np.linspace(0.6, 0.7, 40), np.full(60, 0.3), [0.2, 0.25], np.full(3, 0.1)])
    gold = np.concatenate([np.ones(40), np.zeros(60), np.ones(2), np.zeros(3)]).astype(bool)
    groups = np.array([0] * 100 + [1] * 5)
    scores, gold = scores[:, None].astype(np.float32), gold[:, None]
    pooled = tune_thresholds(scores, gold)[0]
    equal = tune_thresholds(scores, gold, groups=groups)[0]
    assert 0.3 < pooled <= 0.6  # pooled F1 0.98 above A's negatives (B's two positives lost) vs 0.58 below
    assert 0.1 < equal <= 0.2  # mean F1 (0.57 + 1.0) / 2 below A's negatives vs (1.0 + 0) / 2 above
    assert tune_thresholds(scores, np.zeros_like(gold), default=0.5)[0] == 0.5  # no support: the default
