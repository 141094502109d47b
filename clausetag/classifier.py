"""Classifiers that turn units into per-label scores; shared by training and inference.

Two families behind one interface (`scores(texts, sections) -> (n, labels)` probabilities):
`TfidfClassifier` (character n-grams + one-vs-rest logistic regression) and `EncoderClassifier`
(a transformer encoder, optionally with LoRA adapters, mean pooling, a linear head).
"""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
from torch import nn


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


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)


class EncoderClassifier(nn.Module):
    """Encoder → mean pooling → linear head → sigmoid."""

    HEAD_FILE = "head.safetensors"
    ADAPTER_DIR = "adapter"

    def __init__(self, encoder: nn.Module, tokenizer, n_labels: int, inputs: EncoderInput):
        super().__init__()
        self.encoder = encoder
        self.tokenizer = tokenizer
        self.inputs = inputs
        self.dropout = nn.Dropout(0.1)
        self.head = nn.Linear(encoder.config.hidden_size, n_labels)

    # inputs
    def tokenize(self, texts, sections=None, truncate: bool = True) -> dict:
        """Unpadded token ids per input. With `truncate=False` a long unit becomes several overlapping
        windows, and `overflow_to_sample_mapping` says which unit each window belongs to."""
        return encoder_inputs(self.tokenizer, self.inputs, texts, sections, truncate)

    def pad(self, ids: list[list[int]]) -> dict[str, torch.Tensor]:
        """Right-pad to the longest sequence: input_ids and attention_mask tensors."""
        return dict(self.tokenizer.pad({"input_ids": ids}, return_tensors="pt"))

    def encode_batch(self, texts, sections=None, truncate: bool = True) -> dict:
        """Tokenized and padded tensors for one batch (windows as in `tokenize`)."""
        enc = self.tokenize(texts, sections, truncate)
        batch = self.pad(enc["input_ids"])
        batch["overflow_to_sample_mapping"] = torch.tensor(enc["overflow_to_sample_mapping"], dtype=torch.long)
        return batch

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

    @property
    def device(self) -> torch.device:
        return self.head.weight.device

    def forward(self, input_ids, attention_mask, token_type_ids=None) -> torch.Tensor:
        input_ids, attention_mask = input_ids.to(self.device), attention_mask.to(self.device)
        out = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
        return self.classify(out.last_hidden_state, attention_mask)

    def classify(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Logits from the encoder's last hidden states: mean pooling, dropout, the head."""
        return self.head(self.dropout(mean_pool(hidden, attention_mask)))

    @torch.inference_mode()
    def embed(self, texts, sections=None, batch_size: int = 64) -> np.ndarray:
        """Mean-pooled embeddings (no head), in input order; long units truncated."""
        self.eval()
        out = np.zeros((len(texts), self.encoder.config.hidden_size), dtype=np.float32)
        if not len(texts):
            return out
        for owners, b in self.batches(texts, sections, batch_size, truncate=True):
            ids, mask = b["input_ids"].to(self.device), b["attention_mask"].to(self.device)
            h = self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
            out[owners] = mean_pool(h, mask).cpu().numpy()
        return out

    @torch.inference_mode()
    def scores(self, texts, sections=None, batch_size: int = 64) -> np.ndarray:
        """Sigmoid scores; a unit longer than the window is scored per window and the maximum kept."""
        self.eval()
        def run(b) -> np.ndarray:
            return torch.sigmoid(self(b["input_ids"], b["attention_mask"])).cpu().numpy()

        return windowed_scores(self, texts, sections, run, batch_size)

    # persistence
    def save(self, directory: Path) -> None:
        from safetensors.torch import save_file

        head = {k: v.detach().cpu().to(torch.float16).contiguous() for k, v in self.head.state_dict().items()}
        save_file(head, str(directory / self.HEAD_FILE))
        if hasattr(self.encoder, "peft_config"):
            adapter = directory / self.ADAPTER_DIR
            self.encoder.save_pretrained(str(adapter))
            _to_fp16(adapter / "adapter_model.safetensors")

    @classmethod
    def load(cls, directory: Path, encoder_name: str, n_labels: int, inputs: EncoderInput,
             merge: bool = True, expected_fingerprint: str | None = None, layers: int = 0) -> "EncoderClassifier":
        """Base encoder (its first `layers` layers when not 0) + adapter (merged for speed) + head. A base
        whose fingerprint differs from `expected_fingerprint` is loaded with a warning."""
        from safetensors.torch import load_file

        from clausetag.encoder.load import encoder_fingerprint, keep_layers, load_encoder

        tokenizer, encoder = load_encoder(encoder_name)
        if expected_fingerprint and encoder_fingerprint(encoder) != expected_fingerprint:
            logging.getLogger(__name__).warning(
                "base encoder %s is not the one this model was trained on (fingerprint differs); "
                "predictions may differ", encoder_name)
        encoder = keep_layers(encoder, layers)
        adapter = directory / cls.ADAPTER_DIR
        if adapter.is_dir():
            from peft import PeftModel

            with warnings.catch_warnings():  # peft calls a transformers property deprecated in v5: not the user's doing
                warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
                encoder = PeftModel.from_pretrained(encoder, str(adapter))
            if merge:
                encoder = encoder.merge_and_unload()
        model = cls(encoder, tokenizer, n_labels, inputs)
        head = {k: v.to(torch.float32) for k, v in load_file(str(directory / cls.HEAD_FILE)).items()}
        model.head.load_state_dict(head)
        return model.eval()


def windowed_scores(clf: "EncoderClassifier", texts, sections, run_probs, batch_size: int = 64) -> np.ndarray:
    """Windows of all units in batches sorted by token count (dynamic padding);
    `run_probs(batch) -> [windows, labels]` probabilities; per unit the maximum over its windows
    (nothing is truncated)."""
    out = np.zeros((len(texts), clf.head.out_features), dtype=np.float32)
    if not len(texts):
        return out
    for owners, b in clf.batches(texts, sections, batch_size, truncate=False):
        np.maximum.at(out, owners, run_probs(b))
    return out


def _to_fp16(path: Path) -> None:
    from safetensors.torch import load_file, save_file

    tensors = {k: v.to(torch.float16).contiguous() for k, v in load_file(str(path)).items()}
    tmp = path.with_suffix(".tmp")
    save_file(tensors, str(tmp))
    os.replace(tmp, path)


def torch_device(name: str = "auto") -> torch.device:
    """"auto": the first CUDA GPU when torch sees one, else the CPU; anything else as torch reads it."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def set_threads(n: int | None = None) -> None:
    """Use every core unless told otherwise."""
    torch.set_num_threads(n or os.cpu_count() or 1)
