"""Writing labeled batches: JSONL (default), CSV or a self-contained HTML reader view.

Records stream into `OUT.partial.jsonl` one document at a time; when the batch ends the requested
format is written to a temporary file and renamed onto OUT (atomic). `--resume` keeps the documents
the partial file completed and drops any half-written one.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterable, Iterator

from clausetag.records import ERROR_RECORD, SUMMARY_RECORD, UNIT_RECORD

FORMATS = ("jsonl", "csv", "html")
SUFFIX_FORMATS = {".csv": "csv", ".html": "html", ".htm": "html"}


def format_for(out: Path | None, fmt: str | None) -> str:
    """The format asked for, or else the one -o's suffix names (.csv, .html/.htm; anything else jsonl)."""
    if fmt:
        return fmt
    return SUFFIX_FORMATS.get(out.suffix.lower(), "jsonl") if out is not None else "jsonl"


def partial_path(out: Path) -> Path:
    return out.with_name(out.name + ".partial.jsonl")


def new_file_mode() -> int:
    """The permissions a normally created file gets (0o666 less the umask): for files first written
    owner-only (a temporary file) and then put in place."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def atomic_file(path: Path, binary: bool = False) -> Iterator[IO]:
    """A text (or, with `binary`, bytes) file to write `path` through, a piece at a time: a temporary file
    beside it, renamed onto it when the block ends (removed if it fails); the file gets the permissions a
    normally created one would."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")) as f:
            yield f
        os.chmod(tmp, new_file_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write via a temporary file and rename (`atomic_file`)."""
    with atomic_file(path) as f:
        f.write(text)


def read_records(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    return  # a line cut by an interruption ends what can be kept


def completed_records(path: Path) -> tuple[list[dict], set[str]]:
    """Records of documents that finished (a summary record closes each); the paths they came from."""
    kept, pending, done = [], [], set()
    if not path.exists():
        return kept, done
    for r in read_records(path):
        pending.append(r)
        if r.get("type") == SUMMARY_RECORD:
            kept += pending
            pending = []
            done.add(r.get("path") or r.get("doc"))
    return kept, done


class PartialWriter:
    """Appends one document's records at a time, flushed and fsynced, so an interruption loses at
    most the document in progress."""

    def __init__(self, path: Path, keep: list[dict]):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as f:
            for r in keep:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        os.replace(tmp, path)
        self.path = path
        self.handle = path.open("a", encoding="utf-8")

    def write_document(self, records: Iterable[dict]) -> None:
        self.handle.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
        self.handle.flush()
        os.fsync(self.handle.fileno())

    def close(self) -> None:
        self.handle.close()


CSV_COLUMNS = ["type", "doc", "id", "start", "end", "lang", "section", "heading", "text", "labels", "basis"]
WARNING_ROW = "warning"  # the CSV's row type for a document's warning (JSONL keeps them in its summary)


def spreadsheet_writer(f: IO[str]):
    """A csv writer into `f`, after the byte-order mark that Excel needs to read Chinese and Czech right."""
    f.write("\ufeff")
    return csv.writer(f)


def spreadsheet_csv(rows: Iterable[list]) -> str:
    """CSV text in UTF-8 with a byte-order mark (`spreadsheet_writer`)."""
    buf = io.StringIO()
    spreadsheet_writer(buf).writerows(rows)
    return buf.getvalue()


def to_csv(records: list[dict], labels: list[str]) -> str:
    """One row per unit; a document's error or warnings as rows of type `error` or `warning`
    (`spreadsheet_csv`)."""
    rows = [CSV_COLUMNS + [f"score_{l}" for l in labels] + ["error", "warning"]]
    blank = [""] * (len(CSV_COLUMNS) - 2 + len(labels))
    for r in records:
        if r["type"] == UNIT_RECORD:
            rows.append([r.get(c) if c != "labels" else ";".join(r["labels"]) for c in CSV_COLUMNS]
                        + [r["scores"].get(l) for l in labels] + ["", ""])
        elif r["type"] == ERROR_RECORD:
            rows.append([ERROR_RECORD, r["doc"], *blank, r["error"], ""])
        elif r["type"] == SUMMARY_RECORD:
            rows.extend([WARNING_ROW, r["doc"], *blank, "", warning] for warning in r.get("warnings") or [])
    return spreadsheet_csv(rows)


def finalize(partial: Path, out: Path, fmt: str, labels: list[str], meta: dict) -> None:
    """Write OUT in `fmt` from the partial records (atomically), then remove the partial file."""
    records = list(read_records(partial))
    if fmt == "jsonl":
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    elif fmt == "csv":
        text = to_csv(records, labels)
    elif fmt == "html":
        from clausetag.infer.html_view import render_html

        text = render_html(records, labels, meta)
    else:
        raise ValueError(f"format must be one of {FORMATS}")
    atomic_write_text(out, text)
    partial.unlink(missing_ok=True)
