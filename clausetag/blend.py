"""An encoder model's scores averaged with a TF-IDF model's, for the languages the TF-IDF part knows.

Character n-gram TF-IDF is strong in-domain (CAPP-130's templated Chinese policies above all) and near
useless in languages it has not seen; the encoder carries across languages. Averaging the two where
the TF-IDF part had enough training text keeps the encoder alone everywhere else.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from clausetag.classifier import TfidfClassifier


@dataclass
class Blend:
    """`(1 - weight) * encoder + weight * tfidf` for units whose language is in `languages`."""

    tfidf: TfidfClassifier
    weight: float
    languages: list[str]

    def to_dict(self) -> dict:
        return {"tfidf_weight": self.weight, "languages": list(self.languages), "tfidf_features": self.tfidf.describe()}

    def apply(self, scores: np.ndarray, texts: list[str], sections: list[str | None] | None,
              langs: list[str] | None) -> np.ndarray:
        """Blended copy of `scores`; `langs` (one per text) defaults to each text's detected language."""
        if not len(texts):
            return scores
        if langs is None:
            from clausetag.infer.language import detect

            langs = [detect(t)[0] for t in texts]
        rows = np.flatnonzero(np.isin(np.asarray(langs, dtype=object), list(self.languages)))
        out = scores.copy()
        if len(rows):
            part = self.tfidf.scores([texts[i] for i in rows], [sections[i] for i in rows] if sections else None)
            out[rows] = (1 - self.weight) * scores[rows] + self.weight * part
        return out


def blend_languages(langs: list[str], min_units: int) -> list[str]:
    """Languages with at least `min_units` training units, most frequent first."""
    return [lang for lang, n in Counter(langs).most_common() if n >= min_units]
