"""Train (or read) one model per method and write one quality table.

    python benchmarks/train_quality.py --methods tfidf frozen --existing finetune=models/default
    python benchmarks/train_quality.py --lodo tfidf             # + seeds leave-one-document-out
    python benchmarks/train_quality.py --existing opp115=models/opp115 --methods

Per method: macro- and micro-F1 on each validation source (OPP-115 validation, the held-out CAPP-130
policies in Chinese and English), per language, training minutes and model size. `--lodo` adds the
seeds leave-one-document-out protocol: five runs of the method's config, each holding one seed policy
out (scored, never used for thresholds or early stopping), predictions pooled over the five folds;
`--lodo-folds all` holds all five out of one run instead (a stricter protocol, one run instead of five:
no seed policy is in training at all).
Configs: train/configs/{tfidf,frozen,default}.toml (finetune = default.toml), opp115.toml for the
native 12-label model. Results: benchmarks/results/train_quality/harmonized.json (`--out`) and a Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from clausetag.metrics import headline

ROOT = Path(__file__).resolve().parents[1]
# default_cpu: the default config trained from scratch on the machine at hand (the shipped default's
# weights were made on a GPU; see docs/training.md, "Training on a GPU")
CONFIGS = {"tfidf": "tfidf.toml", "frozen": "frozen.toml", "finetune": "default.toml", "default": "default.toml",
           "default_cpu": "default.toml", "default_cpu_top4": "default.toml", "fast": "fast.toml",
           "opp115": "opp115.toml"}
# default_cpu_top4: the same with LoRA in the top 4 layers only (lower layers cached, 2.7x the CPU pace),
# its fine-tuning budget cut to 50 minutes so that the whole run takes about as long as default_cpu's
OVERRIDES = {"default_cpu_top4": {"finetune.lora_layers": "4", "finetune.max_minutes": "50"}}
# harmonized configs with seeds in training; not `fast`, which distills models/default: its teacher trained on
# every seed document, so a document held out of the student's training is no held-out document
LODO_METHODS = ["tfidf", "frozen", "finetune", "default"]
SEEDS = "jsonl:data/seeds"
CACHE = Path.home() / ".cache" / "clausetag" / "bench"


def dir_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and f.parent.name != "onnx") / 2**20


def model_row(method: str, model_dir: Path) -> dict:
    info = json.loads((model_dir / "model.json").read_text(encoding="utf-8"))
    m = info["metrics"]
    return {"method": method, "model": str(model_dir), "taxonomy": info["taxonomy"]["name"],
            "train_minutes": m.get("train_minutes"), "size_mb": round(dir_mb(model_dir), 2),
            "config_sha256_16": info["training"].get("config_sha256_16"),
            "validation": {k: headline(v) for k, v in m["validation"].items()},
            # thresholds tuned on the other half of the validation documents (train/thresholds.py)
            "other_half": {k: {n: round(x, 1) if isinstance(x, float) else x for n, x in v["cross_fitted"].items()}
                           for k, v in m["validation"].items() if "cross_fitted" in v},
            "thresholds_by_language": m.get("thresholds_by_language", []),
            "by_language": {k: headline(v) for k, v in m["by_language"].items()}}


def train_config(method: str, overrides: dict | None = None, output: Path | None = None) -> Path:
    from clausetag.train.config import load_config
    from clausetag.train.run import train

    cfg = load_config(ROOT / "train" / "configs" / CONFIGS[method], {**OVERRIDES.get(method, {}), **(overrides or {})})
    path, _ = train(cfg, output or CACHE / method)
    return path


FOLDS = {"one": "leave-one-document-out, five runs", "all": "all five seed policies held out of one run"}


def lodo(method: str, extra: dict, folds: str = "one") -> dict:
    """Seeds held out (one policy per run, or all in one run): pooled metrics overall and per language."""
    from clausetag.corpora import read_jsonl
    from clausetag.metrics import label_metrics
    from clausetag.modeldir import load_model

    units = read_jsonl(ROOT / "data" / "seeds").units
    docs = sorted({u.doc for u in units})
    groups = [[d] for d in docs] if folds == "one" else [docs]
    gold, pred, langs, minutes = [], [], [], []
    for group in groups:
        print(f"{method} seeds held out: {', '.join(group)}", file=sys.stderr)
        t0 = time.time()
        out = train_config(method, {"validation.holdout_docs": group, "validation.evaluate_only": [SEEDS], **extra},
                           CACHE / f"{method}-lodo")
        minutes.append((time.time() - t0) / 60)
        model = load_model(out)
        held = [u for u in units if u.doc in group]
        _, decided = model.predict([u.text for u in held], [u.section for u in held], [u.lang for u in held],
                                   [u.doc for u in held])
        gold.append(model.taxonomy.to_matrix([u.labels for u in held]))
        pred.append(decided)
        langs += [u.lang for u in held]
    gold, pred, langs = np.concatenate(gold), np.concatenate(pred), np.array(langs)
    names = model.taxonomy.names
    result = {"folds": len(groups), "protocol": FOLDS[folds], "minutes": round(sum(minutes), 1),
              "overrides": {k: v for k, v in extra.items()}}
    for key, mask in [("all", np.ones(len(langs), bool))] + [(l, langs == l) for l in sorted(set(langs))]:
        m = label_metrics(gold[mask], pred[mask], names)
        result[key] = headline(m)
    return result


COLUMNS = [("opp115:validation", "OPP-115 val (en)"), ("capp130:zh", "CAPP-130 val zh"),
           ("capp130:en", "CAPP-130 val en (MT)"), ("lodo:zh", "seeds LODO zh"), ("lodo:cs", "seeds LODO cs")]


def table(rows: list[dict]) -> str:
    head = "| method | " + " | ".join(c for _, c in COLUMNS) + " | train min | size MB |"
    lines = [head, "|---|" + "---:|" * (len(COLUMNS) + 2),
             "| | " + " | ".join("macro / micro" for _ in COLUMNS) + " | | |"]
    for r in rows:
        cells = []
        for key, _ in COLUMNS:
            v = r.get("lodo", {}).get(key[5:]) if key.startswith("lodo:") else r["validation"].get(key)
            mark = "†" if key.startswith("lodo:") and r.get("lodo", {}).get("folds") == 1 else ""
            cells.append(f"{v['macro_f1']} / {v['micro_f1']}{mark}" if v else "–")
        lines.append(f"| {r['method']} | " + " | ".join(cells) + f" | {r['train_minutes']} | {r['size_mb']} |")
    return "\n".join(lines)


def other_half_table(rows: list[dict]) -> str:
    """Macro / micro-F1 per validation set with thresholds tuned on the other half of its documents."""
    cols = COLUMNS[:3]
    lines = ["| method | " + " | ".join(c for _, c in cols) + " |", "|---|" + "---:|" * len(cols)]
    for r in rows:
        if r.get("other_half"):
            cells = [(lambda v: f"{v['macro_f1']} / {v['micro_f1']}" if v else "–")(r["other_half"].get(k))
                     for k, _ in cols]
            lines.append(f"| {r['method']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--methods", nargs="*", default=["tfidf", "frozen"], choices=list(CONFIGS))
    ap.add_argument("--existing", nargs="*", default=[], metavar="METHOD=DIR",
                    help="read an already trained model instead of training, e.g. finetune=models/default")
    ap.add_argument("--lodo", nargs="*", default=[], choices=LODO_METHODS)
    ap.add_argument("--lodo-folds", choices=list(FOLDS), default="one",
                    help="one: each seed policy held out of its own run; all: all held out of one run (marked †)")
    ap.add_argument("--lodo-set", nargs="*", default=[], metavar="KEY=VALUE",
                    help="overrides for the LODO runs only, e.g. frozen.max_units=4000")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "train_quality" / "harmonized.json")
    args = ap.parse_args()

    previous = json.loads(args.out.read_text(encoding="utf-8")) if args.out.exists() else {"rows": []}
    rows = {r["method"]: r for r in previous["rows"]}
    for item in args.existing:
        method, _, path = item.partition("=")
        row = model_row(method, ROOT / path if not Path(path).is_absolute() else Path(path))
        kept = rows.get(method, {})
        if kept.get("config_sha256_16") != row["config_sha256_16"]:  # another config: its LODO figures are not this model's
            kept = {k: v for k, v in kept.items() if k != "lodo"}
        rows[method] = {**kept, **row}
    for method in args.methods:
        t0 = time.time()
        print(f"training {method} ...", file=sys.stderr)
        rows[method] = {**rows.get(method, {}), **model_row(method, train_config(method))}
        print(f"{method}: {time.time() - t0:.0f} s", file=sys.stderr)
    extra = dict(kv.split("=", 1) for kv in args.lodo_set)
    for method in args.lodo:
        rows.setdefault(method, {"method": method, "validation": {}, "train_minutes": None, "size_mb": None})
        rows[method]["lodo"] = lodo(method, extra, args.lodo_folds)
    order = [m for m in CONFIGS if m in rows]
    from clausetag.train.run import machine

    command = "python benchmarks/train_quality.py " + " ".join(sys.argv[1:])
    result = {"machine": machine(), "date": time.strftime("%Y-%m-%d"),
              "commands": previous.get("commands", []) + [command], "rows": [rows[m] for m in order]}
    from clausetag.infer.output import atomic_write_text

    atomic_write_text(args.out, json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    harmonized = [r for r in result["rows"] if r.get("taxonomy", "harmonized") == "harmonized"]
    print(f"machine: {result['machine']}\n\n{table(harmonized)}\n\nthresholds from the other half of the documents "
          f"(OPP-115: of the units):\n\n{other_half_table(harmonized)}")


if __name__ == "__main__":
    main()
