"""Where a batch's documents are: folders, globs, manifests, and files on other filesystems.

A manifest is a file listing documents, one path or address per line (`.txt`, `#` comments), in a CSV
column (`path`, `url` or `uri`, else the first) or in a Parquet column (likewise). Relative paths in a
manifest are relative to the manifest's folder. Paths with a scheme other than http(s) (`s3://…`,
`gs://…`, `file://…`) are read with fsspec (installed with `clausetag[ray]`; `s3fs`, `gcsfs` … where the
user has them); a document on such a filesystem is copied to a temporary file to be read, and its
records name it by its address.
"""

from __future__ import annotations

import csv
import glob
import hashlib
import io
import re
import tempfile
from pathlib import Path, PurePosixPath
from typing import Iterable

from clausetag.infer.extract import is_url, kind_of
from clausetag.infer.labeler import PreparedDocument, expand_inputs, prepare_document

MANIFEST_COLUMNS = ("path", "url", "uri")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://")
_GLOB = re.compile(r"[*?\[]")


class ManifestError(ValueError):
    """A manifest cannot be read; the message names it."""


def is_remote(path: str | Path) -> bool:
    """A path on another filesystem (`s3://…`), not a web address (http/https, which the labeler fetches)."""
    m = _SCHEME.match(path) if isinstance(path, str) else None
    return m is not None and m.group(1).lower() not in ("http", "https")


def _filesystem(uri: str):
    try:
        import fsspec
    except ImportError:
        raise ManifestError(f"{uri}: reading from another filesystem needs fsspec "
                            "(pip install 'clausetag[ray]')") from None
    try:
        fs, path = fsspec.core.url_to_fs(uri)
    except (ImportError, ValueError) as e:
        raise ManifestError(f"{uri}: no filesystem for this address ({e})") from None
    return fs, path


def _resolved(entry: str, base: str | Path) -> str:
    if is_url(entry) or is_remote(entry) or Path(entry).is_absolute():
        return entry
    if is_remote(str(base)):
        return f"{str(base).rstrip('/')}/{entry}"
    return str(Path(base) / entry)


def read_manifest(manifest: str | Path) -> list[str]:
    """The documents a manifest lists (`.parquet`, `.csv`, anything else one per line)."""
    name = str(manifest)
    try:
        if is_remote(name):
            fs, path = _filesystem(name)
            data = fs.cat_file(path)
            base = name.rsplit("/", 1)[0]
        else:
            data = Path(manifest).read_bytes()
            base = Path(manifest).parent
    except (OSError, FileNotFoundError) as e:
        raise ManifestError(f"{manifest}: cannot read the manifest ({getattr(e, 'strerror', None) or e})") from None
    suffix = PurePosixPath(name).suffix.lower()
    if suffix == ".parquet":
        entries = _parquet_column(name, data)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ManifestError(f"{manifest}: not a UTF-8 text, CSV or Parquet manifest") from None
        entries = _csv_column(name, text) if suffix == ".csv" else [
            line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [_resolved(e, base) for e in entries]


def _csv_column(name: str, text: str) -> list[str]:
    rows = [r for r in csv.reader(io.StringIO(text)) if r and any(c.strip() for c in r)]
    if not rows:
        return []
    header = [c.strip().lower() for c in rows[0]]
    col = next((header.index(c) for c in MANIFEST_COLUMNS if c in header), None)
    body = rows[1:] if col is not None else rows
    col = col or 0
    return [r[col].strip() for r in body if len(r) > col and r[col].strip()]


def _parquet_column(name: str, data: bytes) -> list[str]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ManifestError(f"{name}: a Parquet manifest needs pyarrow (pip install 'clausetag[ray]')") from None
    try:
        table = pq.read_table(pa.BufferReader(data))
    except (OSError, ValueError) as e:
        raise ManifestError(f"{name}: not a readable Parquet manifest ({e})") from None
    names = [n.lower() for n in table.column_names]
    col = next((names.index(c) for c in MANIFEST_COLUMNS if c in names), None)
    if col is None:
        col = next((i for i, f in enumerate(table.schema) if pa.types.is_string(f.type)
                    or pa.types.is_large_string(f.type)), None)
    if col is None:
        raise ManifestError(f"{name}: no column of paths (name one {', '.join(MANIFEST_COLUMNS)})")
    return [str(v) for v in table.column(col).to_pylist() if v]


def _expand_remote(uri: str, unsupported: list[str] | None) -> list[str]:
    """A remote file as it is; a remote folder's files (recursively) or a glob's matches, known suffixes only."""
    fs, path = _filesystem(uri)
    scheme = uri.split("://", 1)[0]
    if _GLOB.search(path):
        found = sorted(fs.glob(path))
    elif fs.isdir(path):
        found = sorted(fs.find(path))
    else:
        return [uri]
    out = []
    for f in found:
        full = f if _SCHEME.match(f) else f"{scheme}://{f}"
        if PurePosixPath(f).name.startswith("."):
            continue
        if kind_of(PurePosixPath(f)) != "unknown":
            out.append(full)
        elif unsupported is not None:
            unsupported.append(full)
    return out


def list_inputs(inputs: Iterable[str | Path], manifests: Iterable[str | Path] = (), exclude: Iterable[Path] = (),
                unsupported: list | None = None) -> list[str | Path]:
    """Every document of a batch in order: the inputs (globs expanded) and then the manifests' entries;
    local folders as `expand_inputs` expands them, remote ones listed with fsspec. A glob that matches
    nothing stays as it is, to be reported as that input's error."""
    entries: list[str | Path] = list(inputs)
    for m in manifests:
        entries += read_manifest(m)
    out: list[str | Path] = []
    for e in entries:
        if is_remote(str(e)):
            out += _expand_remote(str(e), unsupported)
        elif not is_url(e) and _GLOB.search(str(e)) and not Path(e).exists():
            matches = sorted(glob.glob(str(e), recursive=True))
            out += list(expand_inputs(matches or [e], exclude, unsupported))
        else:
            out += list(expand_inputs([e], exclude, unsupported))
    return out


def content_sha256(path: str | Path) -> str | None:
    """The hash of a local file's bytes (None for a web address or a file that cannot be read)."""
    if is_url(path) or is_remote(str(path)):
        return None
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    except OSError:
        return None
    return h.hexdigest()


def prepare_input(path: str | Path, max_mb: float | None, lang: str | None,
                  doc_id: str) -> tuple[PreparedDocument, str | None]:
    """`prepare_document` for any input, with its content hash; a remote file is copied to a temporary
    file first (its records and messages name its address)."""
    if not is_remote(str(path)):
        return prepare_document(path, max_mb, lang, doc_id), content_sha256(path)
    uri = str(path)
    with tempfile.TemporaryDirectory(prefix="clausetag-") as tmp:
        local = Path(tmp) / PurePosixPath(uri.split("://", 1)[1]).name
        try:
            fs, remote = _filesystem(uri)
            fs.get_file(remote, str(local))
        except (ManifestError, OSError) as e:
            return PreparedDocument(doc_id, uri, error=f"{uri}: cannot read ({getattr(e, 'strerror', None) or e})"), None
        prepared = prepare_document(local, max_mb, lang, doc_id)
        sha = content_sha256(local)
    named = lambda s: s.replace(str(local), uri) if s else s  # noqa: E731
    prepared.path, prepared.error = uri, named(prepared.error)
    prepared.warnings = [named(w) for w in prepared.warnings]
    return prepared, sha
