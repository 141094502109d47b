"""Model card (README.md of a model directory), Hugging Face style, written from `model.json`."""

from __future__ import annotations

from clausetag.blend import Blend
from clausetag.modeldir import ModelInfo

LICENCES = {
    "opp115": "OPP-115: research, teaching and scholarship only (non-commercial)",
    "capp130": "CAPP-130: Apache-2.0",
    "jsonl": "clausetag seed annotations (project data; source texts are third-party policies)",
}


def _row(name: str, m: dict) -> str:
    cross = m.get("cross_fitted")
    by_unit = " (split by unit)" if cross and cross.get("split") == "units" else ""
    other_half = f" {cross['macro_f1']:.1f} / {cross['micro_f1']:.1f}{by_unit} |" if cross else " – |"
    return f"| {name} | {m['n_units']} | {m['macro_f1']:.1f} | {m['micro_f1']:.1f} |" + other_half


def _finetune_lines(log: dict | None, nested: bool = False) -> list[str]:
    if not log:
        return []
    lines = []
    if log.get("init_from"):
        where = f" on {log['init_machine']}" if log.get("init_machine") else ""
        lines += [(f"That model continued from an earlier `{log['init_from']}` ({log['init_train_minutes']} minutes{where})."
                   if nested else f"Continued from the model `{log['init_from']}` (trained in "
                   f"{log['init_train_minutes']} minutes{where}; the training minutes above include them).")]
        lines += _finetune_lines(log.get("init_log"), nested=True)
    if log["steps"] or not log.get("init_from"):
        chosen = (f"best selection macro-F1 {log['selection_macro_f1']:.1f} at step {log['best_step']} (the weights kept)"
                  if log["selection_macro_f1"] >= 0 else "no model selection (no selection units): the last step's weights kept")
        lines.append(f"Fine-tuning: {log['steps']} steps in {log['finetune_minutes']:.0f} minutes; {chosen}.")
    else:
        lines.append(f"No further fine-tuning steps (selection macro-F1 {log['selection_macro_f1']:.1f}).")
    if d := log.get("distill"):
        lines.append(f"Distilled from the teacher `{d['teacher']}` (scores by its {d['teacher_backend']} backend, cache "
                     f"key `{d['teacher_key']}`) on {d['units_labeled']} labeled and {d['units_unlabeled']} unlabeled "
                     f"units, targets mixing {d['gold_weight']:g} of the gold labels where a unit has them; binary "
                     f"cross-entropy against the teacher's scores on {d['teacher_loss_units']} of them "
                     f"{d['teacher_loss_before']:.4f} before training, {d['teacher_loss_after']:.4f} after.")
    return lines


def _encoder_line(info: ModelInfo) -> str:
    if not info.encoder:
        return "None (character n-gram TF-IDF)."
    layers = info.encoder.get("layers")
    return (f"`{info.encoder['name']}` (expected weights fingerprint `{info.encoder['fingerprint'][:16]}…`)"
            + (f", its first {layers} transformer layers only." if layers else "."))


def _blend_lines(blend: dict | None) -> list[str]:
    if not blend:
        return []
    w, features = blend["tfidf_weight"], blend.get("tfidf_features", "character n-grams")
    kept = blend.get("kept_from")
    fitted = (f"kept from `{kept['model']}` as it was on {kept.get('created') or 'an earlier date'}: fitted on that "
              f"model's training units (config `{kept.get('config') or 'unknown'}`), not on the data below"
              if kept else None)
    if blend.get("per_language"):
        here = set(kept.get("fitted_here", [])) if kept else set(blend["languages"])
        parts = "; ".join(f"{lang}: `{Blend.file_name(lang)}.json.xz/.safetensors.xz`, {features[lang]}"
                          + (", fitted on this run's training units of that language" if kept and lang in here else "")
                          for lang in blend["languages"])
        what = (f"a TF-IDF model of that language ({parts}), "
                + (f"the others {fitted}" if here else fitted) if kept
                else f"a TF-IDF model of that language, fitted on its training units only ({parts})")
    else:
        what = (f"a TF-IDF model (`{Blend.file_name(None)}.json.xz/.safetensors.xz`: {features}, "
                + (f"{fitted})" if kept else "fitted on the training units in those languages)"))
    return ["", "## Scores",
            f"For units in {', '.join(blend['languages'])} (the languages with enough training text) the encoder's",
            f"scores are averaged with {what}, weights {1 - w:.2f} : {w:.2f}; in every other",
            "language the encoder alone scores."]


def _neighbours_lines(spec: dict | None, blended: bool) -> list[str]:
    if not spec:
        return []
    where = (f"weight {spec['weight']:g} in the languages without a TF-IDF part and {spec['blend_language_weight']:g} "
             "in those with one" if blended else f"weight {spec['weight']:g}")
    return ["", "## Nearest training units",
            f"The labels of the {spec['k']} training units nearest to a unit (cosine similarity of the encoder's",
            f"mean-pooled embeddings, weighted by softmax(similarity / {spec['temperature']:g})) are averaged into its",
            f"scores, {where}. The {spec['units']} units kept (`neighbours.safetensors`: their embeddings in",
            f"{spec.get('dims', '?')} dimensions, int8, and their labels) are the distinct training units of",
            f"{', '.join(spec.get('sources', [])) or 'every source'}.", *_route_lines(spec)]


def _route_lines(spec: dict) -> list[str]:
    if not spec.get("route_units"):
        return []
    return [f"A document in a language with a TF-IDF part takes weight {spec['weight']:g} too where its units' "
            f"{spec['route_k']} nearest",
            f"of the kept units and {spec['route_units']} route units (a sample of "
            f"{', '.join(spec.get('route_sources', []))}; {spec['route_dims']} dimensions)",
            f"are on average at least {spec['route_threshold']:g} kept ones: a document that reads like the kept "
            "units rather than those sources"
            + (f" (a document of at least {spec['route_min_units']} units)." if "route_min_units" in spec else ".")]


def _weighting_words(weighting: str | None, n_sets: int) -> str:
    if n_sets < 2:
        return ","
    if weighting == "equal_sources":
        return " (each set weighing the same in the per-label threshold choice, whatever its size),"
    return " (pooled: every unit weighing the same),"


def _tuned_on_words(metrics: dict) -> list[str]:
    overrides = metrics.get("threshold_overrides") or {}
    set_words = (", but " + ", ".join(f"{k} set to {v:g}" for k, v in overrides.items())
                 + " ([validation] threshold_overrides)") if overrides else ""
    if metrics.get("thresholds_from"):
        kept = f"are those of `{metrics['thresholds_from']}`"
        if not overrides:
            return [kept + ", kept as they are (tuned there on its validation sets),"]
        return [kept + " (tuned there on its validation sets)" + set_words + ","]
    tuned_on = metrics.get("thresholds_tuned_on", [])
    return [f"used {', '.join(tuned_on) or 'the pooled validation sets'}"
            + _weighting_words(metrics.get("threshold_weighting"), len(tuned_on)).rstrip(",") + set_words + ","]


def _threshold_lines(info: ModelInfo) -> list[str]:
    row = lambda d: ", ".join(f"{k} {v:.2f}" for k, v in d.items())  # noqa: E731
    by_language = info.thresholds_by_language or {}
    if not by_language:
        return ["Per-label thresholds: " + row(info.thresholds) + "."]
    alone = " (tuned on the encoder's scores alone, which is what they get)" if info.blend else ""
    return ["Per-label thresholds, per language (tuned on that language's validation units):",
            *[f"- {lang}: {row(d)}" for lang, d in by_language.items()],
            f"- every other language{alone}: {row(info.thresholds)}"]


def _onnx_lines(onnx: dict | None) -> list[str]:
    if not onnx:
        return []
    settings = ", ".join(f"`{k} = {v}`" for k, v in sorted(onnx.items()))
    return ["", "## ONNX export", f"`--backend onnx` exports this model with {settings} (over clausetag's `[onnx]`",
            "defaults), the settings its ONNX accuracy was measured with."]


SOURCE_WORDS = {"opp115": "English website policies (OPP-115)",
                "capp130": "Chinese app policies (CAPP-130; English machine translations where used)",
                "jsonl": "clausetag's own annotated policies (data/)"}


def _describe_sources(kinds: list[str]) -> str:
    return ", ".join(SOURCE_WORDS.get(k, k) for k in kinds) or "no source"


def model_card(info: ModelInfo) -> str:
    t = info.training
    data = t.get("data", {})
    kinds = sorted({s["spec"].split(":")[0] for s in data.get("sources", [])})
    langs = sorted(info.metrics.get("by_language", {}))
    lines = [
        "---",
        "library_name: clausetag",
        "pipeline_tag: text-classification",
        f"tags: [privacy-policy, multi-label, {info.method}]",
        "---",
        f"# clausetag model `{t.get('config_name', '?')}`",
        "",
        f"Method **{info.method}**, taxonomy **{info.taxonomy['name']}** ({len(info.taxonomy['labels'])} labels, "
        "multi-label).",
        "",
        "## Intended use",
        "Tagging sentences of privacy policies with the clause categories they disclose, to help privacy",
        "reviewers, compliance analysts and researchers read policies faster. Its output is a machine reading",
        "to be checked by a person; it is not legal advice.",
        "",
        "## Base encoder",
        _encoder_line(info),
        *_blend_lines(info.blend),
        *_neighbours_lines(info.neighbours, bool(info.blend)),
        *_onnx_lines(info.onnx),
        "",
        "## Training data",
        "| source | weight | units used | held-out validation units | documents | sha256/16 |",
        "|---|---|---|---|---|---|",
    ]
    for s in data.get("sources", []):
        lines.append(f"| {s['spec']} | {s['weight']} | {s['units_used']} | {s['validation_units']} | {s['docs']} | "
                     f"`{s['sha256_16']}` |")
    lines += ["", "Licences: " + "; ".join(LICENCES[k] for k in kinds if k in LICENCES) + "."]
    if "opp115" in kinds:
        lines += ["Because OPP-115 is licensed for research, teaching and scholarship only, this model (trained",
                  "partly on it) is for research and evaluation use; retrain without OPP-115 for commercial use."]
    lines += [
        "",
        f"CAPP-130 validation policies (held out whole): {', '.join(data.get('capp130_validation_docs', [])) or 'none'}.",
        "",
        "## Validation metrics",
        "Validation figures (the test parts of the corpora are held back). Thresholds (and early stopping)",
        *_tuned_on_words(info.metrics),
        "so the figures on those sets are somewhat optimistic for unseen data; sets not listed there are independent.",
        "The last column measures that optimism: each set's documents split in two halves, every half decided",
        "with thresholds tuned on the other half (same procedure), decisions pooled; a set without document",
        "ids is split by unit, so units of one policy can fall on both sides and it stays optimistic.",
        "",
        "| validation set | units | macro-F1 | micro-F1 | macro / micro-F1, thresholds from the other half |",
        "|---|---|---|---|---|",
    ]
    for name, m in info.metrics.get("validation", {}).items():
        lines.append(_row(name, m))
    for lang in langs:
        lines.append(_row(f"language: {lang}", info.metrics["by_language"][lang]))
    lines += ["", *_threshold_lines(info), "",
              "## Training run",
              f"Config `{t.get('config_path')}` (sha256/16 `{t.get('config_sha256_16')}`, seed {t.get('seed')}); "
              f"{t.get('train_minutes')} minutes on {t.get('machine')}; {t.get('created')}.",
              *_finetune_lines(info.metrics.get("finetune")),
              "",
              "## Limits",
              f"- Trained on {_describe_sources(kinds)}; other languages ({', '.join(langs) or 'none'} were",
              "  validated) rely on the encoder's cross-lingual transfer.",
              *(["- Labels follow clausetag's harmonized taxonomy; OPP-115 and CAPP-130 annotation conventions differ,",
                 "  so borderline sentences are labeled inconsistently between sources."]
                if info.taxonomy.get("name") == "harmonized" else
                [f"- Labels are the native {info.taxonomy.get('name')} taxonomy's, with its annotation conventions."]),
              "- Sentence-level: a practice disclosed across several sentences may be only partly tagged.",
              ""]
    return "\n".join(lines)
