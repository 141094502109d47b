"""The labeler: documents in, labeled units out (a pipeline in the Hugging Face sense).

    labeler = Labeler.load("models/default")
    for unit in labeler.label_text(text): ...
    for result in labeler.label_files(paths): ...   # streaming, one document at a time
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Collection, Iterable, Iterator

import numpy as np

from clausetag.infer.extract import InputError, Url, input_path, is_url, kind_of, link_problem, read_document
from clausetag.infer.structure import apply_rules
from clausetag.infer.language import detect, unit_language
from clausetag.infer.segment import segment
from clausetag.modeldir import Model, ModelInfo, load_model
from clausetag.jsonlines import json_objects
from clausetag.records import ERROR_RECORD, OUTPUT_ONLY_RECORDS, Prediction, SUMMARY_RECORD, UNIT_RECORD, Unit
from clausetag.settings import defaults, resolve_path
from clausetag.wording import counted


@dataclass
class DocumentResult:
    """One input document: its labeled units, or the error that stopped it."""

    doc: str
    path: str | None
    predictions: list[Prediction] = field(default_factory=list)
    error: str | None = None
    languages: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    incomplete: bool = False  # labeled, but part of the input could not be read (its warnings say which)

    @property
    def ok(self) -> bool:
        return self.error is None

    def error_record(self) -> dict:
        return {"type": ERROR_RECORD, "doc": self.doc, "path": self.path, "error": self.error}

    def summary(self, labels: list[str], model: dict | None = None) -> dict:
        """The document's summary record; `model` (`Labeler.model_record`) says which model labeled it."""
        counts = Counter(l for p in self.predictions for l in p.labels)
        return {"type": SUMMARY_RECORD, "doc": self.doc, "path": self.path, "units": len(self.predictions),
                "languages": self.languages, "label_counts": {l: counts.get(l, 0) for l in labels},
                "errors": [self.error] if self.error else [], "warnings": self.warnings,
                **({"model": model} if model else {})}


def prediction_record(p: Prediction) -> dict:
    u = p.unit
    return {"type": UNIT_RECORD, "doc": u.doc, "id": u.id, "start": u.start, "end": u.end, "lang": u.lang,
            "section": u.section, "heading": u.heading, "text": u.text, "labels": p.labels, "basis": p.basis,
            "scores": {k: round(v, 4) for k, v in p.scores.items()}}


def default_model_dir() -> Path:
    return resolve_path(os.environ.get("CLAUSETAG_MODEL", defaults()["paths"].get("model", "models/default")))


def expand_inputs(paths: Iterable[str | Path], exclude: Iterable[str | Path] = (),
                  unsupported: list[Path] | None = None) -> Iterator[str | Path]:
    """Files and web addresses as given, directories recursively (sorted, known suffixes only, hidden files
    and `exclude`d files such as the batch's own output left out); missing paths and a folder's broken
    links pass through so that they are reported as errors. Files of a folder with an unknown suffix are
    appended to `unsupported`."""
    excluded = {Path(e).resolve() for e in exclude}
    for p in paths:
        if is_url(p):
            yield p
            continue
        p = Path(p)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.name.startswith("."):
                    continue
                if link_problem(f):
                    yield f  # a broken link or a loop: reported as that document's error, not skipped silently
                    continue
                if f.resolve() in excluded or not f.is_file():
                    continue
                if kind_of(f) != "unknown":
                    yield f
                elif unsupported is not None:
                    unsupported.append(f)
        else:
            yield p


def model_record(info: ModelInfo, path: Path | None, structure: bool) -> dict:
    """`Labeler.model_record` from a model's `model.json` alone (a batch's driver names the model its
    workers load without loading it)."""
    training = info.training
    return {"name": training.get("config_name") or (path.name if path else None),
            "created": training.get("created"), "path": str(path) if path else None,
            "structure_rules": structure}


def wordlike(text: str) -> bool:
    """Whether a unit has a letter or a digit: one of emoji, symbols or punctuation alone discloses nothing
    (`other`, whatever the model makes of it); a date line ("2024-05-01") may still be a policy's date."""
    return any(ch.isalnum() for ch in text)


def document_ids(paths: list) -> list[str]:
    """One id per input of a batch, unique within it: the file name (a web address's, `stdin`), or where
    two inputs share a name, each one's path below the folder their paths share (`a/policy.txt`,
    `b/policy.txt`); a path named twice gets ` (2)`, ` (3)`, … after its second and later ids."""
    names = [input_path(p).name for p in paths]
    clashing: dict[str, list[int]] = {}
    for i, n in enumerate(names):
        clashing.setdefault(n, []).append(i)
    ids = list(names)
    for name, idx in clashing.items():
        if len(idx) < 2 or any(is_url(paths[i]) for i in idx):
            continue
        full = [Path(os.path.abspath(paths[i])) for i in idx]
        common = Path(os.path.commonpath([str(f.parent) for f in full]))
        for i, f in zip(idx, full):
            ids[i] = f.relative_to(common).as_posix()
    seen: Counter = Counter()
    for i, d in enumerate(ids):
        seen[d] += 1
        if seen[d] > 1:
            ids[i] = f"{d} ({seen[d]})"
    return ids


@dataclass
class PreparedDocument:
    """A document read and segmented, not yet scored (or the error that stopped it): what the labeler's
    first step hands its second. One machine runs both in turn; the Ray engine runs them in different tasks."""

    doc: str
    path: str
    units: list[Unit] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    incomplete: bool = False
    error: str | None = None
    content_warnings: bool = True  # warn when no unit gets a clause (not for a JSONL of units)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "PreparedDocument":
        d = json.loads(text)
        d["units"] = [Unit(**u) for u in d["units"]]
        return cls(**d)


def units_of_text(text: str, doc: str = "text", lang: str | None = None,
                  headings: Collection[str] = ()) -> tuple[list[Unit], list[str]]:
    """Segment a text into units with languages; `headings`: heading lines its markup names."""
    doc_lang = lang or detect(text)[0]
    units = []
    for i, seg in enumerate(segment(text, lang=lang, headings=headings)):
        u_lang = lang or unit_language(seg.text, doc_lang)
        units.append(Unit(id=f"{doc}#{i:05d}", doc=doc, lang=u_lang, text=seg.text, start=seg.start,
                          end=seg.end, section=seg.section, source="label", heading=seg.is_heading))
    langs = [l for l, _ in Counter(u.lang for u in units).most_common()]
    return units, langs


def prepare_document(path: str | Path, max_mb: float | None = None, lang: str | None = None,
                     doc_id: str | None = None) -> PreparedDocument:
    """Read and segment one file or web address (no model needed); a user error becomes
    `PreparedDocument.error`. Arguments as `Labeler.label_document`'s."""
    shown = input_path(path)  # a Url, `stdin` for "-", else the path
    name, path = doc_id or shown.name, shown if isinstance(shown, Url) else Path(path)
    try:
        if kind_of(path) == "jsonl":
            if isinstance(path, Url):
                raise InputError(path, "a JSONL of units is read from a file, not from a web address")
            return _jsonl_units(path, lang, name)
        document = read_document(path, max_mb)
        units, langs = units_of_text(document.text, name, lang, document.headings)
        if not units:
            raise InputError(path, "no text to label after extraction")
        return PreparedDocument(name, str(path), units, langs, document.warnings)
    except InputError as e:
        return PreparedDocument(name, str(path), error=str(e))
    except (OSError, ValueError, RuntimeError, ImportError) as e:  # never lose the rest of the batch
        problem = f"internal error while labeling ({type(e).__name__}: {e}); please report it"
        return PreparedDocument(name, str(path), error=str(InputError(path, problem)))


def _jsonl_units(path: Path, lang: str | None = None, name: str | None = None) -> PreparedDocument:
    """Pre-segmented units (`text`, optional `id`, `lang`, `section`, `doc`, `heading`), read line by line; a
    unit without `lang` gets `lang` when given, else its detected language. A line that is no JSON object is
    left out with a warning naming it, and the document is `incomplete`."""
    units, bad = [], []
    def broken(n, problem):
        bad.append(f"{path}: line {n}: {problem}; the line is left out")
    for n, d in json_objects(path, lambda n, problem: InputError(path, f"line {n}: {problem}" if n else problem),
                             on_bad_line=broken):
        if d.get("type") in OUTPUT_ONLY_RECORDS:  # an earlier `label` output: its units are re-labeled
            continue
        if not isinstance(d.get("text"), str) or not d["text"].strip():
            raise InputError(path, f"line {n}: needs a non-empty string field 'text'")
        unit_lang = d.get("lang") or lang or detect(d["text"])[0]
        units.append(Unit(id=str(d.get("id", f"{name or path.name}#{n}")), doc=str(d.get("doc", name or path.name)), lang=unit_lang,
                          text=d["text"], section=d.get("section"), source="jsonl", heading=d.get("heading") is True))
    if not units:
        raise InputError(path, "no units in JSONL file" + (f" ({bad[0].split(': ', 1)[1]})" if bad else ""))
    langs = [l for l, _ in Counter(u.lang for u in units).most_common()]
    return PreparedDocument(name or path.name, str(path), units, langs, warnings=bad, incomplete=bool(bad),
                            content_warnings=False)


class ScoreCache:
    """Units' score parts (`UnitParts.rows`) by (language, section, text), the oldest dropped beyond `size`
    entries (0: none kept). They depend on nothing else (only their final combination looks at the document),
    so a sentence that recurs in a batch is scored once."""

    def __init__(self, size: int):
        self.size = size
        self._scores: dict[tuple, np.ndarray] = {}

    def lookup(self, keys) -> dict[tuple, np.ndarray]:
        return {k: self._scores[k] for k in keys if k in self._scores}

    def add(self, scores: dict[tuple, np.ndarray]) -> None:
        if not self.size:
            return
        self._scores.update(scores)
        while len(self._scores) > self.size:
            del self._scores[next(iter(self._scores))]


class Labeler:
    """Segment, identify language, score and decide labels."""

    def __init__(self, model: Model, batch_size: int | None = None, score_cache_units: int | None = None,
                 structure: bool | None = None):
        """`structure`: headings take the topic of their sections and list items the model finds no clause
        in that of their lead-ins (infer/structure.py), or with False every label is the model's own;
        default from `[labeler] structure_rules`."""
        settings = defaults()["labeler"]
        self.model = model
        self.batch_size = batch_size or settings["batch_size"]
        self.cache = ScoreCache(settings["score_cache_units"] if score_cache_units is None else score_cache_units)
        self.structure = settings["structure_rules"] if structure is None else structure

    @classmethod
    def load(cls, model_dir: str | Path | None = None, backend: str = "torch", threads: int | None = None,
             encoder: str | None = None, **kwargs) -> "Labeler":
        """`encoder` overrides where the base encoder is found (Hugging Face id or local path)."""
        model_dir = Path(model_dir) if model_dir else default_model_dir()
        if backend == "onnx":
            from clausetag.infer.onnx_backend import OnnxClassifier

            model = OnnxClassifier.load_model(model_dir, encoder=encoder, threads=threads)
        elif backend == "torch":
            from clausetag.encoder_classifier import set_threads

            set_threads(threads)
            model = load_model(model_dir, encoder=encoder)
        else:
            raise ValueError(f"backend must be torch or onnx, not {backend!r}")
        return cls(model, **kwargs)

    @property
    def labels(self) -> list[str]:
        return self.model.labels

    @property
    def model_record(self) -> dict:
        """Which model labels: its config name and when it was trained (what tells two models apart), and
        the folder it was loaded from."""
        return model_record(self.model.info, self.model.path, self.structure)

    def label_units(self, units: list[Unit]) -> list[Prediction]:
        """Score units (in batches) and decide their labels."""
        if not units:
            return []
        langs = [u.lang for u in units]
        keys = [(u.lang, u.section, u.text) for u in units]
        distinct = list(dict.fromkeys(keys))
        known = self.cache.lookup(distinct)
        todo = [k for k in distinct if k not in known]
        if todo:
            parts = self.model.unit_parts([k[2] for k in todo], [k[1] for k in todo], self.batch_size,
                                          [k[0] for k in todo])
            fresh = dict(zip(todo, parts.rows()))
            self.cache.add(fresh)
            known.update(fresh)
        parts = self.model.parts_from_rows(np.stack([known[k] for k in keys]))
        scores = self.model.finish(parts, langs)  # the units of one document
        decisions = self.model.decide(scores, langs)
        names = self.labels
        fallback = self.model.taxonomy.fallback
        predictions = [Prediction(u, [fallback] if fallback and not wordlike(u.text) else
                                  [n for n, d in zip(names, row) if d], dict(zip(names, map(float, s))))
                       for u, s, row in zip(units, scores, decisions)]
        return apply_rules(predictions, self.model.taxonomy) if self.structure else predictions

    def units_of_text(self, text: str, doc: str = "text", lang: str | None = None,
                      headings: Collection[str] = ()) -> tuple[list[Unit], list[str]]:
        """Segment a text into units with languages (`units_of_text`)."""
        return units_of_text(text, doc, lang, headings)

    def label_text(self, text: str, lang: str | None = None, doc: str = "text") -> list[Prediction]:
        """Label a text: segments with offsets into `text`, language per document (and per unit)."""
        units, _ = self.units_of_text(text, doc, lang)
        return self.label_units(units)

    def label_document(self, path: str | Path, max_mb: float | None = None, lang: str | None = None,
                       doc_id: str | None = None) -> DocumentResult:
        """Label one file or web address; a user error becomes `DocumentResult.error` instead of an exception.
        `lang` forces the language of every unit (segmentation rules, the TF-IDF part used) instead of
        detecting it; `doc_id` names the document in its records (default: its file name; a batch gives
        each document an id of its own, `document_ids`). The same two steps as the Ray engine runs apart:
        `prepare_document` (read, segment; no model) then `label_prepared` (score, decide)."""
        return self.label_prepared(prepare_document(path, max_mb, lang, doc_id))

    def label_prepared(self, prepared: PreparedDocument) -> DocumentResult:
        """Score and decide the units of a document `prepare_document` read (its error passes through)."""
        if prepared.error is not None:
            return DocumentResult(prepared.doc, prepared.path, error=prepared.error)
        try:
            predictions = self.label_units(prepared.units)
        except (OSError, ValueError, RuntimeError, ImportError) as e:  # never lose the rest of the batch
            problem = f"internal error while labeling ({type(e).__name__}: {e}); please report it"
            return DocumentResult(prepared.doc, prepared.path, error=str(InputError(prepared.path, problem)))
        warnings = prepared.warnings + (self._content_warnings(prepared.path, predictions)
                                        if prepared.content_warnings else [])
        return DocumentResult(prepared.doc, prepared.path, predictions, languages=prepared.languages,
                              warnings=warnings, incomplete=prepared.incomplete)

    def _content_warnings(self, path: str, predictions: list[Prediction]) -> list[str]:
        """A warning when no unit of a document got a clause label: it may not be a privacy policy, or
        its text may not have been read (a page built by JavaScript, a PDF of scanned pages with a
        text layer of headers only)."""
        fallback = self.model.taxonomy.fallback
        if fallback is None or any(set(p.labels) - {fallback} for p in predictions):
            return []
        n = len(predictions)
        return [f"{path}: no clause found in its {counted(n, 'unit')} (all '{fallback}'); is it a privacy "
                "policy, and was its text read? A web page that builds its text with JavaScript, for one, has "
                "none to read"]

    def label_files(self, paths: Iterable[str | Path], max_mb: float | None = None,
                    lang: str | None = None) -> Iterator[DocumentResult]:
        """Stream results document by document (a 10,000-file batch never sits in memory); each document
        gets an id of its own in the batch (`document_ids`)."""
        expanded = list(expand_inputs(paths))
        for path, doc_id in zip(expanded, document_ids(expanded)):
            yield self.label_document(path, max_mb, lang, doc_id)


def scores_array(predictions: list[Prediction], labels: list[str]) -> np.ndarray:
    return np.array([[p.scores[l] for l in labels] for p in predictions], dtype=np.float32)
