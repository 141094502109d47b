"""How much of each validation set recurs verbatim in training, and what models score on either part.

    python benchmarks/validation_overlap.py default=models/default tfidf=DIR

DIR: a `tfidf` model, e.g. from `clausetag train train/configs/tfidf.toml -o DIR` (the same sources and
validation split as the default config). For each validation source of `--config` (default:
train/configs/default.toml): the units whose text, whitespace collapsed, is the text of a training unit
("seen") and the rest ("unseen"); each model's macro-F1 on all, unseen and seen units, decided with the
thresholds stored in the model; and how consistently the corpus labels identical sentences: the seen
units scored with the majority labels of their identical training units (each label that more than
half of those units carry; otherwise their most common label set). That agreement is not a bound on a
model (the same sentence may rightly differ by its section), but it shows how far exact
memorisation gets. Writes benchmarks/results/validation_overlap/latest.json and prints one line per source.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def majority_labels(label_sets: list[tuple[str, ...]], names: list[str]) -> list[str]:
    """Labels more than half of the sets carry, else the most common set."""
    counts = Counter(l for s in label_sets for l in s)
    return [l for l in names if 2 * counts[l] > len(label_sets)] or list(Counter(label_sets).most_common(1)[0][0])


def main() -> None:
    from clausetag.metrics import label_metrics
    from clausetag.modeldir import load_model
    from clausetag.train.config import load_config
    from clausetag.train.data import build_data
    from clausetag.records import normalized

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="+", help="NAME=MODEL_DIR, scored on the config's validation sets")
    ap.add_argument("--config", default=str(ROOT / "train" / "configs" / "default.toml"))
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "validation_overlap" / "latest.json"))
    args = ap.parse_args()

    cfg = load_config(args.config)
    data = build_data(cfg)
    models = {name: load_model(path) for name, path in (m.split("=", 1) for m in args.models)}
    taxonomy = next(iter(models.values())).taxonomy
    by_text: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for u in {u.id: u for u in data.train}.values():  # resampling repeats units; each counts once
        by_text[normalized(u.text)].append(tuple(sorted(u.labels)))
    results = {}
    for source, units in data.validation.items():
        gold = taxonomy.to_matrix([u.labels for u in units])
        seen = np.array([normalized(u.text) in by_text for u in units])
        parts = {"all": np.ones_like(seen), "unseen": ~seen, "seen": seen}
        row = {"units": len(units), "seen": int(seen.sum()), "seen_share": round(float(seen.mean()), 3),
               "models": {}}
        texts, sections, langs = [u.text for u in units], [u.section for u in units], [u.lang for u in units]
        for name, model in models.items():
            started = time.time()
            scores = model.scores(texts, sections, langs=langs, docs=[u.doc for u in units])
            pred = model.decide(scores, langs)
            row["models"][name] = {part: round(label_metrics(gold[m], pred[m], taxonomy.names)["macro_f1"], 1)
                                   for part, m in parts.items() if m.any()}
            row["models"][name]["seconds"] = round(time.time() - started)
        if seen.any():
            seen_units = [u for u, s in zip(units, seen) if s]
            majority = [majority_labels(by_text[normalized(u.text)], taxonomy.names) for u in seen_units]
            m = label_metrics(taxonomy.to_matrix([u.labels for u in seen_units]), taxonomy.to_matrix(majority),
                              taxonomy.names)
            row["duplicates_majority"] = {
                "macro_f1": round(m["macro_f1"], 1), "micro_f1": round(m["micro_f1"], 1),
                "exact_label_set": round(float(np.mean([set(a) == set(u.labels) for a, u in zip(majority, seen_units)])), 3),
                "labeled_differently_in_training": round(float(np.mean(
                    [len(set(by_text[normalized(u.text)])) > 1 for u in seen_units])), 3)}
        results[source] = row
        scores = "; ".join(f"{n} all/unseen/seen {v['all']}/{v.get('unseen', '-')}/{v.get('seen', '-')}"
                           for n, v in row["models"].items())
        dup = row.get("duplicates_majority")
        print(f"{source}: {row['seen']} of {row['units']} units seen in training; {scores}"
              + (f"; identical training units' majority labels {dup['macro_f1']} macro-F1, same label set "
                 f"{100 * dup['exact_label_set']:.0f}%" if dup else ""), flush=True)
    out = {"command": "python benchmarks/validation_overlap.py " + " ".join(args.models),
           "config": str(Path(args.config).relative_to(ROOT)) if Path(args.config).is_relative_to(ROOT) else args.config,
           "created": time.strftime("%Y-%m-%d"), "sources": results}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
