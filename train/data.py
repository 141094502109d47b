"""Assemble training and validation units from a config: map taxonomies, split by document."""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from clausetag.corpora import capp130_docs, load_source, natural_key
from clausetag.records import Unit, normalized
from clausetag.taxonomy import Taxonomy, load_taxonomy

from clausetag.train.config import TrainConfig


@dataclass
class TrainingData:
    train: list[Unit]
    validation: dict[str, list[Unit]]  # validation source name -> units
    summary: dict = field(default_factory=dict)
    # units without labels (`documents:` sources), none of them a validation or excluded unit or document,
    # nor a (text, section) of `train`
    unlabeled: list[Unit] = field(default_factory=list)
    # labeled source spec -> its training units as read (before weighting and caps; no validation unit)
    by_source: dict[str, list[Unit]] = field(default_factory=dict)


def split_docs(docs: list[str], fraction: float, seed: int) -> set[str]:
    """Held-out documents: those whose seeded hash falls in the lowest `fraction` (stable, no RNG state)."""
    def key(d: str) -> str:
        return hashlib.sha256(f"{seed}:{d}".encode()).hexdigest()
    n = round(len(docs) * fraction)
    return set(sorted(docs, key=key)[:n])


def resample(units: list[Unit], weight: float, cap: int, rng: random.Random) -> list[Unit]:
    whole, frac = int(weight), weight - int(weight)
    out = units * whole + [u for u in units if rng.random() < frac]
    if cap and len(out) > cap:
        out = rng.sample(out, cap)
    return out


def _sorted_docs(docs: Iterable[str]) -> list[str]:
    """Document names once each, sorted as people number them (rw_2 before rw_10)."""
    return sorted(set(docs), key=natural_key)


def _hash_units(units: list[Unit]) -> str:
    h = hashlib.sha256()
    for u in units:
        h.update(f"{u.id}\t{u.text}\t{','.join(u.labels)}\n".encode("utf-8"))
    return h.hexdigest()[:16]


def build_data(cfg: TrainConfig, corpora_root=None, recorded: dict | None = None) -> TrainingData:
    """Training and validation units of a config. `recorded` is a model's training data summary
    (`model.json` training.data): each source is then read as that model read it, only the documents it
    recorded (training and validation), so that documents added to a corpus folder since (a test part)
    change nothing."""
    target = load_taxonomy(cfg.taxonomy)
    rng = random.Random(cfg.seed)
    val_docs = set(recorded["capp130_validation_docs"]) if recorded and "capp130_validation_docs" in recorded else None
    as_recorded = {s["spec"]: s["doc_ids"] + s.get("validation_doc_ids", [])
                   for s in (recorded or {}).get("sources", []) if "doc_ids" in s}
    train: list[Unit] = []
    validation: dict[str, list[Unit]] = {}
    summary: dict = {"sources": []}

    unlabeled_sources, available = [], []  # available: every labeled training unit, resampled or not
    by_source: dict[str, list[Unit]] = {}
    for src in cfg.sources:
        kind = src.spec.split(":")[0]
        corpus = load_source(src.spec, corpora_root, as_recorded.get(src.spec))
        if not corpus.labeled:  # read with the others, sorted out once the validation sets are known
            unlabeled_sources.append((src, corpus))
            continue
        units = corpus.mapped(target)
        held: list[Unit] = []
        if kind == "capp130" and cfg.validation.capp130_fraction > 0:
            if val_docs is None:
                val_docs = split_docs(capp130_docs(corpora_root), cfg.validation.capp130_fraction, cfg.seed)
            held = [u for u in units if u.doc in val_docs]
            units = [u for u in units if u.doc not in val_docs]
            if held:
                validation[src.spec] = held
        elif kind == "jsonl" and cfg.validation.seeds == "all":
            held, units = units, []
            validation[src.spec] = held
        elif kind == "jsonl" and cfg.validation.holdout_docs:
            held = [u for u in units if u.doc in cfg.validation.holdout_docs]
            units = [u for u in units if u.doc not in cfg.validation.holdout_docs]
            if held:  # a source none of whose documents validates (the seeds beside data/policies) adds no set
                validation[src.spec] = held
        picked = resample(units, src.weight, src.max_units, rng)
        train.extend(picked)
        available.extend(units)
        by_source[src.spec] = units
        summary["sources"].append(_source_summary(src, units, picked, held, sum(corpus.noise.values())))
    opp115 = opp115_validation(cfg)
    if opp115:
        validation[opp115] = load_source(opp115, corpora_root).mapped(target)
    unlabeled: list[Unit] = []
    for src, corpus in unlabeled_sources:
        units, dropped = _unseen_units(corpus.units, [*validation.values(), *(
            load_source(spec, corpora_root).mapped(target) for spec in src.exclude)], available, unlabeled)
        picked = resample(units, src.weight, src.max_units, rng)
        unlabeled.extend(picked)
        summary["sources"].append({**_source_summary(src, units, picked, [], 0), "labeled": False, **dropped,
                                   "unreadable_docs": corpus.skipped})
    if cfg.validation.max_units:
        validation = {k: v if len(v) <= cfg.validation.max_units else rng.sample(v, cfg.validation.max_units)
                      for k, v in validation.items()}
    rng.shuffle(train)
    summary["train_units"] = len(train)
    if unlabeled_sources:
        summary["unlabeled_units"] = len(unlabeled)
    summary["train_label_counts"] = dict(Counter(l for u in train for l in u.labels))
    summary["validation_units"] = {k: len(v) for k, v in validation.items()}
    summary["capp130_validation_docs"] = _sorted_docs(val_docs or [])
    return TrainingData(train, validation, summary, unlabeled, by_source)


def _source_summary(src, units: list[Unit], picked: list[Unit], held: list[Unit], noise: int) -> dict:
    """What a training source gave: its units, documents and their hash (checked when a model's training
    data is rebuilt), the documents it trained and validated on."""
    return {"spec": src.spec, "weight": src.weight, "units_available": len(units), "units_used": len(picked),
            "validation_units": len(held), "docs": len({u.doc for u in units}), "sha256_16": _hash_units(units),
            "noise_labels_ignored": noise, "doc_ids": _sorted_docs(u.doc for u in units),
            "validation_doc_ids": _sorted_docs(u.doc for u in held)}


def _unseen_units(units: list[Unit], never: list[list[Unit]], labeled: list[Unit],
                  taken: list[Unit]) -> tuple[list[Unit], dict]:
    """The units of an unlabeled source that may be trained on: not of a document of `never` (validation
    sets, test parts), nor with the text of one of their units (whitespace collapsed, as the training-overlap
    check matches), nor a (text, section) that a labeled training unit or an earlier unlabeled one has (the
    labeled one carries gold labels too); the counts of those left out."""
    docs = {u.doc for part in never for u in part}
    texts = {normalized(u.text) for part in never for u in part}
    seen = {(u.text, u.section) for u in [*labeled, *taken]}
    kept, dropped = [], {"excluded_docs": 0, "excluded_units": 0, "duplicate_units": 0}
    dropped["excluded_docs"] = len({u.doc for u in units} & docs)
    for u in units:
        if u.doc in docs or normalized(u.text) in texts:
            dropped["excluded_units"] += 1
        elif (u.text, u.section) in seen:
            dropped["duplicate_units"] += 1
        else:
            seen.add((u.text, u.section))
            kept.append(u)
    return kept, dropped


def opp115_validation(cfg: TrainConfig) -> str:
    """The OPP-115 validation spec a config scores ("" for none); "auto": its own split when an OPP-115
    source is trained on, so a model of one's own data needs no OPP-115 corpus and is not tuned on it."""
    spec = cfg.validation.opp115
    if spec == "auto":
        return "opp115:validation" if any(s.spec.split(":")[0] == "opp115" for s in cfg.sources) else ""
    return spec


def matrix(units: list[Unit], taxonomy: Taxonomy):
    return taxonomy.to_matrix([u.labels for u in units])
