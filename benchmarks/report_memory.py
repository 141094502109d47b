"""Peak memory and time of `clausetag report` and `clausetag diff` on a batch of up to 100,000 policies.

    python benchmarks/report_memory.py                                   # 100,000 policies
    python benchmarks/report_memory.py --policies 1000 10000 100000 --units 8
    python benchmarks/report_memory.py --policies 10000 --pythonpath /tmp/main-checkout   # another version

The batch is synthetic, made of real labeled units: the seed policies (../shared/seeds) labeled once with
models/fast (torch); each synthetic policy is `--units` consecutive units of one of them under a new
document id, its records written by the writers `clausetag label --engine ray` uses (`document_records`,
then `write_partition`: 16 policies a Parquet partition). The batch the diff compares it with holds the
same policies in another order (so in other partitions) with every tenth one changed: a unit removed, one
reworded, one added.

Each command runs in a subprocess of its own: its peak resident memory is that child's ru_maxrss
(`os.wait4`), its time the CPU seconds it used (user + system) and the wall clock (on a shared machine
the wall clock is mostly waiting). `--pythonpath` runs the commands with another source tree first on
the path (e.g. an export of an earlier version, to compare). Results: benchmarks/results/report_memory/
latest.json (`--out`) and a Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PER_PARTITION = 16  # [ray] batch_documents


def seed_policies(work: Path, seeds: Path, model: Path) -> tuple[list, list[str]]:
    """The seed policies labeled with `model` (once; kept in `work`), as policies with their predictions."""
    from clausetag.reports.coverage import read_labels

    labels = work / "seeds.jsonl"
    if not labels.exists():
        subprocess.run([sys.executable, "-m", "clausetag.cli", "label", str(seeds), "-m", str(model), "-o",
                        str(labels), "-q"], check=True)
    batch = read_labels(labels)
    return [p for p in batch.policies if len(p.predictions) > 40], batch.labels


def synthetic_policy(sources: list, i: int, units: int, changed: bool = False):
    """Policy `i`: `units` consecutive predictions of one source policy under the document id p{i}.txt;
    `changed`: its second unit removed, its first reworded and one added at the end."""
    from clausetag.infer.labeler import DocumentResult

    source = sources[i % len(sources)]
    start = (i * 7) % (len(source.predictions) - units)
    preds = list(source.predictions[start:start + units])
    if changed:
        first = preds[0]
        preds = [replace(first, unit=replace(first.unit, text=first.unit.text + " (updated)")), *preds[2:],
                 source.predictions[(start + units) % len(source.predictions)]]
    doc = f"p{i:06d}.txt"
    preds = [replace(p, unit=replace(p.unit, doc=doc, id=f"{doc}#{j:05d}")) for j, p in enumerate(preds)]
    return DocumentResult(doc, f"/crawl/{doc}", preds, languages=source.languages)


def write_batch(folder: Path, sources: list, labels: list[str], policies: int, units: int,
                changed_every: int = 0, shuffle: int | None = None) -> None:
    """A partition folder of `policies` synthetic policies (`synthetic_policy`), 16 a partition; every
    `changed_every`-th one changed; `shuffle`: the policies in a random order of that seed."""
    from clausetag.infer.batch import document_records
    from clausetag.infer.partitions import write_partition

    folder.mkdir(parents=True, exist_ok=True)
    order = list(range(policies))
    if shuffle is not None:
        random.Random(shuffle).shuffle(order)
    model = {"name": "fast", "created": "synthetic", "path": "models/fast", "structure_rules": True}
    for at in range(0, policies, PER_PARTITION):
        records = []
        for i in order[at:at + PER_PARTITION]:
            result = synthetic_policy(sources, i, units, bool(changed_every) and i % changed_every == 0)
            records += document_records(result, labels, model)
        write_partition(folder, records, "parquet", labels)


def measure(args: list[str], pythonpath: str | None) -> dict:
    """Run `clausetag ARGS` in a child process: its wall time, peak RSS (its own ru_maxrss) and exit code."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "clausetag.cli", *args], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, env=env, cwd=tempfile.gettempdir())
    stderr = child.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    rc = os.waitstatus_to_exitcode(status)
    if rc:
        print(f"clausetag {' '.join(args)}: exit {rc}: {stderr.strip()[-500:]}", file=sys.stderr)
    return {"seconds": round(seconds, 1), "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "exit": rc}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--policies", type=int, nargs="+", default=[100_000], help="batch sizes to measure")
    ap.add_argument("--units", type=int, default=8, help="units per synthetic policy")
    ap.add_argument("--seeds", type=Path, default=ROOT.parent / "shared" / "seeds")
    ap.add_argument("--model", type=Path, default=ROOT / "models" / "fast")
    ap.add_argument("--work", type=Path, default=None, help="where the batches go (default: a temporary folder)")
    ap.add_argument("--pythonpath", default=None, help="run the commands with this source tree first on the path")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "report_memory" / "latest.json")
    args = ap.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="clausetag-report-memory-"))
    work.mkdir(parents=True, exist_ok=True)
    sources, labels = seed_policies(work, args.seeds, args.model)
    rows = []
    for n in args.policies:
        old, new = work / f"old-{n}-{args.units}", work / f"new-{n}-{args.units}"
        start, reused = time.perf_counter(), old.exists() and new.exists()
        for folder, changed, shuffle in ((old, 0, None), (new, 10, 1)):
            if not folder.exists():
                write_batch(folder, sources, labels, n, args.units, changed, shuffle)
        built = None if reused else round(time.perf_counter() - start, 1)  # None: the folders of an earlier run
        size = sum(f.stat().st_size for f in old.iterdir())
        row = {"policies": n, "units": n * args.units, "partitions": len(list(old.glob("part-*"))),
               "folder_mb": round(size / 2**20, 1), "build_seconds": built,
               "load_average_before": round(os.getloadavg()[0], 2)}
        out = work / f"out-{n}"
        row["report"] = measure(["report", str(old), "-o", str(out / "report")], args.pythonpath)
        row["diff_json"] = measure(["diff", str(old), str(new), "-o", str(out / "diff.json")], args.pythonpath)
        row["diff_html"] = measure(["diff", str(old), str(new), "-o", str(out / "diff.html")], args.pythonpath)
        row["output_mb"] = {p.name: round(p.stat().st_size / 2**20, 1)
                            for p in [*(out / "report").glob("*"), out / "diff.json", out / "diff.html"] if p.exists()}
        row["load_average_after"] = round(os.getloadavg()[0], 2)
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)

    result = {"date": str(date.today()), "machine": f"{platform.machine()}, {os.cpu_count()} CPUs (shared)",
              "python": platform.python_version(), "command": " ".join(sys.argv), "units_per_policy": args.units,
              "source": f"{len(sources)} seed policies labeled with {args.model.name}", "code": args.pythonpath or "this checkout",
              "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print("| policies | units | report: peak MB, CPU s (wall s) | diff -o .json | diff -o .html |")
    print("|---:|---:|---|---|---|")
    for r in rows:
        cells = [f"{r[k]['peak_rss_mb']} MB, {r[k]['cpu_seconds']} s ({r[k]['seconds']} s)"
                 for k in ("report", "diff_json", "diff_html")]
        print(f"| {r['policies']:,} | {r['units']:,} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
