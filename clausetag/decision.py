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
                    grid: np.ndarray | None = None, groups: np.ndarray | None = None) -> np.ndarray:
    """Per-label threshold maximising that label's F1 on validation (default where a label has no support).
    With `groups` (one id per row, e.g. the validation source) the F1 maximised is the mean over the groups
    in which the label occurs, so each group counts the same however many rows it has."""
    grid = np.round(np.arange(0.05, 0.951, 0.025), 3) if grid is None else grid
    groups = np.zeros(len(scores), dtype=int) if groups is None else np.asarray(groups)
    members = [groups == g for g in np.unique(groups)]
    out = np.full(scores.shape[1], default, dtype=np.float32)
    for j in range(scores.shape[1]):
        y = gold[:, j].astype(bool)
        supported = [m for m in members if y[m].any()]
        if not supported:
            continue
        predicted = scores[:, j][None, :] >= grid[:, None]  # (grid, rows)
        f1 = np.zeros(len(grid))
        for m in supported:
            tp = (predicted[:, m] & y[m]).sum(1)
            f1 += 2 * tp / np.maximum(predicted[:, m].sum(1) + y[m].sum(), 1)
        out[j] = grid[int(np.argmax(f1 > f1.max() - 1e-9))]  # the lowest threshold among the best
    return out
