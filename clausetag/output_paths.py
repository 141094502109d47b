"""Checks on where a command will write, made before any work starts: one line naming the path and the
problem, or None. `label` writes a file, `evaluate` and `report` a folder of files (a model directory's own check,
`modeldir.model_output_problem`, builds on `parent_problem`)."""

from __future__ import annotations

import os
from pathlib import Path


def parent_problem(path: Path) -> str | None:
    """Whether the nearest existing folder above `path` can take new entries."""
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        return f"{path}: {parent} is not a directory"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"{path}: cannot write in {parent} (permission denied)"
    return None


def file_output_problem(path: Path) -> str | None:
    """An output file: not a directory, in a folder that can be written."""
    if path.is_dir():
        return f"{path}: is a directory; give a file name, e.g. {path / 'labels.jsonl'}"
    return parent_problem(path)


def input_overwrite_problem(output: Path, inputs) -> str | None:
    """An output file that is one of the input files named on the command line (folders, web addresses
    and standard input aside): writing it would destroy that input."""
    from clausetag.infer.extract import STDIN, is_url

    target = output.resolve()
    for raw in inputs:
        if str(raw) != STDIN and not is_url(str(raw)) and Path(raw).is_file() and Path(raw).resolve() == target:
            return f"{output}: is one of the inputs ({raw}); writing the output there would overwrite it"
    return None


def folder_output_problem(path: Path) -> str | None:
    """An output folder (files are written into it, nothing else is touched)."""
    if path.exists():
        if not path.is_dir():
            return f"{path}: is a file; give a folder for the report"
        return None if os.access(path, os.W_OK | os.X_OK) else f"{path}: cannot write in it (permission denied)"
    return parent_problem(path)
