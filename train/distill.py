"""The `distill` method: a small student encoder trained to give a teacher model's final scores.

The teacher (`[distill] teacher`, a model folder: `models/default`) scores every training unit, labeled or
not, once (`train/teacher_scores.py` keeps them on disk); the student (the config's `[encoder]`, e.g. the
first 3 layers of e5-small, with the LoRA adapters, probed head and step plan of `[finetune]`) learns
those scores with binary cross-entropy, mixed with the gold labels where a unit has them
(`[distill] gold_weight`). Its thresholds are then tuned on the validation sets as for any model.
"""

from __future__ import annotations

import logging
import random
from pathlib import Path

import numpy as np
import torch
from torch import nn

from clausetag.encoder_classifier import EncoderClassifier, torch_device
from clausetag.records import Unit
from clausetag.settings import Settings, resolve_path
from clausetag.taxonomy import Taxonomy

from clausetag.train.config import ConfigError, TrainConfig
from clausetag.train.data import TrainingData
from clausetag.train.methods import fit_steps, lora_model
from clausetag.train.teacher_scores import TeacherScores

log = logging.getLogger(__name__)


def teacher_cache_root(cfg: TrainConfig) -> Path:
    """Where the teacher's scores are kept: `[distill] cache`, else CLAUSETAG_CACHE/teacher-scores."""
    return resolve_path(cfg.distill.cache) if cfg.distill.cache else Settings.load().cache / "teacher-scores"


def distill_targets(teacher: np.ndarray, units: list[Unit], taxonomy: Taxonomy, gold_weight: float,
                    labeled: int) -> np.ndarray:
    """The student's targets: the teacher's scores, for the first `labeled` units (those with gold labels)
    mixed with their gold labels, `gold_weight` of them."""
    targets = teacher.astype(np.float32).copy()
    if labeled and gold_weight:
        gold = taxonomy.to_matrix([u.labels for u in units[:labeled]]).astype(np.float32)
        targets[:labeled] = (1 - gold_weight) * targets[:labeled] + gold_weight * gold
    return targets


@torch.inference_mode()
def teacher_loss(model: EncoderClassifier, units: list[Unit], teacher: np.ndarray, batch_size: int = 64) -> float:
    """Mean binary cross-entropy of the student's scores against the teacher's on `units` (inputs
    truncated to one window, as in training)."""
    model.eval()
    logits = torch.zeros(len(units), model.n_labels)
    for owners, b in model.batches([u.text for u in units], [u.section for u in units], batch_size, truncate=True):
        logits[owners] = model(b["input_ids"], b["attention_mask"]).float().cpu()
    return float(nn.functional.binary_cross_entropy_with_logits(logits, torch.from_numpy(teacher)))


def fit_distill(cfg: TrainConfig, taxonomy: Taxonomy, data: TrainingData, selection: list[Unit]) -> EncoderClassifier:
    """Train the student on the teacher's scores of every training unit (labeled ones first, then the
    unlabeled ones), with early stopping on the selection units' macro-F1 as in fine-tuning."""
    d = cfg.distill
    teacher_dir = resolve_path(d.teacher)
    if not (teacher_dir / "model.json").is_file():
        raise ConfigError(f"{cfg.path or cfg.name}: [distill] teacher {d.teacher}: not a model folder (no model.json)")
    if cfg.finetune.init_from or cfg.finetune.lora_layers:
        raise ConfigError(f"{cfg.path or cfg.name}: the distill method trains a new student: [finetune] init_from "
                          "and lora_layers are not for it")
    units = [*data.train, *data.unlabeled]
    if not units:
        raise ConfigError(f"{cfg.path or cfg.name}: no training units to distill on")
    cache = TeacherScores(teacher_dir, d.teacher_backend, teacher_cache_root(cfg), taxonomy.names,
                          d.teacher_batch_size)
    teacher = cache.scores(units)
    targets = distill_targets(teacher, units, taxonomy, d.gold_weight, len(data.train))

    model = lora_model(cfg, taxonomy, data.train).to(torch_device(cfg.encoder.device))
    sample = sorted(random.Random(cfg.seed).sample(range(len(units)), min(d.loss_sample, len(units))))
    sampled = ([units[i] for i in sample], teacher[sample].astype(np.float32))
    before = teacher_loss(model, *sampled)
    y = torch.from_numpy(targets).to(model.device)
    model.training_log = fit_steps(model, cfg, taxonomy, units, y, nn.BCEWithLogitsLoss(), selection)
    after = teacher_loss(model, *sampled)
    log.info("student's loss against the teacher's scores on %d training units: %.4f before, %.4f after",
             len(sample), before, after)
    model.training_log["distill"] = {
        "teacher": d.teacher, "teacher_key": cache.key, "teacher_backend": d.teacher_backend,
        "gold_weight": d.gold_weight, "units_labeled": len(data.train), "units_unlabeled": len(data.unlabeled),
        "teacher_units_scored": cache.scored, "teacher_minutes": round(cache.minutes, 2),
        "teacher_loss_units": len(sample), "teacher_loss_before": round(before, 5), "teacher_loss_after": round(after, 5)}
    return model.eval()
