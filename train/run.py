"""`clausetag train CONFIG`: data → method → thresholds → validation metrics → model directory."""

from __future__ import annotations

import logging
import os
import platform
import random
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from clausetag.decision import decide
from clausetag.metrics import label_metrics
from clausetag.modeldir import ModelError, ModelInfo, combined_scores, read_info, save_model
from clausetag.records import Unit
from clausetag.taxonomy import load_taxonomy

from clausetag.train.card import model_card
from clausetag.train.config import ConfigError, TrainConfig
from clausetag.train.data import build_data
from clausetag.train.methods import (FITTERS, extended_blend, fit_blend, fit_neighbours, kept_blend, kept_thresholds,
                                     seed_everything)
from clausetag.train.thresholds import ThresholdPolicy, cross_fitted_metrics, fit_thresholds, unit_thresholds

log = logging.getLogger(__name__)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30 if hasattr(os, "sysconf") else 0
    return f"{os.cpu_count()} cores ({cpu}), {ram:.0f} GiB RAM, {gpu}"


def _selection(validation: dict[str, list[Unit]], n: int, seed: int) -> list[Unit]:
    """A subsample of every validation source, in proportion, for early stopping."""
    pool = [u for units in validation.values() for u in units]
    if len(pool) <= n:
        return pool
    return random.Random(seed).sample(pool, n)


def _blend_record(cfg: TrainConfig, blend) -> dict | None:
    """model.json's "blend" entry; a blend kept from another model ([blend] keep_from) names that model and
    the config its TF-IDF parts were fitted by, so the card does not credit them to this run's data."""
    if not blend:
        return None
    record = blend.to_dict()
    if cfg.blend.keep_from:
        kept = read_info(cfg.blend.keep_from).training
        record["kept_from"] = {"model": cfg.blend.keep_from, "config": kept.get("config_path"),
                               "created": kept.get("created")}
        if cfg.blend.add_languages:  # these parts were fitted by this run, on its own training units
            record["kept_from"]["fitted_here"] = list(cfg.blend.add_languages)
    return record


def continued_from_record(model: str | Path) -> dict:
    """What a model continued from `model` records of it (`training.continued_from`): its config's text and
    its own training record (data summary, and its own `continued_from` for a chain), so the training-overlap
    check can rebuild every unit the continued model has seen (clausetag/training_overlap.py)."""
    return {"model": str(model), "config": (Path(model) / "config.toml").read_text(encoding="utf-8"),
            "training": read_info(model).training}


def evaluate_units(model_scores: np.ndarray, units: list[Unit], thresholds, taxonomy) -> dict:
    gold = taxonomy.to_matrix([u.labels for u in units])
    return label_metrics(gold, decide(model_scores, thresholds, taxonomy), taxonomy.names)


def train(cfg: TrainConfig, output: str | Path | None = None, corpora_root=None) -> tuple[Path | None, dict]:
    """Run a config; returns (model directory or None, metrics). Where the model would go is checked
    first, so that a run never ends on a path it may not write or replace."""
    from clausetag.modeldir import model_output_problem

    started = time.time()
    output = output or cfg.output
    if output and (problem := model_output_problem(Path(output))):
        raise ModelError(problem)
    seed_everything(cfg.seed)
    taxonomy = load_taxonomy(cfg.taxonomy)
    unknown = sorted(set(cfg.validation.threshold_overrides) - set(taxonomy.names))
    if unknown:  # before any training: the overrides are applied at its end
        raise ConfigError(f"{cfg.path}: [validation] threshold_overrides: {unknown[0]!r} is not a label of the "
                          f"{cfg.taxonomy} taxonomy ({', '.join(taxonomy.names)})")
    data = build_data(cfg, corpora_root)
    log.info("training units: %d; validation: %s", len(data.train), data.summary["validation_units"])
    tuning = {k: v for k, v in data.validation.items() if k not in cfg.validation.evaluate_only}
    selection = _selection(tuning, cfg.validation.max_units_for_selection, cfg.seed)
    if cfg.method == "distill":  # the one method that also trains on units without labels
        from clausetag.train.distill import fit_distill

        clf = fit_distill(cfg, taxonomy, data, selection)
    else:
        clf = FITTERS[cfg.method](cfg, taxonomy, data.train, selection)
    blend = ((kept_blend(cfg.blend.keep_from) if cfg.blend.keep_from else fit_blend(cfg, taxonomy, data.train))
             if cfg.blend.tfidf_weight else None)
    if blend and cfg.blend.add_languages:
        blend = extended_blend(blend, cfg, taxonomy, data.train)
    neighbours = (fit_neighbours(cfg, taxonomy, clf, data.by_source)
                  if cfg.neighbours.weight or cfg.neighbours.blend_language_weight else None)
    # a continued model's training time includes the run it continues
    train_minutes = (time.time() - started) / 60 + getattr(clf, "training_log", {}).get("init_train_minutes", 0.0)

    def score(units: list[Unit]) -> tuple[np.ndarray, np.ndarray]:
        """(the model's scores, the classifier's alone: what languages outside the blend get)."""
        return combined_scores(clf, blend, neighbours, [u.text for u in units], [u.section for u in units],
                               [u.lang for u in units], docs=[u.doc for u in units])

    scored = {name: score(units) for name, units in data.validation.items()}
    scores = {name: both[0] for name, both in scored.items()}
    alone = {name: both[1] for name, both in scored.items()} if blend else None
    policy = ThresholdPolicy(cfg.validation.threshold_weighting, cfg.validation.thresholds_by_language,
                             cfg.validation.min_language_units)
    pick = lambda d: {k: d[k] for k in tuning} if d else None  # noqa: E731
    thresholds = (kept_thresholds(cfg.validation.thresholds_from, taxonomy) if cfg.validation.thresholds_from
                  else fit_thresholds(pick(scores), tuning, taxonomy, policy, pick(alone)))
    if cfg.validation.threshold_overrides:
        thresholds = thresholds.overridden(taxonomy.names, cfg.validation.threshold_overrides)
    missing = sorted(set(blend.languages) - set(thresholds.by_language)) if blend and policy.by_language else []
    if missing:
        log.warning("blend languages without their own thresholds (too few validation units): %s",
                    ", ".join(missing))
    metrics: dict = {"validation": {}, "by_language": {},
                     "thresholds_tuned_on": [] if cfg.validation.thresholds_from else sorted(tuning),
                     **({"thresholds_from": cfg.validation.thresholds_from} if cfg.validation.thresholds_from else {}),
                     **({"threshold_overrides": dict(cfg.validation.threshold_overrides)}
                        if cfg.validation.threshold_overrides else {}),
                     "threshold_weighting": cfg.validation.threshold_weighting,
                     "thresholds_by_language": sorted(thresholds.by_language)}
    by_lang: dict[str, list] = defaultdict(list)
    for name, units in data.validation.items():
        metrics["validation"][name] = evaluate_units(scores[name], units, unit_thresholds(thresholds, units), taxonomy)
        for i, u in enumerate(units):
            by_lang[u.lang].append((scores[name][i], u))
    for lang, pairs in by_lang.items():
        lang_units = [p[1] for p in pairs]
        metrics["by_language"][lang] = evaluate_units(np.stack([p[0] for p in pairs]), lang_units,
                                                      unit_thresholds(thresholds, lang_units), taxonomy)
    if tuning:
        for name, m in cross_fitted_metrics(pick(scores), tuning, taxonomy, policy, pick(alone), cfg.seed).items():
            metrics["validation"][name]["cross_fitted"] = m
    metrics["train_minutes"] = round(train_minutes, 2)
    if hasattr(clf, "training_log"):
        metrics["finetune"] = clf.training_log
    for name, m in metrics["validation"].items():
        log.info("%s: macro-F1 %.1f micro-F1 %.1f (%d units)%s", name, m["macro_f1"], m["micro_f1"], m["n_units"],
                 f"; thresholds from the other half of the {m['cross_fitted']['split']}: macro-F1 "
                 f"{m['cross_fitted']['macro_f1']:.1f}"
                 if "cross_fitted" in m else "")

    if not output:
        return None, metrics
    encoder = None
    if cfg.method != "tfidf":
        from clausetag.encoder.load import encoder_fingerprint, load_encoder

        _, base = load_encoder(cfg.encoder.name)
        encoder = {"name": cfg.encoder.name, "fingerprint": encoder_fingerprint(base), "layers": cfg.encoder.layers}
        inputs = {"prefix": cfg.encoder.prefix, "use_section": cfg.encoder.use_section,
                  "max_length": cfg.encoder.max_length, "window_stride": 32}
    else:
        inputs = {"use_section": cfg.encoder.use_section}
    info = ModelInfo(
        method=cfg.method, taxonomy=taxonomy.to_dict(),
        thresholds=thresholds.to_dicts(taxonomy.names)[0],
        thresholds_by_language=thresholds.to_dicts(taxonomy.names)[1] or None,
        encoder=encoder, inputs=inputs, blend=_blend_record(cfg, blend), onnx=cfg.onnx or None,
        neighbours=neighbours.to_dict() | {"sources": cfg.neighbours.sources or sorted(data.by_source)}
        | ({"route_sources": cfg.neighbours.route_sources} if neighbours.routes is not None else {})
        if neighbours else None,
        training={"config_name": cfg.name, "config_path": cfg.path, "config_sha256_16": cfg.hash,
                  "seed": cfg.seed, "data": data.summary, "train_minutes": round(train_minutes, 2),
                  "machine": machine(), "created": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                  **({"continued_from": continued_from_record(cfg.finetune.init_from)}
                     if cfg.method == "finetune" and cfg.finetune.init_from else {})},
        metrics=metrics,
    )
    path = save_model(output, clf, info, extra_files={"config.toml": cfg.text, "README.md": model_card(info)},
                      components=[part for part in (blend, neighbours) if part])
    return path, metrics
