"""Typed records that flow between the stages: units, documents, predictions."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

#: Columns of the common record schema, in order (required first).
REQUIRED_COLUMNS = ("id", "doc", "lang", "text", "labels")
OPTIONAL_COLUMNS = ("start", "end", "section", "source", "heading")

#: The record types (the "type" field) of a `clausetag label` output: one per unit, one summary per
#: document and one per document that failed.
UNIT_RECORD, SUMMARY_RECORD, ERROR_RECORD = "unit", "summary", "error"
#: The types besides units: skipped when such an output is labeled again.
OUTPUT_ONLY_RECORDS = (SUMMARY_RECORD, ERROR_RECORD)


@dataclass(slots=True)
class Unit:
    """One annotated (or to-be-labeled) sentence, list item or heading."""

    id: str
    doc: str
    lang: str
    text: str
    labels: list[str] = field(default_factory=list)
    start: int | None = None
    end: int | None = None
    section: str | None = None
    source: str | None = None
    heading: bool = False  # a heading or table-of-contents line (the segmenter's call), not a sentence

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Unit":
        names = {f.name for f in fields(cls)}
        missing = [c for c in REQUIRED_COLUMNS if c not in d and c != "labels"]
        if missing:
            raise ValueError(f"record lacks required field(s): {', '.join(missing)}")
        return cls(**{k: v for k, v in d.items() if k in names})


def normalized(text: str) -> str:
    """Text with runs of whitespace collapsed to one space (how units are matched to training units)."""
    return " ".join(text.split())


@dataclass(slots=True)
class Segment:
    """A span of a document found by the segmenter (no labels yet)."""

    start: int
    end: int
    text: str
    is_heading: bool = False
    section: str | None = None


@dataclass(slots=True)
class Document:
    """A document's extracted text and where it came from."""

    doc: str
    text: str
    lang: str | None = None
    path: str | None = None
    headings: list[str] = field(default_factory=list)  # heading lines its markup names (HTML <h1>-<h6>)
    warnings: list[str] = field(default_factory=list)  # problems met while reading it, each naming the file


@dataclass(slots=True)
class Prediction:
    """The model's output for one unit: labels above threshold and every score."""

    unit: Unit
    labels: list[str]
    scores: dict[str, float]
    basis: str = "model"  # "section" / "lead_in": from its section (a heading) or list's lead-in (infer/structure.py)
