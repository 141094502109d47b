"""Per-language macro/micro-F1 of models on data/policies' held-out test documents (or any gold folder).

    python benchmarks/policies_by_language.py default=models/default [before=DIR ...] [--gold data/policies/test]
        [--out benchmarks/results/policies_by_language/latest.json]
    python benchmarks/policies_by_language.py --show RESULTS.json [OLDER.json ...]   # the table of saved results

Each model is scored with `clausetag evaluate` (structure rules on, as `clausetag label` decides), and its
predictions are broken down by the language of the gold units; a table is printed and written as JSON.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
from collections import defaultdict
from datetime import date
from pathlib import Path

import numpy as np

from clausetag.infer.output import atomic_write_text
from clausetag.metrics import headline, label_metrics


def by_language(predictions: Path) -> dict[str, dict]:
    """{lang | "all": {macro_f1, micro_f1, units, documents}} of one evaluation's predictions.jsonl."""
    lines = [json.loads(l) for l in predictions.read_text(encoding="utf-8").splitlines() if l.strip()]
    names = lines[0]["labels"]
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in lines[1:]:
        if r.get("type") == "unit":
            groups[r["lang"]].append(r)
            groups["all"].append(r)
    out = {}
    for lang, units in sorted(groups.items(), key=lambda kv: (kv[0] == "all", kv[0])):
        gold = np.array([[n in u["gold"] for n in names] for u in units])
        pred = np.array([[n in u["predicted"]["model"] for n in names] for u in units])
        out[lang] = headline(label_metrics(gold, pred, names)) | {"documents": len({u["doc"] for u in units})}
    return out


def markdown_table(records: list[dict]) -> str:
    """One Markdown table of saved results (a row per language, a column per model; with several records, each
    column names its record's date). The documents and units are the first model's."""
    columns = [(f"{name} ({rec['date']})" if len(records) > 1 else name, r["languages"])
               for rec in records for name, r in rec["results"].items()]
    first = columns[0][1]
    lines = ["| language | documents | units | " + " | ".join(f"{c} macro / micro" for c, _ in columns) + " |",
             "|---|---:|---:|" + "---:|" * len(columns)]
    for lang in first:
        cells = [f"{l[lang]['macro_f1']:.1f} / {l[lang]['micro_f1']:.1f}" if lang in l else "–" for _, l in columns]
        lines.append(f"| {lang} | {first[lang]['documents']} | {first[lang]['units']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*", help="NAME=MODEL_DIR")
    ap.add_argument("--show", nargs="+", metavar="RESULTS_JSON", help="print the table of saved results and stop")
    ap.add_argument("--gold", default="data/policies/test")
    ap.add_argument("--out", default="benchmarks/results/policies_by_language/latest.json")
    args = ap.parse_args(argv)
    if args.show:
        print(markdown_table([json.loads(Path(f).read_text(encoding="utf-8")) for f in args.show]))
        return 0
    if not args.models:
        ap.error("name at least one NAME=MODEL_DIR, or --show RESULTS_JSON")
    results = {}
    for spec in args.models:
        name, model = spec.split("=", 1)
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([sys.executable, "-m", "clausetag.cli", "evaluate", args.gold, "-m", model, "-o", tmp,
                            "--resamples", "1", "--quiet"], check=True)
            results[name] = {"model": model, "languages": by_language(Path(tmp) / "predictions.jsonl")}
    record = {"gold": args.gold, "date": date.today().isoformat(), "machine": f"{platform.machine()}, "
              f"{platform.system()}", "command": "python benchmarks/policies_by_language.py " + " ".join(argv or sys.argv[1:]),
              "results": results}
    atomic_write_text(Path(args.out), json.dumps(record, indent=1, ensure_ascii=False) + "\n")
    print(markdown_table([record]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
