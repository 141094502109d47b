"""The Ray engine against the single-machine batch, on the same documents, and what a 1-million-policy job
would take on a cluster.

    python benchmarks/ray_scaling.py                                   # 500 documents, models/fast, torch
    python benchmarks/ray_scaling.py --docs 500 --model models/default --backend onnx --workers 1 2
    python benchmarks/ray_scaling.py --nodes 1 4 16 64 --cores-per-node 16

Documents: excerpts of `--units-per-doc` consecutive units of real policies (CAPP-130 Chinese and English,
OPP-115 training units, the seed policies), taken in turn from each source, one unit a line in a .txt file.
Each configuration is one `clausetag label` command, timed from start to exit: the single-machine batch
(`--engine local`, all cores), then `--engine ray` with each number of `--workers` (Ray started on this
machine by the command, so its start is counted). A run on one tiny document measures each command's fixed
cost (interpreter, model load, Ray start), so that the steady rate (units per second once started) is
known apart from it.

Projection: a 1-million-policy job on N nodes of C cores = policies x units per policy (the CAPP-130 mean)
/ (the best single-machine steady rate per thread it used x C x N) x (1 + the engine's steady overhead in
the last Ray configuration) + that run's fixed cost; output size = Parquet bytes per unit measured here x
units. It assumes the rate per core holds on more cores (each worker a process of its own, sharing
nothing but the input and output filesystems).

Where the fixed cost is more than two thirds of a run, the steady rate is not known apart from it and the
whole run's rate stands in. `--repeat N` runs the configurations in turn N times and keeps each one's
best (a shared machine: the load average before and after is recorded too).

Results: benchmarks/results/ray_scaling/latest.json (`--out`) and a Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def policy_units() -> tuple[list[list[str]], float]:
    """Real policies as lists of unit texts (one list per policy or, for OPP-115 whose reader keeps no
    policy boundaries, per run of its units), taken in turn from each source; the mean units per whole
    CAPP-130 policy."""
    from clausetag.corpora import load_source, read_jsonl

    sources = []
    capp_sizes = []
    for spec in ("capp130:zh", "capp130:en"):
        docs = defaultdict(list)
        for u in load_source(spec).units:
            docs[u.doc].append(u.text)
        sources.append(list(docs.values()))
        capp_sizes += [len(v) for v in docs.values()]
    opp = [u.text for u in load_source("opp115:train").units]
    sources.append([opp[i:i + 200] for i in range(0, len(opp), 200)])
    seeds = defaultdict(list)
    for u in read_jsonl(ROOT / "data" / "seeds").units:
        seeds[u.doc].append(u.text)
    sources.append(list(seeds.values()))
    return sources, sum(capp_sizes) / len(capp_sizes)


def make_documents(folder: Path, n: int, units_per_doc: int) -> int:
    """`n` .txt documents of `units_per_doc` consecutive units each, cycling over the sources; the units
    written."""
    sources, _ = policy_units()
    excerpts = [[p[i:i + units_per_doc] for p in source for i in range(0, len(p), units_per_doc)]
                for source in sources]
    written, k = 0, 0
    while written < n:
        for ex in excerpts:
            if k < len(ex) and written < n:
                (folder / f"doc{written:05d}.txt").write_text("\n".join(ex[k]) + "\n", encoding="utf-8")
                written += 1
        k += 1
    return written


def timed(cmd: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    seconds = time.perf_counter() - start
    if r.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed:\n{r.stderr[-2000:]}")
    return seconds, r.stderr


def counts(stderr: str) -> tuple[int, int, int]:
    """(documents, failed, units) from the command's closing line."""
    m = re.search(r"clausetag: (\d+) documents?: \d+ labeled.*?, (\d+) failed \((\d+) units?", stderr)
    if not m:
        raise SystemExit(f"no closing counts in:\n{stderr[-2000:]}")
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else path.stat().st_size


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=500)
    ap.add_argument("--units-per-doc", type=int, default=12)
    ap.add_argument("--model", default="models/fast")
    ap.add_argument("--backend", default="torch", help="torch or onnx, for every configuration")
    ap.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    ap.add_argument("--local-threads", type=int, nargs="+", default=[0],
                    help="single-machine runs with these --threads (0: all cores, the default)")
    ap.add_argument("--nodes", type=int, nargs="+", default=[1, 4, 16, 64])
    ap.add_argument("--cores-per-node", type=int, default=16)
    ap.add_argument("--policies", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=1, help="runs of each configuration, in turn; the best counts")
    ap.add_argument("--out", default="benchmarks/results/ray_scaling/latest.json")
    args = ap.parse_args(argv)
    cli = [sys.executable, "-m", "clausetag.cli", "label"]
    common = ["-m", args.model, "--backend", args.backend]
    cores = os.cpu_count() or 1
    load_before = round(os.getloadavg()[0], 1)  # this machine is shared: how busy it was
    runs = {}
    with tempfile.TemporaryDirectory(prefix="ray-scaling-") as tmp:
        tmp = Path(tmp)
        docs, one = tmp / "docs", tmp / "one"
        docs.mkdir()
        one.mkdir()
        n = make_documents(docs, args.docs, args.units_per_doc)
        (one / "one.txt").write_text("We collect your e-mail address to send you our newsletter.\n", encoding="utf-8")
        configs = {}
        for t in args.local_threads:
            configs["local" + (f", {t} thread{'s' if t > 1 else ''}" if t else "")] = (
                ["--engine", "local"] + (["--threads", str(t)] if t else []), f"out{t}.jsonl")
        for w in args.workers:
            configs[f"ray, {w} worker{'s' if w > 1 else ''}"] = (["--engine", "ray", "--workers", str(w)], f"ray{w}")
        trials: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
        for _ in range(args.repeat):  # configurations in turn, so that a busy spell of the machine hits all
            for name, (extra, out) in configs.items():
                fixed, _ = timed(cli + [str(one), "-o", str(tmp / f"one-{out}")] + common + extra)
                seconds, stderr = timed(cli + [str(docs), "-o", str(tmp / out)] + common + extra)
                trials[name].append((seconds, fixed, stderr))
                print(f"{name}: {seconds:.1f} s ({fixed:.1f} s fixed)", file=sys.stderr)
        for name, (extra, out) in configs.items():
            seconds, stderr = min((t[0], t[2]) for t in trials[name])  # best of the repeats, as startup.py
            fixed = min(t[1] for t in trials[name])
            documents, failed, units = counts(stderr)
            # the steady rate is known only where the fixed cost is a small part of the run
            steady = units / (seconds - fixed) if seconds > 1.5 * fixed else None
            runs[name] = {"seconds": round(seconds, 1), "fixed_seconds": round(fixed, 1), "documents": documents,
                          "failed": failed, "units": units, "documents_per_hour": round(documents / seconds * 3600),
                          "units_per_second_steady": round(steady, 1) if steady else None,
                          "output_bytes": folder_bytes(tmp / out),
                          "seconds_all": [round(t[0], 1) for t in trials[name]],
                          "fixed_seconds_all": [round(t[1], 1) for t in trials[name]]}
            print(f"{name}: {seconds:.1f} s ({fixed:.1f} s fixed), {documents} documents, {units} units, "
                  f"{runs[name]['documents_per_hour']} documents/hour", file=sys.stderr)
    steady = lambda r: r["units_per_second_steady"] or r["units"] / r["seconds"]  # noqa: E731
    local_names = [name for name in runs if name.startswith("local")]
    local = min((runs[name] for name in local_names), key=lambda r: r["seconds"])  # the best single-machine run
    for name, r in runs.items():
        r["overhead_percent"] = round((r["seconds"] / local["seconds"] - 1) * 100, 1)
        r["steady_overhead_percent"] = round((steady(local) / steady(r) - 1) * 100, 1)
    _, units_per_policy = policy_units()
    local_threads = dict(zip(local_names, args.local_threads))
    per_core = max(steady(runs[n]) / (local_threads[n] or cores) for n in local_names)
    ray_runs = [r for name, r in runs.items() if not name.startswith("local")]
    widest = ray_runs[-1] if ray_runs else local
    overhead = max(0.0, widest["steady_overhead_percent"] / 100)
    parquet = ray_runs
    bytes_per_unit = parquet[-1]["output_bytes"] / parquet[-1]["units"] if parquet else None
    total_units = args.policies * units_per_policy
    projection = []
    for nodes in args.nodes:
        rate = per_core * args.cores_per_node * nodes / (1 + overhead)
        hours = (total_units / rate + widest["fixed_seconds"]) / 3600
        projection.append({"nodes": nodes, "cores": nodes * args.cores_per_node, "hours": round(hours, 1),
                           "policies_per_hour": round(args.policies / hours)})
    record = {
        "date": date.today().isoformat(), "load_average_before": load_before,
        "load_average_after": round(os.getloadavg()[0], 1),
        "machine": f"{cores} cores, {platform.processor() or platform.machine()}, shared with other work",
        "python": platform.python_version(),
        "command": "python benchmarks/ray_scaling.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "documents": {"count": n, "units_per_document": args.units_per_doc,
                      "source": "excerpts of CAPP-130 zh/en, OPP-115 train and seed policies"},
        "model": args.model, "backend": args.backend, "runs": runs,
        "projection": {"policies": args.policies, "units_per_policy": round(units_per_policy, 1),
                       "units_per_core_second": round(per_core, 2), "engine_overhead_percent": round(overhead * 100, 1),
                       "cores_per_node": args.cores_per_node,
                       "output_gb": round(total_units * bytes_per_unit / 1e9, 1) if bytes_per_unit else None,
                       "parquet_bytes_per_unit": round(bytes_per_unit, 1) if bytes_per_unit else None,
                       "nodes": projection},
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print("| run | wall s | fixed s | documents/hour | units/s (steady) | overhead vs local |")
    print("|---|---|---|---|---|---|")
    for name, r in runs.items():
        print(f"| {name} | {r['seconds']} | {r['fixed_seconds']} | {r['documents_per_hour']:,} | "
              f"{r['units_per_second_steady']} | {r['overhead_percent']:+.1f}% (steady {r['steady_overhead_percent']:+.1f}%) |")
    print()
    print(f"| nodes x {args.cores_per_node} cores | hours for {args.policies:,} policies | policies/hour |")
    print("|---|---|---|")
    for p in projection:
        print(f"| {p['nodes']} | {p['hours']} | {p['policies_per_hour']:,} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
