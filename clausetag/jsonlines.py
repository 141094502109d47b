"""Reading JSON Lines files: one place for decoding, blank lines and per-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Iterator

#: Builds the exception to raise from (line number or None for the whole file, problem).
ErrorFactory = Callable[[int | None, str], Exception]


def located(error_type: type[Exception], path: Path) -> ErrorFactory:
    """An ErrorFactory whose messages read `PATH:LINE: problem` (or `PATH: problem`)."""
    return lambda n, problem: error_type(f"{path}{f':{n}' if n else ''}: {problem}")


def json_objects(path: Path, error: ErrorFactory, hint: str = "",
                 on_bad_line: Callable[[int, str], None] | None = None) -> Iterator[tuple[int, dict]]:
    """Yield (line number, object) for each non-blank line of a UTF-8 JSONL file.

    Anything that is not a JSON object per line raises `error(n, problem)`, or, with `on_bad_line`, is
    passed to `on_bad_line(n, problem)` and skipped; `hint` is appended to decoding problems (e.g. "; expected
    the output of clausetag label").
    """
    if path.is_dir():
        raise error(None, f"is a folder, not a JSONL file{hint}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise error(None, f"not a UTF-8 JSONL file{hint}") from None
    except OSError as e:
        raise error(None, f"cannot read ({e.strerror})") from None
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        obj, problem = parse_line(line, hint)
        if problem is None:
            yield n, obj
        elif on_bad_line is None:
            raise error(n, problem)
        else:
            on_bad_line(n, problem)


def parse_line(line: str | bytes, hint: str = "") -> tuple[dict | None, str | None]:
    """(object, None) for a line holding a JSON object, else (None, the problem)."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        return None, f"not valid JSON ({e.msg}){hint}"
    return (obj, None) if isinstance(obj, dict) else (None, "a record must be a JSON object")


def decoded(raw: bytes, error: ErrorFactory, hint: str = "") -> str:
    """A line's bytes as text (a byte-order mark dropped); anything but UTF-8 raises `error(None, …)`."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise error(None, f"not a UTF-8 JSONL file{hint}") from None


def json_lines_at(path: Path, error: ErrorFactory, hint: str = "", start: int = 0, end: int | None = None,
                  first_line: int = 1) -> Iterator[tuple[int, int, int, dict]]:
    """Stream (line number, byte offset, offset after the line, object) for each non-blank line of a UTF-8
    JSONL file, or of its bytes `start`..`end` (whose first line is `first_line`), without reading the whole
    file; a line that is not a JSON object raises `error(n, problem)`. Lines end at newlines only."""
    try:
        f = path.open("rb")
    except OSError as e:
        raise error(None, f"cannot read ({e.strerror})") from None
    with f:
        f.seek(start)
        offset, n = start, first_line
        for raw in f:
            if end is not None and offset >= end:
                break
            line = decoded(raw, error, hint)
            if line.strip():
                obj, problem = parse_line(line, hint)
                if problem is not None:
                    raise error(n, problem)
                yield n, offset, offset + len(raw), obj
            offset += len(raw)
            n += 1
