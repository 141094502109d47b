"""Settings from `defaults.toml`, overridable by environment variables."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=1)
def defaults() -> dict:
    """The packaged defaults as a nested dict."""
    return tomllib.loads(resources.files("clausetag").joinpath("defaults.toml").read_text("utf-8"))


def resolve_path(raw: str) -> Path:
    """A user path: `~` expanded; relative paths tried against the cwd, then the repository root."""
    path = Path(os.path.expanduser(raw))
    if path.is_absolute():
        return path
    here = Path.cwd() / path
    return here.resolve() if here.exists() else (REPO_ROOT / path).resolve()


@dataclass(frozen=True)
class Settings:
    """Where things live. Build with `Settings.load()`."""

    corpora: Path
    seeds: Path
    cache: Path
    encoder: str
    encoder_prefix: str

    @classmethod
    def load(cls) -> "Settings":
        d = defaults()
        env = os.environ.get
        return cls(
            corpora=resolve_path(env("CLAUSETAG_CORPORA", d["paths"]["corpora"])),
            seeds=resolve_path(env("CLAUSETAG_SEEDS", d["paths"]["seeds"])),
            cache=Path(os.path.expanduser(env("CLAUSETAG_CACHE", d["paths"]["cache"]))),
            encoder=env("CLAUSETAG_ENCODER", d["encoder"]["default"]),
            encoder_prefix=d["encoder"]["prefix"],
        )
