"""Documents per hour: `clausetag label` on a folder of real policies, end to end, per model.

    python benchmarks/batch_throughput.py                                  # default and fast, all documents
    python benchmarks/batch_throughput.py --docs 10 --models default=models/default fast=models/fast
    python benchmarks/batch_throughput.py --backend torch --out benchmarks/results/batch_throughput/torch.json

The folder is made of the real policies at hand, as files: CAPP-130's policies (each its sentences one a
line; the Chinese originals and their English translations, 104 + 104), the policies of data/policies/raw
(274 on the evening of 2026-12-07, thirteen languages), data/reviews/raw (2) and the seed policies (5), interleaved by
source so that `--docs N` takes a mix. Each model labels the whole folder in one `clausetag label` process
(reading, segmenting, scoring, writing the JSONL), timed by the wall clock, after an untimed run on one
document (ONNX export, file caches). Reported per model: documents/hour and units/s (end to end), the
process's peak resident memory, the encoder's FLOPs per token (matrix products of its layers at the
batch's mean window length; the head and embeddings lookups are negligible) and what share of this
machine's measured peak the backend reaches: the encoder's FLOPs over the distinct units' tokens (padding
not counted) per second of the whole run, against the best float32 matrix-product rate torch measures here
(`--peak-size`, the better of a measurement before and one after the runs; the ONNX backend's
products are int8, whose peak may be higher).
Results go to `--out` (JSON) and a Markdown table on stdout (for docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from itertools import zip_longest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODELS = ("default=models/default", "fast=models/fast")


def policy_files(folder: Path, n: int | None = None) -> list[Path]:
    """Write the benchmark's policies into `folder` (the first `n` of them, sources interleaved); their paths."""
    from clausetag.corpora import corpora_root
    from clausetag.settings import Settings

    capp = corpora_root() / "capp130"
    groups = [sorted((capp / "annotation").glob("rw_*.jsonl")), sorted((capp / "translation_en").glob("rw_*.jsonl")),
              sorted((ROOT / "data" / "policies" / "raw").iterdir()), sorted((ROOT / "data" / "reviews" / "raw").iterdir()),
              sorted(Settings.load().seeds.glob("*.txt"))]
    paths = [p for row in zip_longest(*groups) for p in row if p is not None][:n]
    out = []
    for i, src in enumerate(paths):
        if src.suffix == ".jsonl":  # a CAPP-130 policy: its sentences, one a line, as a text file
            lines = [json.loads(line).get("text", "").strip() for line in src.read_text(encoding="utf-8").splitlines()
                     if line.strip()]
            name = f"{i:03d}-capp130-{src.parent.name}-{src.stem}.txt"
            (folder / name).write_text("\n".join(t for t in lines if t) + "\n", encoding="utf-8")
        else:
            name = f"{i:03d}-{src.name}"
            (folder / name).write_bytes(src.read_bytes())
        out.append(folder / name)
    return out


def label_run(model: str, inputs: Path, output: Path, backend: str) -> dict:
    """Run `clausetag label` as a child process; its wall seconds and peak resident memory (wait4's rusage
    is that child's own)."""
    cmd = [sys.executable, "-m", "clausetag.cli", "label", str(inputs), "-o", str(output), "--model", model,
           "--backend", backend, "--quiet"]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"})
    stderr = proc.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):  # 1: some document failed (its error is a record of the output)
        raise SystemExit(f"clausetag label --model {model} failed ({proc.returncode}): {stderr.strip()[-500:]}")
    return {"seconds": seconds, "peak_rss_mb": usage.ru_maxrss / 1024}


def output_units(path: Path) -> tuple[list[dict], int]:
    """The unit records of a label output, and its number of documents that failed."""
    units, failed = [], 0
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.get("type") == "unit":
            units.append(record)
        elif record.get("type") == "error":
            failed += 1
    return units, failed


def encoder_flops(model_dir: Path, units: list[dict]) -> tuple[float, float, float]:
    """(FLOPs per token at the mean window length, the encoder's FLOPs over the tokens of every window of
    the distinct units (those the labeler scores), that mean length): per layer and token 8·H² (Q, K, V and output projections) + 4·H·I (feed-forward) + 4·L·H
    (attention scores and their weighted sum over a window of L tokens), multiply-adds counted as two."""
    from transformers import AutoConfig

    from clausetag.encoder.tokenizer import resolve_encoder
    from clausetag.modeldir import load_model

    model = load_model(model_dir, weights=False)
    cfg = AutoConfig.from_pretrained(resolve_encoder(model.info.encoder["name"]))
    layers = model.info.encoder.get("layers") or cfg.num_hidden_layers
    h, i = cfg.hidden_size, cfg.intermediate_size
    distinct = list({(u["lang"], u["section"], u["text"]) for u in units})  # the labeler scores each once
    windows = model.classifier.tokenize([t for _, _, t in distinct], [s for _, s, _ in distinct], truncate=False)
    lengths = [len(ids) for ids in windows["input_ids"]]
    per_token = lambda n: layers * (8 * h * h + 4 * h * i + 4 * n * h)  # noqa: E731
    mean = sum(lengths) / max(1, len(lengths))
    return per_token(mean), float(sum(n * per_token(n) for n in lengths)), mean


def peak_flops(size: int, seconds: float = 3.0) -> float:
    """The best float32 matrix-product rate torch reaches here on all cores (FLOP/s)."""
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    a, b = torch.randn(size, size), torch.randn(size, size)
    best, end = 0.0, time.perf_counter() + seconds
    torch.mm(a, b)
    while time.perf_counter() < end:
        t0 = time.perf_counter()
        torch.mm(a, b)
        best = max(best, 2 * size ** 3 / (time.perf_counter() - t0))
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=list(MODELS), help="NAME=MODEL_DIR, each labels the folder")
    ap.add_argument("--docs", type=int, default=None, help="label only the first N documents (default: all)")
    ap.add_argument("--backend", default="onnx", choices=["onnx", "torch"])
    ap.add_argument("--peak-size", type=int, default=1024, help="matrix size of the peak FLOP/s measurement")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "batch_throughput" / "latest.json"))
    args = ap.parse_args(argv)
    models = dict(m.split("=", 1) for m in args.models)
    peak = peak_flops(args.peak_size)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder, warm = Path(tmp) / "policies", Path(tmp) / "warm"
        folder.mkdir()
        warm.mkdir()
        docs = policy_files(folder, args.docs)
        (warm / docs[0].name).write_bytes(docs[0].read_bytes())
        for name, model_dir in models.items():
            label_run(model_dir, warm, Path(tmp) / f"{name}-warm.jsonl", args.backend)  # export, caches
            out = Path(tmp) / f"{name}.jsonl"
            run = label_run(model_dir, folder, out, args.backend)
            units, failed = output_units(out)
            per_token, total, mean_len = encoder_flops(Path(model_dir), units)
            rows.append({"model": name, "path": model_dir, "backend": args.backend, "documents": len(docs),
                         "documents_failed": failed, "units": len(units), "seconds": round(run["seconds"], 1),
                         "documents_per_hour": round(len(docs) / run["seconds"] * 3600),
                         "units_per_s": round(len(units) / run["seconds"], 1), "peak_rss_mb": round(run["peak_rss_mb"]),
                         "mean_tokens_per_unit": round(mean_len, 1), "encoder_gflops_per_token": round(per_token / 1e9, 4),
                         "encoder_gflop_per_s": round(total / run["seconds"] / 1e9, 1),
                         "achieved_gflop_per_s": total / run["seconds"] / 1e9})
    peak = max(peak, peak_flops(args.peak_size))  # before and after: the machine may be shared
    for r in rows:
        r["share_of_peak"] = round(r.pop("achieved_gflop_per_s") * 1e9 / peak, 3)
    from clausetag.train.run import machine

    result = {"date": date.today().isoformat(), "machine": machine(),
              "peak_fp32_gflop_per_s": round(peak / 1e9, 1), "command": " ".join(["python", "benchmarks/batch_throughput.py", *(argv or sys.argv[1:])]),
              "rows": rows}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = out.with_name(f".{out.name}.tmp")
    tmp_out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp_out, out)
    print(f"{result['machine']}; measured float32 peak {result['peak_fp32_gflop_per_s']} GFLOP/s\n")
    print("| model | backend | documents | units | documents/hour | units/s | peak memory | encoder GFLOPs/token | share of peak |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['model']} | {r['backend']} | {r['documents']} | {r['units']} | {r['documents_per_hour']:,} | "
              f"{r['units_per_s']} | {r['peak_rss_mb']} MB | {r['encoder_gflops_per_token']} | {r['share_of_peak']:.1%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
