"""Offline language identification (py3langid) for documents and, where a document mixes, units."""

from __future__ import annotations

import re
from functools import lru_cache

_LETTERS = re.compile(r"[^\W\d_]")


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)


def detect(text: str) -> tuple[str, float]:
    """(ISO 639-1 code, probability); ("und", 0.0) when the text has too few letters."""
    sample = text[:5000]
    if len(_LETTERS.findall(sample)) < 3:
        return "und", 0.0
    lang, prob = _identifier().classify(sample)
    return lang, float(prob)


def unit_language(text: str, doc_lang: str, min_letters: int = 20, min_prob: float = 0.95) -> str:
    """The unit's own language when it clearly differs from the document's, else the document's."""
    if len(_LETTERS.findall(text)) < min_letters:
        return doc_lang
    lang, prob = detect(text)
    return lang if prob >= min_prob and lang != "und" else doc_lang


def known_languages() -> list[str]:
    """The ISO 639-1 codes the identifier knows, which `--lang` accepts."""
    return sorted(set(_identifier().nb_classes))  # a code can appear once per script (sr, uz)
