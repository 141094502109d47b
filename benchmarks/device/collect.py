"""Summarise the model directories a GPU sweep sent back (benchmarks/device/train_gpu.sh) as one JSON.

    python benchmarks/device/collect.py RUNS_DIR NAME... --command "bash benchmarks/device/train_gpu.sh ..." \
        --what "..." --out benchmarks/results/gpu_sweep/sweep2.json [--logs benchmarks/results/gpu_sweep/sweep2-logs]

Per run: the overrides it trained with (from its config's "# overrides:" line), training units,
fine-tuning steps and best step, and the figures scored on the GPU machine (macro/micro-F1 per
validation set, thresholds from the other half where computed). `--logs` copies each run's log.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from clausetag.metrics import headline


def run_summary(model_dir: Path) -> dict:
    info = json.loads((model_dir / "model.json").read_text(encoding="utf-8"))
    config = (model_dir / "config.toml").read_text(encoding="utf-8")
    overrides = [line.split(":", 1)[1].strip() for line in config.splitlines() if line.startswith("# overrides:")]
    m = info["metrics"]
    validation = {}
    for name, v in sorted(m["validation"].items()):
        row = headline(v)
        if "cross_fitted" in v:
            row["other_half_macro_f1"] = round(v["cross_fitted"]["macro_f1"], 1)
        validation[name] = row
    ft = {k: (round(x, 2) if isinstance(x, float) else x) for k, x in m.get("finetune", {}).items()}
    return {"overrides": overrides[-1] if overrides else "", "train_units": info["training"]["data"].get("train_units"),
            "train_minutes": m.get("train_minutes"), "finetune": ft, "validation": validation}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs_dir", type=Path)
    ap.add_argument("names", nargs="+")
    ap.add_argument("--command", required=True, help="the device command that trained the runs")
    ap.add_argument("--what", required=True, help="one line: machine, date, what the runs were")
    ap.add_argument("--note", default="")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--logs", type=Path)
    args = ap.parse_args()
    result = {"what": args.what, "command": args.command, "note": args.note,
              "runs": {n: run_summary(args.runs_dir / n) for n in args.names}}
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    if args.logs:
        args.logs.mkdir(parents=True, exist_ok=True)
        for n in args.names:
            shutil.copyfile(args.runs_dir / f"{n}.log", args.logs / f"{n}.log")
    print(json.dumps(result["runs"], indent=1))


if __name__ == "__main__":
    main()
