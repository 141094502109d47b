"""Label sets as data: names, definitions, aliases and mappings to the harmonized labels."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Label:
    name: str
    definition: dict[str, str]
    maps_to: tuple[str, ...]
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Taxonomy:
    """A label set. `fallback` is the label used when no other label applies (may be None)."""

    name: str
    title: str
    labels: tuple[Label, ...]
    fallback: str | None = None
    attributes: tuple[str, ...] = ()
    _index: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for label in self.labels:
            for key in (label.name, *label.aliases):
                self._index[key] = label.name

    @property
    def names(self) -> list[str]:
        return [label.name for label in self.labels]

    @property
    def content(self) -> list[str]:
        """The names of the labels that disclose something: all but the fallback."""
        return [n for n in self.names if n != self.fallback]

    def canonical(self, raw: str) -> str | None:
        """The label name for a name or alias, or None when `raw` is not a label of this taxonomy."""
        return self._index.get(raw.strip()) if isinstance(raw, str) else None

    def is_attribute(self, raw: str) -> bool:
        return raw in self.attributes

    def label(self, name: str) -> Label:
        for label in self.labels:
            if label.name == name:
                return label
        raise KeyError(f"{name!r} is not a label of taxonomy {self.name!r}")

    def map_labels(self, names: list[str], target: "Taxonomy") -> list[str]:
        """Map label names of this taxonomy to `target` (identity, or via `maps_to` into harmonized)."""
        if target.name == self.name:
            mapped = set(names)
        elif target.name == "harmonized":
            mapped = {m for n in names for m in self.label(n).maps_to}
        else:
            raise ValueError(f"no mapping from taxonomy {self.name!r} to {target.name!r}")
        if target.fallback and len(mapped) > 1:
            mapped.discard(target.fallback)
        if not mapped and target.fallback:
            mapped = {target.fallback}
        return [n for n in target.names if n in mapped]

    def to_matrix(self, label_lists: list[list[str]]) -> np.ndarray:
        """Multi-hot matrix (n_units × n_labels) in this taxonomy's label order."""
        pos = {n: i for i, n in enumerate(self.names)}
        y = np.zeros((len(label_lists), len(pos)), dtype=np.float32)
        for row, labels in enumerate(label_lists):
            for n in labels:
                y[row, pos[n]] = 1.0
        return y

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "title": self.title,
            "fallback": self.fallback,
            "attributes": [{"name": a} for a in self.attributes],
            "labels": [
                {"name": l.name, "aliases": list(l.aliases), "definition": l.definition, "maps_to": list(l.maps_to)}
                for l in self.labels
            ],
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Taxonomy":
        labels = tuple(
            Label(
                name=l["name"],
                definition=l.get("definition", {}),
                maps_to=tuple(l.get("maps_to", [l["name"]])),
                aliases=tuple(l.get("aliases", [])),
            )
            for l in d["labels"]
        )
        attrs = tuple(n for a in d.get("attributes", []) for n in (a["name"], a.get("alias")) if n)
        return cls(d["name"], d.get("title", d["name"]), labels, d.get("fallback"), attrs)


BUILTIN = ("harmonized", "opp115", "capp130")


@lru_cache(maxsize=None)
def load_taxonomy(name_or_path: str = "harmonized") -> Taxonomy:
    """A built-in taxonomy by name, or one from a JSON file of the same format."""
    if name_or_path in BUILTIN:
        raw = resources.files("clausetag").joinpath(f"taxonomies/{name_or_path}.json").read_text("utf-8")
    else:
        raw = Path(name_or_path).read_text("utf-8")
    return Taxonomy.from_dict(json.loads(raw))
