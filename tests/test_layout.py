"""The code's layout shows the data flow: reports in their own package, and no module that imports,
directly or through others, a module that imports it (function-level imports included)."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# installed package name -> folder in the repository (pyproject's package-dir)
PACKAGES = {"clausetag": ROOT / "clausetag", "clausetag.train": ROOT / "train", "clausetag.infer": ROOT / "infer"}


def modules() -> dict[str, Path]:
    found = {}
    for package, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            parts = [p for p in path.relative_to(folder).with_suffix("").parts if p != "__init__"]
            found[".".join([package, *parts])] = path
    return found


def import_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports anywhere in its code. Imports of a module's own parent
    packages are left out: Python imports those before the module in any case."""
    mods = modules()
    graph = {}
    for name, path in mods.items():
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            deps |= {t for t in targets if t in mods and t != name and not name.startswith(t + ".")}
        graph[name] = deps
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The modules of an import circle, if there is one (the standard library's topological sorter finds it)."""
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as e:
        return [sorted(set(e.args[1]))]
    return []


def test_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles():
    graph = import_graph()
    assert "clausetag.reports.coverage_html" in graph and "clausetag.modeldir" in graph
    assert cycles(graph) == []


def test_reports_live_in_their_own_package():
    reports = {p.stem for p in (ROOT / "clausetag" / "reports").glob("*.py")}
    assert {"evaluation", "evaluation_html", "coverage", "coverage_html", "diff", "diff_html",
            "html_common"} <= reports
    core = {p.stem for p in (ROOT / "clausetag").glob("*.py")}
    assert not core & {"evaluation", "evaluation_run", "evaluation_html", "coverage", "coverage_html",
                       "policy_diff", "policy_diff_html", "html_common"}
