"""The three training methods behind one interface: `fit_<method>(cfg, train, selection) -> classifier`."""

from __future__ import annotations

import logging
import math
import random
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from clausetag.blend import Blend, blend_languages
from clausetag.classifier import EncoderInput, TfidfClassifier
from clausetag.encoder_classifier import EncoderClassifier, torch_device
from clausetag.decision import Thresholds, tune_thresholds
from clausetag.metrics import label_metrics
from clausetag.modeldir import ModelInfo
from clausetag.neighbours import Neighbours
from clausetag.records import Unit
from clausetag.taxonomy import Taxonomy

from clausetag.train.config import ConfigError, TrainConfig
from clausetag.train.lower_cache import LowerLayerCache
from clausetag.train.schedule import StepPlan

log = logging.getLogger(__name__)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _sections(units: list[Unit]) -> list[str | None]:
    return [u.section for u in units]


# --- tfidf -----------------------------------------------------------------------------------

def fit_tfidf(cfg: TrainConfig, taxonomy: Taxonomy, train: list[Unit], selection: list[Unit]) -> TfidfClassifier:
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import FeatureUnion, Pipeline

    t = cfg.tfidf
    clf = TfidfClassifier(None, use_section=cfg.encoder.use_section)
    texts = clf._inputs([u.text for u in train], _sections(train))
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(t.ngram_min, t.ngram_max),
                            max_features=t.max_features, sublinear_tf=True, min_df=2, dtype=np.float32)
    x, features = chars.fit_transform(texts), chars
    if t.word_ngram_max:
        words = TfidfVectorizer(analyzer="word", token_pattern=t.word_pattern, ngram_range=(1, t.word_ngram_max),
                                max_features=t.word_max_features, sublinear_tf=True, min_df=2, dtype=np.float32)
        try:
            x = sp.hstack([x, words.fit_transform(texts)]).tocsr()
            features = FeatureUnion([("char", chars), ("word", words)])  # fitted parts: transform only
        except ValueError:  # no word recurs (e.g. Chinese text only): character n-grams alone
            log.info("tfidf: no recurring words for word n-grams; character n-grams only")
    classifier = OneVsRestClassifier(LogisticRegression(C=t.C, max_iter=2000, class_weight="balanced",
                                                        random_state=cfg.seed))
    classifier.fit(x, taxonomy.to_matrix([u.labels for u in train]))
    for estimator in classifier.estimators_:  # float32 weights like the features; scores unchanged to 1e-6
        if hasattr(estimator, "coef_"):
            estimator.coef_ = estimator.coef_.astype(np.float32)
            estimator.intercept_ = estimator.intercept_.astype(np.float32)
    clf.pipeline = Pipeline([("features", features), ("classifier", classifier)])
    return clf


def fit_blend(cfg: TrainConfig, taxonomy: Taxonomy, train: list[Unit]) -> Blend:
    """TF-IDF scoring for the languages with enough training units ([blend]): one model on all their
    units, or with `per_language` one model per language on its own units."""
    languages = blend_languages([u.lang for u in train], cfg.blend.min_language_units)
    if not languages:
        raise ConfigError(f"[blend]: no language has {cfg.blend.min_language_units} training units")
    if cfg.blend.per_language:
        parts = {lang: fit_tfidf(cfg, taxonomy, [u for u in train if u.lang == lang], []) for lang in languages}
    else:
        pooled = fit_tfidf(cfg, taxonomy, [u for u in train if u.lang in languages], [])
        parts = {lang: pooled for lang in languages}
    return Blend(parts, cfg.blend.tfidf_weight, cfg.blend.per_language)


def extended_blend(kept: Blend, cfg: TrainConfig, taxonomy: Taxonomy, train: list[Unit]) -> Blend:
    """A kept per-language blend with a part of its own fitted for each of `[blend] add_languages` on that
    language's training units; the kept parts and the weight stay as they are."""
    if not kept.per_language:
        raise ConfigError(f"[blend] add_languages: the blend kept from {cfg.blend.keep_from} is pooled, not per language")
    parts = dict(kept.parts)
    for lang in cfg.blend.add_languages:
        units = [u for u in train if u.lang == lang]
        if not units:
            raise ConfigError(f"[blend] add_languages: no training units in {lang!r}")
        parts[lang] = fit_tfidf(cfg, taxonomy, units, [])
    return Blend(parts, kept.weight, True)


def fit_neighbours(cfg: TrainConfig, taxonomy: Taxonomy, clf, by_source: dict[str, list[Unit]]) -> Neighbours:
    """The training units of `[neighbours] sources` (all labeled sources when empty), each distinct unit once,
    embedded by the trained encoder and kept with their labels."""
    specs = cfg.neighbours.sources or list(by_source)
    units = list({(u.text, u.section, tuple(u.labels)): u for spec in specs for u in by_source.get(spec, [])}.values())
    if not units:
        raise ConfigError(f"[neighbours]: no training units in {', '.join(specs)}")
    _, embeddings = clf.scores_and_embeddings([u.text for u in units], _sections(units))
    labels = np.array([[name in u.labels for name in taxonomy.names] for u in units], dtype=np.uint8)
    n = cfg.neighbours
    routes = route_units(cfg, by_source)
    route_embeddings = clf.scores_and_embeddings([u.text for u in routes], _sections(routes))[1] if routes else None
    return Neighbours.fit(embeddings, labels, dims=n.dims, k=n.k, temperature=n.temperature, weight=n.weight,
                          blend_language_weight=n.blend_language_weight, route_embeddings=route_embeddings,
                          route_dims=n.route_dims, route_k=n.route_k, route_threshold=n.route_threshold,
                          route_min_units=n.route_min_units)


def route_units(cfg: TrainConfig, by_source: dict[str, list[Unit]]) -> list[Unit]:
    """`[neighbours] route_units` training units of each of `route_sources` at most (a seeded sample)."""
    rng = random.Random(cfg.seed)
    out: list[Unit] = []
    for spec in cfg.neighbours.route_sources:
        units = by_source.get(spec, [])
        if not units:
            raise ConfigError(f"[neighbours] route_sources: no training units in {spec}")
        out += rng.sample(units, min(cfg.neighbours.route_units, len(units)))
    return out


def kept_thresholds(directory: str, taxonomy: Taxonomy) -> Thresholds:
    """The thresholds of a saved model of the same taxonomy ([validation] thresholds_from)."""
    from clausetag.modeldir import read_info

    info = read_info(directory)
    if list(Taxonomy.from_dict(info.taxonomy).names) != list(taxonomy.names):
        raise ConfigError(f"[validation] thresholds_from {directory}: its labels are not this config's taxonomy's")
    return Thresholds.from_dicts(taxonomy.names, info.thresholds, info.thresholds_by_language)


def kept_blend(directory: str) -> Blend:
    """The blend of a saved model, TF-IDF parts and settings as they are ([blend] keep_from)."""
    from clausetag.modeldir import load_blend, read_info
    from clausetag.tfidf_store import refuse_pickles

    refuse_pickles(Path(directory))
    blend = load_blend(directory, read_info(directory))
    if blend is None:
        raise ConfigError(f"[blend] keep_from {directory}: that model blends no TF-IDF part")
    return blend


# --- frozen ----------------------------------------------------------------------------------

def build_encoder_classifier(cfg: TrainConfig, taxonomy: Taxonomy) -> EncoderClassifier:
    from clausetag.encoder.load import keep_layers, load_encoder

    tokenizer, encoder = load_encoder(cfg.encoder.name)
    encoder = keep_layers(encoder, cfg.encoder.layers)
    inputs = EncoderInput(prefix=cfg.encoder.prefix, use_section=cfg.encoder.use_section,
                          max_length=cfg.encoder.max_length)
    return EncoderClassifier(encoder, tokenizer, len(taxonomy.names), inputs).to(torch_device(cfg.encoder.device))


def probe_head(model: EncoderClassifier, cfg: TrainConfig, taxonomy: Taxonomy, train: list[Unit]) -> None:
    """Fit one logistic regression per label on frozen mean-pooled embeddings; copy it into the head."""
    from sklearn.linear_model import LogisticRegression

    rng = random.Random(cfg.seed)
    units = list({u.id: u for u in train}.values())  # embeddings of resampled duplicates are identical
    if len(units) > cfg.frozen.max_units:
        units = rng.sample(units, cfg.frozen.max_units)
    started = time.time()
    x = model.embed([u.text for u in units], _sections(units))
    log.info("embedded %d units for the probe in %.0f s", len(units), time.time() - started)
    y = taxonomy.to_matrix([u.labels for u in units])
    weight = np.zeros(tuple(model.head.weight.shape), dtype=np.float32)
    bias = np.zeros(len(taxonomy.names), dtype=np.float32)
    for j in range(y.shape[1]):
        if y[:, j].min() == y[:, j].max():
            bias[j] = 10.0 if y[0, j] else -10.0
            continue
        lr = LogisticRegression(C=cfg.frozen.C, max_iter=3000, class_weight="balanced", random_state=cfg.seed)
        lr.fit(x, y[:, j])
        weight[j], bias[j] = lr.coef_[0], lr.intercept_[0]
    with torch.no_grad():
        model.head.weight.copy_(torch.from_numpy(weight))
        model.head.bias.copy_(torch.from_numpy(bias))


def fit_frozen(cfg: TrainConfig, taxonomy: Taxonomy, train: list[Unit], selection: list[Unit]) -> EncoderClassifier:
    model = build_encoder_classifier(cfg, taxonomy)
    probe_head(model, cfg, taxonomy, train)
    return model.eval()


# --- finetune --------------------------------------------------------------------------------

def _length_sorted_batches(lengths: list[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Shuffle, sort within pools of 50 batches by length (less padding), shuffle the batches."""
    idx = list(range(len(lengths)))
    rng.shuffle(idx)
    pool = batch_size * 50
    batches = []
    for p in range(0, len(idx), pool):
        chunk = sorted(idx[p : p + pool], key=lambda i: lengths[i])
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def selection_score(model: EncoderClassifier, taxonomy: Taxonomy, units: list[Unit]) -> float:
    """Macro-F1 on the selection units with thresholds tuned on them (what early stopping maximises)."""
    from clausetag.decision import decide

    scores = model.scores([u.text for u in units], _sections(units))
    gold = taxonomy.to_matrix([u.labels for u in units])
    thresholds = tune_thresholds(scores, gold)
    return label_metrics(gold, decide(scores, thresholds, taxonomy), taxonomy.names)["macro_f1"]


def fit_finetune(cfg: TrainConfig, taxonomy: Taxonomy, train: list[Unit], selection: list[Unit]) -> EncoderClassifier:
    """LoRA fine-tuning from a probe-initialised head; early stopping on selection macro-F1."""
    f = cfg.finetune
    prior = None
    if f.init_from:
        model, prior = load_fine_tuned(f.init_from, cfg, taxonomy)
    else:
        model = lora_model(cfg, taxonomy, train)
    _check_lora_layers(model, cfg)
    model.to(torch_device(cfg.encoder.device))
    cache = LowerLayerCache(model, train, f.lora_layers) if f.lora_layers else None
    y = torch.from_numpy(taxonomy.to_matrix([u.labels for u in train])).to(model.device)
    pos = y.sum(0).clamp(min=1)
    pos_weight = ((y.shape[0] - pos) / pos).sqrt().clamp(1.0, f.pos_weight_cap)
    model.training_log = fit_steps(model, cfg, taxonomy, train, y, nn.BCEWithLogitsLoss(pos_weight=pos_weight),
                                   selection, cache, f"model {f.init_from}" if f.init_from else "probe head")
    if f.init_from:
        model.training_log.update(_fine_tuning_origin(f.init_from, prior.metrics, prior.training.get("machine")))
    return model.eval()


def lora_model(cfg: TrainConfig, taxonomy: Taxonomy, labeled: list[Unit]) -> EncoderClassifier:
    """The config's encoder with a head probed on `labeled` (none probed when it is empty) and LoRA adapters
    ([finetune] lora_r, lora_alpha, lora_dropout; in the top `lora_layers` layers, or all)."""
    from peft import LoraConfig, get_peft_model

    f = cfg.finetune
    model = build_encoder_classifier(cfg, taxonomy)
    n_layers = _check_lora_layers(model, cfg)
    if labeled:
        probe_head(model, cfg, taxonomy, labeled)
    top = list(range(n_layers - f.lora_layers, n_layers)) if f.lora_layers else None
    lora = LoraConfig(r=f.lora_r, lora_alpha=f.lora_alpha, lora_dropout=f.lora_dropout,
                      target_modules=["query", "key", "value", "dense"], bias="none", layers_to_transform=top)
    model.encoder = get_peft_model(model.encoder, lora)  # base weights (incl. word embeddings) frozen
    return model


def _check_lora_layers(model: EncoderClassifier, cfg: TrainConfig) -> int:
    """The encoder's number of layers, once [finetune] lora_layers is known to be below it."""
    n_layers = model.encoder.config.num_hidden_layers
    if cfg.finetune.lora_layers >= n_layers:
        raise ConfigError(f"{cfg.path or cfg.name}: [finetune] lora_layers must be below the encoder's "
                          f"{n_layers} layers (0 = all), not {cfg.finetune.lora_layers}")
    return n_layers


def fit_steps(model: EncoderClassifier, cfg: TrainConfig, taxonomy: Taxonomy, train: list[Unit], y: torch.Tensor,
              loss_fn: nn.Module, selection: list[Unit], cache: LowerLayerCache | None = None,
              start: str = "probe head") -> dict:
    """The [finetune] step plan over `train` with targets `y` (one row per unit, on the model's device):
    AdamW, warm-up and decay, early stopping on selection macro-F1 (`start` names what is evaluated before
    the first step); the best weights are loaded back. Returns the training log."""
    f = cfg.finetune
    log.info("fine-tuning on %s", model.device)
    enc_params = [p for p in model.encoder.parameters() if p.requires_grad]
    optim = torch.optim.AdamW([
        {"params": enc_params, "lr": f.lr},
        {"params": model.head.parameters(), "lr": f.head_lr},
    ], weight_decay=f.weight_decay)

    rng = random.Random(cfg.seed)
    lengths = [len(u.text) + len(u.section or "") for u in train]
    steps_per_epoch = math.ceil(len(train) / f.batch_size)
    budget_s = f.max_minutes * 60
    plan = StepPlan(f.max_steps or int(steps_per_epoch * f.epochs), f.warmup_ratio, budget_s)
    sched = torch.optim.lr_scheduler.LambdaLR(optim, plan.lr_factor)
    best = {"score": selection_score(model, taxonomy, selection) if selection else -1.0, "step": 0,
            "state": _trainable_state(model)}
    log.info("%s: selection macro-F1 %.1f", start, best["score"])
    started, step, bad_evals = time.time(), 0, 0
    done = budget_s <= 0
    while not done:
        for batch_idx in _length_sorted_batches(lengths, f.batch_size, rng):
            model.train()
            if cache:
                logits = cache.logits(model, batch_idx)
            else:
                units = [train[i] for i in batch_idx]
                b = model.encode_batch([u.text for u in units], _sections(units))
                logits = model(b["input_ids"], b["attention_mask"])
            loss = loss_fn(logits, y[batch_idx])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(enc_params + list(model.head.parameters()), 1.0)
            optim.step()
            sched.step()
            optim.zero_grad(set_to_none=True)
            step += 1
            elapsed = time.time() - started
            plan.observe(step, elapsed)
            if step % 50 == 0:
                log.info("step %d/%d loss %.4f (%.1f units/s)", step, plan.total, loss.item(),
                         step * f.batch_size / elapsed)
            last = plan.done(step, elapsed)
            if selection and (step % f.eval_every == 0 or last):
                score = selection_score(model, taxonomy, selection)
                log.info("step %d: selection macro-F1 %.1f (best %.1f)", step, score, best["score"])
                if score > best["score"]:
                    best = {"score": score, "step": step, "state": _trainable_state(model)}
                    bad_evals = 0
                else:
                    bad_evals += 1
                    if bad_evals >= f.patience:
                        log.info("early stop at step %d", step)
                        last = True
            if last:
                done = True
                break
    if not selection:  # nothing to select on: the model after the last step is the model
        best = {"score": best["score"], "step": step, "state": _trainable_state(model)}
    _load_trainable_state(model, best["state"])
    return {"steps": step, "best_step": best["step"], "selection_macro_f1": best["score"],
            "finetune_minutes": (time.time() - started) / 60}


def _fine_tuning_origin(directory: str, prior_metrics: dict, prior_machine: str | None = None) -> dict:
    """Where a continued model's weights come from, and the machine that made them: the model it
    continues, or, past models that only re-fitted their blend (no fine-tuning steps), the run that made
    the weights (its minutes count)."""
    origin = {"init_from": directory, "init_train_minutes": prior_metrics.get("train_minutes", 0.0),
              "init_machine": prior_machine, "init_log": prior_metrics.get("finetune")}
    while origin["init_log"] and origin["init_log"].get("init_from") and not origin["init_log"]["steps"]:
        log_ = origin["init_log"]
        origin = {"init_from": log_["init_from"], "init_train_minutes": log_["init_train_minutes"],
                  "init_machine": log_.get("init_machine"), "init_log": log_.get("init_log")}
    return origin


def load_fine_tuned(directory: str, cfg: TrainConfig, taxonomy: Taxonomy) -> tuple[EncoderClassifier, ModelInfo]:
    """A saved finetune model with its adapter trainable, checked against the config it continues under;
    and the ModelInfo it was saved with."""
    from clausetag.modeldir import read_info
    from clausetag.tfidf_store import refuse_pickles

    info = read_info(directory)
    refuse_pickles(Path(directory))
    want = {"method": "finetune", "labels": taxonomy.names, "encoder": cfg.encoder.name,
            "layers": cfg.encoder.layers, "prefix": cfg.encoder.prefix, "use_section": cfg.encoder.use_section,
            "max_length": cfg.encoder.max_length}
    enc, inputs = info.encoder or {}, info.inputs or {}
    have = {"method": info.method, "labels": [l["name"] for l in info.taxonomy["labels"]],
            "encoder": enc.get("name"), "layers": enc.get("layers", 0), "prefix": inputs.get("prefix"),
            "use_section": inputs.get("use_section"), "max_length": inputs.get("max_length")}
    differ = [k for k in want if want[k] != have[k]]
    if differ:
        raise ConfigError(f"finetune.init_from {directory}: its {', '.join(differ)} differ from the config's")
    model = EncoderClassifier.load(Path(directory), cfg.encoder.name, len(taxonomy.names),
                                   EncoderInput(**inputs), merge=False, layers=cfg.encoder.layers)
    for name, p in model.encoder.named_parameters():
        p.requires_grad = "lora_" in name
    return model, info


def _trainable_state(model: nn.Module) -> dict:
    return {k: v.detach().clone() for k, v in model.named_parameters() if v.requires_grad}


def _load_trainable_state(model: nn.Module, state: dict) -> None:
    params = dict(model.named_parameters())
    with torch.no_grad():
        for k, v in state.items():
            params[k].copy_(v)


FITTERS = {"tfidf": fit_tfidf, "frozen": fit_frozen, "finetune": fit_finetune}
