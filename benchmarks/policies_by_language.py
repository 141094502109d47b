"""Per-language macro/micro-F1 of models on data/policies' held-out test documents (or any gold folder).

    python benchmarks/policies_by_language.py default=models/default [before=DIR ...] [--gold data/policies/test]
        [--out benchmarks/results/policies_by_language/latest.json]
    python benchmarks/policies_by_language.py --show RESULTS.json [OLDER.json ...]   # the table of saved results
    python benchmarks/policies_by_language.py --show RESULTS.json --card models/default/README.md --model default
        [--baseline previous] [--checklist CHECKLIST_RESULTS.json] [--note TEXT]   # (re)write its test section

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


CARD_HEADING = "## Real policies in thirteen languages (held-out test documents)"
TARGET = 80.0  # the per-language macro-F1 the issue asks for on held-out documents


def card_section(record: dict, model: str, baseline: str | None = None, checklist: dict | None = None,
                 note: str = "") -> str:
    """A model card's test section from one saved record: how it was made, a row per language for `model` (and
    `baseline`'s macro-F1 beside it), which languages reach TARGET, and the clause checklist when given; `note`
    (e.g. what the baseline is) follows the first paragraph."""
    for name in filter(None, (model, baseline)):
        if name not in record["results"]:
            raise ValueError(f"no model {name!r} in the results (it has {', '.join(record['results'])})")
    langs = record["results"][model]["languages"]
    base = record["results"][baseline]["languages"] if baseline else None
    head = "| language | test documents | units | macro-F1 | micro-F1 |" + (f" {baseline} macro-F1 |" if base else "")
    intro = (f"`{record['command']}` on `{record['gold']}` (whole policies never trained or tuned on, labeled as "
             f"`clausetag label` labels a file, structure rules on), {record['date']}, {record['machine']}. "
             f"The column `{model}` is this model." + (f" {note}" if note else ""))
    lines = [CARD_HEADING, "", intro, "", head, "|---|---:|---:|---:|---:|" + ("---:|" if base else "")]
    for lang, r in langs.items():
        row = f"| {lang} | {r['documents']} | {r['units']} | {r['macro_f1']:.1f} | {r['micro_f1']:.1f} |"
        lines.append(row + (f" {base[lang]['macro_f1']:.1f} |" if base and lang in base else " – |" if base else ""))
    met = [lang for lang, r in langs.items() if lang != "all" and r["macro_f1"] >= TARGET]
    missed = [f"{lang} ({r['macro_f1']:.1f})" for lang, r in langs.items() if lang != "all" and r["macro_f1"] < TARGET]
    lines += ["", f"At least {TARGET:.0f} macro-F1: {', '.join(met) or 'none'}; below: {', '.join(missed) or 'none'}."]
    if checklist:
        mine = checklist["models"].get(model)
        if mine is None:
            raise ValueError(f"no model {model!r} in the checklist results")
        other = checklist["models"].get(baseline) if baseline else None
        lines.append(f"Clause checklist (`python benchmarks/clause_checklist.py`, {checklist['created']}): "
                     f"{mine['exact']} of {mine['units']} sentences exact"
                     + (f" ({baseline}: {other['exact']})." if other else "."))
    return "\n".join(lines) + "\n"


def write_card_section(card: Path, section: str) -> None:
    """Replace the card's test section (from CARD_HEADING to the next `## ` heading or the end) or append it."""
    text = card.read_text(encoding="utf-8")
    start = text.find(CARD_HEADING)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(CARD_HEADING))
        text = text[:start] + section + ("\n" + text[end + 1:] if end >= 0 else "")
    atomic_write_text(card, text)


def _read_json(path: Path) -> dict:
    """A saved results file, or a ValueError naming it and what is wrong."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: cannot be read as saved results ({e})") from None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*", help="NAME=MODEL_DIR")
    ap.add_argument("--show", nargs="+", metavar="RESULTS_JSON", help="print the table of saved results and stop")
    ap.add_argument("--gold", default="data/policies/test")
    ap.add_argument("--out", default="benchmarks/results/policies_by_language/latest.json")
    ap.add_argument("--card", type=Path, help="with --show: write the first record's section into this model card")
    ap.add_argument("--model", help="with --card: the record's name of the card's model")
    ap.add_argument("--baseline", help="with --card: a model of the record whose macro-F1 goes beside it")
    ap.add_argument("--checklist", type=Path, help="with --card: clause_checklist.py results naming the same models")
    ap.add_argument("--note", default="", help="with --card: a sentence after the section's first paragraph")
    args = ap.parse_args(argv)
    if args.card:
        if not (args.show and args.model):
            ap.error("--card needs --show RESULTS_JSON and --model NAME")
        try:
            checklist = _read_json(args.checklist) if args.checklist else None
            section = card_section(_read_json(Path(args.show[0])), args.model, args.baseline, checklist, args.note)
            if not args.card.is_file():
                raise ValueError(f"{args.card}: no such model card")
        except ValueError as e:
            ap.error(str(e))
        write_card_section(args.card, section)
        print(f"{args.card}: test section written")
        return 0
    if args.show:
        try:
            records = [_read_json(Path(f)) for f in args.show]
        except ValueError as e:
            ap.error(str(e))
        print(markdown_table(records))
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
