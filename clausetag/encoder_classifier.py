"""The encoder classifier: a transformer encoder (optionally with LoRA adapters), mean pooling and a linear
head, in torch; and the torch settings training and labeling share (device, threads)."""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from clausetag.classifier import EncoderInput, TokenBatcher, windowed_outputs, windowed_scores


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)


class EncoderClassifier(nn.Module, TokenBatcher):
    """Encoder → mean pooling → linear head → sigmoid."""

    HEAD_FILE = "head.safetensors"
    ADAPTER_DIR = "adapter"
    tensors = "pt"

    def __init__(self, encoder: nn.Module, tokenizer, n_labels: int, inputs: EncoderInput):
        super().__init__()
        self.encoder = encoder
        self.tokenizer = tokenizer
        self.inputs = inputs
        self.dropout = nn.Dropout(0.1)
        self.head = nn.Linear(encoder.config.hidden_size, n_labels)

    @property
    def n_labels(self) -> int:
        return self.head.out_features

    def encode_batch(self, texts, sections=None, truncate: bool = True) -> dict:
        """Tokenized and padded tensors for one batch (windows as in `tokenize`)."""
        enc = self.tokenize(texts, sections, truncate)
        batch = self.pad(enc["input_ids"])
        batch["overflow_to_sample_mapping"] = torch.tensor(enc["overflow_to_sample_mapping"], dtype=torch.long)
        return batch

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

    @torch.inference_mode()
    def scores_and_embeddings(self, texts, sections=None, batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
        """`scores` and, from the same forward passes, each unit's mean-pooled embedding (the mean over its
        windows)."""
        self.eval()
        def run(b) -> tuple[np.ndarray, np.ndarray]:
            ids, mask = b["input_ids"].to(self.device), b["attention_mask"].to(self.device)
            pooled = mean_pool(self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state, mask)
            return torch.sigmoid(self.head(pooled)).cpu().numpy(), pooled.float().cpu().numpy()

        return windowed_outputs(self, texts, sections, run, batch_size, self.encoder.config.hidden_size)

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
