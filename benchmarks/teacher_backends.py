"""Which backend a distillation teacher scores faster with: units/s of a model folder's blended scores,
torch against its int8 ONNX export (cached beside the model; exported first where it is not).

    python benchmarks/teacher_backends.py [--model models/default] [--zh 200] [--en 100]

The units: the first `--zh` CAPP-130 Chinese sentences and the first `--en` OPP-115 validation segments,
with their sections and languages, scored once after a warm-up on 32 of them, each backend in turn in
this process.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from clausetag.corpora import load_source
    from clausetag.train.teacher_scores import load_teacher

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="models/default")
    ap.add_argument("--zh", type=int, default=200)
    ap.add_argument("--en", type=int, default=100)
    ap.add_argument("--backends", nargs="+", default=["onnx", "torch"], choices=["onnx", "torch"])
    args = ap.parse_args(argv)
    units = load_source("capp130:zh").units[:args.zh] + load_source("opp115:validation").units[:args.en]
    texts, sections, langs = [u.text for u in units], [u.section for u in units], [u.lang for u in units]
    for backend in args.backends:
        t0 = time.perf_counter()
        model = load_teacher(Path(args.model), backend)
        model.scores(texts[:32], sections[:32], langs=langs[:32])
        t1 = time.perf_counter()
        model.scores(texts, sections, langs=langs)
        t2 = time.perf_counter()
        print(f"{backend}: load and warm-up {t1 - t0:.1f} s, {len(texts) / (t2 - t1):.1f} units/s ({len(texts)} units)",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
