"""Classifiers that turn units into per-label scores; shared by training and inference.

Two families behind one interface (`scores(texts, sections) -> (n, labels)` probabilities):
`TfidfClassifier` (character n-grams + one-vs-rest logistic regression) and `EncoderClassifier`
(a transformer encoder, optionally with LoRA adapters, mean pooling, a linear head; in
`clausetag.encoder_classifier`, the one module of the two that imports torch). This one holds how units
become encoder inputs (`TokenBatcher`), which the ONNX backend needs without torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np


class Classifier(Protocol):
    def scores(self, texts: list[str], sections: list[str | None] | None = None,
               batch_size: int = 64) -> np.ndarray: ...
    def save(self, directory: Path) -> None: ...


# --- TF-IDF ----------------------------------------------------------------------------------

class TfidfClassifier:
    """Character n-gram TF-IDF + one-vs-rest logistic regression (scikit-learn)."""

    FILE = "tfidf"  # the stem of tfidf.json + tfidf.safetensors

    def __init__(self, pipeline, use_section: bool = False):
        self.pipeline = pipeline
        self.use_section = use_section

    def _inputs(self, texts, sections):
        if not self.use_section or sections is None:
            return list(texts)
        return [f"{s} | {t}" if s else t for t, s in zip(texts, sections)]

    def scores(self, texts, sections=None, batch_size: int = 64) -> np.ndarray:
        """Probabilities per label (`batch_size` is unused: scikit-learn scores all at once)."""
        if not len(texts):
            return np.zeros((0, len(self.pipeline.classes_)), dtype=np.float32)
        return self.pipeline.predict_proba(self._inputs(texts, sections)).astype(np.float32)

    def vectorizers(self) -> list:
        """The fitted TfidfVectorizers: character n-grams, then word n-grams where the config asked."""
        features = self.pipeline.steps[0][1]
        return [v for _, v in getattr(features, "transformer_list", [])] or [features]

    def describe(self) -> str:
        """The features in words, e.g. "character 1-4-grams (100,000) + word 1-2-grams (50,000)"."""
        parts = []
        for v in self.vectorizers():
            kind = "word" if v.analyzer == "word" else "character"
            parts.append(f"{kind} {v.ngram_range[0]}-{v.ngram_range[1]}-grams ({len(v.vocabulary_):,})")
        return " + ".join(parts)

    def save(self, directory: Path, name: str = FILE) -> None:
        """`<name>.json.xz` (settings, vocabulary) and `<name>.safetensors.xz` (idf, coefficients): data, no pickle."""
        from clausetag.tfidf_store import save_pipeline

        save_pipeline(self.pipeline, directory, name)

    @classmethod
    def load(cls, directory: Path, use_section: bool = False, name: str = FILE) -> "TfidfClassifier":
        """Rebuilt from the files `save` writes; nothing is unpickled."""
        from clausetag.tfidf_store import load_pipeline

        return cls(load_pipeline(directory, name), use_section)


# --- encoder ---------------------------------------------------------------------------------

@dataclass
class EncoderInput:
    """How units become encoder inputs."""

    prefix: str = "query: "
    use_section: bool = True
    max_length: int = 128
    window_stride: int = 32


def encoder_inputs(tokenizer, inputs: EncoderInput, texts, sections=None, truncate: bool = True) -> dict:
    """Token ids of units as the encoder sees them: the prefix, then the section heading and the text as a
    pair (`inputs.use_section`) or the text alone; see `EncoderClassifier.tokenize`."""
    p = inputs.prefix
    kwargs = dict(max_length=inputs.max_length)
    if not truncate:
        kwargs.update(return_overflowing_tokens=True, stride=inputs.window_stride)
    if inputs.use_section and sections is not None:
        firsts = [p + (s or "") for s in sections]
        enc = tokenizer(firsts, list(texts), truncation="only_second", **kwargs)
    else:
        enc = tokenizer([p + t for t in texts], truncation=True, **kwargs)
    if "overflow_to_sample_mapping" not in enc:
        enc["overflow_to_sample_mapping"] = list(range(len(enc["input_ids"])))
    return enc


class TokenBatcher:
    """How units become padded encoder batches: the tokenizer and input settings alone, without the
    encoder's weights (all that the ONNX backend needs once its export is cached)."""

    tensors = "np"  # what `pad` returns: numpy arrays here, torch tensors in EncoderClassifier

    def __init__(self, tokenizer, inputs: EncoderInput, n_labels: int):
        self.tokenizer = tokenizer
        self.inputs = inputs
        self.n_labels = n_labels

    def tokenize(self, texts, sections=None, truncate: bool = True) -> dict:
        """Unpadded token ids per input. With `truncate=False` a long unit becomes several overlapping
        windows, and `overflow_to_sample_mapping` says which unit each window belongs to."""
        return encoder_inputs(self.tokenizer, self.inputs, texts, sections, truncate)

    def pad(self, ids: list[list[int]]) -> dict:
        """Right-pad to the longest sequence: input_ids and attention_mask."""
        return dict(self.tokenizer.pad({"input_ids": ids}, return_tensors=self.tensors))

    def batches(self, texts, sections=None, batch_size: int = 64, truncate: bool = False):
        """(owners, padded batch) over all windows of all units, sorted by token count so that each
        batch pads little; `owners[i]` is the unit of the batch's i-th window."""
        enc = self.tokenize(texts, sections, truncate)
        ids = enc["input_ids"]
        owners = np.asarray(enc["overflow_to_sample_mapping"])
        order = np.argsort([len(x) for x in ids], kind="stable")
        for i in range(0, len(order), batch_size):
            idx = order[i : i + batch_size]
            yield owners[idx], self.pad([ids[j] for j in idx])


def windowed_scores(clf: TokenBatcher, texts, sections, run_probs, batch_size: int = 64) -> np.ndarray:
    """Windows of all units in batches sorted by token count (dynamic padding);
    `run_probs(batch) -> [windows, labels]` probabilities; per unit the maximum over its windows
    (nothing is truncated)."""
    return windowed_outputs(clf, texts, sections, lambda b: (run_probs(b), None), batch_size, 0)[0]


def windowed_outputs(clf: TokenBatcher, texts, sections, run, batch_size: int = 64,
                     dim: int = 0) -> tuple[np.ndarray, np.ndarray | None]:
    """As `windowed_scores`, with `run(batch) -> (probabilities, pooled embeddings [windows, dim] or None)`:
    (per unit the maximum of its windows' probabilities, the mean of its windows' embeddings or None)."""
    out = np.zeros((len(texts), clf.n_labels), dtype=np.float32)
    emb = np.zeros((len(texts), dim), dtype=np.float32) if dim else None
    if not len(texts):
        return out, emb
    windows = np.zeros(len(texts), dtype=np.float32)
    for owners, b in clf.batches(texts, sections, batch_size, truncate=False):
        probs, pooled = run(b)
        np.maximum.at(out, owners, probs)
        if emb is not None:
            np.add.at(emb, owners, pooled)
            np.add.at(windows, owners, 1.0)
    if emb is not None:
        emb /= np.maximum(windows, 1.0)[:, None]
    return out, emb
