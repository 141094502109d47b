"""Whether a distilled student should blend in TF-IDF scores: its validation macro-F1 alone and averaged
with the teacher's TF-IDF parts at several weights, thresholds tuned on the validation sets each time as
`clausetag train` tunes them.

    python benchmarks/student_blend.py STUDENT_DIR --config CONFIG [--teacher models/default] \
        [--weights 0 0.25 0.5] [--out benchmarks/results/distill/student_blend.json]

CONFIG is the config the student was trained with (its validation sets are rebuilt from it). The student
learned the teacher's blended scores, so a blend on top counts the TF-IDF part twice; this measures what
that does.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    from dataclasses import replace

    from clausetag.modeldir import load_model
    from clausetag.taxonomy import load_taxonomy
    from clausetag.train.config import load_config
    from clausetag.train.data import build_data
    from clausetag.train.methods import kept_blend
    from clausetag.train.run import evaluate_units
    from clausetag.train.thresholds import ThresholdPolicy, fit_thresholds, unit_thresholds

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("student")
    ap.add_argument("--config", required=True)
    ap.add_argument("--teacher", default="models/default")
    ap.add_argument("--weights", type=float, nargs="+", default=[0.0, 0.25, 0.5])
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "distill" / "student_blend.json"))
    args = ap.parse_args(argv)
    cfg = load_config(args.config)
    taxonomy = load_taxonomy(cfg.taxonomy)
    data = build_data(cfg)
    tuning = {k: v for k, v in data.validation.items() if k not in cfg.validation.evaluate_only}
    student = load_model(args.student).classifier
    blend = kept_blend(args.teacher)
    policy = ThresholdPolicy(cfg.validation.threshold_weighting, cfg.validation.thresholds_by_language,
                             cfg.validation.min_language_units)
    alone = {name: student.scores([u.text for u in units], [u.section for u in units])
             for name, units in data.validation.items()}
    rows = []
    for weight in args.weights:
        b = replace(blend, weight=weight)
        scores = {name: b.apply(alone[name], [u.text for u in units], [u.section for u in units],
                                [u.lang for u in units]) if weight else alone[name]
                  for name, units in data.validation.items()}
        thresholds = fit_thresholds({k: scores[k] for k in tuning}, tuning, taxonomy, policy,
                                    {k: alone[k] for k in tuning} if weight else None)
        row = {"tfidf_weight": weight}
        for name, units in data.validation.items():
            m = evaluate_units(scores[name], units, unit_thresholds(thresholds, units), taxonomy)
            row[name] = round(m["macro_f1"], 1)
        rows.append(row)
        print(row, flush=True)
    result = {"student": args.student, "config": args.config, "teacher": args.teacher, "machine": f"{os.cpu_count()} cores",
              "command": " ".join(["python", "benchmarks/student_blend.py", *(argv or sys.argv[1:])]),
              "validation_units": {k: len(v) for k, v in data.validation.items()}, "macro_f1": rows}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
