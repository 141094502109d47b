"""The clause checklist (data/checklist): parallel, well-formed, and labeled well by the shipped default model."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from clausetag.corpora import load_source
from clausetag.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parents[1]
CHECKLIST = ROOT / "data" / "checklist"
LANGS = ["cs", "de", "en", "es", "fr", "it", "ja", "ko", "pl", "pt", "ru", "zh"]


@pytest.fixture(scope="module")
def by_lang():
    units = load_source(f"jsonl:{CHECKLIST}").units
    return {lang: [u for u in units if u.lang == lang] for lang in sorted({u.lang for u in units})}


def test_checklist_is_parallel_languages_of_six_clauses_per_label(by_lang):
    names = load_taxonomy("harmonized").names
    assert sorted(by_lang) == LANGS
    english = by_lang["en"]
    assert Counter(u.labels[0] for u in english) == {name: 6 for name in names}
    for lang, units in by_lang.items():
        assert [u.labels for u in units] == [u.labels for u in english], lang  # line i is a translation of line i
        assert [u.id for u in units] == [f"checklist-{lang}-{i:02d}" for i in range(1, len(english) + 1)]
        assert {u.doc for u in units} == {f"checklist-{lang}"} and all(u.section is None for u in units)
        assert len({u.text for u in units}) == len(units) and all(len(u.labels) == 1 for u in units)
    # translations, not copies: no sentence is left in English in another language
    english_texts = {u.text for u in english}
    assert not any(u.text in english_texts for lang, units in by_lang.items() if lang != "en" for u in units)


@pytest.mark.encoder
@pytest.mark.slow
def test_default_model_labels_most_plain_clauses_exactly_in_every_language(by_lang):
    """At most 14 of each language's 54 sentences with a label set other than the gold one, and 545 of
    the 648 exactly. The shipped model (2026-12-08: nearest training units averaged in, rebuilt over 20,558 units,
    k 20, English and Chinese web-like documents of 10 units or more routed to them, specific_audiences at 0.75)
    gets 567 exactly (each sentence a document of its own), misses 2 (en) to 10 (ko) per language; the late night's
    563; the night's 564; the evening's 561, the
    afternoon's 559, the one before them 513 (2 to 18 misses), the default of 2026-11-28 506 (docs/benchmarks.md,
    "Plain clauses in twelve languages"). `fast` misses up to 20 in a language."""
    from clausetag.infer.labeler import Labeler

    labeler = Labeler.load(ROOT / "models" / "default")
    exact = 0
    for lang, units in by_lang.items():
        preds = labeler.label_units(units)
        misses = [(u.text, p.labels) for u, p in zip(units, preds) if set(p.labels) != set(u.labels)]
        assert len(misses) <= 14, (lang, misses)
        exact += len(units) - len(misses)
    assert exact >= 545
