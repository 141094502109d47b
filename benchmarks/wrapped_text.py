"""How well hard-wrapped policies are read: the seed policies wrapped at fixed widths, labeled as they are
and after `infer/unwrap.py` joins their lines back.

    python benchmarks/wrapped_text.py [--model models/default] [--widths 40 72]

For each seed policy and width: the share of the policy's units (as segmented from the file as it is,
one paragraph per line) that come out again, same text with whitespace ignored, when the wrapped text is
segmented as it is and when it is unwrapped first; and the share of units that get the same labels from
`--model` as in the original. Writes benchmarks/results/wrapped_text.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def wrap(text: str, width: int) -> str:
    """Every line of `text` wrapped at `width` characters (blank lines kept)."""
    return "\n".join("\n".join(textwrap.wrap(line, width)) if line.strip() else "" for line in text.split("\n"))


def key(text: str) -> str:
    return re.sub(r"\s+", "", text)


def main() -> None:
    from clausetag.infer.labeler import Labeler
    from clausetag.infer.unwrap import looks_wrapped, unwrap
    from clausetag.settings import Settings

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(ROOT / "models" / "default"))
    ap.add_argument("--widths", type=int, nargs="+", default=[40, 72])
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "wrapped_text.json")
    args = ap.parse_args()
    labeler = Labeler.load(args.model)
    rows = []
    for path in sorted(Settings.load().seeds.glob("*.txt")):
        original = path.read_text(encoding="utf-8").removeprefix("\ufeff")
        reference = {key(p.unit.text): set(p.labels) for p in labeler.label_text(original)}
        for width in args.widths:
            wrapped = wrap(original, width)
            row = {"policy": path.name, "width": width, "units": len(reference), "detected": looks_wrapped(wrapped)}
            for name, text in (("as_is", wrapped), ("unwrapped", unwrap(wrapped))):
                got = {key(p.unit.text): set(p.labels) for p in labeler.label_text(text)}
                same_text = [k for k in reference if k in got]
                row[name] = {"units": len(got), "recovered": round(100 * len(same_text) / len(reference), 1),
                             "same_labels": round(100 * sum(got[k] == reference[k] for k in same_text)
                                                  / len(reference), 1)}
            rows.append(row)
    result = {"command": f"python benchmarks/wrapped_text.py --widths {' '.join(map(str, args.widths))}",
              "model": args.model, "created": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "machine": f"{platform.machine()}, {platform.python_version()}", "rows": rows}
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print("| policy | width | units | as is: units / recovered % / same labels % | unwrapped: units / recovered % / same labels % |")
    print("|---|---:|---:|---|---|")
    for r in rows:
        a, u = r["as_is"], r["unwrapped"]
        print(f"| {r['policy']} | {r['width']} | {r['units']} | {a['units']} / {a['recovered']} / {a['same_labels']} "
              f"| {u['units']} / {u['recovered']} / {u['same_labels']} |")


if __name__ == "__main__":
    main()
