"""Labels from a document's structure (`clausetag label`'s default) against the model's own (`--no-structure`).

    python benchmarks/structure_rules.py                    # models/default
    python benchmarks/structure_rules.py --model models/fast --out benchmarks/results/structure_rules/fast.json

Each measurement is made both ways ("model": the model's own labels; "structure": headings from their
sections, list items without a clause from their lead-ins; infer/structure.py):
- `data/headings/capp130_validation_zh.jsonl`: 151 heading lines of CAPP-130's Chinese validation policies
  (never trained on), labeled by the project by data/GUIDELINES.md rule 1 (data/headings/README.md). The
  policies are labeled as the corpus gives them, a unit per line, headings found as the corpus reader
  finds them (`is_heading`); every occurrence of an annotated line counts.
- The seed policies (`data/seeds`, labeled by the guidelines; in the model's training data, so the
  model's own labels are optimistic there), segmented and labeled as `clausetag label` does.
- CAPP-130's validation policies in Chinese and English against the corpus's own labels, which follow
  another convention for headings (most are `other`): what following the guidelines costs there; and
  the list items whose labels the lead-in rule changed there, against the corpus's labels.
Writes benchmarks/results/structure_rules/default.json and prints a line per measurement.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MODES = {"model": False, "structure": True}


def scores(gold: list[list[str]], pred: list[list[str]], names: list[str], taxonomy) -> dict:
    from clausetag.metrics import label_metrics

    m = label_metrics(taxonomy.to_matrix(gold), taxonomy.to_matrix(pred), names)
    exact = float(np.mean([set(g) == set(p) for g, p in zip(gold, pred)])) if gold else 0.0
    return {"units": len(gold), "exact_label_set": round(100 * exact, 1), "macro_f1": round(m["macro_f1"], 1),
            "micro_f1": round(m["micro_f1"], 1)}


def flagged(units):
    """Corpus units with the heading flag the corpus reader's section logic uses."""
    from dataclasses import replace

    from clausetag.infer.segment import is_cjk, is_heading

    return [replace(u, heading=is_heading(u.text, is_cjk(u.text))) for u in units]


def main() -> None:
    from clausetag.corpora import read_capp130
    from clausetag.infer.labeler import Labeler
    from clausetag.infer.structure import LEAD_IN_BASIS
    from clausetag.modeldir import load_model
    from clausetag.settings import Settings

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=str(ROOT / "models" / "default"))
    ap.add_argument("--gold", default=str(ROOT / "data" / "headings" / "capp130_validation_zh.jsonl"))
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "structure_rules" / "default.json"))
    args = ap.parse_args()

    model = load_model(args.model)
    taxonomy, names = model.taxonomy, model.labels
    labeler = Labeler(model)
    val_docs = model.info.training.get("data", {}).get("capp130_validation_docs") or []
    if not val_docs:
        raise SystemExit(f"{args.model}: its model.json names no CAPP-130 validation policies")
    annotated = {r["text"]: r["labels"] for r in map(json.loads, Path(args.gold).read_text("utf-8").splitlines()) if r}
    results: dict = {}

    def run(units) -> dict[str, list]:
        out = {}
        for mode, on in MODES.items():  # the second pass scores nothing: the labeler's cache has every unit
            labeler.structure = on
            out[mode] = labeler.label_units(units)
        return out

    for lang in ("zh", "en"):
        started = time.time()
        units = flagged(read_capp130(lang, docs=val_docs).mapped(taxonomy))
        preds = run(units)
        corpus = {mode: scores([u.labels for u in units], [p.labels for p in ps], names, taxonomy)
                  for mode, ps in preds.items()}
        results[f"capp130_{lang}_corpus_labels"] = {**corpus, "headings": sum(u.heading for u in units),
                                                    "seconds": round(time.time() - started)}
        items = [i for i, p in enumerate(preds["structure"]) if p.basis == LEAD_IN_BASIS]
        if items:
            results[f"capp130_{lang}_list_items_changed"] = {
                mode: scores([units[i].labels for i in items], [ps[i].labels for i in items], names, taxonomy)
                for mode, ps in preds.items()}
        if lang == "zh":
            picked = [i for i, u in enumerate(units) if u.heading and u.text in annotated]
            results["capp130_zh_headings_guidelines"] = {
                mode: scores([annotated[units[i].text] for i in picked], [ps[i].labels for i in picked], names,
                             taxonomy) for mode, ps in preds.items()}
            results["capp130_zh_headings_guidelines"]["annotated_lines"] = len(annotated)

    seeds = sorted((ROOT / "data" / "seeds").glob("*.jsonl"))
    gold = {}
    for path in seeds:
        for r in map(json.loads, path.read_text("utf-8").splitlines()):
            gold[(r["doc"], r["start"], r["end"])] = r["labels"]
    seed_dir = Settings.load().seeds
    headings, every = {}, {}
    for mode, on in MODES.items():
        labeler.structure = on
        pairs = [(gold[(Path(res.path).name, p.unit.start, p.unit.end)], p)
                 for res in labeler.label_files(sorted(seed_dir.glob("*.txt"))) for p in res.predictions
                 if (Path(res.path).name, p.unit.start, p.unit.end) in gold]
        headings[mode] = scores([g for g, p in pairs if p.unit.heading], [p.labels for _, p in pairs if p.unit.heading],
                                names, taxonomy)
        every[mode] = scores([g for g, _ in pairs], [p.labels for _, p in pairs], names, taxonomy)
    results["seeds_headings_in_training"] = headings
    results["seeds_all_units_in_training"] = every

    out = {"command": "python benchmarks/structure_rules.py" + (f" --model {args.model}" if args.model != ap.get_default("model") else ""),
           "model": str(Path(args.model).resolve().relative_to(ROOT)) if Path(args.model).resolve().is_relative_to(ROOT) else args.model,
           "created": time.strftime("%Y-%m-%d"), "results": results}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    for name, row in results.items():
        print(name + ": " + "; ".join(f"{m} exact {row[m]['exact_label_set']}% macro-F1 {row[m]['macro_f1']} "
                                      f"micro-F1 {row[m]['micro_f1']} ({row[m]['units']} units)" for m in MODES))


if __name__ == "__main__":
    main()
