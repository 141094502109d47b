"""Read an input file into text: encoding detection, HTML main-text extraction, PDF text layer.

Every failure is an `InputError` whose message names the file and the problem in one line.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

from clausetag.infer.tables import flatten_tables
from clausetag.infer.unwrap import looks_wrapped, unwrap
from clausetag.records import Document
from clausetag.settings import defaults


class InputError(Exception):
    """A user-facing problem with one input file."""

    def __init__(self, path: str | Path, problem: str):
        self.path, self.problem = str(path), problem
        super().__init__(f"{path}: {problem}")


def _input_settings() -> dict:
    return defaults()["input"]


def kind_of(path: Path) -> str:
    """text | html | pdf | jsonl | unknown, by suffix."""
    s = _input_settings()
    suffix = path.suffix.lower()
    for kind in ("text", "html", "pdf", "jsonl"):
        if suffix in s[f"{kind}_suffixes"]:
            return kind
    return "unknown"


def supported_suffixes() -> list[str]:
    """Every suffix a folder's files are read by, in settings order."""
    s = _input_settings()
    return [x for kind in ("text", "html", "pdf", "jsonl") for x in s[f"{kind}_suffixes"]]


def decode_bytes(data: bytes, path: Path) -> str:
    """Decode text whose encoding is unknown (UTF-8, GB18030, Big5, Windows-1250, Latin-1, …)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for bom, enc in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            try:
                return data[2:].decode(enc)
            except UnicodeDecodeError:
                raise InputError(path, f"undecodable bytes ({enc} byte-order mark, invalid content)") from None
    sample = data[:65536]
    if b"\x00" in sample:
        raise InputError(path, "binary file (contains NUL bytes), not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise InputError(path, "undecodable bytes (no text encoding fits)")
    text = str(best)
    controls = sum(1 for ch in text[:20000] if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > 0.05 * max(1, min(len(text), 20000)):
        raise InputError(path, "binary file (mostly control characters), not text")
    return text


def extract_html(raw: str, path: Path) -> str:
    import trafilatura

    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    text = trafilatura.extract(raw, include_comments=False, include_tables=True, favor_recall=True)
    if not text or not text.strip():
        # Fall back to all visible text (a fragment or a page the extractor cannot parse).
        from lxml import html as lxml_html

        try:
            tree = lxml_html.fromstring(raw)
            for bad in tree.xpath("//script|//style|//noscript"):
                bad.drop_tree()
            text = "\n".join(t.strip() for t in tree.itertext() if t.strip())
        except Exception:  # noqa: BLE001 - lxml raises many kinds on broken markup
            text = ""
    if not text.strip():
        raise InputError(path, "malformed or empty HTML: no text could be extracted")
    return text


def extract_pdf(data: bytes, path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception:  # noqa: BLE001
                raise InputError(path, "encrypted PDF (password needed)") from None
        pages = [page.extract_text() or "" for page in reader.pages]
    except InputError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as e:
        raise InputError(path, f"unreadable PDF ({type(e).__name__}: {str(e)[:80]})") from None
    text = "\n".join(pages)
    if not text.strip():
        raise InputError(path, "PDF without a text layer (scanned?); run OCR first")
    return unwrap(text)


def read_document(path: str | Path, max_mb: float | None = None) -> Document:
    """The extracted text of a .txt/.md/.html/.pdf file (pipe tables of HTML and Markdown one row per line)."""
    path = Path(path)
    if not path.exists():
        if path.is_symlink():
            raise InputError(path, f"broken link (to {path.readlink()}, which does not exist)")
        raise InputError(path, "no such file")
    if path.is_dir():
        raise InputError(path, "is a directory")
    limit = (max_mb or _input_settings()["max_mb"]) * 1024 * 1024
    try:
        size = path.stat().st_size
        if size > limit:
            raise InputError(path, f"file is {size / 1048576:.1f} MB, over the {limit / 1048576:.0f} MB limit (--max-mb)")
        data = path.read_bytes()
    except OSError as e:
        raise InputError(path, f"cannot read ({e.strerror})") from None
    if not data.strip():
        raise InputError(path, "empty file")
    kind = kind_of(path)
    if kind == "pdf" or data.startswith(b"%PDF-"):
        text = extract_pdf(data, path)
    else:
        try:
            text = decode_bytes(data, path)
        except InputError as e:
            if kind != "unknown":
                raise
            raise InputError(path, f"unsupported file type {path.suffix or '(no suffix)'}: {e.problem}; "
                                   f"clausetag reads {' '.join(supported_suffixes())}") from None
        if kind == "html" or (kind == "unknown" and text.lstrip()[:15].lower().startswith(("<!doctype html", "<html"))):
            text = flatten_tables(extract_html(text, path))
        else:
            if path.suffix.lower() in _input_settings()["table_suffixes"]:
                text = flatten_tables(text)
            if looks_wrapped(text):
                text = unwrap(text)
    if not text.strip():
        raise InputError(path, "no text")
    return Document(doc=path.name, text=text, path=str(path))
