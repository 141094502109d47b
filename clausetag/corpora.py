"""Readers that turn every source into the common record schema (`Unit`) and `datasets.Dataset`.

Sources: the project's own JSONL under data/, OPP-115 majority-vote CSV, CAPP-130 annotation JSONL
and its English translation. Labels stay in each source's native taxonomy; map them with
`Taxonomy.map_labels`.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from clausetag.infer.segment import is_cjk, is_heading
from clausetag.jsonlines import json_objects, located
from clausetag.records import OPTIONAL_COLUMNS, OUTPUT_ONLY_RECORDS, REQUIRED_COLUMNS, UNIT_RECORD, Unit
from clausetag.settings import Settings, resolve_path
from clausetag.taxonomy import Taxonomy, load_taxonomy
from clausetag.wording import counted

log = logging.getLogger(__name__)

#: Spreadsheet artefacts that stand in OPP-115's CSV instead of text.
SPREADSHEET_ARTEFACTS = {"#NAME?", "#VALUE!", "#REF!", "#N/A", "#DIV/0!"}


class CorpusError(ValueError):
    """A corpus file is missing or malformed; the message names the file."""


@dataclass
class Corpus:
    """Units from one source, with the taxonomy their labels belong to."""

    name: str
    taxonomy: Taxonomy
    units: list[Unit]
    noise: Counter = field(default_factory=Counter)
    skipped: int = 0
    policy_ids: bool = True  # False where the release does not say which policy a unit is from
    labeled: bool = True  # False: units without labels (policy documents read as `clausetag label` reads them)

    def describe_docs(self) -> str:
        n = len(self.docs())
        if not self.policy_ids:
            return "policies not identified in this release"
        return counted(n, "document")

    def label_counts(self) -> Counter:
        return Counter(label for u in self.units for label in u.labels)

    def docs(self) -> list[str]:
        return sorted({u.doc for u in self.units})

    def mapped(self, target: Taxonomy) -> list[Unit]:
        """Copies of the units with labels mapped into `target`."""
        out = []
        for u in self.units:
            d = u.to_dict()
            d["labels"] = self.taxonomy.map_labels(u.labels, target)
            out.append(Unit(**d))
        return out


def corpora_root(root: str | Path | None = None) -> Path:
    return Path(root) if root else Settings.load().corpora


# --- project JSONL ---------------------------------------------------------------------------

def _checked_unit(where: str, d: dict, taxonomy: Taxonomy) -> Unit:
    """A record in the common schema as a Unit, its labels checked against `taxonomy`; `where` names the
    file and line in errors."""
    missing = [c for c in REQUIRED_COLUMNS if c not in d]
    if missing:
        raise CorpusError(f"{where}: missing field(s) {', '.join(missing)}")
    if not isinstance(d["text"], str) or not d["text"].strip():
        raise CorpusError(f"{where}: empty text")
    labels = d["labels"]
    if not isinstance(labels, list):
        raise CorpusError(f"{where}: labels must be a list")
    unknown = [l for l in labels if taxonomy.canonical(l) is None]
    if unknown:
        raise CorpusError(f"{where}: label(s) not in taxonomy {taxonomy.name!r}: {unknown}")
    d["labels"] = [taxonomy.canonical(l) for l in labels]
    d["heading"] = d.get("heading") is True
    return Unit.from_dict({k: d.get(k) for k in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)})


def iter_jsonl_units(path: str | Path, taxonomy: Taxonomy | None = None) -> Iterator[Unit]:
    """Units of a JSONL file in the common schema; labels are checked against `taxonomy`. The output of
    `clausetag label` is such a file (its summary and error records are skipped), so its labels, once
    corrected by a reviewer, serve as gold or training data."""
    path = Path(path)
    taxonomy = taxonomy or load_taxonomy("harmonized")
    for n, d in json_objects(path, located(CorpusError, path)):
        if d.get("type") in OUTPUT_ONLY_RECORDS:
            continue
        yield _checked_unit(f"{path}:{n}", d, taxonomy)


def iter_csv_units(path: str | Path, taxonomy: Taxonomy | None = None) -> Iterator[Unit]:
    """Units of a CSV file with a header row: `text` and `labels` (separated by ";") columns, optional `id`,
    `doc`, `lang`, `section`, `heading`, `start`, `end`. The CSV of `clausetag label` is one (its `error` and
    `warning` rows are skipped), so its labels can be corrected in a spreadsheet and read back."""
    from clausetag.infer.language import detect

    path = Path(path)
    taxonomy = taxonomy or load_taxonomy("harmonized")
    try:  # a text may hold line breaks, quoted in its field
        rows = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline=""))
        header = rows.fieldnames or []
    except UnicodeDecodeError:
        raise CorpusError(f"{path}: not a UTF-8 CSV file") from None
    except OSError as e:
        raise CorpusError(f"{path}: cannot read ({e.strerror})") from None
    missing = [c for c in ("text", "labels") if c not in header]
    if missing:
        raise CorpusError(f"{path}: the CSV's header row lacks the column(s) {', '.join(missing)}")
    for row in rows:
        n = rows.line_num  # the line the record ends on
        if row.get("type") and row["type"] != UNIT_RECORD:
            continue
        text = row.get("text") or ""
        span = {k: int(row[k]) for k in ("start", "end") if (row.get(k) or "").strip().isdigit()}
        yield _checked_unit(f"{path}:{n}", {
            "id": row.get("id") or f"{path.name}#{n}", "doc": row.get("doc") or path.name,
            "lang": row.get("lang") or detect(text)[0], "text": text, "section": row.get("section") or None,
            "heading": (row.get("heading") or "").strip().lower() == "true",
            "labels": [l.strip() for l in (row.get("labels") or "").split(";") if l.strip()], **span}, taxonomy)


def read_jsonl(paths: str | Path | Iterable[str | Path], taxonomy: str = "harmonized", name: str = "jsonl") -> Corpus:
    """A corpus from one JSONL (or CSV) file, a directory of JSONL files (recursively) or a list of files."""
    tax = load_taxonomy(taxonomy)
    if isinstance(paths, (str, Path)):
        p = Path(paths)
        paths = sorted(p.rglob("*.jsonl")) if p.is_dir() else [p]
    units = [u for p in paths
             for u in (iter_csv_units(p, tax) if Path(p).suffix.lower() == ".csv" else iter_jsonl_units(p, tax))]
    return Corpus(name, tax, units)


def gold_format(path: Path) -> str:
    """The format of an annotated file: "capp130" (CAPP-130's own JSONL: `label` lists), "opp115" (OPP-115's
    own headerless text,label CSV) or "common" (the common schema, JSONL or CSV with a header)."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                first = next(csv.reader(handle), [])
        except (OSError, UnicodeDecodeError, csv.Error):
            return "common"  # its reader names the problem
        if len(first) == 2 and "labels" not in first and load_taxonomy("opp115").canonical(first[1]) is not None:
            return "opp115"
        return "common"
    try:
        _, record = next(json_objects(path, located(CorpusError, path)), (0, {}))
    except CorpusError:
        return "common"
    return "capp130" if "label" in record and "labels" not in record and "text" in record else "common"


def read_gold_files(paths: list[Path], name: str) -> Corpus:
    """Annotated files in one format (`gold_format`): the common schema, CAPP-130's or OPP-115's own."""
    formats = {p: gold_format(p) for p in paths}
    kinds = sorted(set(formats.values()))
    if len(kinds) > 1:
        examples = ", ".join(f"{next(p.name for p, k in formats.items() if k == kind)} ({kind})" for kind in kinds)
        raise CorpusError(f"{name}: the files are in different formats ({examples}); give one format at a time")
    if kinds == ["capp130"]:
        return read_capp130_files(paths)
    if kinds == ["opp115"]:
        parts = [read_opp115_file(p) for p in paths]
        return Corpus(name, parts[0].taxonomy, [u for c in parts for u in c.units],
                      sum((c.noise for c in parts), Counter()), sum(c.skipped for c in parts), policy_ids=False)
    return read_jsonl(paths, name=name)


# --- OPP-115 ---------------------------------------------------------------------------------

def read_opp115(split: str = "train", root: str | Path | None = None) -> Corpus:
    """OPP-115's `split` (train, validation, or a test part put beside them) from the corpora folder."""
    path = corpora_root(root) / "opp115" / f"{split}.csv"
    if not path.exists():
        raise CorpusError(f"{path}: not found (set CLAUSETAG_CORPORA to the corpora folder)")
    return read_opp115_file(path)


def read_opp115_file(path: Path) -> Corpus:
    """An OPP-115 majority-vote CSV (no header; text,label; one row per label): rows of one text merged,
    the split named by the file (`test.csv` -> units `opp115/test/…` of document `opp115-test`)."""
    split = path.stem
    tax = load_taxonomy("opp115")
    merged: dict[str, list[str]] = {}
    noise: Counter = Counter()
    skipped = 0
    with path.open(encoding="utf-8", newline="") as handle:
        for n, row in enumerate(csv.reader(handle), 1):
            if len(row) != 2:
                raise CorpusError(f"{path}:{n}: expected 2 columns (text,label), found {len(row)}")
            text, raw = row[0].strip(), row[1]
            if not text or text in SPREADSHEET_ARTEFACTS:
                skipped += 1
                continue
            label = tax.canonical(raw)
            if label is None:
                noise[raw] += 1
                continue
            labels = merged.setdefault(text, [])
            if label not in labels:
                labels.append(label)
    if noise:
        log.warning("%s: ignored %d label entries that are not OPP-115 labels", path, sum(noise.values()))
    units = [
        Unit(id=f"opp115/{split}/{i:05d}", doc=f"opp115-{split}", lang="en", text=text,
             labels=[n for n in tax.names if n in labels], source="opp115")
        for i, (text, labels) in enumerate(merged.items())
    ]
    return Corpus(f"opp115:{split}", tax, units, noise, skipped, policy_ids=False)


# --- CAPP-130 --------------------------------------------------------------------------------

def natural_key(name: str) -> list:
    """Sort key for names as people number them: rw_2 before rw_10."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def _by_name(paths: Iterable[Path]) -> list[Path]:
    return sorted(paths, key=lambda p: natural_key(p.stem))


def capp130_docs(root: str | Path | None = None) -> list[str]:
    """Policy names (`rw_N`) present in the CAPP-130 annotation folder."""
    folder = corpora_root(root) / "capp130" / "annotation"
    return [p.stem for p in _by_name(folder.glob("rw_*.jsonl"))]


def read_capp130(lang: str = "zh", root: str | Path | None = None, docs: Iterable[str] | None = None) -> Corpus:
    """CAPP-130 sentences (zh: annotation/, en: translation_en/) of the policies `docs` (default: all)."""
    sub = {"zh": "annotation", "en": "translation_en"}.get(lang)
    if sub is None:
        raise CorpusError(f"CAPP-130 has languages zh and en, not {lang!r}")
    folder = corpora_root(root) / "capp130" / sub
    if not folder.is_dir():
        raise CorpusError(f"{folder}: not found (set CLAUSETAG_CORPORA to the corpora folder)")
    wanted = set(docs) if docs is not None else None
    paths = [p for p in _by_name(folder.glob("rw_*.jsonl")) if wanted is None or p.stem in wanted]
    return read_capp130_files(paths, lang)


def read_capp130_files(paths: list[Path], lang: str | None = None) -> Corpus:
    """CAPP-130 policy files (one JSONL per policy, `{"id", "text", "label": [...]}`) with native topic
    labels; `lang` None: each file's language told by its text (the Chinese originals or their
    English translations).

    A label entry that is neither a topic nor an attribute (摘要/潜在风险) is noise: counted,
    warned about once, ignored. An empty topic list becomes the taxonomy's fallback (→ other).
    """
    tax = load_taxonomy("capp130")
    units: list[Unit] = []
    noise: Counter = Counter()
    langs = set()
    for path in paths:
        records = list(json_objects(path, located(CorpusError, path)))
        file_lang = lang or _capp130_language(d.get("text", "") for _, d in records)
        langs.add(file_lang)
        for n, d in records:
            if "id" not in d:
                raise CorpusError(f"{path}:{n}: a CAPP-130 record without an id")
            labels = []
            for raw in d.get("label") or []:
                name = tax.canonical(raw)
                if name is not None:
                    labels.append(name)
                elif not tax.is_attribute(raw):
                    noise[raw] += 1
            labels = [n for n in tax.names if n in labels] or [tax.fallback]
            units.append(Unit(id=f"capp130/{file_lang}/{path.stem}/{d['id']}", doc=path.stem, lang=file_lang,
                              text=str(d.get("text", "")).strip(), labels=labels, source=f"capp130-{file_lang}"))
    units = attach_sections([u for u in units if u.text])
    name = f"capp130:{'+'.join(sorted(langs)) or lang or 'zh'}"
    if noise:
        log.warning("CAPP-130 %s: ignored %d label entries that are not label names (noise)",
                    name.partition(":")[2], sum(noise.values()))
    return Corpus(name, tax, units, noise)


def _capp130_language(texts: Iterable[str]) -> str:
    """zh or en: whether most of a CAPP-130 file's sentences are in Chinese."""
    flags = [is_cjk(t) for t in texts if str(t).strip()]
    return "zh" if flags and sum(flags) * 2 >= len(flags) else "en"


def attach_sections(units: list[Unit]) -> list[Unit]:
    """For sources in document order without sections (CAPP-130): carry the last heading-like unit."""
    section, doc = None, None
    for u in units:
        if u.doc != doc:
            section, doc = None, u.doc
        if u.section is None:
            if is_heading(u.text, is_cjk(u.text)):
                u.section, section = section, u.text
            else:
                u.section = section
    return units


# --- policy documents without labels --------------------------------------------------------

def read_documents(path: str | Path, docs: Iterable[str] | None = None) -> Corpus:
    """The units of policy documents without labels: a file, or a folder's files of the kinds `clausetag label`
    reads (recursively), each read and segmented as `label` does it, named by its file name (its path below
    the folder where two share a name). A document that cannot be read is left out with a one-line warning
    naming it, and counted in `skipped`; `docs` keeps only the documents so named."""
    from clausetag.infer.labeler import document_ids, expand_inputs, prepare_document

    path = Path(path)
    if not path.exists():
        raise CorpusError(f"{path}: not found")
    unsupported: list[Path] = []
    paths = list(expand_inputs([path], unsupported=unsupported))
    for f in unsupported:
        log.warning("%s: not a kind of document clausetag reads; left out", f)
    wanted = set(docs) if docs is not None else None
    units: list[Unit] = []
    skipped = len(unsupported)
    for file, doc in zip(paths, document_ids(paths)):
        if wanted is not None and doc not in wanted:
            continue
        prepared = prepare_document(file, doc_id=doc)
        if prepared.error:
            log.warning("%s; left out", prepared.error)
            skipped += 1
            continue
        units += [Unit(**{**u.to_dict(), "source": "documents"}) for u in prepared.units]
    return Corpus(f"documents:{path}", load_taxonomy("harmonized"), units, skipped=skipped, labeled=False)


# --- dispatch and datasets -------------------------------------------------------------------

def load_source(spec: str, root: str | Path | None = None, docs: Iterable[str] | None = None) -> Corpus:
    """A corpus from a source spec: `opp115:train`, `capp130:zh`, `capp130:en`, `jsonl:PATH`, or
    `documents:PATH` (policy documents without labels, `read_documents`)."""
    kind, _, arg = spec.partition(":")
    if kind == "opp115":
        return read_opp115(arg or "train", root)
    if kind == "capp130":
        return read_capp130(arg or "zh", root, docs)
    if kind == "jsonl":
        corpus = read_jsonl(resolve_path(arg), name=spec)
        if docs is not None:
            keep = set(docs)
            corpus.units = [u for u in corpus.units if u.doc in keep]
        return corpus
    if kind == "documents":
        return read_documents(resolve_path(arg), docs)
    raise CorpusError(f"unknown source {spec!r} (use opp115:SPLIT, capp130:zh|en, jsonl:PATH or documents:PATH)")


def to_dataset(units: list[Unit]):
    """A `datasets.Dataset` with the schema's columns."""
    from datasets import Dataset, Features, Sequence, Value

    features = Features({
        "id": Value("string"), "doc": Value("string"), "lang": Value("string"), "text": Value("string"),
        "labels": Sequence(Value("string")), "start": Value("int64"), "end": Value("int64"),
        "section": Value("string"), "source": Value("string"),
    })
    columns = {name: [getattr(u, name) for u in units] for name in features}
    return Dataset.from_dict(columns, features=features)
