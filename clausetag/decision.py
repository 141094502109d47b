"""Turning scores into labels: per-label thresholds, `other` only alone, at least one label."""

from __future__ import annotations

import numpy as np

from clausetag.taxonomy import Taxonomy


def decide(scores: np.ndarray, thresholds: np.ndarray, taxonomy: Taxonomy) -> np.ndarray:
    """Boolean (n × labels) decisions. The fallback label is dropped when a content label passes;
    a row with nothing above threshold gets the label with the highest score/threshold ratio."""
    scores = np.atleast_2d(scores)
    chosen = scores >= thresholds
    if taxonomy.fallback in taxonomy.names:
        fb = taxonomy.names.index(taxonomy.fallback)
        content = np.delete(chosen, fb, axis=1).any(axis=1)
        chosen[content, fb] = False
    empty = ~chosen.any(axis=1)
    if empty.any():
        ratio = scores[empty] / np.maximum(thresholds, 1e-6)
        chosen[np.flatnonzero(empty), ratio.argmax(axis=1)] = True
    return chosen


def tune_thresholds(scores: np.ndarray, gold: np.ndarray, default: float = 0.5,
                    grid: np.ndarray | None = None) -> np.ndarray:
    """Per-label threshold maximising that label's F1 on validation (default where a label has no support)."""
    grid = np.round(np.arange(0.05, 0.951, 0.025), 3) if grid is None else grid
    out = np.full(scores.shape[1], default, dtype=np.float32)
    for j in range(scores.shape[1]):
        y = gold[:, j].astype(bool)
        if not y.any():
            continue
        best, best_f1 = default, -1.0
        for t in grid:
            p = scores[:, j] >= t
            tp = np.sum(p & y)
            f1 = 2 * tp / max(p.sum() + y.sum(), 1)
            if f1 > best_f1 + 1e-9:
                best, best_f1 = t, f1
        out[j] = best
    return out
