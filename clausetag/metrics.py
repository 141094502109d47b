"""Multi-label metrics: per-label precision/recall/F1, macro and micro averages.

Everything is computed from per-label true-positive, false-positive and false-negative counts, so the
same formulas serve a single evaluation (`label_metrics`) and thousands of bootstrap resamples at once
(`rates`, `averages` broadcast over leading axes). They agree with scikit-learn's
`precision_recall_fscore_support(..., zero_division=0)`.
"""

from __future__ import annotations

import numpy as np


def label_counts(gold: np.ndarray, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-unit (n × labels) true positives, false positives and false negatives as 0/1 arrays."""
    gold, pred = gold.astype(bool), pred.astype(bool)
    return (gold & pred).astype(np.int64), (~gold & pred).astype(np.int64), (gold & ~pred).astype(np.int64)


def _ratio(num: np.ndarray, den: np.ndarray, undefined: float) -> np.ndarray:
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, undefined, dtype=np.float64)
    np.divide(num, den, out=out, where=den > 0)
    return out


def rates(tp, fp, fn, undefined: float = 0.0) -> dict[str, np.ndarray]:
    """Per-label precision, recall, F1 (fractions) and support from summed counts (labels on the last
    axis). `undefined` is what a ratio with a zero denominator becomes (0 like scikit-learn, or NaN)."""
    tp, fp, fn = (np.asarray(a, dtype=np.float64) for a in (tp, fp, fn))
    return {"precision": _ratio(tp, tp + fp, undefined), "recall": _ratio(tp, tp + fn, undefined),
            "f1": _ratio(2 * tp, 2 * tp + fp + fn, undefined), "support": tp + fn}


def averages(tp, fp, fn) -> dict[str, np.ndarray]:
    """Macro averages (over labels with support; 0 when none has) and micro averages, as fractions."""
    r = rates(tp, fp, fn)
    present = r["support"] > 0
    n_present = present.sum(axis=-1)
    out = {}
    for key in ("precision", "recall", "f1"):
        out[f"macro_{key}"] = _ratio((r[key] * present).sum(axis=-1), n_present, 0.0)
    micro = rates(*(np.asarray(a).sum(axis=-1) for a in (tp, fp, fn)))
    for key in ("precision", "recall", "f1"):
        out[f"micro_{key}"] = micro[key]
    return out


def label_metrics(gold: np.ndarray, pred: np.ndarray, names: list[str]) -> dict:
    """Per-label P/R/F1/support and macro (over labels with support) and micro averages, in percent."""
    tp, fp, fn = (c.sum(axis=0) for c in label_counts(gold, pred))
    r, avg = rates(tp, fp, fn), averages(tp, fp, fn)
    per_label = {n: {"precision": 100 * float(r["precision"][i]), "recall": 100 * float(r["recall"][i]),
                     "f1": 100 * float(r["f1"][i]), "support": int(r["support"][i])} for i, n in enumerate(names)}
    return {
        "per_label": per_label,
        "macro_f1": 100 * float(avg["macro_f1"]),
        "macro_precision": 100 * float(avg["macro_precision"]),
        "macro_recall": 100 * float(avg["macro_recall"]),
        "micro_f1": 100 * float(avg["micro_f1"]), "micro_precision": 100 * float(avg["micro_precision"]),
        "micro_recall": 100 * float(avg["micro_recall"]),
        "n_units": int(np.asarray(gold).shape[0]),
    }


def headline(metrics: dict) -> dict:
    """Macro- and micro-F1 of `label_metrics` rounded to one decimal, with the unit count (a table row)."""
    return {"macro_f1": round(metrics["macro_f1"], 1), "micro_f1": round(metrics["micro_f1"], 1),
            "units": metrics["n_units"]}
