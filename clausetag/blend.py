"""An encoder model's scores averaged with TF-IDF models' scores, for the languages the TF-IDF part knows.

Character n-gram TF-IDF is strong in-domain (CAPP-130's templated Chinese policies above all) and near
useless in languages it has not seen; the encoder carries across languages. Averaging the two where
the TF-IDF part had enough training text keeps the encoder alone everywhere else. The TF-IDF part is
one model for all its languages (pooled) or one model per language.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from clausetag.classifier import TfidfClassifier


@dataclass
class Blend:
    """`(1 - weight) * encoder + weight * parts[lang]` for units whose language `lang` has a part."""

    parts: dict[str, TfidfClassifier]  # language -> its TF-IDF model (the same object for all when pooled)
    weight: float
    per_language: bool = False

    @property
    def languages(self) -> list[str]:
        return list(self.parts)

    @staticmethod
    def file_name(lang: str | None) -> str:
        """`tfidf` for a pooled part, `tfidf-<lang>` for a language's own part (the stem of its .json and
        .safetensors files)."""
        return f"tfidf-{lang}" if lang else TfidfClassifier.FILE

    def files(self) -> dict[str, TfidfClassifier]:
        """File name -> TF-IDF model, one entry per distinct model."""
        if self.per_language:
            return {self.file_name(lang): part for lang, part in self.parts.items()}
        return {self.file_name(None): next(iter(self.parts.values()))}

    def describe(self) -> str | dict[str, str]:
        """The TF-IDF features in words: one string when pooled, one per language otherwise."""
        if self.per_language:
            return {lang: part.describe() for lang, part in self.parts.items()}
        return next(iter(self.parts.values())).describe()

    def to_dict(self) -> dict:
        return {"tfidf_weight": self.weight, "languages": self.languages, "per_language": self.per_language,
                "tfidf_features": self.describe()}

    def save(self, directory: Path) -> None:
        for name, part in self.files().items():
            part.save(directory, name)

    @classmethod
    def load(cls, directory: Path, spec: dict, use_section: bool) -> "Blend":
        """The blend a model directory's `model.json` describes (`spec` is its "blend" entry)."""
        languages, per_language = list(spec["languages"]), bool(spec.get("per_language", False))
        if per_language:
            parts = {lang: TfidfClassifier.load(directory, use_section, cls.file_name(lang)) for lang in languages}
        else:
            shared = TfidfClassifier.load(directory, use_section)
            parts = {lang: shared for lang in languages}
        return cls(parts, float(spec["tfidf_weight"]), per_language)

    def apply(self, scores: np.ndarray, texts: list[str], sections: list[str | None] | None,
              langs: list[str]) -> np.ndarray:
        """Blended copy of `scores`; `langs` is each text's language (`Model.languages_of` detects them)."""
        if not len(texts):
            return scores
        langs_arr = np.asarray(langs, dtype=object)
        out = scores.copy()
        groups = {id(p): (p, [l for l, q in self.parts.items() if q is p]) for p in self.parts.values()}
        for part, part_langs in groups.values():
            rows = np.flatnonzero(np.isin(langs_arr, part_langs))
            if len(rows):
                tfidf = part.scores([texts[i] for i in rows], [sections[i] for i in rows] if sections else None)
                out[rows] = (1 - self.weight) * scores[rows] + self.weight * tfidf
        return out


def blend_languages(langs: list[str], min_units: int) -> list[str]:
    """Languages with at least `min_units` training units, most frequent first."""
    return [lang for lang, n in Counter(langs).most_common() if n >= min_units]
