"""A model directory: everything inference needs (taxonomy, thresholds, weights, encoder reference)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from clausetag.blend import Blend
from clausetag.classifier import EncoderInput, TfidfClassifier, TokenBatcher
from clausetag.decision import Thresholds, decide
from clausetag.neighbours import Neighbours
from clausetag.output_paths import parent_problem
from clausetag.taxonomy import Taxonomy
from clausetag.tfidf_store import UnsafeModelError, refuse_pickles

META_FILE = "model.json"
FORMAT_VERSION = 1


class ModelError(ValueError):
    """A model directory is missing or unreadable; the message names it."""


@dataclass
class ModelInfo:
    """The contents of `model.json`."""

    method: str
    taxonomy: dict
    thresholds: dict[str, float]  # per label; for languages without their own (all, in older models)
    encoder: dict | None = None  # {"name", "fingerprint", "layers" (0 or absent = all)}
    inputs: dict | None = None  # EncoderInput fields, or {"use_section": bool} for tfidf
    # {"tfidf_weight", "languages", "per_language", "tfidf_features"}: TF-IDF scores averaged in (clausetag/blend.py)
    blend: dict | None = None
    onnx: dict | None = None  # ONNX export settings of this model, over clausetag/defaults.toml [onnx]
    training: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    format_version: int = FORMAT_VERSION
    thresholds_by_language: dict[str, dict[str, float]] | None = None  # language -> per-label thresholds
    # {"units", "dims", "k", "temperature", "weight", "blend_language_weight", "sources"}: nearest training units'
    # labels averaged in (clausetag/neighbours.py)
    neighbours: dict | None = None

    @property
    def capp130_validation_docs(self) -> list[str]:
        """The CAPP-130 policies (`rw_N`) that training held out for validation."""
        return list(self.training.get("data", {}).get("capp130_validation_docs", []))

    @property
    def capp130_seen_docs(self) -> set[str] | None:
        """The CAPP-130 policies the model trained or was validated on, in either language (a translation
        is the same policy); None when it trained on CAPP-130 without recording which policies (models
        made before 2026-11-29 that were not updated since)."""
        data = self.training.get("data", {})
        seen = set(data.get("capp130_validation_docs", []))
        for source in data.get("sources", []):
            if source.get("spec", "").startswith("capp130"):
                if "doc_ids" not in source:
                    return None
                seen |= set(source["doc_ids"]) | set(source.get("validation_doc_ids", []))
        return seen


@dataclass
class Model:
    """A loaded model: classifier + taxonomy + thresholds."""

    classifier: object
    info: ModelInfo
    taxonomy: Taxonomy
    path: Path | None = None
    blend: Blend | None = None
    neighbours: Neighbours | None = None

    @property
    def labels(self) -> list[str]:
        return self.taxonomy.names

    @property
    def thresholds(self) -> Thresholds:
        return Thresholds.from_dicts(self.labels, self.info.thresholds, self.info.thresholds_by_language)

    def languages_of(self, texts: list[str], langs: list[str] | None) -> list[str] | None:
        """`langs` as given, else each text's detected language where the model has per-language parts."""
        if langs is not None or not (self.blend or self.neighbours or self.info.thresholds_by_language):
            return langs
        from clausetag.infer.language import detect

        return [detect(t)[0] for t in texts]

    def unit_parts(self, texts: list[str], sections: list[str | None] | None = None, batch_size: int = 64,
                   langs: list[str] | None = None) -> "UnitParts":
        """What each unit's scores are made of, independent of the other units (`finish` combines them)."""
        return unit_parts(self.classifier, self.blend, self.neighbours, texts, sections,
                          self.languages_of(texts, langs), batch_size)

    def parts_from_rows(self, rows: np.ndarray) -> "UnitParts":
        """`UnitParts.rows` of this model's parts, back as parts (what `label`'s cache keeps)."""
        nb = self.neighbours
        return UnitParts.from_rows(rows, len(self.labels), nb is not None, nb is not None and nb.routes is not None)

    def finish(self, parts: "UnitParts", langs: list[str] | None, docs: list[str] | None = None) -> np.ndarray:
        """Final scores from `unit_parts` (with the languages it was given or detected)."""
        return finish(parts, self.blend, self.neighbours, langs, docs)

    def scores(self, texts: list[str], sections: list[str | None] | None = None, batch_size: int = 64,
               langs: list[str] | None = None, docs: list[str] | None = None) -> np.ndarray:
        """Per-label probabilities; `batch_size` applies to encoder models (windows per forward pass);
        `langs` (one per text, detected when not given) decides where a blended TF-IDF part applies, and the
        weight of the nearest training units' labels; `docs` (one id per text) groups the texts into
        documents where that weight depends on the document (none given: the texts are one document)."""
        langs = self.languages_of(texts, langs)
        return combined_scores(self.classifier, self.blend, self.neighbours, texts, sections, langs, batch_size,
                               docs)[0]

    def decide(self, scores: np.ndarray, langs: list[str] | None = None) -> np.ndarray:
        """Labels from scores with each unit's language's thresholds (`langs` None: the default row)."""
        return decide(scores, self.thresholds.rows(langs, len(scores)), self.taxonomy)

    def predict(self, texts, sections=None, langs=None, docs=None) -> tuple[np.ndarray, np.ndarray]:
        langs = self.languages_of(texts, langs)
        s = self.scores(texts, sections, langs=langs, docs=docs)
        return s, self.decide(s, langs)


@dataclass
class UnitParts:
    """A model's scores of some units before the nearest training units are averaged in, each unit's
    independent of the others: the classifier's and TF-IDF parts' (`blended`), the classifier's alone, and
    the neighbours' votes and kept shares (clausetag/neighbours.py; None without neighbours)."""

    blended: np.ndarray
    alone: np.ndarray
    votes: np.ndarray | None = None
    shares: np.ndarray | None = None

    def rows(self) -> np.ndarray:
        """One row per unit: blended scores, then votes and share where present (what a cache keeps)."""
        cols = [self.blended] + ([self.votes] if self.votes is not None else []) + (
            [self.shares[:, None]] if self.shares is not None else [])
        return np.hstack(cols).astype(np.float32)

    @classmethod
    def from_rows(cls, rows: np.ndarray, n_labels: int, votes: bool, shares: bool) -> "UnitParts":
        """`rows` back (the classifier's own scores are not kept: `alone` is the blended scores)."""
        blended = rows[:, :n_labels]
        return cls(blended, blended, rows[:, n_labels:2 * n_labels] if votes else None,
                   rows[:, 2 * n_labels] if shares else None)


def unit_parts(classifier, blend: Blend | None, neighbours: Neighbours | None, texts: list[str],
               sections: list[str | None] | None, langs: list[str] | None, batch_size: int = 64) -> UnitParts:
    """`UnitParts` of `texts` (see `combined_scores`)."""
    if neighbours is None:
        alone = classifier.scores(texts, sections, batch_size=batch_size)
        return UnitParts(blend.apply(alone, texts, sections, langs) if blend else alone, alone)
    alone, embeddings = classifier.scores_and_embeddings(texts, sections, batch_size=batch_size)
    blended = blend.apply(alone, texts, sections, langs) if blend else alone
    return UnitParts(blended, alone, *neighbours.unit_parts(embeddings))


def finish(parts: UnitParts, blend: Blend | None, neighbours: Neighbours | None, langs: list[str] | None,
           docs: list[str] | None = None) -> np.ndarray:
    """The final scores: `parts.blended` with the neighbours' votes averaged in (at the weight for the
    languages `blend` has TF-IDF parts for, where it applies)."""
    if neighbours is None or parts.votes is None:
        return parts.blended
    return neighbours.combine(parts.blended, parts.votes, parts.shares, langs, blend.languages if blend else [], docs)


def combined_scores(classifier, blend: Blend | None, neighbours: Neighbours | None, texts: list[str],
                    sections: list[str | None] | None, langs: list[str] | None,
                    batch_size: int = 64, docs: list[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(a model's scores: the classifier's, then its blend's TF-IDF parts and its nearest training units
    averaged in; the classifier's alone). Training scores its validation sets through this too."""
    parts = unit_parts(classifier, blend, neighbours, texts, sections, langs, batch_size)
    return finish(parts, blend, neighbours, langs, docs), parts.alone


def readable_json(obj, level: int = 0) -> str:
    """JSON indented by one space a level, with lists of plain values (document ids, numbers) on one line:
    readable, and a third of the size of `indent=2` for a model's long record of its training."""
    nested = isinstance(obj, dict) or (isinstance(obj, list) and any(isinstance(x, (dict, list)) for x in obj))
    if not nested or not obj:
        return json.dumps(obj, ensure_ascii=False)
    pad = " " * (level + 1)
    items = ([f"{pad}{json.dumps(k, ensure_ascii=False)}: {readable_json(v, level + 1)}" for k, v in obj.items()]
             if isinstance(obj, dict) else [pad + readable_json(v, level + 1) for v in obj])
    opening, closing = "{}" if isinstance(obj, dict) else "[]"
    return opening + "\n" + ",\n".join(items) + "\n" + " " * level + closing


def model_output_problem(path: Path) -> str | None:
    """A model directory: new, empty, or an earlier clausetag model (which it replaces)."""
    if path.exists():
        if not path.is_dir():
            return f"{path}: is a file; a model is written as a directory"
        if any(path.iterdir()) and not (path / META_FILE).is_file():
            return (f"{path}: exists and is not a clausetag model directory (no {META_FILE}); it would be "
                    "replaced by the model, so choose another -o or remove it")
    return parent_problem(path)


def save_model(directory: str | Path, classifier, info: ModelInfo, extra_files: dict[str, str] | None = None,
               components: list | None = None) -> Path:
    """Write a model directory atomically (build beside it, then swap in); `components` are further
    objects that save themselves into it (a blend's TF-IDF part)."""
    directory = Path(directory)
    if problem := model_output_problem(directory):  # never replace a file or a folder that is not a model
        raise ModelError(problem)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    tmp.chmod(0o755)
    try:
        for part in [classifier, *(components or [])]:
            part.save(tmp)
        (tmp / META_FILE).write_text(readable_json(asdict(info)), encoding="utf-8")
        for name, content in (extra_files or {}).items():
            (tmp / name).write_text(content, encoding="utf-8")
        if directory.exists():
            old = directory.with_name(f".{directory.name}-old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(directory, old)
            os.replace(tmp, directory)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return directory


def read_info(directory: str | Path) -> ModelInfo:
    path = Path(directory) / META_FILE
    if not path.is_file():
        raise ModelError(f"{directory}: not a clausetag model directory (no {META_FILE})")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise ModelError(f"{path}: unreadable ({e})") from None
    if raw.get("format_version") != FORMAT_VERSION:
        raise ModelError(f"{path}: format version {raw.get('format_version')} is not {FORMAT_VERSION}")
    return ModelInfo(**raw)


def load_model(directory: str | Path, encoder: str | None = None, check_fingerprint: bool = True,
               weights: bool = True) -> Model:
    """Load a model directory; `encoder` overrides where the base encoder is found. `weights=False` loads
    an encoder model's tokenizer and input settings alone (`TokenBatcher`), for a backend that brings the
    network itself (a cached ONNX export)."""
    directory = Path(directory)
    info = read_info(directory)
    try:
        refuse_pickles(directory)
    except UnsafeModelError as e:
        raise ModelError(str(e)) from None
    taxonomy = Taxonomy.from_dict(info.taxonomy)
    if info.method == "tfidf":
        clf = TfidfClassifier.load(directory, use_section=bool((info.inputs or {}).get("use_section")))
    elif info.method in ("frozen", "finetune", "distill"):
        name = encoder or info.encoder["name"]
        expected = info.encoder.get("fingerprint") if check_fingerprint and encoder is None else None
        try:
            if not weights:
                from clausetag.encoder.tokenizer import load_tokenizer

                clf = TokenBatcher(load_tokenizer(name), EncoderInput(**info.inputs), len(taxonomy.names))
            else:
                from clausetag.encoder_classifier import EncoderClassifier

                clf = EncoderClassifier.load(directory, name, len(taxonomy.names), EncoderInput(**info.inputs),
                                             expected_fingerprint=expected, layers=info.encoder.get("layers", 0))
        except ModelError:
            raise
        except (OSError, ValueError) as e:  # a path that is not there, an id that cannot be fetched offline
            raise ModelError(f"encoder {name!r}: cannot be loaded, neither a model folder here nor a Hugging Face "
                             f"id that can be fetched ({' '.join(str(e).split())[:200]})") from None
    else:
        raise ModelError(f"{directory}: unknown method {info.method!r}")
    return Model(clf, info, taxonomy, directory, load_blend(directory, info), load_neighbours(directory, info))


def load_neighbours(directory: Path, info: "ModelInfo") -> Neighbours | None:
    """The nearest-training-units part a model folder saved (None where it has none)."""
    if not info.neighbours:
        return None
    try:
        return Neighbours.load(Path(directory), info.neighbours)
    except (OSError, KeyError, ValueError) as e:  # missing file, missing tensor, malformed safetensors
        raise ModelError(f"{Path(directory) / Neighbours.FILE}: unreadable ({type(e).__name__}: {e})") from None


def load_blend(directory: Path, info: "ModelInfo") -> Blend | None:
    """The TF-IDF blend a model folder saved (None where it blends none)."""
    if not info.blend:
        return None
    return Blend.load(Path(directory), info.blend, use_section=bool((info.inputs or {}).get("use_section")))

