"""A teacher model's scores of training units, computed once and kept on disk.

The scores of a unit depend on the teacher's files, the backend that runs it and the unit's language,
section heading and text (what `clausetag label` scores; a teacher whose neighbours part routes by document
also on the document's other units: they are scored in chunks of whole documents, and a unit met again
in another document keeps its first scores), so they are kept under a key of the first two,
one row per unit key, in shards (`scores-*.npz`: unit keys and float32 scores, no pickle) that each run
adds to. A rerun with the same teacher scores only the units it has not met before; a retrained
teacher (other files) starts a folder of its own.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import zipfile
from pathlib import Path

import numpy as np

from clausetag.records import Unit

from clausetag.train.config import ConfigError

log = logging.getLogger(__name__)

SHARD_UNITS = 4096  # units scored between two writes (an interrupted run keeps what it scored)
KEY_BYTES = 16
IGNORED = ("onnx", "README.md")  # a model folder's exports and card: they change no score


def teacher_key(model_dir: Path, backend: str) -> str:
    """Hash of every file of the teacher's folder that shapes its scores (its settings, head, adapter,
    TF-IDF parts), of the backend and, for ONNX, of the export settings."""
    from clausetag.modeldir import read_info

    h = hashlib.sha256(backend.encode())
    if backend == "onnx":
        from clausetag.infer.onnx_backend import export_settings

        h.update(json.dumps(export_settings(read_info(model_dir).onnx), sort_keys=True).encode())
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(model_dir)
        if rel.parts[0] in IGNORED:
            continue
        h.update(rel.as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def document_chunks(units: list[Unit], size: int) -> list[list[int]]:
    """Indices of `units` in chunks of whole documents (a teacher's scores may depend on a unit's document),
    about `size` units each, each ordered by text length (less padding in a batch)."""
    by_doc: dict[str, list[int]] = {}
    for i, u in enumerate(units):
        by_doc.setdefault(u.doc, []).append(i)
    chunks: list[list[int]] = [[]]
    for members in by_doc.values():
        if chunks[-1] and len(chunks[-1]) + len(members) > size:
            chunks.append([])
        chunks[-1] += members
    return [sorted(c, key=lambda i: len(units[i].text)) for c in chunks if c]


def unit_key(unit: Unit) -> bytes:
    """What a unit's score depends on besides the teacher: its language, section heading and text."""
    return hashlib.sha256(json.dumps([unit.lang, unit.section, unit.text], ensure_ascii=False).encode()).digest()[
        :KEY_BYTES]


def load_teacher(model_dir: Path, backend: str):
    """The teacher as a `Model` (its scores blended as `clausetag label` gives them), loaded with the
    project's loader (no code from its files); `backend` "onnx" uses its cached int8 export (made once)."""
    if backend == "onnx":
        from clausetag.infer.onnx_backend import OnnxClassifier

        return OnnxClassifier.load_model(model_dir)
    from clausetag.modeldir import load_model

    return load_model(model_dir)


class TeacherScores:
    """The cached scores of one teacher (`folder` = cache root / teacher key)."""

    def __init__(self, model_dir: Path, backend: str, root: Path, labels: list[str], batch_size: int = 64):
        self.model_dir, self.backend, self.labels, self.batch_size = Path(model_dir), backend, labels, batch_size
        self.key = teacher_key(self.model_dir, backend)
        self.folder = Path(root) / self.key
        self.rows: dict[bytes, np.ndarray] = {}
        self.scored = 0  # units this run had the teacher score (the others came from the cache)
        self.minutes = 0.0
        for shard in sorted(self.folder.glob("scores-*.npz")):
            try:
                with np.load(shard, allow_pickle=False) as data:
                    keys, scores = data["keys"], data["scores"]
            except (OSError, ValueError, KeyError, zipfile.BadZipFile) as e:
                raise ConfigError(f"{shard}: unreadable teacher scores ({e}); remove the file") from None
            if scores.ndim != 2 or scores.shape[1] != len(labels) or keys.shape != (len(scores), KEY_BYTES):
                raise ConfigError(f"{shard}: not {len(labels)} teacher scores a unit; remove the file")
            self.rows.update(zip(map(bytes, keys), scores))

    def scores(self, units: list[Unit]) -> np.ndarray:
        """The teacher's scores of `units` (one row each, labels in `self.labels`' order): from the cache,
        the teacher loaded and run only for the units it lacks (their scores then added to it)."""
        keys = [unit_key(u) for u in units]
        todo = list({k: u for k, u in zip(keys, units) if k not in self.rows}.items())
        log.info("teacher %s (%s): %d of %d distinct units cached, %d to score", self.model_dir, self.backend,
                 len(set(keys)) - len(todo), len(set(keys)), len(todo))
        if todo:
            self._score([u for _, u in todo], [k for k, _ in todo])
        return np.stack([self.rows[k] for k in keys]) if keys else np.zeros((0, len(self.labels)), np.float32)

    def _score(self, units: list[Unit], keys: list[bytes]) -> None:
        started = time.time()
        teacher = load_teacher(self.model_dir, self.backend)
        if teacher.labels != self.labels:
            raise ConfigError(f"teacher {self.model_dir}: its labels ({', '.join(teacher.labels)}) are not the "
                             f"config's taxonomy's ({', '.join(self.labels)})")
        self.folder.mkdir(parents=True, exist_ok=True)
        for part in document_chunks(units, SHARD_UNITS):
            chunk = [units[i] for i in part]
            scores = teacher.scores([u.text for u in chunk], [u.section for u in chunk], self.batch_size,
                                    [u.lang for u in chunk], [u.doc for u in chunk]).astype(np.float32)
            self._write([keys[i] for i in part], scores)
            self.rows.update(zip((keys[i] for i in part), scores))
            self.scored += len(part)
            elapsed = time.time() - started
            log.info("teacher scored %d of %d units (%.1f units/s)", self.scored, len(units), self.scored / elapsed)
        self.minutes = (time.time() - started) / 60

    def _write(self, keys: list[bytes], scores: np.ndarray) -> None:
        """One shard, written beside its final name and moved into place."""
        from clausetag.infer.output import atomic_file, atomic_write_text

        array = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), KEY_BYTES)
        name = f"scores-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{len(self.rows):08d}.npz"
        with atomic_file(self.folder / name, binary=True) as f:
            np.savez(f, keys=array, scores=scores)
        atomic_write_text(self.folder / "teacher.json", json.dumps(
            {"teacher": str(self.model_dir), "backend": self.backend, "labels": self.labels}))
