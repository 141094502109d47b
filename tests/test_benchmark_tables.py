"""benchmarks/policies_by_language.py and clause_checklist.py --show: docs tables are made from saved results."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "policies_by_language.py"


def _module(path: Path = SCRIPT):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _record(day: str, scores: dict[str, tuple[float, float]]) -> dict:
    langs = {lang: {"macro_f1": macro, "micro_f1": micro, "documents": 2, "units": 10 * (i + 1)}
             for i, (lang, (macro, micro)) in enumerate(scores.items())}
    return {"date": day, "results": {"default": {"model": "models/default", "languages": langs}}}


def test_one_record_gives_a_column_per_model_and_a_row_per_language():
    new = _record("2026-12-07", {"de": (53.04, 68.2), "all": (77.0, 80.24)})
    table = _module().markdown_table([new]).splitlines()
    assert table[0] == "| language | documents | units | default macro / micro |"
    assert table[2:] == ["| de | 2 | 10 | 53.0 / 68.2 |", "| all | 2 | 20 | 77.0 / 80.2 |"]


def test_older_records_become_dated_columns_and_a_missing_language_is_marked(tmp_path):
    new = _record("2026-12-07", {"de": (53.0, 68.2), "ja": (87.0, 84.2)})
    old = _record("2026-12-06", {"de": (45.8, 60.0)})
    files = []
    for name, record in (("new.json", new), ("old.json", old)):
        files.append(tmp_path / name)
        files[-1].write_text(json.dumps(record), encoding="utf-8")
    out = subprocess.run([sys.executable, str(SCRIPT), "--show", *map(str, files)], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out[0] == ("| language | documents | units | default (2026-12-07) macro / micro "
                      "| default (2026-12-06) macro / micro |")
    assert out[2:] == ["| de | 2 | 10 | 53.0 / 68.2 | 45.8 / 60.0 |", "| ja | 2 | 20 | 87.0 / 84.2 | – |"]


def test_no_models_and_nothing_to_show_is_a_usage_error():
    r = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True)
    assert r.returncode == 2 and "NAME=MODEL_DIR" in r.stderr


def test_checklist_table_counts_exact_sentences_per_language_and_over_all():
    by_language = {"de": {"units": 54, "exact": 42, "macro_f1": 88.1}, "ja": {"units": 54, "exact": 45, "macro_f1": 90.0}}
    record = {"created": "2026-12-07", "models": {"default": {"exact": 87, "units": 108, "by_language": by_language}}}
    table = _module(ROOT / "benchmarks" / "clause_checklist.py").markdown_table([record]).splitlines()
    assert table[0] == "| language | `default` |"
    assert table[2:] == ["| de | 42/54 (88.1) |", "| ja | 45/54 (90.0) |", "| all | 87/108 (81%) |"]


def test_card_section_replaces_the_old_one_and_keeps_what_follows(tmp_path):
    m = _module()
    record = _record("2026-12-07", {"de": (61.0, 77.6), "ja": (92.9, 92.6), "all": (79.6, 83.5)})
    previous = _record("2026-12-06", {"de": (53.0, 70.0), "all": (77.0, 80.2)})
    record["results"]["previous"] = previous["results"]["default"]
    record |= {"command": "python benchmarks/policies_by_language.py default=models/default",
               "gold": "data/policies/test", "machine": "x86_64, Linux"}
    checklist = {"created": "2026-12-07", "models": {"default": {"exact": 559, "units": 648},
                                                     "previous": {"exact": 513, "units": 648}}}
    card = tmp_path / "README.md"
    card.write_text(f"# model\n\n{m.CARD_HEADING}\n\nold table\n\n## Later section\nkept\n", encoding="utf-8")
    m.write_card_section(card, m.card_section(record, "default", "previous", checklist, note="Previous: last week's."))
    text = card.read_text(encoding="utf-8")
    assert "old table" not in text and text.count(m.CARD_HEADING) == 1 and text.endswith("## Later section\nkept\n")
    assert "| de | 2 | 10 | 61.0 | 77.6 | 53.0 |" in text and "| ja | 2 | 20 | 92.9 | 92.6 | – |" in text
    assert "At least 80 macro-F1: ja; below: de (61.0)." in text
    assert "559 of 648 sentences exact (previous: 513)." in text and "is this model. Previous: last week's." in text


def test_card_section_appended_once_and_unknown_model_refused(tmp_path):
    m = _module()
    record = _record("2026-12-07", {"de": (61.0, 77.6)}) | {"command": "c", "gold": "g", "machine": "m"}
    card = tmp_path / "README.md"
    card.write_text("# model\n", encoding="utf-8")
    for _ in range(2):
        m.write_card_section(card, m.card_section(record, "default"))
    assert card.read_text(encoding="utf-8").count(m.CARD_HEADING) == 1
    try:
        m.card_section(record, "fast")
    except ValueError as e:
        assert "'fast'" in str(e)
    else:
        raise AssertionError("an unknown model must be refused")


def test_card_with_a_missing_results_file_is_a_usage_error_naming_it(tmp_path):
    card = tmp_path / "README.md"
    card.write_text("# model\n", encoding="utf-8")
    r = subprocess.run([sys.executable, str(SCRIPT), "--show", str(tmp_path / "none.json"), "--card", str(card),
                        "--model", "default"], capture_output=True, text=True)
    assert r.returncode == 2 and "none.json: cannot be read" in r.stderr and "Traceback" not in r.stderr
    assert card.read_text(encoding="utf-8") == "# model\n"


def test_show_with_an_unreadable_results_file_is_a_usage_error_naming_it(tmp_path):
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(_record("2026-12-01", {"de": (60.0, 70.0)})), encoding="utf-8")
    bad.write_text("{not json", encoding="utf-8")
    r = subprocess.run([sys.executable, str(SCRIPT), "--show", str(good), str(bad)], capture_output=True, text=True)
    assert r.returncode == 2 and "bad.json: cannot be read" in r.stderr and "Traceback" not in r.stderr
    ok = subprocess.run([sys.executable, str(SCRIPT), "--show", str(good)], capture_output=True, text=True)
    assert ok.returncode == 0 and "| de |" in ok.stdout
