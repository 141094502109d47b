"""Inference speed and memory on the same real policy sentences, per backend; ONNX int8 accuracy gap.

    python benchmarks/throughput.py                       # all backends, 2,000 sentences
    python benchmarks/throughput.py --backends onnx torch --n 500
    python benchmarks/throughput.py --accuracy            # also: macro-F1 torch vs onnx int8

Each backend runs in its own process (so peak memory is its own): load the model, warm up on 64
sentences, then time one pass over all sentences (length-sorted batches, dynamic padding,
`torch.inference_mode`, one thread per core). Results go to benchmarks/results/throughput/default.json (`--out`) and a
Markdown table on stdout (copy it into docs/benchmarks.md).

Backends: `tfidf` (char n-gram TF-IDF + logistic regression), `torch` (the fine-tuned e5-small model,
fp32), `onnx` (the same model exported to ONNX Runtime with int8 dynamic quantization) and
`roberta-base` (a same-shape stand-in for a RoBERTa-base classifier such as PrivBERT: 12 layers, hidden
768, random weights, fp32 torch, the same token sequences, windows and batches as ours).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
BACKENDS = ("tfidf", "torch", "onnx", "roberta-base")


def benchmark_sentences(n: int = 2000) -> tuple[list[str], list[str | None], list[str]]:
    """A fixed mix of real policy units: the seed annotations (zh, cs), OPP-115 validation (en) and
    CAPP-130 Chinese policies, in that order, first `n` (texts, sections, langs)."""
    from clausetag.corpora import load_source, read_jsonl

    units = list(read_jsonl(ROOT / "data" / "seeds").units)
    units += load_source("opp115:validation").units
    units += load_source("capp130:zh").units[:max(0, n - len(units))]
    units = units[:n]
    return [u.text for u in units], [u.section for u in units], [u.lang for u in units]


class RobertaStandIn:
    """A RoBERTa-base-shaped multi-label classifier (random weights) fed our token sequences, windows and
    batches (those of `ours`, an EncoderClassifier)."""

    def __init__(self, ours):
        import torch
        from transformers import RobertaConfig, RobertaForSequenceClassification

        torch.manual_seed(0)
        cfg = RobertaConfig(num_labels=ours.head.out_features, problem_type="multi_label_classification")
        self.model = RobertaForSequenceClassification(cfg).eval()
        self.ours = ours

    def scores(self, texts, sections=None, batch_size: int = 64, langs=None) -> np.ndarray:
        import torch

        from clausetag.classifier import windowed_scores

        def run(b) -> np.ndarray:
            ids = b["input_ids"] % self.model.config.vocab_size
            return torch.sigmoid(self.model(input_ids=ids, attention_mask=b["attention_mask"]).logits).numpy()

        with torch.inference_mode():
            return windowed_scores(self.ours, texts, sections, run, batch_size)


def load_backend(name: str, model_dir: Path, tfidf_dir: Path):
    """An object with .scores(texts, sections) for the backend, and its load time in seconds."""
    from clausetag.infer.labeler import Labeler

    if name in ("torch", "roberta-base"):  # the others never import torch, as `clausetag label` does not
        from clausetag.encoder_classifier import set_threads

        set_threads(None)
    t0 = time.perf_counter()
    if name == "tfidf":
        clf = Labeler.load(tfidf_dir).model
    elif name in ("torch", "onnx"):
        clf = Labeler.load(model_dir, backend=name).model
    elif name == "roberta-base":
        clf = RobertaStandIn(Labeler.load(model_dir).model.classifier)
    else:
        raise SystemExit(f"unknown backend {name!r}")
    return clf, time.perf_counter() - t0


def write_sentences(path: Path, n: int) -> None:
    """The benchmark sentences to a file, so that each timed process reads only them (its peak memory
    is then the backend's, not the corpus reader's)."""
    texts, sections, langs = benchmark_sentences(n)
    path.write_text(json.dumps({"texts": texts, "sections": sections, "langs": langs}, ensure_ascii=False),
                    encoding="utf-8")


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM belongs to the address space, which exec replaces;
    getrusage's ru_maxrss would carry the parent's high-water mark over fork + exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux


def run_one(name: str, sentences: Path, model_dir: Path, tfidf_dir: Path) -> dict:
    """Time one backend in this process; returns its row."""
    data = json.loads(sentences.read_text(encoding="utf-8"))
    texts, sections, langs = data["texts"], data["sections"], data["langs"]
    clf, load_s = load_backend(name, model_dir, tfidf_dir)
    clf.scores(texts[:64], sections[:64], langs=langs[:64])  # warm-up (ONNX session, allocator, caches)
    t0 = time.perf_counter()
    clf.scores(texts, sections, langs=langs)
    seconds = time.perf_counter() - t0
    peak_mb = peak_rss_mb()
    return {"backend": name, "sentences": len(texts), "languages": sorted(set(langs)), "seconds": round(seconds, 2),
            "sentences_per_s": round(len(texts) / seconds, 1), "load_s": round(load_s, 1),
            "peak_rss_mb": round(peak_mb)}


def accuracy_gap(model_dir: Path) -> list[dict]:
    """Macro/micro-F1 of the torch and onnx-int8 backends on the seed annotations and CAPP-130
    validation policies (the ones the model's training held out)."""
    from clausetag.corpora import load_source, read_jsonl
    from clausetag.infer.labeler import Labeler
    from clausetag.metrics import label_metrics

    torch_model = Labeler.load(model_dir).model
    onnx_model = Labeler.load(model_dir, backend="onnx").model
    tax = torch_model.taxonomy
    val_docs = set(torch_model.info.capp130_validation_docs)
    sets = {"seeds (data/seeds)": read_jsonl(ROOT / "data" / "seeds").mapped(tax)}
    if val_docs:
        sets["CAPP-130 zh validation policies"] = load_source("capp130:zh", docs=val_docs).mapped(tax)
    rows = []
    for name, units in sets.items():
        gold = tax.to_matrix([u.labels for u in units])
        texts, sections = [u.text for u in units], [u.section for u in units]
        row, scores = {"data": name, "units": len(units)}, {}
        for backend, model in (("torch", torch_model), ("onnx", onnx_model)):
            langs = [u.lang for u in units]
            scores[backend] = model.scores(texts, sections, langs=langs)
            m = label_metrics(gold, model.decide(scores[backend], langs), tax.names)
            row[backend] = {"macro_f1": round(m["macro_f1"], 2), "micro_f1": round(m["micro_f1"], 2)}
        d = np.abs(scores["torch"] - scores["onnx"])
        row["mean_abs_score_diff"], row["max_abs_score_diff"] = round(float(d.mean()), 4), round(float(d.max()), 4)
        row["macro_f1_drop"] = round(row["torch"]["macro_f1"] - row["onnx"]["macro_f1"], 2)
        rows.append(row)
    return rows


def ensure_tfidf(tfidf_dir: Path) -> None:
    """The baseline of train/configs/tfidf.toml in `tfidf_dir`, retrained when missing or made by another
    version of that config (the cache `benchmarks/train_quality.py` also trains into)."""
    from clausetag.modeldir import read_info
    from clausetag.train.config import load_config

    config = ROOT / "train/configs/tfidf.toml"
    made_by = read_info(tfidf_dir).training["config_sha256_16"] if (tfidf_dir / "model.json").exists() else None
    if made_by != load_config(config).hash:
        print(f"training the tfidf baseline into {tfidf_dir} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "clausetag.cli", "train", str(config),
                        "-o", str(tfidf_dir), "-q"], check=True)


def table(rows: list[dict]) -> str:
    base = {r["backend"]: r["sentences_per_s"] for r in rows}
    ref = base.get("roberta-base")
    lines = ["| backend | sentences/s | × RoBERTa-base stand-in | peak memory (MB) | load (s) |",
             "|---|---:|---:|---:|---:|"]
    for r in rows:
        x = f"{r['sentences_per_s'] / ref:.1f}×" if ref else "–"
        lines.append(f"| {r['backend']} | {r['sentences_per_s']} | {x} | {r['peak_rss_mb']} | {r['load_s']} |")
    return "\n".join(lines)


def update_accuracy(model: Path, out: Path) -> None:
    """Re-measure the ONNX accuracy gap of `model` into `out`, keeping its timings (a threshold or
    blend change moves accuracy, not speed)."""
    from clausetag.infer.output import atomic_write_text

    if not out.exists():
        raise SystemExit(f"{out}: no earlier results to update; run without --accuracy-only first")
    result = json.loads(out.read_text(encoding="utf-8"))
    result["onnx_accuracy"] = accuracy_gap(model)
    result["onnx_accuracy_command"] = "python benchmarks/throughput.py " + " ".join(sys.argv[1:])
    result["onnx_accuracy_date"] = time.strftime("%Y-%m-%d")
    atomic_write_text(out, json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print_accuracy(result["onnx_accuracy"])


def print_accuracy(rows: list[dict]) -> None:
    for r in rows:
        print(f"\n{r['data']} ({r['units']} units): macro-F1 torch {r['torch']['macro_f1']} / onnx int8 "
              f"{r['onnx']['macro_f1']} (drop {r['macro_f1_drop']}); micro-F1 {r['torch']['micro_f1']} / "
              f"{r['onnx']['micro_f1']}; mean |Δscore| {r['mean_abs_score_diff']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=ROOT / "models" / "default")
    ap.add_argument("--tfidf-model", type=Path, default=Path.home() / ".cache" / "clausetag" / "bench" / "tfidf")
    ap.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--accuracy", action="store_true", help="also measure the ONNX int8 accuracy gap")
    ap.add_argument("--accuracy-only", action="store_true",
                    help="only re-measure the ONNX int8 accuracy gap, keeping the timings already in --out")
    ap.add_argument("--one", help=argparse.SUPPRESS)  # child process: time one backend, print JSON
    ap.add_argument("--sentences", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, default=RESULTS / "throughput" / "default.json")
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.sentences, args.model, args.tfidf_model)))
        return
    if args.accuracy_only:
        update_accuracy(args.model, args.out)
        return
    sentences = RESULTS / "sentences.tmp.json"
    RESULTS.mkdir(parents=True, exist_ok=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_sentences(sentences, args.n)
    if "tfidf" in args.backends:
        ensure_tfidf(args.tfidf_model)
    if "onnx" in args.backends:  # export once, outside the timed runs
        from clausetag.infer.labeler import Labeler

        Labeler.load(args.model, backend="onnx")
    rows = []
    for name in args.backends:
        print(f"timing {name} ...", file=sys.stderr)
        out = subprocess.run([sys.executable, __file__, "--one", name, "--sentences", str(sentences),
                              "--model", str(args.model), "--tfidf-model", str(args.tfidf_model)],
                             capture_output=True, text=True)
        if out.returncode:
            raise SystemExit(f"{name} failed:\n{out.stderr[-3000:]}")
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    sentences.unlink()
    from clausetag.train.run import machine

    result = {"machine": machine(), "model": str(args.model), "command": "python benchmarks/throughput.py " + " ".join(sys.argv[1:]),
              "date": time.strftime("%Y-%m-%d"), "rows": rows}
    if args.accuracy:
        result["onnx_accuracy"] = accuracy_gap(args.model)
    elif args.out.exists():  # keep an earlier accuracy measurement, with the command that made it
        previous = json.loads(args.out.read_text(encoding="utf-8"))
        if "onnx_accuracy" in previous:
            result["onnx_accuracy"] = previous["onnx_accuracy"]
            result["onnx_accuracy_command"] = previous.get("onnx_accuracy_command", previous.get("command"))
    from clausetag.infer.output import atomic_write_text

    atomic_write_text(args.out, json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"machine: {result['machine']}\n\n{table(rows)}")
    print_accuracy(result.get("onnx_accuracy", []))


if __name__ == "__main__":
    main()
