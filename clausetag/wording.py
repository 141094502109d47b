"""Small helpers for the messages clausetag prints."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`n` with `noun`, plural unless n is 1: "1 document", "3 documents" ("2 policies" with `plural`)."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
