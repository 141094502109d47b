"""Open a report in headless Chromium: the DOM after its scripts ran, console messages, a screenshot.

Chromium logs every console message (and every uncaught exception) on stderr as `INFO:CONSOLE`; the
reports log nothing, so any such line is a failure. `probe` is JavaScript appended to a copy of the
page: it can click and type, then leave results in the DOM for the test to read.
"""

from __future__ import annotations

import importlib.util
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


CHROMEDRIVER = shutil.which("chromedriver") or (
    "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").is_file() else None)


def _selenium_missing() -> str | None:
    if CHROMIUM is None:
        return "chromium is not installed (apt-get install chromium) - browser checks skipped"
    if CHROMEDRIVER is None:
        return "chromedriver is not installed (apt-get install chromium-driver) - browser checks skipped"
    if importlib.util.find_spec("selenium") is None:
        return "selenium is not installed (pip install -e '.[test]') - browser checks skipped"
    return None


requires_selenium = pytest.mark.skipif(_selenium_missing() is not None, reason=_selenium_missing() or "")


def selenium_driver(profile: Path, downloads: Path):
    """Headless Chromium driven by Selenium through Debian's chromedriver (Selenium Manager downloads
    nothing: both binaries are given), with a fresh profile and downloads saved to `downloads`."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1400,1000", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    return driver
