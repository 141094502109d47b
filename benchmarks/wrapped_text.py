"""How well hard-wrapped policies are read: the seed policies wrapped at fixed widths, and printed to PDF,
labeled from the text as it comes and from what `label` now reads (lines unwrapped, page furniture
dropped).

    python benchmarks/wrapped_text.py [--model models/default] [--widths 40 72] [--pdf]

For each seed policy and form: the share of the policy's distinct unit texts (as segmented from the file
itself, one paragraph per line) that come out again, NFKC-normalised with whitespace ignored, and the
share that also get the same labels from `--model`. Forms: the text wrapped at each width (as it is /
unwrapped), and with `--pdf` the policy printed to PDF by headless Chromium (its default page header and
footer: date, title, file URL, page "n/N"), read as pypdf gives the text / as `label` reads a PDF.
Writes benchmarks/results/wrapped_text/latest.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import html
import json
import platform
import re
import shutil
import subprocess
import tempfile
import textwrap
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def wrap(text: str, width: int) -> str:
    """Every line of `text` wrapped at `width` characters (blank lines kept)."""
    return "\n".join("\n".join(textwrap.wrap(line, width)) if line.strip() else "" for line in text.split("\n"))


def key(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def print_pdf(text: str, name: str, folder: Path, chromium: str) -> Path:
    """`text` (one paragraph per line) as an HTML page printed to PDF by headless Chromium."""
    body = "\n".join(f"<p>{html.escape(line)}</p>" for line in text.split("\n") if line.strip())
    page = folder / f"{name}.html"
    page.write_text(f"<html><head><meta charset='utf-8'><title>{name}</title><style>body{{font-size:11pt}}"
                    f"p{{margin:0 0 4pt 0}}</style></head><body>{body}</body></html>", encoding="utf-8")
    pdf = folder / f"{name}.pdf"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={folder / 'profile'}",
                    f"--print-to-pdf={pdf}", page.as_uri()], check=True, capture_output=True, timeout=120)
    return pdf


def main() -> None:
    from pypdf import PdfReader

    from clausetag.infer.extract import read_document
    from clausetag.infer.labeler import Labeler
    from clausetag.infer.unwrap import looks_wrapped, unwrap
    from clausetag.settings import Settings

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(ROOT / "models" / "default"))
    ap.add_argument("--widths", type=int, nargs="+", default=[40, 72])
    ap.add_argument("--pdf", action="store_true", help="also print each policy to PDF (needs chromium)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "wrapped_text" / "latest.json")
    args = ap.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if args.pdf and not chromium:
        raise SystemExit("--pdf needs chromium (or chromium-browser, google-chrome) on PATH")
    labeler = Labeler.load(args.model)
    labeled = lambda text: {key(p.unit.text): set(p.labels) for p in labeler.label_text(text)}  # noqa: E731
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in sorted(Settings.load().seeds.glob("*.txt")):
            original = path.read_text(encoding="utf-8").removeprefix("\ufeff")
            reference = labeled(original)
            forms = []
            for width in args.widths:
                wrapped = wrap(original, width)
                forms.append((f"wrapped at {width}", wrapped, unwrap(wrapped), looks_wrapped(wrapped)))
            if args.pdf:
                pdf = print_pdf(original, path.stem, Path(tmp), chromium)
                raw = "\n".join(page.extract_text() or "" for page in PdfReader(pdf).pages)
                forms.append(("PDF (Chromium print)", raw, read_document(pdf).text, None))
            for form, as_is, read, detected in forms:
                row = {"policy": path.name, "form": form, "units": len(reference)}
                if detected is not None:
                    row["detected_as_wrapped"] = detected
                for name, text in (("as_is", as_is), ("read", read)):
                    got = labeled(text)
                    same_text = [k for k in reference if k in got]
                    row[name] = {"units": len(got), "recovered": round(100 * len(same_text) / len(reference), 1),
                                 "same_labels": round(100 * sum(got[k] == reference[k] for k in same_text)
                                                      / len(reference), 1)}
                rows.append(row)
    command = f"python benchmarks/wrapped_text.py --widths {' '.join(map(str, args.widths))}" + (" --pdf" if args.pdf else "")
    result = {"command": command, "model": args.model, "created": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "machine": f"{platform.machine()}, Python {platform.python_version()}", "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print("| policy | form | units | as it comes: units / recovered % / same labels % | as label reads it: units / recovered % / same labels % |")
    print("|---|---|---:|---|---|")
    for r in rows:
        a, u = r["as_is"], r["read"]
        print(f"| {r['policy']} | {r['form']} | {r['units']} | {a['units']} / {a['recovered']} / {a['same_labels']} "
              f"| {u['units']} / {u['recovered']} / {u['same_labels']} |")


if __name__ == "__main__":
    main()
