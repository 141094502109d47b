"""The README is a quick start and the docs hold the rest: every command, option, script and link they
name exists, and the README stays short with its essentials on the first screen."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from clausetag.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
# the task pages; docs/training-notes.md is a log of past runs and keeps the commands as they were run
PAGES = [README, *sorted(p for p in (ROOT / "docs").glob("*.md") if p.name != "training-notes.md")]
MAX_README_WORDS = 1500
FIRST_SCREEN_LINES = 60


def shell_lines(text: str) -> list[str]:
    """The command lines a page shows: lines of its code blocks and its inline code spans, with
    backslash continuations joined and comments dropped."""
    lines, block = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            block = not block
            continue
        if block:
            lines.append(line)
        else:
            lines.extend(re.findall(r"`([^`]+)`", line))
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    return [re.sub(r"\s#\s.*$", "", l).strip() for l in joined.splitlines()]


#: `clausetag SUBCOMMAND …` (not `from clausetag import …`), and `python SCRIPT.py …` of this repository
CLAUSETAG = re.compile(r"(?:^|[\s;&|(])(?<!from )(?<!import )clausetag ([a-z]+)\b([^|;&]*)")
SCRIPT = re.compile(r"python3? ((?:benchmarks|train)/[\w/]+\.py)([^|;&]*)")
ANY_OPTION, LONG_OPTION = re.compile(r"(?<![\w-])(--?[a-zA-Z][\w-]*)"), re.compile(r"(?<![\w-])(--[a-zA-Z][\w-]*)")


def uses(text: str, command: re.Pattern, option: re.Pattern) -> list[tuple[str, list[str]]]:
    """(what is run, its options) for every command line of a page that `command` matches."""
    return [(m.group(1), option.findall(m.group(2))) for line in shell_lines(text) for m in command.finditer(line)]


def clausetag_uses(text: str) -> list[tuple[str, list[str]]]:
    return uses(text, CLAUSETAG, ANY_OPTION)


def script_uses(text: str) -> list[tuple[str, list[str]]]:
    return uses(text, SCRIPT, LONG_OPTION)


def cli_options() -> dict[str, set[str]]:
    """Subcommand -> every option its --help lists."""
    group = get_command(app)
    return {name: {opt for p in cmd.params for opt in (*p.opts, *p.secondary_opts)} | {"--help"}
            for name, cmd in group.commands.items()}


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found, block = set(), False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            block = not block
        elif not block and (m := re.match(r"#{1,6} (.+)", line)):
            found.add(slug(m.group(1)))
    return found


def test_readme_is_a_quick_start():
    text = README.read_text(encoding="utf-8")
    assert len(text.split()) <= MAX_README_WORDS, len(text.split())
    first = "\n".join(text.splitlines()[:FIRST_SCREEN_LINES])
    for must in ("pip install", "clausetag label", "python -m pytest", "## Results"):
        assert must in first, f"{must!r} is not on the README's first screen"
    assert re.search(r"^\| .*macro", text, re.M), "the README has no results table"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_clausetag_command_and_option_exists(page):
    options = cli_options()
    uses = clausetag_uses(page.read_text(encoding="utf-8"))
    for sub, opts in uses:
        assert sub in options, f"{page.name}: clausetag {sub} is no command"
        assert not set(opts) - options[sub], f"{page.name}: clausetag {sub} has no {set(opts) - options[sub]}"


def test_every_command_the_readme_names_has_help():
    runner = CliRunner()
    subs = {sub for sub, _ in clausetag_uses(README.read_text(encoding="utf-8"))}
    assert {"label", "train", "evaluate", "report", "diff", "info"} <= subs
    for sub in sorted(subs):
        result = runner.invoke(app, [sub, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output, (sub, result.output)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_script_and_its_options_exist(page):
    for script, opts in script_uses(page.read_text(encoding="utf-8")):
        path = ROOT / script
        assert path.is_file(), f"{page.name}: {script} does not exist"
        source = path.read_text(encoding="utf-8")
        missing = [o for o in opts if f'"{o}"' not in source]
        assert not missing, f"{page.name}: {script} has no option {missing}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_link_points_to_something(page):
    text = page.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+://|mailto:", target):
            continue
        file, _, anchor = target.partition("#")
        dest = (page.parent / file).resolve() if file else page
        assert dest.exists(), f"{page.name}: link to {target}, which does not exist"
        if anchor and dest.suffix == ".md":
            assert anchor in anchors(dest), f"{page.name}: link to {target}, which has no such heading"


def test_the_checks_catch_what_they_should():
    assert clausetag_uses("run `clausetag label a.txt -o x.jsonl --resume` now") == [("label", ["-o", "--resume"])]
    assert clausetag_uses("```bash\nclausetag train C.toml \\\n    --set a=b   # note --nothing\n```") == [
        ("train", ["--set"])]
    assert clausetag_uses("from clausetag import Labeler") == []
    assert script_uses("`python benchmarks/throughput.py --model models/fast`") == [
        ("benchmarks/throughput.py", ["--model"])]
    assert "--no-such-option" not in cli_options()["label"] and "--resume" in cli_options()["label"]
    assert slug("Training quality (harmonized labels)") == "training-quality-harmonized-labels"
    assert slug("Start-up") == "start-up"
