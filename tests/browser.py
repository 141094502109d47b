"""Open a report in headless Chromium: the DOM after its scripts ran, console messages, a screenshot.

Chromium logs every console message (and every uncaught exception) on stderr as `INFO:CONSOLE`; the
reports log nothing, so any such line is a failure. `probe` is JavaScript appended to a copy of the
page: it can click and type, then leave results in the DOM for the test to read.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-quic", "--hide-scrollbars",
         "--virtual-time-budget=10000"]

requires_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install chromium) - browser checks skipped")


@dataclass
class Rendered:
    dom: str
    console: list[str]  # console messages and uncaught exceptions, as Chromium logged them


def _chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True,
                          timeout=180)


def render(page: Path, probe: str | None = None, screenshot: str | None = None) -> Rendered:
    """Load `page` (a copy with `probe` appended) in a fresh profile; optionally save a 1280×2000 screenshot
    as test-artifacts/SCREENSHOT."""
    with tempfile.TemporaryDirectory(prefix="clausetag-chromium-") as tmp:
        tmp = Path(tmp)
        target = page
        if probe:
            target = page.with_name(page.stem + ".probe.html")
            target.write_text(page.read_text(encoding="utf-8").replace("</body>", f"<script>{probe}</script></body>"),
                              encoding="utf-8")
        r = _chromium(["--enable-logging=stderr", "--v=0", "--dump-dom", target.resolve().as_uri()], tmp / "dom")
        console = [l for l in r.stderr.splitlines() if re.search(r":CONSOLE[:(]", l) or "Uncaught" in l]
        assert r.returncode == 0 and "<html" in r.stdout, f"chromium failed: {r.stderr[-2000:]}"
        if screenshot:
            ARTIFACTS.mkdir(exist_ok=True)
            shot = ARTIFACTS / screenshot
            shot.unlink(missing_ok=True)
            s = _chromium([f"--screenshot={shot}", "--window-size=1280,2000", page.resolve().as_uri()], tmp / "shot")
            assert shot.is_file() and shot.stat().st_size > 10_000, f"no screenshot: {s.stderr[-2000:]}"
        return Rendered(r.stdout, console)
