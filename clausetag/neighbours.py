"""Labels of the most similar training units, averaged into an encoder model's scores.

The encoder's mean-pooled embedding of a unit is compared (cosine) with those of the training units the
model keeps; the labels of the `k` nearest are averaged, each weighted by `softmax(similarity /
temperature)`, and the result is averaged with the model's scores. It is a memory of the annotated real
policies that works across languages (a German unit finds its Czech or Polish counterparts), for the
languages the TF-IDF blend does not cover: `blend_language_weight` is the weight where a TF-IDF part
applies (0: none), `weight` everywhere else.

Where the TF-IDF blend applies (English and Chinese), the corpora it was fitted on and present-day web
policies are annotated by different conventions, so the votes are for documents that read like the kept
units: with `routes` (embeddings of other collections' units, e.g. the corpora's, fitted with `route_embeddings`),
each unit's `route_k` nearest among the kept and the route units are found (on the first `route_dims`
projected dimensions), and a document whose units' nearest are on average at least `route_threshold` kept
units takes `weight` in its TF-IDF languages too. A unit's votes and share depend on nothing else; only this
last step looks at its document (`docs`: one id per unit; none given, the units scored together are one),
and a document of fewer than `route_min_units` units is not routed.

With `dims` the embeddings are first projected on their `dims` principal components (fitted on the kept
units), which keeps a model folder small at little cost. The kept vectors are stored as int8 per row (with
a float16 scale) in `neighbours.safetensors`, beside the projection, and their labels as packed bits: no
pickle, about `dims` + 4 bytes per unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
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
    routes: np.ndarray | None = None  # (m, route_dims) float32, unit length: other collections' units
    route_k: int = 10
    route_threshold: float = 0.6
    # model.json; for a model saved before it was recorded there, clausetag/defaults.toml
    route_min_units: int = field(default_factory=lambda: _default("route_min_units"))

    FILE = "neighbours.safetensors"

    @property
    def route_dims(self) -> int:
        return 0 if self.routes is None else int(self.routes.shape[1])

    @classmethod
    def fit(cls, embeddings: np.ndarray, labels: np.ndarray, dims: int = 0, route_embeddings: np.ndarray | None = None,
            route_dims: int = 32, **settings) -> "Neighbours":
        """Keep `embeddings` (one row per training unit) and their 0/1 `labels`, projected on their first `dims`
        principal components (0: as they are), and `route_embeddings` (other collections' units, no labels) on
        the first `route_dims` of them; `settings` as the fields."""
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
        kept = cls(vectors, labels.astype(np.uint8), mean, projection, **settings)
        if route_embeddings is not None and len(route_embeddings):
            kept.routes = unit_vectors(kept.project(route_embeddings)[:, :route_dims])
        return kept

    def project(self, embeddings: np.ndarray) -> np.ndarray:
        """Embeddings as the kept vectors are: unit length, centred and projected, unit length again."""
        return unit_vectors((unit_vectors(embeddings) - self.mean) @ self.projection)

    def votes(self, embeddings: np.ndarray) -> np.ndarray:
        """Per query row: the similarity-weighted average of its `k` nearest units' labels (0..1 per label)."""
        return self._votes(self.project(embeddings))

    def _votes(self, queries: np.ndarray) -> np.ndarray:
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

    def kept_shares(self, embeddings: np.ndarray) -> np.ndarray | None:
        """Per query row: the share of kept units among its `route_k` nearest of the kept and route units
        (None without route units)."""
        return None if self.routes is None else self._shares(self.project(embeddings))

    def _shares(self, projected: np.ndarray) -> np.ndarray:
        pool = self._route_pool
        queries = unit_vectors(projected[:, :self.route_dims])
        k = min(self.route_k, len(pool))
        out = np.zeros(len(queries), dtype=np.float32)
        for start in range(0, len(queries), CHUNK):
            nearest = np.argpartition(-(queries[start:start + CHUNK] @ pool.T), k - 1, axis=1)[:, :k]
            out[start:start + CHUNK] = (nearest < len(self.vectors)).mean(axis=1)
        return out

    @cached_property
    def _route_pool(self) -> np.ndarray:
        """The kept vectors cut to the route units' dimensions, then the route units."""
        return np.vstack([unit_vectors(self.vectors[:, :self.route_dims]), self.routes])

    def unit_parts(self, embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(votes, kept shares): what `combine` needs of each unit, independent of the other units."""
        queries = self.project(embeddings)
        return self._votes(queries), (None if self.routes is None else self._shares(queries))

    def weights(self, n: int, langs: list[str] | None, blend_languages, shares: np.ndarray | None = None,
                docs: list[str] | None = None) -> np.ndarray:
        """Each of `n` units' weight: `blend_language_weight` where its language has a TF-IDF part, else
        `weight` (`weight` for all when the languages are not known); `weight` in a TF-IDF language too where
        the unit's document (`docs`, else all `n` units) has a mean kept share (`shares`) of at least
        `route_threshold` and at least `route_min_units` units."""
        if langs is None:
            return np.full(n, self.weight, dtype=np.float32)
        in_blend = np.isin(np.asarray(langs, dtype=object), list(blend_languages))
        if shares is not None and self.routes is not None and n:
            ids = np.asarray(docs if docs is not None else [""] * n, dtype=object)
            _, group = np.unique(ids, return_inverse=True)
            counts = np.bincount(group)
            routed = (np.bincount(group, weights=shares) / counts >= self.route_threshold) & (
                counts >= self.route_min_units)
            in_blend &= ~routed[group]
        return np.where(in_blend, self.blend_language_weight, self.weight).astype(np.float32)

    def combine(self, scores: np.ndarray, votes: np.ndarray, shares: np.ndarray | None,
                langs: list[str] | None = None, blend_languages=(), docs: list[str] | None = None) -> np.ndarray:
        """`(1 - w) * scores + w * votes` with each unit's weight `w` (see `weights`)."""
        if not len(scores):
            return scores
        w = self.weights(len(scores), langs, blend_languages, shares, docs)[:, None]
        return ((1 - w) * scores + w * votes).astype(np.float32)

    def apply(self, scores: np.ndarray, embeddings: np.ndarray, langs: list[str] | None = None,
              blend_languages=(), docs: list[str] | None = None) -> np.ndarray:
        """`combine` with the votes and shares of `embeddings`."""
        if not len(scores):
            return scores
        return self.combine(scores, *self.unit_parts(embeddings), langs, blend_languages, docs)

    def to_dict(self) -> dict:
        """The `neighbours` entry of model.json (the arrays are in `FILE`)."""
        spec = {"units": int(len(self.vectors)), "dims": int(self.vectors.shape[1]), "k": self.k,
                "temperature": self.temperature, "weight": self.weight,
                "blend_language_weight": self.blend_language_weight}
        if self.routes is not None:
            spec |= {"route_units": int(len(self.routes)), "route_dims": self.route_dims, "route_k": self.route_k,
                     "route_threshold": self.route_threshold, "route_min_units": self.route_min_units}
        return spec

    def save(self, directory: Path) -> None:
        from safetensors.numpy import save_file

        quantized, scale = _int8_rows(self.vectors)
        arrays = {"vectors": quantized, "scale": scale, "labels": np.packbits(self.labels.astype(bool), axis=1),
                  "mean": self.mean.astype(np.float32), "projection": self.projection.astype(np.float16)}
        if self.routes is not None:
            arrays["routes"], arrays["route_scale"] = _int8_rows(self.routes)
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
        vectors = _float_rows(arrays["vectors"], arrays["scale"])
        labels = np.unpackbits(arrays["labels"], axis=1, count=n_labels)
        if len(vectors) != int(spec["units"]) or len(labels) != len(vectors):
            raise ValueError(f"{len(vectors)} vectors and {len(labels)} label rows, model.json says {spec['units']}")
        routes = _float_rows(arrays["routes"], arrays["route_scale"]) if "routes" in arrays else None
        if (0 if routes is None else len(routes)) != int(spec.get("route_units", 0)):
            raise ValueError(f"{0 if routes is None else len(routes)} route vectors, model.json says "
                             f"{spec.get('route_units', 0)}")
        return cls(vectors, labels, arrays["mean"].astype(np.float32), arrays["projection"].astype(np.float32),
                   int(spec["k"]), float(spec["temperature"]), float(spec["weight"]),
                   float(spec["blend_language_weight"]), routes, int(spec.get("route_k", 10)),
                   float(spec.get("route_threshold", 0.6)),
                   int(spec.get("route_min_units", _default("route_min_units"))))


def _default(key: str):
    from clausetag.settings import defaults

    return defaults()["neighbours"][key]


def _int8_rows(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows as int8 with a float16 scale each."""
    scale = (np.maximum(np.abs(x).max(axis=1), 1e-6) / 127.0).astype(np.float16)
    return np.round(x / scale.astype(np.float32)[:, None]).clip(-127, 127).astype(np.int8), scale


def _float_rows(quantized: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """`_int8_rows` undone, rows at unit length."""
    return unit_vectors(quantized.astype(np.float32) * scale.astype(np.float32)[:, None])
