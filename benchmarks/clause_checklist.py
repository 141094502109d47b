"""How models label plain, single-practice clauses: the clause checklist in data/checklist.

    python benchmarks/clause_checklist.py default=models/default fast=models/fast
    python benchmarks/clause_checklist.py --show RESULTS.json [OLDER.json ...]   # the table of saved results

The checklist is 54 sentences (six per label) written for this purpose, each disclosing one practice
unambiguously, in twelve parallel languages (data/checklist/README.md). Each
sentence is labeled on its own, as `clausetag label` would label a one-line document: no section
heading, its language detected. For each model: per language, the sentences whose predicted label set
is exactly the gold label ("exact"), macro-F1, and per label how many of its six sentences got it; then
every miss. Writes benchmarks/results/clause_checklist/latest.json and prints a Markdown table (a row per
language, a column per model).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECKLIST = ROOT / "data" / "checklist"


def markdown_table(records: list[dict]) -> str:
    """One Markdown table of saved results: a row per language, a column per model (with several records, each
    column names its record's date), cells "exact/units (macro-F1)"."""
    columns = [(f"`{name}` ({rec['created']})" if len(records) > 1 else f"`{name}`", r)
               for rec in records for name, r in rec["models"].items()]
    langs = list(columns[0][1]["by_language"])
    lines = ["| language | " + " | ".join(c for c, _ in columns) + " |", "|---|" + "---:|" * len(columns)]
    for lang in langs:
        cells = [f"{r['by_language'][lang]['exact']}/{r['by_language'][lang]['units']} "
                 f"({r['by_language'][lang]['macro_f1']})" if lang in r["by_language"] else "–" for _, r in columns]
        lines.append(f"| {lang} | " + " | ".join(cells) + " |")
    lines.append("| all | " + " | ".join(f"{r['exact']}/{r['units']} ({100 * r['exact'] / r['units']:.0f}%)"
                                        for _, r in columns) + " |")
    return "\n".join(lines)


def main() -> None:
    from clausetag.corpora import load_source
    from clausetag.infer.output import atomic_write_text
    from clausetag.metrics import label_metrics
    from clausetag.modeldir import load_model
    from clausetag.taxonomy import load_taxonomy

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="*", help="NAME=MODEL_DIR")
    ap.add_argument("--show", nargs="+", metavar="RESULTS_JSON", help="print the table of saved results and stop")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "clause_checklist" / "latest.json"))
    args = ap.parse_args()
    if args.show:
        print(markdown_table([json.loads(Path(f).read_text(encoding="utf-8")) for f in args.show]))
        return
    if not args.models:
        ap.error("name at least one NAME=MODEL_DIR, or --show RESULTS_JSON")

    units = load_source(f"jsonl:{CHECKLIST}").units
    harmonized = load_taxonomy("harmonized")
    gold = harmonized.to_matrix([u.labels for u in units])
    langs = sorted({u.lang for u in units}, key=[u.lang for u in units].index)
    results = {}
    for name, path in (m.split("=", 1) for m in args.models):
        model = load_model(path)
        started = time.time()
        # each sentence a document of its own, as `label` would see a one-line file
        _, pred = model.predict([u.text for u in units], [None] * len(units), docs=[u.id for u in units])
        seconds = time.time() - started
        predicted = [[l for l, on in zip(model.labels, row) if on] for row in pred]
        if model.taxonomy.name != harmonized.name:  # e.g. models/opp115: its labels mapped as the taxonomy files say
            predicted = [model.taxonomy.map_labels(p, harmonized) for p in predicted]
        pred = harmonized.to_matrix(predicted)
        by_lang, misses = {}, []
        for lang in langs:
            rows = [i for i, u in enumerate(units) if u.lang == lang]
            per_label = defaultdict(int)
            for i in rows:
                for label in units[i].labels:
                    per_label[label] += label in predicted[i]
            exact = sum(set(predicted[i]) == set(units[i].labels) for i in rows)
            by_lang[lang] = {"units": len(rows), "exact": exact,
                             "macro_f1": round(label_metrics(gold[rows], pred[rows], harmonized.names)["macro_f1"], 1),
                             "per_label": {l: per_label[l] for l in harmonized.names}}
        for u, p in zip(units, predicted):
            if set(p) != set(u.labels):
                misses.append({"id": u.id, "text": u.text, "gold": u.labels, "predicted": p})
        total = sum(v["exact"] for v in by_lang.values())
        results[name] = {"path": path, "exact": total, "units": len(units), "seconds": round(seconds, 1),
                         "by_language": by_lang, "misses": misses}
        print(f"{name}: {total} of {len(units)} labeled exactly; misses:", flush=True)
        for m in misses:
            print(f"  {m['id']}: {m['text']}  gold {m['gold']}, predicted {m['predicted']}")
    out = {"command": "python benchmarks/clause_checklist.py " + " ".join(args.models),
           "created": time.strftime("%Y-%m-%d"), "models": results}
    atomic_write_text(Path(args.out), json.dumps(out, ensure_ascii=False, indent=2) + "\n")
    print("\n" + markdown_table([out]))


if __name__ == "__main__":
    main()
