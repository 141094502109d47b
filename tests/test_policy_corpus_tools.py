"""The corpus maintainer's commands: README tables from the files, adjudication into the sheets."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from clausetag.train import policy_corpus as pc
from clausetag.train.policy_tables import readme_table

POLICY = """# Datenschutzerklärung

Wir erheben Ihre E-Mail-Adresse, um Ihre Anfrage zu beantworten.

Ihre Daten werden nicht an Dritte weitergegeben.

Sie haben das Recht auf Auskunft und Löschung.

Die Daten werden nach sechs Monaten gelöscht.
"""


@pytest.mark.parametrize("name", ["documents", "counts", "agreement"])
def test_readme_tables_are_what_the_files_give(name):
    """README.md's tables are the `tables` command's output for the corpus as it is committed."""
    assert pc.tables([name]) == readme_table(name), (
        f"data/policies/README.md's {name} table is out of date: "
        "python -m clausetag.train.policy_corpus tables --write")


def test_tables_rejects_an_unknown_table_and_prints_all_three_by_default():
    with pytest.raises(ValueError, match="unknown table 'nope'"):
        pc.tables(["nope"])
    every = pc.tables([])
    assert [m for m in re.findall(r"<!-- (\w+) -->", every)] == ["agreement", "counts", "documents"]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A one-document corpus: raw file, record, first sheet (one unit uncertain) and a second sheet."""
    root = tmp_path / "policies"
    (root / "raw").mkdir(parents=True)
    (root / "meta").mkdir()
    (root / "raw" / "de-beispiel.md").write_text(POLICY, encoding="utf-8")
    meta = {"doc": "de-beispiel", "organisation": "Beispiel e.V.", "lang": "de", "kind": "ngo", "title": "Datenschutz",
            "source": "beispiel/web/datenschutz.md@" + "0" * 40, "url": None, "licence": None, "date_read": "2026-12-07"}
    (root / "meta" / "de-beispiel.json").write_text(json.dumps(meta), encoding="utf-8")
    (root / "split.json").write_text(json.dumps({"test": [], "validation": []}), encoding="utf-8")
    _, units = pc.document_units(root / "raw" / "de-beispiel.md")
    assert len(units) == 5
    first = ["collection_use", "collection_use", "third_party_sharing", "user_rights\tdoubtful: deletion?", "data_retention"]
    second = ["collection_use", "collection_use", "third_party_sharing", "user_rights,data_retention", "other"]
    for folder, rows in (("sheets", first), ("second", second)):
        (root / folder).mkdir()
        (root / folder / "de-beispiel.tsv").write_text("".join(f"{i}\t{r}\n" for i, r in enumerate(rows)), encoding="utf-8")
    return root


def test_tables_write_rewrites_only_the_stale_tables_and_keeps_the_prose(corpus: Path):
    pc.build_in_place("de-beispiel", corpus)
    (corpus / "agreement.json").write_text(json.dumps(pc.agreement(corpus)), encoding="utf-8")
    stale = "| doc | lang |\n|---|---|\n| `gone` | xx |"
    readme = (f"# Corpus\n\n## Documents\n\nIntro.\n\n{stale}\n\nAfter the documents.\n\n"
              f"## Counts\n\n{pc.tables(['counts'], corpus)}\n\n## Agreement\n\n{stale}\n\nEnd.\n")
    (corpus / "README.md").write_text(readme, encoding="utf-8")

    assert pc.write_readme_tables(corpus) == ["documents", "agreement"]
    text = (corpus / "README.md").read_text(encoding="utf-8")
    for name in ("documents", "counts", "agreement"):
        assert readme_table(name, corpus) == pc.tables([name], corpus)
    assert "`gone`" not in text and "de-beispiel" in text
    assert text.startswith("# Corpus\n\n## Documents\n\nIntro.\n\n| doc |")
    assert "\n\nAfter the documents.\n\n## Counts" in text and text.endswith("\n\nEnd.\n")
    assert pc.write_readme_tables(corpus) == []  # nothing stale: nothing written


def test_tables_write_names_a_heading_without_its_table(corpus: Path, capsys, monkeypatch):
    (corpus / "README.md").write_text("# Corpus\n\n## Documents\n\nNo table yet.\n", encoding="utf-8")
    monkeypatch.setattr(pc, "ROOT", corpus)
    assert pc.main(["tables", "--write"]) == 1
    assert "no table below '## Documents'" in capsys.readouterr().err


def test_adjudicate_writes_the_decisions_and_keeps_the_first_pass(corpus: Path, tmp_path: Path):
    sheet = corpus / "sheets" / "de-beispiel.tsv"
    before = sheet.read_text(encoding="utf-8")
    decisions = tmp_path / "decisions.tsv"
    decisions.write_text("# unit, labels, why\n3\tuser_rights,data_retention\tdeletion on request: rule 33\n"
                         "4\tdata_retention,data_security\ta deletion period and secure erasure\n", encoding="utf-8")
    made = pc.adjudicate("de-beispiel", decisions, corpus)

    assert (corpus / "adjudication" / "first-pass" / "de-beispiel.tsv").read_text(encoding="utf-8") == before
    rows = pc.read_sheet(sheet, set(pc.load_taxonomy("harmonized").names))
    assert [r.labels for r in rows] == [("collection_use",), ("collection_use",), ("third_party_sharing",),
                                        ("user_rights", "data_retention"), ("data_retention", "data_security")]
    assert rows[3].note is None  # decided, so no longer uncertain
    assert [d.row() for d in made] == [
        "| `de-beispiel-0003` | user_rights | user_rights,data_retention | second | deletion on request: rule 33 |",
        "| `de-beispiel-0004` | data_retention | other | neither | a deletion period and secure erasure |"]
    built = pc.build_in_place("de-beispiel", corpus)
    assert built == corpus / "annotations" / "de-beispiel.jsonl"
    assert [json.loads(l)["labels"] for l in built.read_text(encoding="utf-8").splitlines()][3] == [
        "user_rights", "data_retention"]

    # a later round of decisions keeps the first pass as it was before any adjudication
    decisions.write_text("0\tcollection_use,contact\tthe e-mail address is a channel\n", encoding="utf-8")
    pc.adjudicate("de-beispiel", decisions, corpus)
    assert (corpus / "adjudication" / "first-pass" / "de-beispiel.tsv").read_text(encoding="utf-8") == before
    assert pc.read_sheet(sheet, {"collection_use", "contact", "user_rights", "data_retention", "data_security",
                                 "third_party_sharing"})[0].labels == ("collection_use", "contact")


@pytest.mark.parametrize("line, problem", [
    ("7\tother\tno such unit", "has no unit 7"),
    ("1\tcollection_use,sharing\ttypo", "bad labels"),
    ("1\tother", "say why"),
    ("x\tother\twhy", "expected 'index<TAB>labels"),
])
def test_adjudicate_checks_every_decision_before_changing_anything(corpus: Path, tmp_path: Path, line, problem):
    sheet = corpus / "sheets" / "de-beispiel.tsv"
    before = sheet.read_text(encoding="utf-8")
    decisions = tmp_path / "decisions.tsv"
    decisions.write_text("0\tcollection_use\tfine\n" + line + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(problem)):
        pc.adjudicate("de-beispiel", decisions, corpus)
    assert sheet.read_text(encoding="utf-8") == before
    assert not (corpus / "adjudication").exists()


def test_adjudicate_command_reports_a_bad_file_without_a_traceback(corpus: Path, tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setattr(pc, "ROOT", corpus)
    decisions = tmp_path / "decisions.tsv"
    decisions.write_text("0\tcollection_use,contact\tthe address is a channel\n", encoding="utf-8")
    assert pc.main(["adjudicate", "de-beispiel", str(decisions)]) == 0
    out = capsys.readouterr()
    assert "| `de-beispiel-0000` | collection_use | collection_use | neither |" in out.out
    assert (corpus / "annotations" / "de-beispiel.jsonl").is_file()
    assert pc.main(["adjudicate", "de-beispiel", str(tmp_path / "missing.tsv")]) == 1
    assert "missing.tsv" in capsys.readouterr().err


def test_differences_lists_the_units_the_two_passes_label_differently(corpus: Path, tmp_path: Path):
    listed = pc.differences("de-beispiel", corpus)
    assert re.findall(r"^(\d+)\t", listed, re.M) == ["3", "4"]
    assert "Sie haben das Recht auf Auskunft und Löschung." in listed
    assert "first:  user_rights  (doubtful: deletion?)" in listed and "second: user_rights,data_retention" in listed
    assert listed.endswith("# de-beispiel: 2 of 5 units differ")
    # after adjudication it still compares the first pass as it was, not the adjudicated sheet
    decisions = tmp_path / "decisions.tsv"
    decisions.write_text("3\tuser_rights,data_retention\trule 33\n", encoding="utf-8")
    pc.adjudicate("de-beispiel", decisions, corpus)
    assert pc.differences("de-beispiel", corpus) == listed
