"""`clausetag report` and `clausetag diff` on large batches: a policy (a pair) at a time, whatever the
batch's size. The batches are synthetic partition folders (benchmarks/report_memory.py's writer) of
policies cut from a small labeled batch; a probe counts the predictions alive in the process while the
report or the diff runs, which holding every policy's units would make grow with the batch."""

from __future__ import annotations

import gc
import importlib.util
import json
from pathlib import Path

import pytest

pytest.importorskip("pyarrow", reason="pyarrow is not installed: pip install -e '.[ray]'")

from clausetag.records import Prediction  # noqa: E402
from test_report import ALPHA, BETA, unit, summary  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
UNITS = 4  # per synthetic policy
spec = importlib.util.spec_from_file_location("report_memory", ROOT / "benchmarks" / "report_memory.py")
report_memory = importlib.util.module_from_spec(spec)
spec.loader.exec_module(report_memory)


def live_predictions() -> int:
    return sum(isinstance(o, Prediction) for o in gc.get_objects())


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    """Two labeled policies (a Chinese and an English one) to cut synthetic policies from."""
    from clausetag.reports.coverage import read_labels

    path = tmp_path_factory.mktemp("sources") / "labels.jsonl"
    recs = [unit("alpha.txt", i, "zh", *u) for i, u in enumerate(ALPHA)] + [summary("alpha.txt", "zh", len(ALPHA))]
    recs += [unit("beta.txt", i, "en", *u) for i, u in enumerate(BETA)] + [summary("beta.txt", "en", len(BETA))]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    batch = read_labels(path)
    return batch.policies, batch.labels


@pytest.fixture(scope="module")
def batches(sources, tmp_path_factory):
    """2,000 policies in 125 Parquet partitions, and the same in another order with every tenth changed."""
    folder = tmp_path_factory.mktemp("batches")
    report_memory.write_batch(folder / "old", *sources, 2000, UNITS)
    report_memory.write_batch(folder / "new", *sources, 2000, UNITS, changed_every=10, shuffle=1)
    return folder / "old", folder / "new"


def probe(monkeypatch, module, name: str, every: int = 250) -> list[int]:
    """Wrap `module.name` (called once per policy or pair) to count the live predictions every `every` calls."""
    counts, calls, inner = [], [0], getattr(module, name)

    def counting(*args, **kwargs):
        calls[0] += 1
        if calls[0] % every == 0:
            counts.append(live_predictions())
        return inner(*args, **kwargs)

    monkeypatch.setattr(module, name, counting)
    return counts


@pytest.mark.slow
def test_a_report_holds_one_policy_at_a_time(batches, monkeypatch, tmp_path):
    from clausetag.reports import coverage_run
    from clausetag.reports.coverage import read_labels

    old, _ = batches
    before = live_predictions()  # the source policies'
    counts = probe(monkeypatch, coverage_run, "policy_coverage")
    cov = coverage_run.write_report(old, tmp_path, page_policies=5)
    assert len(counts) == 8
    # the policy being read and the one before it (4 units each), and the evidence of the 5 policies the page
    # keeps (4 units each at most); 8,000 if the batch were held
    assert max(counts) - before <= 2 * UNITS + 5 * UNITS, (before, counts)
    held = read_labels(old)  # the probe sees predictions: every policy's, when the batch is read whole
    assert live_predictions() >= 2000 * UNITS
    del held
    assert (cov.tally.policies, cov.tally.labeled, cov.tally.units) == (2000, 2000, 2000 * UNITS)
    rows = (tmp_path / "coverage.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(rows) == 2001 and sum(r.startswith("p000000.txt,/crawl/p000000.txt,4,") for r in rows) == 1
    lines = (tmp_path / "coverage.json").read_text(encoding="utf-8").splitlines()
    document = json.loads("\n".join(lines))
    assert len(document["policies"]) == 2000 and document["batch"]["policies"] == 2000
    assert lines[-2003].endswith('"policies": [') and lines[-2:] == ["  ]", "}"]  # a policy a line
    assert [json.loads(l.rstrip(","))["doc"] for l in lines[-2002:-2]] == [p["doc"] for p in document["policies"]]
    # the page: the batch's figures, and the 5 policies where the most checklist items seem missing
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert page.count("<details class='policy'") == 5 and "This batch has 2000 policies" in page
    assert "href='coverage.csv'" in page and "data:text/csv" not in page
    gaps = [(p["units"] == 0, sum(c["status"] == "missing" for c in p["checklist"]), len(p["absent"]))
            for p in document["policies"]]
    worst = sorted(sorted(range(2000), key=lambda i: gaps[i], reverse=True)[:5])
    assert [pc.policy.doc for pc in cov.policies] == [document["policies"][i]["doc"] for i in worst]


@pytest.mark.slow
def test_a_diff_holds_one_pair_at_a_time(batches, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from clausetag.cli import app
    from clausetag.reports import diff

    old, new = batches
    before = live_predictions()
    counts = probe(monkeypatch, diff, "diff_policies")
    out = tmp_path / "diff.json"
    r = CliRunner().invoke(app, ["diff", str(old), str(new), "-o", str(out)])
    assert r.exit_code == 0, r.stderr
    # the two versions of the pair being compared and of the one before it: 16,000 if both batches were held
    assert len(counts) == 8 and max(counts) - before <= 4 * UNITS, (before, counts)
    pairs = [l for l in r.stdout.splitlines() if not l.startswith(" ")][:-1]
    assert len(pairs) == 2000 and r.stdout.splitlines()[-1] == f"diff: {out}"
    assert "p000000.txt: 2 units unchanged, 1 added, 1 removed, 1 reworded" in pairs
    assert "p000001.txt: 4 units unchanged, 0 added, 0 removed, 0 reworded" in pairs
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert len(saved["policies"]) == 2000 and not saved["only_old"] and not saved["only_new"]
    changed = {p["old"]["doc"] for p in saved["policies"] if p["counts"]["unchanged"] < UNITS}
    assert changed == {f"p{i:06d}.txt" for i in range(0, 2000, 10)}


@pytest.mark.slow
def test_the_page_of_a_large_diff_shows_the_pairs_that_changed_most(batches, tmp_path):
    from clausetag.reports.diff import StreamedVersions, compare
    from clausetag.reports.diff_run import DiffWriter, change_size

    old, new = batches
    result = compare(StreamedVersions(old), StreamedVersions(new))
    writer = DiffWriter(tmp_path / "diff.html", len(result.pairs), page_pairs=3)
    sizes = []
    for d in result.diffs():
        writer.add(d)
        sizes.append((change_size(d), d.name))
    writer.write(result.only_old(), result.only_new(), result.failed)
    page = (tmp_path / "diff.html").read_text(encoding="utf-8")
    shown = sorted(sizes, key=lambda s: s[0], reverse=True)[:3]
    assert "2000 policies compared: the 3 that changed most" in page and page.count("<section id='pair-") == 3
    for _, name in shown:
        assert f"<h2>{name}</h2>" in page


def test_a_policy_whose_records_lie_apart_is_read_as_one(tmp_path):
    """A JSONL of units from several documents in turn (a pre-segmented input): each document's units, from
    each place, in order; the file's own summary (no units, no error) is not a policy."""
    from clausetag.reports.label_output import LabelOutput

    recs = [unit("x", 0, "en", *BETA[0]), unit("y", 0, "en", *BETA[1]), unit("x", 1, "en", *BETA[2]),
            unit("y", 1, "en", *BETA[3]), summary("units.jsonl", "en", 4), unit("x", 2, "en", *BETA[4])]
    path = tmp_path / "labels.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in recs) + "\n\n", encoding="utf-8")
    out = LabelOutput(path)
    assert out.docs == ["x", "y"]
    x, y = out.policy("x"), out.policy("y")
    assert [p.unit.text for p in x.predictions] == [BETA[0][0], BETA[2][0], BETA[4][0]]
    assert [p.unit.id for p in y.predictions] == ["y#0", "y#1"] and y.languages == ["en"]
    assert [p.doc for p in out.policies()] == ["x", "y"] and out.to_jsonl(tmp_path / "copy.jsonl").docs == ["x", "y"]


def test_a_streamed_coverage_json_is_the_in_memory_one(tmp_path, sources):
    """Up to `page_policies` policies, what `report` writes a policy at a time is byte for byte what the
    whole batch dumped at once is (save the time it was made)."""
    from clausetag.reports.coverage import compute_coverage, read_labels, to_json
    from clausetag.reports.coverage_run import write_report

    report_memory.write_batch(tmp_path / "batch", *sources, 40, UNITS)
    write_report(tmp_path / "batch", tmp_path / "out")
    written = (tmp_path / "out" / "coverage.json").read_text(encoding="utf-8")
    whole = to_json(compute_coverage(read_labels(tmp_path / "batch")))
    whole["created"] = json.loads(written)["created"]
    assert written == json.dumps(whole, ensure_ascii=False, indent=2) + "\n"
