"""`clausetag evaluate`: load a gold set, score it with one or two models, write metrics.json,
predictions.jsonl and report.html. predictions.jsonl holds everything the report needs, so a report
can be re-rendered later without the models (`read_predictions` → `write_evaluation`)."""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from clausetag import __version__
from clausetag.corpora import Corpus, capp130_docs, corpora_root as corpora_folder, load_source, read_gold_files
from clausetag.decision import Thresholds
from clausetag.reports.evaluation import BootstrapConfig, evaluate_arrays, fixed_and_broken
from clausetag.infer.structure import apply_rules
from clausetag.infer.output import atomic_write_text
from clausetag.jsonlines import json_objects, located
from clausetag.modeldir import META_FILE, Model, load_model, read_info
from clausetag.records import UNIT_RECORD, Prediction, Unit
from clausetag.settings import defaults, resolve_path
from clausetag.taxonomy import Taxonomy
from clausetag.training_overlap import describe as describe_overlap, overlap
from clausetag.wording import counted

CORPUS_KINDS = ("opp115", "capp130")
PREDICTIONS_FILE, METRICS_FILE, REPORT_FILE = "predictions.jsonl", "metrics.json", "report.html"
HEADER_TYPE = "clausetag-evaluation"


class EvaluationError(ValueError):
    """A user error (bad gold set, mismatched models, unreadable predictions); the message names the input."""


@dataclass
class GoldSet:
    """Annotated units with labels mapped into the evaluated model's taxonomy, and where they came from."""

    spec: str
    units: list[Unit]
    provenance: dict

    def matrix(self, labels: list[str]) -> np.ndarray:
        pos = {n: i for i, n in enumerate(labels)}
        y = np.zeros((len(self.units), len(labels)), dtype=bool)
        for i, u in enumerate(self.units):
            for n in u.labels:
                y[i, pos[n]] = True
        return y


@dataclass
class ModelRun:
    """One model's scores and decisions on the gold units; `role` is `model` or `compare`."""

    role: str
    meta: dict
    scores: np.ndarray
    pred: np.ndarray

    def thresholds(self, labels: list[str], langs: list[str]) -> np.ndarray:
        """(units × labels) thresholds: each unit's language's, where the model has per-language ones."""
        th = Thresholds.from_dicts(labels, self.meta["thresholds"], self.meta.get("thresholds_by_language"))
        return th.rows(langs, len(langs)).astype(np.float64)


# --- gold ------------------------------------------------------------------------------------

def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def units_sha256(units: list[Unit]) -> str:
    """A digest of the units as read (id, document, language, text, native labels), in order."""
    h = hashlib.sha256()
    for u in units:
        h.update(json.dumps([u.id, u.doc, u.lang, u.text, u.labels], ensure_ascii=False).encode("utf-8") + b"\n")
    return h.hexdigest()


def _gold_files(spec: str) -> tuple[Path, list[Path]]:
    raw = spec.partition(":")[2] if spec.startswith("jsonl:") else spec
    path = resolve_path(raw)
    if not path.exists():
        raise EvaluationError(f"{spec}: no such file or folder (or use a corpus spec: opp115:SPLIT, capp130:zh|en[:validation|:unseen])")
    files = sorted(p for p in path.rglob("*.jsonl") if p.is_file()) if path.is_dir() else [path]
    if not files:
        raise EvaluationError(f"{spec}: no .jsonl files in this folder")
    return path, files


def load_gold(spec: str, taxonomy: Taxonomy, corpora_root: str | Path | None = None,
              held_out: list[str] | None = None, seen: set[str] | None = None) -> GoldSet:
    """A JSONL file or folder in the common schema or in CAPP-130's own format, a CSV in the common schema or
    OPP-115's own format (`gold_format`), or a corpus spec (`opp115:validation`, `capp130:zh`,
    `capp130:zh:validation` = only the CAPP-130 policies in `held_out`, those the model's training held
    out; `capp130:zh:unseen` = the policies in the corpus folder not in `seen`, those the model neither
    trained nor was validated on, such as a test part added to the folder), with labels mapped into
    `taxonomy` and a provenance record (sha256 of the files or the units)."""
    kind = spec.partition(":")[0]
    files: list[dict] = []
    if ":" in spec and kind in CORPUS_KINDS:
        source, docs = spec, None
        if kind == "capp130" and spec.endswith(":validation"):
            source = spec.removesuffix(":validation")
            if not held_out:
                raise EvaluationError(f"{spec}: the model's training held out no CAPP-130 policies")
            docs = held_out
        elif kind == "capp130" and spec.endswith(":unseen"):
            source = spec.removesuffix(":unseen")
            if seen is None:
                raise EvaluationError(f"{spec}: the model does not record which CAPP-130 policies it trained on "
                                      "(made before 2026-11-29); evaluate a gold file or folder of the policies instead")
            docs = [d for d in capp130_docs(corpora_root) if d not in seen]
            if not docs:
                raise EvaluationError(f"{spec}: every CAPP-130 policy in the corpus folder was trained or validated "
                                      "on; add the policies to evaluate on (e.g. the test part) to "
                                      f"{corpora_folder(corpora_root) / 'capp130'}")
        elif spec.count(":") > 1:
            raise EvaluationError(f"{spec}: unknown corpus spec (use opp115:SPLIT, capp130:zh|en, "
                                  "capp130:zh|en:validation or capp130:zh|en:unseen)")
        corpus = load_source(source, corpora_root, docs)
        digest = None
    else:
        root, paths = _gold_files(spec)
        corpus = read_gold_files(paths, spec)
        base = root if root.is_dir() else root.parent
        files = [{"path": p.relative_to(base).as_posix(), "sha256": sha256_file(p)} for p in paths]
        # one file: its own sha256; several: the sha256 of their `sha256sum` listing (reproducible by hand)
        listing = "".join(f"{f['sha256']}  {f['path']}\n" for f in files)
        digest = files[0]["sha256"] if len(files) == 1 else hashlib.sha256(listing.encode("utf-8")).hexdigest()
    if not corpus.units:
        raise EvaluationError(f"{spec}: no annotated units")
    try:
        units = corpus.mapped(taxonomy)
    except (ValueError, KeyError) as e:
        raise EvaluationError(f"{spec}: labels cannot be mapped to taxonomy {taxonomy.name!r} ({e})") from None
    return GoldSet(spec, units, _provenance(spec, corpus, units, files, digest, taxonomy))


def _provenance(spec: str, corpus: Corpus, units: list[Unit], files: list[dict], digest: str | None,
                taxonomy: Taxonomy) -> dict:
    u_hash = units_sha256(corpus.units)
    return {"spec": spec, "kind": "files" if files else "corpus", "files": files,
            "sha256": digest or u_hash, "sha256_of": "files" if files else "units", "units_sha256": u_hash,
            "units": len(units), "documents": len({u.doc for u in units}),
            "languages": dict(Counter(u.lang for u in units).most_common()),
            "native_taxonomy": corpus.taxonomy.name, "mapped_to": taxonomy.name}


# --- models ----------------------------------------------------------------------------------

def model_meta(model: Model) -> dict:
    """What identifies a model in a report: method, taxonomy, thresholds, encoder, training data and config."""
    info, t = model.info, model.info.training
    data = t.get("data", {})
    meta_path = Path(model.path) / META_FILE if model.path else None
    return {
        "path": str(model.path), "name": Path(model.path).name if model.path else "model",
        "method": info.method, "taxonomy": info.taxonomy.get("name"), "labels": model.labels,
        "thresholds": {n: float(info.thresholds[n]) for n in model.labels},
        "thresholds_by_language": {lang: {n: float(row[n]) for n in model.labels}
                                   for lang, row in (info.thresholds_by_language or {}).items()},
        "encoder": (info.encoder or {}).get("name"),
        "encoder_fingerprint_16": ((info.encoder or {}).get("fingerprint") or "")[:16] or None,
        "config_name": t.get("config_name"), "config_sha256_16": t.get("config_sha256_16"), "seed": t.get("seed"),
        "created": t.get("created"), "train_units": data.get("train_units"),
        "training_sources": [{k: s.get(k) for k in ("spec", "weight", "units_used", "docs", "sha256_16")}
                             for s in data.get("sources", [])],
        "model_json_sha256": sha256_file(meta_path) if meta_path and meta_path.is_file() else None,
    }


def score_gold(model: Model, gold: GoldSet, role: str, structure: bool = False) -> ModelRun:
    """The model's scores and decisions on the gold units. With `structure`, a gold set that marks its
    headings (`"heading": true`: one made from a `clausetag label` output) has its headings and list items
    decided from the document's structure as `label` decides them (infer/structure.py); corpora mark
    none and are scored on the model's own labels."""
    units = gold.units
    langs = [u.lang for u in units]
    scores = model.scores([u.text for u in units], [u.section for u in units], langs=langs,
                          docs=[u.doc for u in units])
    pred = model.decide(scores, langs).astype(bool)
    meta = model_meta(model)
    if structure and any(u.heading for u in units):
        names = model.labels
        decided = [Prediction(u, [n for n, d in zip(names, row) if d], {}) for u, row in zip(units, pred)]
        settled = apply_rules(decided, model.taxonomy)
        pred = np.array([[n in p.labels for n in names] for p in settled], dtype=bool)
        meta["structure_rules"] = True
    return ModelRun(role, meta, scores.astype(np.float64), pred)


def load_models(model_dir: Path, compare_dir: Path | None) -> list[Model]:
    models = [load_model(model_dir)]
    if compare_dir is not None:
        other = load_model(compare_dir)
        if other.labels != models[0].labels:
            raise EvaluationError(f"{compare_dir}: its labels ({', '.join(other.labels)}) differ from "
                                  f"{model_dir}'s; models must share a taxonomy to be compared")
        models.append(other)
    return models


# --- predictions.jsonl -----------------------------------------------------------------------

def write_predictions(path: Path, gold: GoldSet, runs: list[ModelRun], labels: list[str]) -> None:
    header = {"type": HEADER_TYPE, "clausetag": __version__, "labels": labels, "gold": gold.provenance,
              "models": {r.role: r.meta for r in runs}}
    lines = [json.dumps(header, ensure_ascii=False)]
    for i, u in enumerate(gold.units):
        rec = {"type": UNIT_RECORD, "id": u.id, "doc": u.doc, "lang": u.lang, "section": u.section, "text": u.text,
               "gold": u.labels,
               "predicted": {r.role: [n for n, d in zip(labels, r.pred[i]) if d] for r in runs},
               "scores": {r.role: {n: float(s) for n, s in zip(labels, r.scores[i])} for r in runs}}
        lines.append(json.dumps(rec, ensure_ascii=False))
    atomic_write_text(path, "\n".join(lines) + "\n")


def read_predictions(path: Path) -> tuple[GoldSet, list[ModelRun], list[str]]:
    """The gold set and model runs saved by an earlier `clausetag evaluate`."""
    hint = "; expected the predictions.jsonl of an evaluation"
    records = [r for _, r in json_objects(path, located(EvaluationError, path), hint)]
    if not records or records[0].get("type") != HEADER_TYPE:
        raise EvaluationError(f"{path}: not a predictions.jsonl written by clausetag evaluate")
    header, rows = records[0], records[1:]
    labels = header["labels"]
    units = [Unit(id=r["id"], doc=r["doc"], lang=r["lang"], text=r["text"], labels=r["gold"], section=r.get("section"))
             for r in rows]
    runs = []
    for role, meta in header["models"].items():
        scores = np.array([[r["scores"][role][n] for n in labels] for r in rows], dtype=np.float64)
        pred = np.array([[n in r["predicted"][role] for n in labels] for r in rows], dtype=bool)
        runs.append(ModelRun(role, meta, scores.reshape(len(rows), len(labels)), pred.reshape(len(rows), len(labels))))
    return GoldSet(header["gold"]["spec"], units, header["gold"]), runs, labels


# --- the whole evaluation --------------------------------------------------------------------

def compute_metrics(gold: GoldSet, runs: list[ModelRun], labels: list[str], cfg: BootstrapConfig) -> dict:
    """metrics.json: provenance of gold and models, and `evaluate_arrays` on them."""
    y = gold.matrix(labels)
    result = evaluate_arrays(
        y, {r.role: r.pred for r in runs}, labels,
        docs=[u.doc for u in gold.units], langs=[u.lang for u in gold.units],
        scores={r.role: r.scores for r in runs},
        thresholds={r.role: r.thresholds(labels, [u.lang for u in gold.units]) for r in runs},
        cfg=cfg, reliability_bins=defaults()["evaluate"]["reliability_bins"])
    if len(runs) == 2:
        result["changes"] = changes(gold, runs, labels)
    return {"clausetag": __version__, "created": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "gold": gold.provenance, "models": {r.role: r.meta for r in runs}, **result}


def changes(gold: GoldSet, runs: list[ModelRun], labels: list[str]) -> dict:
    """What the compared model (`--compare`, e.g. one retrained on corrections) fixed and broke against
    the model: counts, per-label decisions, and the units (id, document) in gold order."""
    found = fixed_and_broken(gold.matrix(labels), runs[0].pred, runs[1].pred)
    units = {k: [{"index": i, "id": gold.units[i].id, "doc": gold.units[i].doc} for i in found[k]]
             for k in ("fixed", "broken")}
    return {"units": len(gold.units), "fixed": len(units["fixed"]), "broken": len(units["broken"]),
            "per_label": {l: {"fixed": found["decisions_fixed"][j], "broken": found["decisions_broken"][j]}
                          for j, l in enumerate(labels)},
            "fixed_units": units["fixed"], "broken_units": units["broken"]}


def write_evaluation(out_dir: Path, gold: GoldSet, runs: list[ModelRun], labels: list[str],
                     cfg: BootstrapConfig) -> dict:
    """Write predictions.jsonl, metrics.json and report.html into `out_dir`; returns the metrics."""
    from clausetag.reports.evaluation_html import render_evaluation

    out_dir.mkdir(parents=True, exist_ok=True)
    metrics = compute_metrics(gold, runs, labels, cfg)
    write_predictions(out_dir / PREDICTIONS_FILE, gold, runs, labels)
    atomic_write_text(out_dir / METRICS_FILE, json.dumps(metrics, ensure_ascii=False, indent=2) + "\n")
    atomic_write_text(out_dir / REPORT_FILE, render_evaluation(metrics, gold, runs, labels))
    return metrics


def run_evaluation(gold_spec: str, model_dir: Path, compare_dir: Path | None, out_dir: Path,
                   cfg: BootstrapConfig, corpora_root: Path | None = None, log=print,
                   structure: bool | None = None) -> dict:
    """Load models and gold, score, write everything; `log` gets one line per step. `structure` (default:
    `[labeler] structure_rules`) as in `score_gold`."""
    structure = defaults()["labeler"]["structure_rules"] if structure is None else structure
    info = read_info(model_dir)  # cheap: check the gold set before loading weights
    gold = load_gold(gold_spec, Taxonomy.from_dict(info.taxonomy), corpora_root, info.capp130_validation_docs,
                     info.capp130_seen_docs)
    models = load_models(model_dir, compare_dir)
    log(f"gold: {counted(gold.provenance['units'], 'unit')}, {counted(gold.provenance['documents'], 'document')} "
        f"({', '.join(gold.provenance['languages'])})")
    runs = []
    if structure and (n := sum(u.heading for u in gold.units)):
        log(f"the gold set marks {counted(n, 'heading')}: headings and list items are decided from the "
            "document's structure, as `clausetag label` decides them (--no-structure: the model's own labels)")
    for role, model in zip(("model", "compare"), models):
        started = time.time()
        run = score_gold(model, gold, role, structure)
        log(f"scored with {model.path} in {time.time() - started:.0f} s")
        run.meta["training_overlap"] = overlap(Path(model.path), gold.units, corpora_root)
        if warning := describe_overlap(run.meta["training_overlap"], run.meta["name"]):
            log(f"warning: {warning}")
        runs.append(run)
    return write_evaluation(out_dir, gold, runs, models[0].labels, cfg)
