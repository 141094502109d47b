"""Small helpers for the messages clausetag prints."""

from __future__ import annotations


def counted(n: int, noun: str) -> str:
    """`n` with `noun`, plural unless n is 1: "1 document", "3 documents"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
