"""A labeled batch written as a folder of partitions (what `clausetag label --engine ray` writes).

Each partition is a Parquet (or JSONL) file of the records `clausetag label` writes to one JSONL file:
one row per unit, one summary row per document, one error row per document that failed; the summary
row also holds `sha256`, the hash of the document's content when it was labeled, which `--resume`
compares. A partition is written whole (locally to a temporary name and renamed; on an object store,
`s3://…` as a `RemotePath`, as one object), and named after the documents it holds, so a task retried
after a lost worker replaces its own partition instead of adding a second. Reading streams record batches (pyarrow only, no Ray): a report over 100,000 policies
never holds the whole folder's table. pyarrow is imported only where Parquet is read or written.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

from clausetag.infer.output import atomic_file, atomic_write_text
from clausetag.records import ERROR_RECORD, SUMMARY_RECORD, UNIT_RECORD

if TYPE_CHECKING:
    from clausetag.infer.remote_folder import RemotePath

PARTITION_PREFIX = "part-"
PARTITION_FORMATS = {"parquet": ".parquet", "jsonl": ".jsonl"}
META_FILE = "_clausetag.json"  # labels, model and counts of the batch (readers skip names starting with _)

#: The keys of each record type, in the order the JSONL records have them (`prediction_record`,
#: `DocumentResult.summary`, `DocumentResult.error_record`), plus the summary's content hash.
RECORD_KEYS = {
    UNIT_RECORD: ("type", "doc", "id", "start", "end", "lang", "section", "heading", "text", "labels", "basis",
                  "scores"),
    SUMMARY_RECORD: ("type", "doc", "path", "units", "languages", "label_counts", "errors", "warnings", "model",
                     "sha256"),
    ERROR_RECORD: ("type", "doc", "path", "error"),
}


class PartitionError(ValueError):
    """A partition folder cannot be read; the message names the file."""


def partition_name(docs: Iterable[str], fmt: str) -> str:
    """The file name of the partition holding `docs`: the same documents always give the same name."""
    h = hashlib.sha256("\n".join(sorted(docs)).encode("utf-8")).hexdigest()[:20]
    return f"{PARTITION_PREFIX}{h}{PARTITION_FORMATS[fmt]}"


def partition_files(folder: Path) -> list[Path]:
    """The partitions of an output folder, sorted by name (temporary files and metadata left out)."""
    if not folder.is_dir():
        return []
    return sorted(f for f in folder.iterdir() if f.name.startswith(PARTITION_PREFIX)
                  and f.suffix in PARTITION_FORMATS.values() and f.is_file())


def is_partition_folder(path: Path) -> bool:
    return path.is_dir() and (bool(partition_files(path)) or (path / META_FILE).is_file())


def record_schema(labels: list[str]):
    """The Parquet schema of a partition: every record type's columns, null where a type has none."""
    import pyarrow as pa

    strings = pa.list_(pa.string())
    return pa.schema([
        ("type", pa.string()), ("doc", pa.string()), ("path", pa.string()), ("id", pa.string()),
        ("start", pa.int64()), ("end", pa.int64()), ("lang", pa.string()), ("section", pa.string()),
        ("heading", pa.bool_()), ("text", pa.string()), ("labels", strings), ("basis", pa.string()),
        ("scores", pa.struct([(l, pa.float64()) for l in labels])),
        ("units", pa.int64()), ("languages", strings),
        ("label_counts", pa.struct([(l, pa.int64()) for l in labels])),
        ("errors", strings), ("warnings", strings),
        ("model", pa.struct([("name", pa.string()), ("created", pa.string()), ("path", pa.string()),
                             ("structure_rules", pa.bool_())])),
        ("sha256", pa.string()), ("error", pa.string()),
    ])


def write_whole(path: Path | RemotePath, text: str) -> None:
    """Write a file that readers see whole or not at all: locally a temporary file renamed onto it, on an
    object store one object written at once."""
    if isinstance(path, Path):
        atomic_write_text(path, text)
    else:
        path.write_bytes(text.encode("utf-8"))


def write_partition(folder: Path | RemotePath, records: list[dict], fmt: str, labels: list[str]) -> Path | RemotePath:
    """Write one partition whole (`write_whole`; a local Parquet file likewise through a temporary name);
    its name follows from the documents of its summary records (`partition_name`)."""
    docs = [r["doc"] for r in records if r["type"] == SUMMARY_RECORD]
    path = folder / partition_name(docs, fmt)
    if fmt == "jsonl":
        write_whole(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
        return path
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist(records, schema=record_schema(labels))
    if not isinstance(path, Path):
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink)
        path.write_bytes(sink.getvalue().to_pybytes())
        return path
    with atomic_file(path, binary=True) as f:
        pq.write_table(table, f)
    return path


def record_of_row(row: dict) -> dict:
    """A JSONL record from a Parquet row: the keys of its type only."""
    keys = RECORD_KEYS.get(row.get("type"))
    if keys is None:
        return {k: v for k, v in row.items() if v is not None}
    return {k: row[k] for k in keys if k in row and not (k == "sha256" and row[k] is None)}


def parquet_batches(path: Path, columns: list[str] | None = None, rows: int = 4096) -> Iterator:
    """The record batches of a Parquet partition (`columns`: only these), streamed."""
    import pyarrow.parquet as pq

    try:
        source = path if isinstance(path, Path) else path.open_input()
        yield from pq.ParquetFile(source).iter_batches(batch_size=rows, columns=columns)
    except (OSError, ValueError) as e:  # pyarrow's ArrowInvalid is a ValueError
        raise PartitionError(f"{path}: not a readable Parquet partition ({e})") from None


def _parquet_rows(path: Path, columns: list[str] | None = None) -> Iterator[dict]:
    for batch in parquet_batches(path, columns):
        yield from batch.to_pylist()


def _jsonl_rows(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as e:
                    raise PartitionError(f"{path}:{n}: not valid JSON ({e.msg})") from None


def partition_records(path: Path, columns: list[str] | None = None) -> Iterator[dict]:
    """The records of one partition, streamed (`columns`: read only these of a Parquet file)."""
    if path.suffix == ".parquet":
        for row in _parquet_rows(path, columns):
            yield record_of_row(row) if columns is None else row
    else:
        yield from _jsonl_rows(path)


def folder_records(folder: Path) -> Iterator[tuple[Path, int, dict]]:
    """(partition, row number from 1, record) for every record of a partition folder, streamed."""
    for path in partition_files(folder):
        for n, record in enumerate(partition_records(path), 1):
            yield path, n, record


def folder_sha256(folder: Path) -> str:
    """One hash of a partition folder's contents (its partitions' bytes in name order), read in chunks."""
    h = hashlib.sha256()
    for path in partition_files(folder):
        h.update(path.name.encode("utf-8"))
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


@dataclass
class Written:
    """What an output folder already holds: per document id its content hash and partition, the model
    of its first summary, and the documents found in two partitions (a run stopped between writing a
    document again and dropping its old rows)."""

    documents: dict[str, tuple[str | None, Path]]
    counts: dict[str, tuple[int, bool]]  # doc -> (units, failed)
    model: dict | None
    duplicates: dict[Path, set[str]]


def written_documents(folder: Path) -> Written:
    """Scan the summary records of a partition folder (for a Parquet file only the few columns needed)."""
    documents: dict[str, tuple[str | None, Path]] = {}
    counts: dict[str, tuple[int, bool]] = {}
    duplicates: dict[Path, set[str]] = {}
    model = None
    columns = ["type", "doc", "sha256", "units", "errors", "model"]
    # newest last, so that of a document written twice the newest partition's rows are the ones kept
    for path in sorted(partition_files(folder), key=lambda p: (p.stat().st_mtime_ns, p.name)):
        for r in partition_records(path, columns):
            if r.get("type") != SUMMARY_RECORD:
                continue
            doc = r["doc"]
            if doc in documents:
                duplicates.setdefault(documents[doc][1], set()).add(doc)
            documents[doc] = (r.get("sha256"), path)
            counts[doc] = (r.get("units") or 0, bool(r.get("errors")))
            model = model or r.get("model")
    return Written(documents, counts, model, duplicates)


def drop_documents(path: Path, docs: set[str], labels: list[str]) -> None:
    """Rewrite a partition without the records of `docs` (atomically; removed when nothing is left). A
    document's records are its units, then its error, then its summary (a JSONL of units keeps its units'
    own `doc` names, so records go by position, not by name). A partition holds a few dozen documents, so
    it is rewritten in memory."""
    fmt = "parquet" if path.suffix == ".parquet" else "jsonl"
    kept, pending = [], []
    for r in partition_records(path):
        pending.append(r)
        if r.get("type") == SUMMARY_RECORD:
            if r["doc"] not in docs:
                kept += pending
            pending = []
    if not kept:
        path.unlink(missing_ok=True)
        return
    new = write_partition(path.parent, kept, fmt, labels)
    if new != path:
        path.unlink(missing_ok=True)


def read_meta(folder: Path) -> dict:
    try:
        return json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def write_meta(folder: Path | RemotePath, meta: dict) -> None:
    write_whole(folder / META_FILE, json.dumps(meta, ensure_ascii=False, indent=2) + "\n")
