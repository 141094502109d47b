"""The evaluation core: gold/pred/score arrays in, numbers out (no model, no HTML).

    result = evaluate_arrays(gold, {"model": pred}, names, docs=docs, langs=langs)

Metrics come with bootstrap intervals: documents are resampled with replacement (units of a document
stay together) where a group has documents enough, single units otherwise. Resampling is seeded and
paired: every model of a comparison sees the same resamples, so differences get intervals too.
"""

from __future__ import annotations

import warnings
import zlib
from dataclasses import dataclass
from typing import Iterator

import numpy as np
from sklearn.metrics import average_precision_score, precision_recall_curve

from clausetag.metrics import averages, label_counts, label_metrics, rates
from clausetag.settings import defaults

#: The metrics that get intervals, as named in `label_metrics` output.
PER_LABEL_KEYS = ("precision", "recall", "f1")
AVERAGE_KEYS = ("macro_precision", "macro_recall", "macro_f1", "micro_precision", "micro_recall", "micro_f1")


@dataclass(frozen=True)
class BootstrapConfig:
    """How intervals are estimated (defaults: `[evaluate]` in defaults.toml)."""

    resamples: int = 1000
    seed: int = 0
    level: float = 0.95
    min_docs: int = 2  # fewer distinct documents in a group → resample units
    chunk: int = 250  # resamples drawn per matrix product

    @classmethod
    def load(cls, **overrides) -> "BootstrapConfig":
        d = defaults()["evaluate"]
        values = {"resamples": d["bootstrap_resamples"], "seed": d["bootstrap_seed"], "level": d["confidence_level"],
                  "min_docs": d["min_docs_for_document_resampling"]}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


# --- resampling ------------------------------------------------------------------------------

def clusters_for(docs: list[str | None] | None, n: int, min_docs: int = 2) -> tuple[np.ndarray, str]:
    """Cluster index per unit and what is resampled: `document` when at least `min_docs` documents
    are known (a unit without a document is its own cluster), `unit` otherwise."""
    if docs is not None:
        known = {d for d in docs if d}
        if len(known) >= min_docs:
            index = {d: i for i, d in enumerate(sorted(known))}
            out = np.empty(n, dtype=np.int64)
            extra = len(index)
            for i, d in enumerate(docs):
                if d:
                    out[i] = index[d]
                else:
                    out[i], extra = extra, extra + 1
            return out, "document"
    return np.arange(n, dtype=np.int64), "unit"


def resample_counts(n_clusters: int, resamples: int, seed: int | list[int], chunk: int = 250) -> Iterator[np.ndarray]:
    """How often each cluster is drawn in each resample, `chunk` resamples (rows) at a time."""
    rng = np.random.default_rng(seed)
    p = np.full(n_clusters, 1.0 / n_clusters)
    for start in range(0, resamples, chunk):
        yield rng.multinomial(n_clusters, p, size=min(chunk, resamples - start)).astype(np.float64)


def cluster_counts(gold: np.ndarray, pred: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    """(3 × clusters × labels) summed TP, FP, FN per cluster."""
    n_clusters = int(clusters.max()) + 1 if len(clusters) else 0
    out = np.zeros((3, n_clusters, gold.shape[1]), dtype=np.float64)
    for k, c in enumerate(label_counts(gold, pred)):
        np.add.at(out[k], clusters, c)
    return out


def resampled_metrics(counts: np.ndarray, weights: np.ndarray) -> dict[str, np.ndarray]:
    """Metrics (fractions) of each resample: per-label arrays (resamples × labels) with NaN where a
    ratio is undefined in that resample, and averages (resamples,) as `label_metrics` computes them."""
    tp, fp, fn = (weights @ counts[k] for k in range(3))
    out = {k: v for k, v in rates(tp, fp, fn, undefined=np.nan).items() if k in PER_LABEL_KEYS}
    out.update(averages(tp, fp, fn))
    return out


def _group_seed(seed: int, key: str) -> list[int]:
    """A seed per group that does not depend on which other groups exist."""
    return [seed, zlib.crc32(key.encode("utf-8"))]


def bootstrap_samples(gold: np.ndarray, preds: dict[str, np.ndarray], clusters: np.ndarray,
                      cfg: BootstrapConfig, key: str = "") -> dict[str, dict[str, np.ndarray]]:
    """Resampled metrics (in percent) for every model, all on the same resamples."""
    counts = {name: cluster_counts(gold, pred, clusters) for name, pred in preds.items()}
    parts: dict[str, dict[str, list]] = {name: {} for name in preds}
    for w in resample_counts(counts[next(iter(counts))].shape[1], cfg.resamples, _group_seed(cfg.seed, key),
                             cfg.chunk):
        for name, c in counts.items():
            for k, v in resampled_metrics(c, w).items():
                parts[name].setdefault(k, []).append(100 * v)
    return {name: {k: np.concatenate(v) for k, v in d.items()} for name, d in parts.items()}


def interval(samples: np.ndarray, level: float) -> np.ndarray:
    """Percentile interval along the first axis, ignoring resamples where the metric is undefined."""
    alpha = (1 - level) / 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a metric undefined in every resample → NaN
        return np.nanpercentile(samples, [100 * alpha, 100 * (1 - alpha)], axis=0)


def _pair(a: np.ndarray, j: int | None = None) -> list[float | None]:
    vals = a[:, j] if j is not None else a
    return [None if np.isnan(v) else round(float(v), 4) for v in vals]


# --- one group -------------------------------------------------------------------------------

def metrics_with_intervals(gold: np.ndarray, pred: np.ndarray, names: list[str],
                           samples: dict[str, np.ndarray], level: float) -> dict:
    """`label_metrics` output with `ci` entries ([low, high], percent) per label and for the averages."""
    m = label_metrics(gold, pred, names)
    for j, name in enumerate(names):
        m["per_label"][name]["ci"] = {k: _pair(interval(samples[k], level), j) for k in PER_LABEL_KEYS}
    m["ci"] = {k: _pair(interval(samples[k], level)) for k in AVERAGE_KEYS}
    return m


def difference(a: dict, b: dict, samples_a: dict, samples_b: dict, names: list[str], level: float) -> dict:
    """Model a − model b, per label and on the averages, with paired bootstrap intervals."""
    out = {"per_label": {}, "ci": {}}
    for j, name in enumerate(names):
        row = {k: a["per_label"][name][k] - b["per_label"][name][k] for k in PER_LABEL_KEYS}
        row["ci"] = {k: _pair(interval(samples_a[k] - samples_b[k], level), j) for k in PER_LABEL_KEYS}
        out["per_label"][name] = row
    for k in AVERAGE_KEYS:
        out[k] = a[k] - b[k]
        out["ci"][k] = _pair(interval(samples_a[k] - samples_b[k], level))
    return out


def evaluate_group(gold: np.ndarray, preds: dict[str, np.ndarray], names: list[str],
                   docs: list[str | None] | None, cfg: BootstrapConfig, key: str = "all") -> dict:
    """Metrics with intervals for every model on one set of units (and `difference` for two models)."""
    clusters, unit = clusters_for(docs, len(gold), cfg.min_docs)
    samples = bootstrap_samples(gold, preds, clusters, cfg, key)
    out = {"units": int(len(gold)), "documents": len({d for d in docs if d}) if docs else 0, "resampled": unit,
           "models": {name: metrics_with_intervals(gold, pred, names, samples[name], cfg.level)
                      for name, pred in preds.items()}}
    if len(preds) == 2:
        a, b = list(preds)
        out["difference"] = difference(out["models"][a], out["models"][b], samples[a], samples[b], names, cfg.level)
    return out


def breakdown(gold: np.ndarray, preds: dict[str, np.ndarray], names: list[str], keys: list[str | None],
              docs: list[str | None] | None, cfg: BootstrapConfig, kind: str) -> dict[str, dict]:
    """`evaluate_group` for each distinct value of `keys` (a language or document per unit)."""
    out = {}
    for value in sorted({k for k in keys if k is not None}):
        idx = np.flatnonzero([k == value for k in keys])
        sub_docs = [docs[i] for i in idx] if docs is not None else None
        out[value] = evaluate_group(gold[idx], {n: p[idx] for n, p in preds.items()}, names, sub_docs, cfg,
                                    key=f"{kind}:{value}")
    return out


# --- charts' numbers -------------------------------------------------------------------------

def cooccurrence(gold: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """(labels × labels) units with gold label i (rows) and predicted label j (columns)."""
    return gold.astype(np.int64).T @ pred.astype(np.int64)


def reliability(gold: np.ndarray, scores: np.ndarray, bins: int = 10) -> dict:
    """Calibration of the scores over all (unit, label) pairs: per equal-width bin the mean score, the
    fraction that is gold, the count; expected calibration error and Brier score."""
    y, s = gold.astype(np.float64).ravel(), scores.astype(np.float64).ravel()
    which = np.minimum((s * bins).astype(int), bins - 1)
    count = np.bincount(which, minlength=bins)
    sum_s, sum_y = np.bincount(which, s, bins), np.bincount(which, y, bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_s, freq = sum_s / count, sum_y / count
    filled = count > 0
    ece = float(np.sum(count[filled] * np.abs(freq[filled] - mean_s[filled])) / max(len(s), 1))
    return {"bins": [{"low": i / bins, "high": (i + 1) / bins, "count": int(count[i]),
                      "mean_score": float(mean_s[i]) if filled[i] else None,
                      "fraction_gold": float(freq[i]) if filled[i] else None} for i in range(bins)],
            "ece": ece, "brier": float(np.mean((s - y) ** 2)) if len(s) else 0.0, "pairs": int(len(s))}


def _thin(a: np.ndarray, b: np.ndarray, points: int) -> tuple[list[float], list[float]]:
    if len(a) > points:
        keep = np.unique(np.linspace(0, len(a) - 1, points).round().astype(int))
        a, b = a[keep], b[keep]
    return [round(float(v), 4) for v in a], [round(float(v), 4) for v in b]


def pr_curves(gold: np.ndarray, scores: np.ndarray, thresholds: np.ndarray, names: list[str],
              points: int = 200) -> dict[str, dict]:
    """Per label: precision–recall curve (at most `points` points), average precision and the
    operating point of the label's threshold (score ≥ threshold, before the fallback rule). `thresholds`
    is one per label or one row per unit (per-language thresholds); `threshold` is None where a label's
    thresholds differ between units, `threshold_range` their lowest and highest."""
    out = {}
    thresholds = np.broadcast_to(thresholds, scores.shape)
    for j, name in enumerate(names):
        y, s, t = gold[:, j].astype(bool), scores[:, j], thresholds[:, j]
        above = s >= t
        tp = int(np.sum(above & y))
        lo, hi = (float(t.min()), float(t.max())) if len(t) else (None, None)
        entry = {"threshold": lo if lo == hi else None, "threshold_range": [lo, hi], "support": int(y.sum()),
                 "precision_at_threshold": 100 * tp / above.sum() if above.any() else None,
                 "recall_at_threshold": 100 * tp / y.sum() if y.any() else None,
                 "average_precision": None, "curve": {"precision": [], "recall": []}}
        if y.any():
            p, r, _ = precision_recall_curve(y, s)
            entry["average_precision"] = 100 * float(average_precision_score(y, s))
            rr, pp = _thin(r, p, points)
            entry["curve"] = {"precision": pp, "recall": rr}
        out[name] = entry
    return out


def top_errors(gold: np.ndarray, pred: np.ndarray, scores: np.ndarray, names: list[str], k: int = 10) -> dict:
    """Per label the row indices of the `k` most confident false positives (highest score first) and
    false negatives (lowest score first)."""
    out = {}
    g, p = gold.astype(bool), pred.astype(bool)
    for j, name in enumerate(names):
        fp, fn = np.flatnonzero(~g[:, j] & p[:, j]), np.flatnonzero(g[:, j] & ~p[:, j])
        out[name] = {"false_positive": fp[np.argsort(-scores[fp, j], kind="stable")][:k].tolist(),
                     "false_negative": fn[np.argsort(scores[fn, j], kind="stable")][:k].tolist()}
    return out


def fixed_and_broken(gold: np.ndarray, base: np.ndarray, other: np.ndarray) -> dict:
    """What `other` changed against `base` on the gold units: the units it fixed (base's label set wrong,
    its own exactly right) and broke (the reverse), as row indices, and per label the (unit, label)
    decisions it fixed and broke."""
    gold, base, other = (np.asarray(a).astype(bool) for a in (gold, base, other))
    right_a, right_b = (gold == base).all(axis=1), (gold == other).all(axis=1)
    cell_a, cell_b = gold == base, gold == other
    return {"fixed": np.flatnonzero(~right_a & right_b).tolist(), "broken": np.flatnonzero(right_a & ~right_b).tolist(),
            "decisions_fixed": (~cell_a & cell_b).sum(axis=0).tolist(),
            "decisions_broken": (cell_a & ~cell_b).sum(axis=0).tolist()}


# --- everything ------------------------------------------------------------------------------

def evaluate_arrays(gold: np.ndarray, preds: dict[str, np.ndarray], names: list[str],
                    docs: list[str | None] | None = None, langs: list[str | None] | None = None,
                    scores: dict[str, np.ndarray] | None = None, thresholds: dict[str, np.ndarray] | None = None,
                    cfg: BootstrapConfig | None = None, reliability_bins: int = 10) -> dict:
    """Overall, per-language and per-document metrics with intervals; with `scores` (and `thresholds`)
    also co-occurrence, calibration and precision–recall numbers per model. Metrics in percent."""
    cfg = cfg or BootstrapConfig()
    gold = np.asarray(gold).astype(bool)
    preds = {n: np.asarray(p).astype(bool) for n, p in preds.items()}
    out = {
        "labels": list(names),
        "bootstrap": {"resamples": cfg.resamples, "seed": cfg.seed, "level": cfg.level,
                      "min_documents_for_document_resampling": cfg.min_docs},
        "overall": evaluate_group(gold, preds, names, docs, cfg, "all"),
        "by_language": breakdown(gold, preds, names, langs, docs, cfg, "lang") if langs is not None else {},
        "by_document": breakdown(gold, preds, names, docs, docs, cfg, "doc") if docs is not None else {},
        "cooccurrence": {n: cooccurrence(gold, p).tolist() for n, p in preds.items()},
    }
    if scores:
        out["calibration"] = {n: reliability(gold, s, reliability_bins) for n, s in scores.items()}
        if thresholds:
            out["precision_recall"] = {
                n: {label: {k: v for k, v in e.items() if k != "curve"}
                    for label, e in pr_curves(gold, s, thresholds[n], names).items()}
                for n, s in scores.items()}
    return out
