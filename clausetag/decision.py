"""Turning scores into labels: per-label thresholds, `other` only alone, at least one label."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from clausetag.taxonomy import Taxonomy


def decide(scores: np.ndarray, thresholds: np.ndarray, taxonomy: Taxonomy) -> np.ndarray:
    """Boolean (n × labels) decisions; `thresholds` is one per label or one row per unit. The fallback
    label is dropped when a content label passes; a row with nothing above threshold gets the label with
    the highest score/threshold ratio."""
    scores = np.atleast_2d(scores)
    thresholds = np.broadcast_to(thresholds, scores.shape)  # one row for all, or one row per unit
    chosen = scores >= thresholds
    if taxonomy.fallback in taxonomy.names:
        fb = taxonomy.names.index(taxonomy.fallback)
        content = np.delete(chosen, fb, axis=1).any(axis=1)
        chosen[content, fb] = False
    empty = ~chosen.any(axis=1)
    if empty.any():
        ratio = scores[empty] / np.maximum(thresholds[empty], 1e-6)
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


@dataclass
class Thresholds:
    """Per-label thresholds: one row per language that has its own, `default` for every other language."""

    default: np.ndarray
    by_language: dict[str, np.ndarray] = field(default_factory=dict)

    def rows(self, langs: list[str] | None, n: int) -> np.ndarray:
        """(n × labels) thresholds for units of languages `langs` (None: the default for all)."""
        if langs is None or not self.by_language or not n:
            return np.broadcast_to(self.default, (n, len(self.default)))
        return np.stack([self.by_language.get(lang, self.default) for lang in langs])

    @classmethod
    def from_dicts(cls, names: list[str], default: dict[str, float],
                   by_language: dict[str, dict[str, float]] | None) -> "Thresholds":
        row = lambda d: np.array([d[n] for n in names], dtype=np.float32)  # noqa: E731
        return cls(row(default), {lang: row(d) for lang, d in (by_language or {}).items()})

    def overridden(self, names: list[str], values: dict[str, float]) -> "Thresholds":
        """A copy with `values` (label -> threshold) set in the default row and every language's row."""
        unknown = sorted(set(values) - set(names))
        if unknown:
            raise ValueError(f"{unknown[0]!r} is not a label of this taxonomy ({', '.join(names)})")
        cols = [names.index(label) for label in values]
        new = [float(v) for v in values.values()]

        def row(a: np.ndarray) -> np.ndarray:
            out = a.copy()
            out[cols] = new
            return out

        return Thresholds(row(self.default), {lang: row(a) for lang, a in self.by_language.items()})

    def to_dicts(self, names: list[str]) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
        row = lambda a: {n: round(float(t), 4) for n, t in zip(names, a)}  # noqa: E731
        return row(self.default), {lang: row(a) for lang, a in self.by_language.items()}
