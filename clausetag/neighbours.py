"""Labels of the most similar training units, averaged into an encoder model's scores.

The encoder's mean-pooled embedding of a unit is compared (cosine) with those of the training units the
model keeps; the labels of the `k` nearest are averaged, each weighted by `softmax(similarity /
temperature)`, and the result is averaged with the model's scores. It is a memory of the annotated real
policies that works across languages (a German unit finds its Czech or Polish counterparts), for the
languages the TF-IDF blend does not cover: `blend_language_weight` is the weight where a TF-IDF part
applies (0: none), `weight` everywhere else.

With `dims` the embeddings are first projected on their `dims` principal components (fitted on the kept
units), which keeps a model folder small at little cost. The kept vectors are stored as int8 per row (with
a float16 scale) in `neighbours.safetensors`, beside the projection, and their labels as packed bits: no
pickle, about `dims` + 4 bytes per unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

CHUNK = 256  # query rows per similarity matrix: CHUNK x kept units float32 and int64 (argpartition) at a time


def unit_vectors(x: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (zero rows stay zero)."""
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


@dataclass
class Neighbours:
    """Training units' embeddings (projected, unit length) and labels, and how their votes are averaged in."""

    vectors: np.ndarray  # (n, dims) float32, unit length
    labels: np.ndarray  # (n, n_labels) 0/1
    mean: np.ndarray  # (dim,) subtracted before the projection
    projection: np.ndarray  # (dim, dims); the identity when not reduced
    k: int = 10
    temperature: float = 0.01
    weight: float = 0.5
    blend_language_weight: float = 0.0

    FILE = "neighbours.safetensors"

    @classmethod
    def fit(cls, embeddings: np.ndarray, labels: np.ndarray, dims: int = 0, **settings) -> "Neighbours":
        """Keep `embeddings` (one row per training unit) and their 0/1 `labels`, projected on their first `dims`
        principal components (0: as they are); `settings` as the fields."""
        embeddings, labels = np.asarray(embeddings, dtype=np.float32), np.asarray(labels)
        if len(embeddings) != len(labels) or not len(embeddings):
            raise ValueError(f"neighbours need one label row per embedding and at least one unit "
                             f"(got {len(embeddings)} embeddings, {len(labels)} label rows)")
        normed = unit_vectors(embeddings)
        dim = normed.shape[1]
        if dims and dims < dim:
            mean = normed.mean(axis=0)
            projection = np.linalg.svd(normed - mean, full_matrices=False)[2][:dims].T.astype(np.float32)
        else:
            mean, projection = np.zeros(dim, dtype=np.float32), np.eye(dim, dtype=np.float32)
        vectors = unit_vectors((normed - mean) @ projection)
        return cls(vectors, labels.astype(np.uint8), mean, projection, **settings)

    def project(self, embeddings: np.ndarray) -> np.ndarray:
        """Embeddings as the kept vectors are: unit length, centred and projected, unit length again."""
        return unit_vectors((unit_vectors(embeddings) - self.mean) @ self.projection)

    def votes(self, embeddings: np.ndarray) -> np.ndarray:
        """Per query row: the similarity-weighted average of its `k` nearest units' labels (0..1 per label)."""
        queries = self.project(embeddings)
        k = min(self.k, len(self.vectors))
        out = np.zeros((len(queries), self.labels.shape[1]), dtype=np.float32)
        for start in range(0, len(queries), CHUNK):
            sim = queries[start:start + CHUNK] @ self.vectors.T
            nearest = np.argpartition(-sim, k - 1, axis=1)[:, :k]
            top = np.take_along_axis(sim, nearest, 1)
            w = np.exp((top - top.max(axis=1, keepdims=True)) / self.temperature)
            w /= w.sum(axis=1, keepdims=True)
            out[start:start + CHUNK] = np.einsum("qk,qkl->ql", w, self.labels[nearest].astype(np.float32))
        return out

    def weights(self, n: int, langs: list[str] | None, blend_languages) -> np.ndarray:
        """Each of `n` units' weight: `blend_language_weight` where its language has a TF-IDF part, else
        `weight` (`weight` for all when the languages are not known)."""
        if langs is None:
            return np.full(n, self.weight, dtype=np.float32)
        in_blend = np.isin(np.asarray(langs, dtype=object), list(blend_languages))
        return np.where(in_blend, self.blend_language_weight, self.weight).astype(np.float32)

    def apply(self, scores: np.ndarray, embeddings: np.ndarray, langs: list[str] | None = None,
              blend_languages=()) -> np.ndarray:
        """`(1 - w) * scores + w * votes` with each unit's weight `w` (see `weights`)."""
        if not len(scores):
            return scores
        w = self.weights(len(scores), langs, blend_languages)[:, None]
        return ((1 - w) * scores + w * self.votes(embeddings)).astype(np.float32)

    def to_dict(self) -> dict:
        """The `neighbours` entry of model.json (the arrays are in `FILE`)."""
        return {"units": int(len(self.vectors)), "dims": int(self.vectors.shape[1]), "k": self.k,
                "temperature": self.temperature, "weight": self.weight,
                "blend_language_weight": self.blend_language_weight}

    def save(self, directory: Path) -> None:
        from safetensors.numpy import save_file

        scale = (np.maximum(np.abs(self.vectors).max(axis=1), 1e-6) / 127.0).astype(np.float16)
        quantized = np.round(self.vectors / scale.astype(np.float32)[:, None]).clip(-127, 127).astype(np.int8)
        arrays = {"vectors": quantized, "scale": scale, "labels": np.packbits(self.labels.astype(bool), axis=1),
                  "mean": self.mean.astype(np.float32), "projection": self.projection.astype(np.float16)}
        save_file({k: np.ascontiguousarray(v) for k, v in arrays.items()},  # safetensors writes the raw buffer
                  str(Path(directory) / self.FILE), metadata={"n_labels": str(self.labels.shape[1])})

    @classmethod
    def load(cls, directory: Path, spec: dict) -> "Neighbours":
        """The neighbours a model folder saved (`spec`: its model.json entry)."""
        from safetensors import SafetensorError, safe_open

        path = Path(directory) / cls.FILE
        try:
            with safe_open(str(path), framework="np") as f:
                arrays = {k: f.get_tensor(k) for k in f.keys()}
                n_labels = int((f.metadata() or {})["n_labels"])
        except SafetensorError as e:
            raise ValueError(f"not a readable safetensors file ({e})") from None
        vectors = unit_vectors(arrays["vectors"].astype(np.float32) * arrays["scale"].astype(np.float32)[:, None])
        labels = np.unpackbits(arrays["labels"], axis=1, count=n_labels)
        if len(vectors) != int(spec["units"]) or len(labels) != len(vectors):
            raise ValueError(f"{len(vectors)} vectors and {len(labels)} label rows, model.json says {spec['units']}")
        return cls(vectors, labels, arrays["mean"].astype(np.float32), arrays["projection"].astype(np.float32),
                   int(spec["k"]), float(spec["temperature"]), float(spec["weight"]),
                   float(spec["blend_language_weight"]))
