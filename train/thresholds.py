"""Choosing a model's per-label thresholds on its validation sets, and estimating how optimistic that is.

By default one row of thresholds serves every language, tuned on the model's scores of all validation
sets. With `[validation] thresholds_by_language` a language with enough validation units gets a row
of its own (the blend gives each language its own score distribution), and every other language a
row tuned on the scores it gets: the encoder's alone when the model blends. That wins on the
validation sets and loses on policies from elsewhere (docs/training-notes.md), so it is off by default.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

import numpy as np

from clausetag.decision import Thresholds, decide, tune_thresholds
from clausetag.metrics import label_metrics
from clausetag.records import Unit
from clausetag.taxonomy import Taxonomy


@dataclass
class ThresholdPolicy:
    """How thresholds are tuned (the `[validation]` settings that concern them)."""

    weighting: str = "equal_sources"  # or "pooled"
    by_language: bool = False
    min_language_units: int = 500


def _tune(parts: list[tuple[np.ndarray, np.ndarray]], weighting: str) -> np.ndarray:
    scores = np.concatenate([s for s, _ in parts])
    gold = np.concatenate([g for _, g in parts])
    groups = None
    if weighting == "equal_sources":
        groups = np.concatenate([np.full(len(s), i) for i, (s, _) in enumerate(parts)])
    return tune_thresholds(scores, gold, groups=groups)


def fit_thresholds(scores: dict[str, np.ndarray], units: dict[str, list[Unit]], taxonomy: Taxonomy,
                   policy: ThresholdPolicy, default_scores: dict[str, np.ndarray] | None = None) -> Thresholds:
    """Thresholds from validation sets (`units` and `scores` keyed by set name). With `policy.by_language`,
    `default_scores` are the scores a language without its own row gets (the encoder's alone, for a
    blended model) and its row is tuned on them; without, one row is tuned on `scores` for all."""
    if not units or not any(units.values()):
        return Thresholds(np.full(len(taxonomy.names), 0.5, dtype=np.float32))
    gold = {k: taxonomy.to_matrix([u.labels for u in us]) for k, us in units.items()}
    base = default_scores if policy.by_language and default_scores else scores  # one row: the model's scores
    default = _tune([(base[k], gold[k]) for k in units if len(units[k])], policy.weighting)
    by_language = {}
    if policy.by_language:
        counts = Counter(u.lang for us in units.values() for u in us)
        for lang in sorted(lang for lang, n in counts.items() if n >= policy.min_language_units):
            parts = []
            for k, us in units.items():
                mask = np.array([u.lang == lang for u in us], dtype=bool)
                if mask.any():
                    parts.append((scores[k][mask], gold[k][mask]))
            by_language[lang] = _tune(parts, policy.weighting)
    return Thresholds(default, by_language)


def unit_thresholds(thresholds: Thresholds, units: list[Unit]) -> np.ndarray:
    return thresholds.rows([u.lang for u in units], len(units))


def cross_fitted_metrics(scores: dict[str, np.ndarray], units: dict[str, list[Unit]], taxonomy: Taxonomy,
                         policy: ThresholdPolicy, default_scores: dict[str, np.ndarray] | None = None,
                         seed: int = 0) -> dict[str, dict]:
    """Macro/micro-F1 per validation set with thresholds tuned on the *other* half of the validation
    documents (two folds, each set's documents split in half by a seeded shuffle; decisions pooled):
    what the thresholds are worth on documents they were not tuned on. A set whose units name no more
    than one document (OPP-115's validation split here) is split by unit instead, which still lets
    units of one policy fall on both sides; `split` in its entry says which."""
    first_half: dict[str, np.ndarray] = {}
    split: dict[str, str] = {}
    for k, us in units.items():
        by_document = len({u.doc for u in us}) > 1
        key = (lambda u: u.doc) if by_document else (lambda u: u.id)  # noqa: E731
        keys = sorted({u.doc for u in us}) if by_document else [u.id for u in us]
        random.Random(f"{seed}:{k}").shuffle(keys)
        first = set(keys[: len(keys) // 2])
        first_half[k] = np.array([key(u) in first for u in us], dtype=bool)
        split[k] = "documents" if by_document else "units"
    decided = {k: np.zeros((len(us), len(taxonomy.names)), dtype=bool) for k, us in units.items()}
    for fold in (True, False):
        fit = {k: first_half[k] != fold for k in units}
        pick = lambda d: {k: d[k][fit[k]] for k in units} if d else None  # noqa: E731
        th = fit_thresholds(pick(scores), {k: [u for u, f in zip(us, fit[k]) if f] for k, us in units.items()},
                            taxonomy, policy, pick(default_scores))
        for k in units:
            rows = np.flatnonzero(~fit[k])
            held = [units[k][i] for i in rows]
            decided[k][rows] = decide(scores[k][rows], unit_thresholds(th, held), taxonomy)
    out = {}
    for k, us in units.items():
        if us:
            m = label_metrics(taxonomy.to_matrix([u.labels for u in us]), decided[k], taxonomy.names)
            out[k] = {"macro_f1": m["macro_f1"], "micro_f1": m["micro_f1"], "split": split[k]}
    return out
