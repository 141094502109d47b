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


_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")
_CJK_LANGS = {"zh", "ja", "ko"}


def script_language(text: str) -> str | None:
    """zh, ja or ko for a text written mostly in that script (Han without kana; kana; Hangul), else None."""
    letters = len(_LETTERS.findall(text))
    if not letters:
        return None
    hangul, kana, han = (len(p.findall(text)) for p in (_HANGUL, _KANA, _HAN))
    if hangul > letters / 2:
        return "ko"
    if kana + han > letters / 2:
        return "ja" if kana >= 0.1 * (kana + han) else "zh"
    return None


def unit_language(text: str, doc_lang: str, min_letters: int = 20, min_prob: float = 0.95) -> str:
    """The unit's own language when it clearly differs from the document's, else the document's: a unit
    written mostly in Chinese, Japanese or Korean script in a document that is not (or the other way
    round) by its script, however short; otherwise by the identifier, when it is sure."""
    script = script_language(text)
    if doc_lang == "ja" and script == "zh":
        return doc_lang  # Japanese writes headings and terms in kanji alone (個人情報保護方針)
    if script and script != doc_lang:
        return script
    if not script and doc_lang in _CJK_LANGS and len(_LETTERS.findall(text)) >= min_letters:
        lang, prob = detect(text)  # a Latin-script sentence in a Chinese policy
        return lang if lang != "und" and lang not in _CJK_LANGS and prob >= 0.5 else doc_lang
    if len(_LETTERS.findall(text)) < min_letters:
        return doc_lang
    lang, prob = detect(text)
    return lang if prob >= min_prob and lang != "und" else doc_lang


def known_languages() -> list[str]:
    """The ISO 639-1 codes the identifier knows, which `--lang` accepts."""
    return sorted(set(_identifier().nb_classes))  # a code can appear once per script (sr, uz)
