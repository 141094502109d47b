"""Multi-label metrics: per-label precision/recall/F1, macro and micro averages."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import precision_recall_fscore_support


def label_metrics(gold: np.ndarray, pred: np.ndarray, names: list[str]) -> dict:
    """Per-label P/R/F1/support and macro (over labels with support) and micro averages, in percent."""
    gold, pred = gold.astype(int), pred.astype(int)
    p, r, f, s = precision_recall_fscore_support(gold, pred, average=None, zero_division=0)
    per_label = {n: {"precision": 100 * float(p[i]), "recall": 100 * float(r[i]), "f1": 100 * float(f[i]),
                     "support": int(s[i])} for i, n in enumerate(names)}
    present = s > 0
    mp, mr, mf, _ = precision_recall_fscore_support(gold, pred, average="micro", zero_division=0)
    return {
        "per_label": per_label,
        "macro_f1": 100 * float(f[present].mean()) if present.any() else 0.0,
        "macro_precision": 100 * float(p[present].mean()) if present.any() else 0.0,
        "macro_recall": 100 * float(r[present].mean()) if present.any() else 0.0,
        "micro_f1": 100 * float(mf), "micro_precision": 100 * float(mp), "micro_recall": 100 * float(mr),
        "n_units": int(gold.shape[0]),
    }
