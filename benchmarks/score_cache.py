"""What the labeler's score cache saves on a batch of templated policies: CAPP-130 app policies (the 16
the model held out for validation, or all 104 with --all), each written as a text file of its
sentences, labeled as one batch with the cache off and on.

    python benchmarks/score_cache.py [--model models/default] [--lang zh] [--all]

Reports units, distinct units (language, section heading, text), seconds and units per second for each
run, and how many units get other labels or scores with the cache (none expected: a unit's scores depend
on its language, section and text alone; batches of other sizes may move a score by float rounding).
Writes benchmarks/results/score_cache/validation.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    from clausetag.corpora import capp130_docs, load_source
    from clausetag.infer.labeler import Labeler, scores_array
    from clausetag.modeldir import read_info

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(ROOT / "models" / "default"))
    ap.add_argument("--lang", default="zh", choices=["zh", "en"])
    ap.add_argument("--all", action="store_true", help="all 104 policies, not only the validation ones")
    ap.add_argument("--out", type=Path, default=None, help="default: benchmarks/results/score_cache/{validation,all}.json")
    args = ap.parse_args()
    args.out = args.out or ROOT / "benchmarks" / "results" / "score_cache" / f"{'all' if args.all else 'validation'}.json"
    docs = capp130_docs() if args.all else read_info(args.model).capp130_validation_docs
    units = load_source(f"capp130:{args.lang}", docs=docs).units
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for doc in docs:
            path = Path(tmp) / f"{doc}.txt"
            path.write_text("\n".join(u.text for u in units if u.doc == doc) + "\n", encoding="utf-8")
            paths.append(path)
        labeler = Labeler.load(args.model)
        labeler.label_text("我们会收集您的手机号码。We collect your e-mail address.")  # warm-up
        for name, size in (("cache off", 0), ("cache on", None)):
            run = Labeler(labeler.model, score_cache_units=size)
            start = time.perf_counter()
            results = list(run.label_files(paths))
            seconds = time.perf_counter() - start
            predictions = [p for r in results for p in r.predictions]
            keys = {(p.unit.lang, p.unit.section, p.unit.text) for p in predictions}
            runs[name] = {"units": len(predictions), "distinct_units": len(keys), "seconds": round(seconds, 1),
                          "units_per_second": round(len(predictions) / seconds, 1),
                          "labels": [p.labels for p in predictions],
                          "scores": scores_array(predictions, labeler.labels)}
    off, on = runs["cache off"], runs["cache on"]
    differ = sum(a != b for a, b in zip(off["labels"], on["labels"]))
    largest = float(np.abs(off["scores"] - on["scores"]).max())
    rows = [{"run": name, **{k: v for k, v in r.items() if k not in ("labels", "scores")}} for name, r in runs.items()]
    command = f"python benchmarks/score_cache.py --lang {args.lang}" + (" --all" if args.all else "")
    result = {"command": command, "model": args.model, "policies": docs,
              "created": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
              "rows": rows, "units_with_other_labels": differ, "largest_score_difference": largest,
              "speed_up": round(off["seconds"] / on["seconds"], 2)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print("| run | units | distinct units | seconds | units/s |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['run']} | {r['units']} | {r['distinct_units']} | {r['seconds']} | {r['units_per_second']} |")
    print(f"speed-up {result['speed_up']}x; units with other labels: {differ}; largest score difference {largest:.2g}")


if __name__ == "__main__":
    main()
