"""Start-up cost of the command line: `clausetag info`, and labeling one sentence (torch and ONNX backends,
caches warm), wall time and peak memory of each, best of N runs.

    python benchmarks/startup.py [--runs 3] [--out benchmarks/results/startup/latest.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path


def run(cmd: list[str]) -> float:
    """Wall seconds of one command run as a child process."""
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", default="benchmarks/results/startup/latest.json")
    args = ap.parse_args(argv)
    cli = [sys.executable, "-m", "clausetag.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        one = Path(tmp) / "one.txt"
        one.write_text("We collect your e-mail address to send you our newsletter.\n", encoding="utf-8")
        cases = {"info": cli + ["info"],
                 "label one sentence (onnx)": cli + ["label", str(one), "-o", str(Path(tmp) / "o.jsonl"), "--backend", "onnx"],
                 "label one sentence (torch)": cli + ["label", str(one), "-o", str(Path(tmp) / "t.jsonl")]}
        for cmd in cases.values():  # warm the encoder, ONNX export and file caches once
            subprocess.run(cmd, check=True, capture_output=True)
        results = {}
        for name, cmd in cases.items():  # each case alone, so that its peak memory is its own
            times = [run(cmd) for _ in range(args.runs)]
            peak = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True)
            kb = int(peak.stderr.strip().splitlines()[-1]) if peak.returncode == 0 else None
            results[name] = {"seconds_best": round(min(times), 2), "seconds_all": [round(t, 2) for t in times],
                             "peak_mb": round(kb / 1024) if kb else None}
            print(f"{name}: {min(times):.2f} s (best of {args.runs}), peak {results[name]['peak_mb']} MB")
    record = {"date": date.today().isoformat(), "machine": f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}",
              "python": platform.python_version(), "results": results}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
