"""Read an input file into text: encoding detection, HTML main-text extraction, PDF text layer.

Every failure is an `InputError` whose message names the file and the problem in one line.
"""

from __future__ import annotations

import errno
import io
import logging
import re
import sys
import unicodedata
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from clausetag.infer.html_headings import restore_headings
from clausetag.infer.pdf_text import drop_page_furniture, tighten_cjk_spacing
from clausetag.infer.tables import flatten_tables
from clausetag.infer.unwrap import looks_wrapped, unwrap
from clausetag.records import Document
from clausetag.settings import defaults
from clausetag.wording import counted

#: The WordprocessingML namespace, as lxml spells tags and attributes in it.
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
#: What an undecodable byte sequence becomes in a file read as UTF-8 despite a few of them.
REPLACEMENT = "\ufffd"


class InputError(Exception):
    """A user-facing problem with one input file."""

    def __init__(self, path: str | Path, problem: str):
        self.path, self.problem = str(path), problem
        super().__init__(f"{path}: {problem}")


#: The kinds of input file, each with its `[input] KIND_suffixes` setting.
KINDS = ("text", "markdown", "html", "pdf", "docx", "jsonl")


def _input_settings() -> dict:
    return defaults()["input"]


def kind_of(path: Path | Url) -> str:
    """text | markdown | html | pdf | docx | jsonl | unknown, by suffix."""
    s = _input_settings()
    suffix = path.suffix.lower()
    for kind in KINDS:
        if suffix in s[f"{kind}_suffixes"]:
            return kind
    return "unknown"


def supported_suffixes() -> list[str]:
    """Every suffix a folder's files are read by, in settings order."""
    s = _input_settings()
    return [x for kind in KINDS for x in s[f"{kind}_suffixes"]]


def decode_bytes(data: bytes, path: Path) -> tuple[str, list[str]]:
    """Decode text whose encoding is unknown (UTF-8, GB18030, Big5, Windows-1250, Latin-1, …); the
    warnings say what was replaced in a file that is UTF-8 but for a few bad bytes."""
    bom_size = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    data = data[bom_size:]
    for bom, enc in ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
                     (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(enc), []
            except UnicodeDecodeError:
                raise InputError(path, f"undecodable bytes ({enc} byte-order mark, invalid content)") from None
    sample = data[:65536]
    if b"\x00" in sample:
        wide = _wide_unicode(data)
        if wide is None:
            raise InputError(path, "binary file (contains NUL bytes), not text")
        return wide, []
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as e:
        first_bad = bom_size + e.start  # a byte offset into the file
    mostly = _mostly_utf8(data, path, first_bad)
    if mostly is not None:
        return mostly
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise InputError(path, "undecodable bytes (no text encoding fits)")
    text = str(best)
    controls = sum(1 for ch in text[:20000] if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > 0.05 * max(1, min(len(text), 20000)):
        raise InputError(path, "binary file (mostly control characters), not text")
    return text, []


def _wide_unicode(data: bytes) -> str | None:
    """UTF-32 or UTF-16 text without a byte-order mark, told by where its NUL bytes fall (ASCII and Latin
    letters have a zero high byte: `W\\0e\\0` is UTF-16 LE, `\\0W\\0e` BE; UTF-32 has two zero bytes in every
    four), or None
    when the bytes read as none of them (a binary file)."""
    sample = data[: 65536 - 65536 % 4]
    if len(sample) < 4:
        return None
    zero = [sample[i::4].count(0) / len(sample[i::4]) for i in range(4)]
    if zero[2] > 0.9 and zero[3] > 0.9:  # every code point is below U+10000 … and so has two zero bytes
        candidates = ["utf-32-le"]
    elif zero[0] > 0.9 and zero[1] > 0.9:
        candidates = ["utf-32-be"]
    else:
        odd = (zero[1] + zero[3]) / 2
        even = (zero[0] + zero[2]) / 2
        # CJK text in UTF-16 has few zero bytes: then the encoding whose decoding has no control characters
        candidates = ["utf-16-le"] if odd > 0.3 > even else ["utf-16-be"] if even > 0.3 > odd else ["utf-16-le", "utf-16-be"]
    for enc in candidates:
        try:
            text = data[: len(data) - len(data) % (4 if "32" in enc else 2)].decode(enc)
        except UnicodeDecodeError:
            continue
        head = text[:20000]
        controls = sum(1 for ch in head if (ord(ch) < 32 and ch not in "\t\n\r\f") or 0xE000 <= ord(ch) <= 0xF8FF)
        letters = sum(1 for ch in head if ch.isalpha())
        if controls <= 0.01 * max(1, len(head)) and letters >= 0.3 * max(1, len(head.strip())):
            return text
    return None


def _mostly_utf8(data: bytes, path: Path, first_bad: int) -> tuple[str, list[str]] | None:
    """UTF-8 with its invalid byte sequences replaced by U+FFFD, and a warning saying so, when at least
    `[input] utf8_min_valid_share` of the non-ASCII characters decode (a cut-off download, a stray
    byte); None when the file reads as another encoding would (Windows-1250 Czech, GB18030 Chinese)."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count(REPLACEMENT)
    non_ascii = sum(1 for ch in text if ord(ch) > 127)
    if (non_ascii - bad) < _input_settings()["utf8_min_valid_share"] * non_ascii:
        return None
    return text, [f"{path}: {counted(bad, 'invalid UTF-8 byte sequence')} (the first at byte {first_bad:,}) "
                  f"replaced by {REPLACEMENT}; the rest is read as UTF-8"]


def extract_html(raw: str, path: Path) -> tuple[str, list[str]]:
    """An HTML page's main text (trafilatura: navigation, scripts and styles dropped) and the text of
    its headings (<h1>-<h6>, an accordion's <summary>), which the segmenter takes as headings even
    where they read like a sentence ("我们如何收集您的信息？", "Cookies.")."""
    import trafilatura

    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    # one extraction gives both: its text (what `trafilatura.extract` returns, which adds only NFC) and
    # its tree, whose <head> elements are the headings
    extracted = trafilatura.bare_extraction(raw, include_comments=False, include_tables=True, favor_recall=True)
    if not (getattr(extracted, "text", None) or "").strip() and _too_deep(raw):
        # libxml2 gives up on a tree nested beyond 255 elements (page builders nest <div>s a thousand deep):
        # the same page without its layout wrappers keeps its paragraphs, headings, lists and tables
        raw = _INLINE_TAGS.sub("", _BLOCK_WRAPPERS.sub("\n", raw))
        extracted = trafilatura.bare_extraction(raw, include_comments=False, include_tables=True, favor_recall=True)
    text = unicodedata.normalize("NFC", getattr(extracted, "text", None) or "")
    headings: list[str] = []
    if text.strip():
        headings = [" ".join("".join(h.itertext()).split()) for h in extracted.body.iter("head")]
        text, restored = restore_headings(text, _markup_tree(raw))
        headings += [h for h in restored if h not in headings]
    else:
        # Fall back to all visible text (a fragment or a page the extractor cannot parse).
        from lxml import html as lxml_html

        try:
            tree = lxml_html.fromstring(raw)
            for bad in tree.xpath("//script|//style|//noscript"):
                bad.drop_tree()
            text = "\n".join(t.strip() for t in tree.itertext() if t.strip())
        except Exception:  # noqa: BLE001 - lxml raises many kinds on broken markup
            text = ""
    if not text.strip() and _too_deep(raw):
        raise InputError(path, f"HTML nested too deeply to read (more than {_MAX_DEPTH} levels of elements that "
                               "are not layout wrappers)")
    if not text.strip():
        raise InputError(path, "malformed or empty HTML: no text could be extracted")
    return text, [h for h in headings if h]


def _markup_tree(raw: str):
    """The page's element tree as lxml parses it (None where it cannot)."""
    from lxml import html as lxml_html

    try:
        return lxml_html.fromstring(raw)
    except Exception:  # noqa: BLE001 - lxml raises many kinds on broken markup
        return None


#: How deep libxml2 (under trafilatura and lxml) builds an HTML tree.
_MAX_DEPTH = 255
#: Elements that only lay a page out; left out of a page nested too deeply to parse (a wrapper's text
#: keeps a line of its own, an inline element's runs on).
_BLOCK_WRAPPERS = re.compile(r"</?(?:div|section|article|main|center|header|footer|aside|nav)\b[^>]*>", re.I)
_INLINE_TAGS = re.compile(r"</?(?:span|font|a|b|i|strong|em|u|small|big)\b[^>]*>", re.I)
_TAG = re.compile(r"<(/?)([a-zA-Z][\w:-]*)[^>]*?(/?)>")
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())


def _too_deep(raw: str) -> bool:
    """Whether an HTML page opens more than `_MAX_DEPTH` elements inside each other."""
    depth = 0
    for m in _TAG.finditer(raw):
        closing, name, self_closing = m.group(1), m.group(2).lower(), m.group(3)
        if name in _VOID or self_closing:
            continue
        depth = max(0, depth - 1) if closing else depth + 1
        if depth > _MAX_DEPTH:
            return True
    return False


def extract_pdf(data: bytes, path: Path) -> tuple[str, list[str]]:
    """A PDF's text layer without page numbers and running headers/footers, and without the spaces a font
    change puts into Chinese text, its lines still as the pages print them; and the titles of its outline
    (bookmarks, which Word and other writers make from the headings), taken as headings."""
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:  # readable only when it opens with the empty user password
            try:
                opened = reader.decrypt("") != PasswordType.NOT_DECRYPTED
            except Exception:  # noqa: BLE001 - an unsupported encryption raises
                opened = False
            if not opened:
                raise InputError(path, "encrypted PDF (a password is needed to open it; remove it first)")
        pages = [page.extract_text() or "" for page in reader.pages]
        headings = _outline_titles(reader.outline)
    except InputError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as e:
        raise InputError(path, f"unreadable PDF ({type(e).__name__}: {str(e)[:80]})") from None
    if not "".join(pages).strip():
        raise InputError(path, "PDF without a text layer (scanned?); run OCR first")
    text = "\n".join(page.strip("\n") for page in drop_page_furniture(pages))  # sentences run on over pages
    return unified_cjk(tighten_cjk_spacing(text)), [unified_cjk(tighten_cjk_spacing(h)) for h in headings]


#: Kangxi radicals, CJK radicals and compatibility ideographs, which PDF printers (Chromium's among them)
#: write in place of the ordinary ideographs they look like (U+2F42 ⽂ for 文).
_CJK_COMPATIBILITY = re.compile("[\u2e80-\u2eff\u2f00-\u2fdf\uf900-\ufaff\U0002f800-\U0002fa1f]")


def unified_cjk(text: str) -> str:
    """`text` with each compatibility character replaced by the unified ideograph it stands for (one
    character for one, so offsets stay), others as they are."""
    def unified(m: re.Match) -> str:
        mapped = unicodedata.normalize("NFKC", m.group())
        return mapped if len(mapped) == 1 else m.group()
    return _CJK_COMPATIBILITY.sub(unified, text)


def _outline_titles(outline) -> list[str]:
    """The titles of a PDF outline, nested entries included, whitespace collapsed."""
    titles = []
    for entry in outline:
        if isinstance(entry, list):
            titles += _outline_titles(entry)
        elif title := " ".join(str(getattr(entry, "title", "") or "").split()):
            titles.append(title)
    return titles


def _docx_table(table) -> list[str]:
    """A Word table as pipe-table lines (`flatten_tables` names the cells): the first row is a header
    when Word marks it as one (repeated on each page) or all its text is bold."""
    rows: list[list[str]] = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:  # a merged cell appears once per grid column it spans
                continue
            seen.add(id(cell._tc))
            cells.append(" ".join(cell.text.split()).replace("|", "\\|"))
        if any(cells):
            rows.append(cells)
    if len(rows) > 1 and _is_header_row(table.rows[0]):
        rows.insert(1, ["---"] * len(rows[0]))
    return ["| " + " | ".join(cells) + " |" for cells in rows]


def _is_header_row(row) -> bool:
    tr_pr = row._tr.trPr
    if tr_pr is not None and any(el.tag.endswith("}tblHeader") for el in tr_pr):
        return True
    runs = [r for cell in row.cells for p in cell.paragraphs for r in p.runs if r.text.strip()]
    return bool(runs) and all(r.bold for r in runs)


def _is_docx_heading(paragraph) -> bool:
    """A Word paragraph styled as a heading: an outline level (on it or its style, as Word's built-in
    heading styles have), or a style named as one ("Heading 2", "Title", "标题 1")."""
    style = paragraph.style
    for element in (paragraph._p, *(s.element for s in _style_chain(style))):
        p_pr = element.find(_W + "pPr")
        level = p_pr.find(_W + "outlineLvl") if p_pr is not None else None
        if level is not None:
            return int(level.get(_W + "val", "9")) < 9  # 9: body text
    return bool(style is not None and re.match(r"(?i)(heading|title|标题)\b", style.name or ""))


def _style_chain(style) -> list:
    """A paragraph style and the styles it is based on, nearest first."""
    chain = []
    while style is not None and style not in chain:
        chain.append(style)
        style = style.base_style
    return chain


def _docx_blocks(container, parent, headings: list[str]) -> list[str]:
    """Lines of the paragraphs and tables among `container`'s children, in order; the content of content
    controls (`w:sdt`, which templates and forms wrap text in) included. Heading paragraphs' text is
    also added to `headings`."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    lines: list[str] = []
    for child in container.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = Paragraph(child, parent)
            lines.append(paragraph.text)
            if paragraph.text.strip() and _is_docx_heading(paragraph):
                headings.append(" ".join(paragraph.text.split()))
        elif tag == "tbl":
            lines += _docx_table(Table(child, parent)) + [""]  # "": keeps consecutive tables apart
        elif tag == "sdt":
            for content in child.iterchildren():
                if content.tag.endswith("}sdtContent"):
                    lines += _docx_blocks(content, parent, headings)
    return lines


def _unpacked_mb(data: bytes) -> float | None:
    """The size a zip package (a .docx) declares for its parts once unpacked, in MB; None when it is not
    a readable zip (python-docx then names the problem). The zip reader never yields more than a part
    declares, so a package that declares little cannot unpack to much."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            return sum(info.file_size for info in package.infolist()) / 2**20
    except (zipfile.BadZipFile, OSError, ValueError):
        return None


def extract_docx(data: bytes, path: Path) -> tuple[str, list[str]]:
    """Paragraphs and tables of a Word document, in order, tables as pipe-table lines; and the text of
    its heading paragraphs, which the segmenter takes as headings even when worded as a sentence."""
    import docx

    limit = _input_settings()["max_unpacked_mb"]
    unpacked = _unpacked_mb(data)
    if unpacked is not None and unpacked > limit:
        raise InputError(path, f"Word document unpacks to {unpacked:,.0f} MB, over the {limit} MB limit "
                               "([input] max_unpacked_mb)")
    headings: list[str] = []
    try:
        document = docx.Document(io.BytesIO(data))
        lines = _docx_blocks(document.element.body, document._body, headings)
    except Exception as e:  # noqa: BLE001 - a damaged package raises zipfile, lxml and KeyError kinds
        raise InputError(path, f"unreadable Word document ({type(e).__name__}: {str(e)[:80]})") from None
    return "\n".join(lines), headings


#: The path that stands for standard input (`clausetag label -`, e.g. after `pdftotext policy.pdf -`),
#: and the name its document and messages go by.
STDIN, STDIN_NAME = "-", "stdin"
#: The kind of file a server's Content-Type names, as the suffix a file of that kind has.
CONTENT_TYPE_SUFFIXES = {"text/html": ".html", "application/xhtml+xml": ".html", "application/pdf": ".pdf",
                         "text/plain": ".txt", "text/markdown": ".md",
                         "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx"}


class Url(str):
    """A web address given as an input (http or https). Its str is the address; `name` and `suffix` stand
    in for a file's: host, path and query, and the suffix of the path if clausetag reads that kind of file, else
    the one the server's Content-Type names (`content_type`, set when fetched)."""

    content_type = ""

    @property
    def name(self) -> str:
        """Host, path and query ("example.com/legal?doc=privacy"): what tells two documents apart."""
        try:
            parts = urlsplit(self)
        except ValueError:  # not a well-formed address ("http://[::1"): fetching it says so
            return re.sub(r"^[^:]+://", "", self).rstrip("/")
        return (parts.netloc + parts.path).rstrip("/") + (f"?{parts.query}" if parts.query else "")

    @property
    def suffix(self) -> str:
        try:
            suffix = PurePosixPath(urlsplit(self).path).suffix.lower()
        except ValueError:
            suffix = ""
        if suffix in supported_suffixes():
            return suffix
        return CONTENT_TYPE_SUFFIXES.get(self.content_type, "")


#: An address with a scheme ("https://", "ftp://"); only http and https are fetched, the others fail as
#: that document's error rather than being read as a file path.
_ADDRESS = re.compile(r"(?i)([a-z][a-z0-9+.-]+)://")


def is_url(path: str | Path) -> bool:
    return isinstance(path, str) and _ADDRESS.match(path) is not None


def input_path(path: str | Path) -> Path | Url:
    """`path` as documents and messages name it (`stdin` for standard input, a `Url` for a web address)."""
    if is_url(path):
        return Url(path)
    return Path(STDIN_NAME) if str(path) == STDIN else Path(path)


def link_problem(path: Path) -> str | None:
    """What is wrong with a link that leads to no file: "symlink loop (…)" or "broken link (…)"; None for
    anything else."""
    if not path.is_symlink() or path.exists():
        return None
    try:
        path.resolve(strict=True)
    except RuntimeError:  # Python 3.11-3.12 name a loop so
        return f"symlink loop (it links to {path.readlink()}, which leads back to itself)"
    except OSError as e:
        if e.errno == errno.ELOOP:  # Python 3.13+
            return f"symlink loop (it links to {path.readlink()}, which leads back to itself)"
    return f"broken link (to {path.readlink()}, which does not exist)"


def _file_bytes(path: Path, limit: float) -> bytes:
    if not path.exists():
        raise InputError(path, link_problem(path) or "no such file")
    if path.is_dir():
        raise InputError(path, "is a directory")
    try:
        size = path.stat().st_size
        if size > limit:
            raise InputError(path, f"file is {size / 1048576:.1f} MB, over the {limit / 1048576:.0f} MB limit (--max-mb)")
        return path.read_bytes()
    except OSError as e:
        raise InputError(path, f"cannot read ({e.strerror})") from None


def _stdin_bytes(limit: float) -> bytes:
    data = sys.stdin.buffer.read(int(limit) + 1)
    if len(data) > limit:
        raise InputError(STDIN_NAME, f"more than the {limit / 1048576:.0f} MB limit (--max-mb)")
    return data


def _url_bytes(url: Url, limit: float) -> bytes:
    """What a web server sends for `url` (its Content-Type kept on `url`); any failure an InputError."""
    import urllib.error
    import urllib.request

    from clausetag import __version__

    scheme = _ADDRESS.match(url).group(1).lower()
    if scheme not in ("http", "https"):
        raise InputError(url, f"only http:// and https:// addresses are fetched, not {scheme}://")
    try:
        request = urllib.request.Request(url, headers={"User-Agent": f"clausetag/{__version__}"})
        with urllib.request.urlopen(request, timeout=_input_settings()["url_timeout_s"]) as response:
            url.content_type = response.headers.get_content_type()
            data = response.read(int(limit) + 1)
    except urllib.error.HTTPError as e:
        raise InputError(url, f"cannot fetch it (HTTP {e.code} {e.reason})") from None
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = getattr(e, "reason", None) or e
        raise InputError(url, f"cannot fetch it ({getattr(reason, 'strerror', None) or reason})") from None
    if len(data) > limit:
        raise InputError(url, f"more than the {limit / 1048576:.0f} MB limit (--max-mb)")
    return data


def read_document(path: str | Path, max_mb: float | None = None) -> Document:
    """The extracted text of a .txt/.md/.html/.pdf/.docx file, of a web page or file at an http(s) address
    (its kind told by its suffix or Content-Type), or of standard input for `-` (its kind told by its
    content); table rows one per line, hard wraps undone."""
    limit = (max_mb or _input_settings()["max_mb"]) * 1024 * 1024
    from_stdin = str(path) == STDIN
    path = input_path(path)
    if isinstance(path, Url):
        data = _url_bytes(path, limit)
    else:
        data = _stdin_bytes(limit) if from_stdin else _file_bytes(path, limit)
    if not data.strip():
        raise InputError(path, "nothing on standard input" if from_stdin
                         else "the server sent nothing" if isinstance(path, Url) else "empty file")
    document = _document_of(data, path)
    if not document.text.strip():
        raise InputError(path, "no text")
    return document


def _document_of(data: bytes, path: Path | Url) -> Document:
    """The document in a file's bytes, by its suffix (PDF and HTML also by their content): its text, the
    headings its markup names, and warnings about how it was read."""
    doc = lambda text, **kw: Document(doc=path.name, text=text, path=str(path), **kw)  # noqa: E731
    kind = kind_of(path)
    if kind == "pdf" or data.startswith(b"%PDF-"):
        text, headings = extract_pdf(data, path)
        return doc(unwrap(text), headings=headings)  # a page's lines are always wrapped
    if kind == "docx":
        text, headings = extract_docx(data, path)
        return doc(flatten_tables(text), headings=headings)
    try:
        text, warnings = decode_bytes(data, path)
    except InputError as e:
        if kind != "unknown":
            raise
        raise InputError(path, f"unsupported file type {path.suffix or '(no suffix)'}: {e.problem}; "
                               f"clausetag reads {' '.join(supported_suffixes())}") from None
    if kind == "markdown":
        text = markdown_to_html(text)
    if kind in ("html", "markdown") or (kind == "unknown" and text.lstrip()[:15].lower().startswith(("<!doctype html", "<html"))):
        text, headings = extract_html(text, path)
        text = flatten_tables(text)
        if kind != "markdown":  # a <pre> block may be hard-wrapped text; rendered Markdown has no hard wraps left
            text = _unwrapped(text)
        return doc(text, headings=headings, warnings=warnings)
    return doc(_unwrapped(text), warnings=warnings)


#: Front matter a static site generator reads (title, layout, date): YAML `---`, TOML `+++`, or a JSON
#: object on the first line, closed by a `}` alone on a line.
_FRONT_MATTER = re.compile(r"\A\s*(?:(---|\+\+\+)[ \t]*\r?\n.*?\n\1[ \t]*(?:\r?\n|\Z)|\{[ \t]*\r?\n.*?\n\}[ \t]*(?:\r?\n|\Z))", re.S)


def without_front_matter(text: str) -> str:
    """A Markdown file's text without its front matter (YAML, TOML or JSON)."""
    m = _FRONT_MATTER.match(text)
    return text if not m else text[m.end():]


def markdown_to_html(text: str) -> str:
    """A Markdown file rendered as a browser would show it (CommonMark with inline HTML and pipe tables,
    markdown-it-py), its front matter left out: links, emphasis, escapes, kramdown attributes and inline
    HTML lists come out as text, headings as <h1>-<h6>."""
    from markdown_it import MarkdownIt

    body = _generator_markup_removed(without_front_matter(text))
    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    md.add_render_rule("softbreak", lambda *args, **kwargs: " ")  # a line break inside a paragraph shows as a space
    return f"<!DOCTYPE html><html><body><main>{md.render(body)}</main></body></html>"


_CRITIC_DELETION = re.compile(r"\{--.*?--\}", re.S)
_TEMPLATE_TAG = re.compile(r"\{%.*?%\}", re.S)
_SHORTCODE = re.compile(r"\{\{[<%]\s*/?\s*[\w./-]+(.*?)[>%]\}\}", re.S)
_ATTR = r"(?:[#.][\w-]+|[\w:-]+=(?:\"[^\"]*\"|'[^']*'|[^\s}]+))"
_ATTRIBUTE_LIST = re.compile(rf"[ \t]*\{{[ \t]*{_ATTR}(?:[ \t]+{_ATTR})*[ \t]*\}}[ \t]*$", re.M)
_MDC_BLOCK = re.compile(r"^[ \t]*:{2,}[\w-]*[^\n]*\n(?:[ \t]*---[ \t]*\n.*?\n[ \t]*---[ \t]*(?:\n|$))?", re.M | re.S)
_ADMONITION = re.compile(r"^([ \t]*)(?:!!!|\?\?\?\+?)[ \t]+[\w-]+(?:[ \t]+\"(.*)\")?[ \t]*$")


# the title a shortcode shows: a quoted argument before its settings, a `title="…"` among them, or its one
# quoted argument (inner quotes and all)
_SHORTCODE_TITLE = re.compile(r'^\s*"([^"]*)"\s+[\w-]+=|(?:^|\s)title="([^"]*)"|^\s*"(.*)"\s*$', re.S)


def _shortcode_text(m: re.Match) -> str:
    """A Hugo shortcode's visible text: its quoted title argument, as a paragraph ("" for none; named
    arguments such as `color="freifunk" size="5"` are settings, not text)."""
    found = _SHORTCODE_TITLE.search(m.group(1))
    title = next((g for g in found.groups() if g), "") if found else ""
    return f"\n\n{title}\n\n" if title.strip() else ""


def _generator_markup_removed(body: str) -> str:
    """Markdown as a site generator would show it: kramdown `{:...}` and attribute lists `{ id="x" }`,
    Hugo shortcodes (their title kept), Liquid/Jinja tags, CriticMarkup deletions, Nuxt MDC block marks
    and their props left out; MkDocs admonitions (`??? note "Title"` over an indented body) become their
    title and body; invisible characters before a line's first mark removed."""
    body = _CRITIC_DELETION.sub("", body)
    body = _TEMPLATE_TAG.sub("", body)
    body = _SHORTCODE.sub(_shortcode_text, body)
    body = _MDC_BLOCK.sub("", body)
    body = _ATTRIBUTE_LIST.sub("", _KRAMDOWN_ATTRIBUTES.sub("", body))
    body = _INVISIBLE_AT_LINE_START.sub("", body)
    lines, out, body_indent = body.split("\n"), [], None
    for line in lines:
        m = _ADMONITION.match(line)
        if m:
            out.append(f"{m.group(1)}{m.group(2) or ''}\n")
            body_indent = len(m.group(1).expandtabs(4)) + 4
            continue
        if body_indent is not None:
            expanded = line.expandtabs(4)
            if not expanded.strip():
                out.append("")
                continue
            if len(expanded) - len(expanded.lstrip()) >= body_indent:
                out.append(expanded[4:])
                continue
            body_indent = None
        out.append(line)
    return "\n".join(out)


#: kramdown's attribute lists ({:.perex}, {: #id}) that Jekyll sites put after a paragraph or heading.
_KRAMDOWN_ATTRIBUTES = re.compile(r"[ \t]*\{:[^}\n]*\}")
#: Zero-width and other invisible format characters before a line's first mark (they hide `## Heading`).
_INVISIBLE_AT_LINE_START = re.compile(r"^[\u200b-\u200f\u2060-\u2064\ufeff]+", re.M)


def _unwrapped(text: str) -> str:
    """`text` with its hard wraps undone if it reads as hard-wrapped (pdftotext output, e-mail, <pre>)."""
    return unwrap(text) if looks_wrapped(text) else text
