"""Progress of a labeling batch: tqdm's bar on a terminal, plain lines in a log (stderr not a terminal)."""

from __future__ import annotations

import sys
import threading
import time


class LogProgress:
    """One line per finished document, at most one every `every` seconds (the last always), and a line
    every `every` seconds while one long document is being labeled, so a batch job's log shows it is alive:
    `clausetag: progress: 3/10 documents, 512 units, 0.4 documents/s`. Same interface as the tqdm bar
    `run_batch` uses (update, set_postfix, close)."""

    def __init__(self, total: int, every: float = 10.0, stream=None):
        self.total, self.every, self.stream = total, every, stream or sys.stderr
        self.n, self.units, self.failed = 0, 0, 0
        self.start = self.last = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._beat = threading.Thread(target=self._heartbeat, daemon=True)
        self._beat.start()

    def _line(self, now: float) -> None:
        rate = self.n / max(now - self.start, 1e-9)
        failed = f", {self.failed} failed" if self.failed else ""
        print(f"clausetag: progress: {self.n}/{self.total} documents, {self.units} units{failed}, "
              f"{rate:.2f} documents/s, {now - self.start:.0f} s", file=self.stream, flush=True)
        self.last = now

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.every / 2):
            with self._lock:
                now = time.monotonic()
                if now - self.last >= self.every:
                    self._line(now)

    def update(self, n: int = 1) -> None:
        with self._lock:
            self.n += n
            now = time.monotonic()
            if now - self.last >= self.every or self.n == self.total:
                self._line(now)

    def set_postfix(self, units: int = 0, failed: int = 0) -> None:
        self.units, self.failed = units, failed

    def close(self) -> None:
        self._stop.set()


class NoProgress:
    """--quiet: nothing."""

    def update(self, n: int = 1) -> None: ...
    def set_postfix(self, **kwargs) -> None: ...
    def close(self) -> None: ...


def progress(total: int, quiet: bool, every: float = 10.0):
    """The progress display for a batch of `total` documents."""
    if quiet:
        return NoProgress()
    if sys.stderr.isatty():
        from tqdm import tqdm

        return tqdm(total=total, unit="doc", file=sys.stderr, dynamic_ncols=True)
    return LogProgress(total, every)
