"""Load an encoder with its weights (torch); `encoder.tokenizer` resolves names and loads tokenizers alone."""

from __future__ import annotations

import hashlib

import torch
from transformers import AutoModel, AutoTokenizer

from clausetag.encoder.tokenizer import quiet_hub, resolve_encoder
from clausetag.settings import Settings


def load_encoder(name: str | None = None, settings: Settings | None = None):
    """(tokenizer, model) in eval mode for `name` (default: the offline e5-small)."""
    quiet_hub()
    path = resolve_encoder(name, settings)
    tokenizer = AutoTokenizer.from_pretrained(path)
    try:  # the pooler is unused (mean pooling) and absent from the rebuilt checkpoint
        model = AutoModel.from_pretrained(path, add_pooling_layer=False)
    except TypeError:
        model = AutoModel.from_pretrained(path)
    return tokenizer, model.eval()


def transformer_layers(model: torch.nn.Module, purpose: str) -> torch.nn.ModuleList:
    """A BERT-like encoder's layer list (`model.encoder.layer`); ValueError naming `purpose` otherwise."""
    layers = getattr(getattr(model, "encoder", None), "layer", None)
    if layers is None:
        raise ValueError(f"{purpose}: {type(model).__name__} has no encoder.layer list")
    return layers


def keep_layers(model: torch.nn.Module, n: int) -> torch.nn.Module:
    """Keep only the first `n` transformer layers (0 = all): a smaller, faster encoder whose lower layers
    are the pretrained ones. BERT-like encoders (`model.encoder.layer`) only."""
    if not n:
        return model
    layers = transformer_layers(model, f"cannot keep {n} layers")
    if not 0 < n <= len(layers):
        raise ValueError(f"cannot keep {n} layers of an encoder with {len(layers)}")
    model.encoder.layer = layers[:n]
    model.config.num_hidden_layers = n
    return model


def encoder_fingerprint(model: torch.nn.Module) -> str:
    """sha256 over the encoder's parameters (names, shapes, bytes), to check a base model is the expected one."""
    h = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        if name.startswith("pooler."):
            continue
        t = tensor.detach().to(torch.float32).contiguous().cpu()
        h.update(name.encode())
        h.update(str(tuple(t.shape)).encode())
        h.update(t.numpy().tobytes())
    return h.hexdigest()


@torch.inference_mode()
def embed(texts: list[str], tokenizer, model, prefix: str = "query: ", max_length: int = 512,
          batch_size: int = 32) -> torch.Tensor:
    """Mean-pooled, L2-normalised sentence embeddings."""
    out = []
    for i in range(0, len(texts), batch_size):
        batch = tokenizer([prefix + t for t in texts[i : i + batch_size]], padding=True, truncation=True,
                          max_length=max_length, return_tensors="pt")
        hidden = model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        out.append(torch.nn.functional.normalize(pooled, dim=-1))
    return torch.cat(out) if out else torch.zeros(0)
