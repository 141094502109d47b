"""`clausetag diff -o FILE` on batches of any size: each pair's diff is added as it is made (`add`) and
then let go: the .json spools it to a temporary file (one pair a line beyond `[diff] page_pairs`
pairs), the .html keeps the pair without its units, and of a diff of more pairs than that only those that
changed most (docs/cluster.md)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from clausetag.infer.output import atomic_write_text
from clausetag.reports.diff import BatchDiff, PolicyDiff, diff_json, json_document
from clausetag.reports.json_spool import JsonListSpool
from clausetag.reports.label_output import Policy
from clausetag.reports.selection import Worst
from clausetag.settings import defaults


def change_size(d: PolicyDiff) -> tuple[int, int]:
    """How much a pair changed: checklist items and categories whose status changed, then units changed."""
    return (sum(i.changed for i in d.items) + sum(c.status != "same" for c in d.categories), len(d.changes))


class DiffWriter:
    """Writes a diff to `path` (.json or .html) from pairs given one at a time; `pairs`: how many will come."""

    def __init__(self, path: Path, pairs: int, page_pairs: int | None = None):
        self.path, self.pairs = path, pairs
        limit = defaults()["diff"]["page_pairs"] if page_pairs is None else page_pairs
        self.whole = pairs <= limit  # a page of up to `limit` pairs shows every one, changed or not
        self.spool = JsonListSpool(one_line=not self.whole) if path.suffix.lower() == ".json" else None
        self.shown = Worst(limit)

    def add(self, d: PolicyDiff) -> None:
        if self.spool is not None:
            self.spool.add(diff_json(d))
        elif self.whole or any(change_size(d)):
            self.shown.offer(change_size(d), replace(d, old=d.old.outline(), new=d.new.outline()))

    def write(self, only_old: list[Policy], only_new: list[Policy], failed: list[Policy]) -> None:
        """Put the file in place (atomically), with the policies only one side has and those that failed."""
        if self.spool is not None:
            with self.spool:
                self.spool.write(self.path, json_document(only_old, only_new, failed), "policies")
            return
        from clausetag.reports.diff_html import render_diff

        batch = BatchDiff(self.shown.in_order(), only_old, only_new, failed, compared=self.pairs)
        atomic_write_text(self.path, render_diff(batch))
