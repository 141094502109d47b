"""The diff page of `clausetag diff`: counts, categories and checklist items in each version, and every
added, removed and reworded unit with its labels (filterable)."""

from __future__ import annotations

from difflib import SequenceMatcher

from clausetag.reports.coverage import Checklist, load_checklist
from clausetag.reports.coverage_html import STYLE as COVERAGE_STYLE, SYMBOLS
from clausetag.reports.html_common import Cell, esc, filters, meta_list, number_cell, page, table
from clausetag.reports.diff import ADDED, REMOVED, REWORDED, BatchDiff, PolicyDiff, UnitChange
from clausetag.wording import counted

STYLE = """<style>
del{background:#fee2e2;color:#991b1b}ins{background:#dcfce7;color:#166534;text-decoration:none}
td.k-added{color:#166534}td.k-removed{color:#991b1b}td.k-reworded{color:#92400e}
td.c-now-disclosed,td.c-more{background:#dcfce7}td.c-no-longer-disclosed{background:#fee2e2;color:#991b1b;font-weight:bold}
td.c-fewer{background:#fef3c7}.gained{color:#166534}.lost{color:#991b1b;text-decoration:line-through}
.section{color:#666;font-size:.85em}
</style>"""


def inline_diff(old: str, new: str) -> tuple[str, str]:
    """Both texts as HTML with what one has and the other has not marked (<del> in the old, <ins> in the
    new), character by character, so that Chinese text is compared as finely as English."""
    a, b = [], []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            a.append(esc(old[i1:i2]))
            b.append(esc(new[j1:j2]))
            continue
        if i2 > i1:
            a.append(f"<del>{esc(old[i1:i2])}</del>")
        if j2 > j1:
            b.append(f"<ins>{esc(new[j1:j2])}</ins>")
    return "".join(a), "".join(b)


def _text(change: UnitChange) -> tuple[str, str]:
    if change.kind == REWORDED:
        return inline_diff(change.old.unit.text, change.new.unit.text)
    return (esc(change.old.unit.text) if change.old else "", esc(change.new.unit.text) if change.new else "")


def _labels(change: UnitChange) -> str:
    kept = [l for l in (change.new.labels if change.new else []) if l not in change.gained]
    return " ".join([*(f"<span class='gained'>+{esc(l)}</span>" for l in change.gained),
                     *(f"<span class='lost'>{esc(l)}</span>" for l in change.lost), *(esc(l) for l in kept)])


def _changes_table(diff: PolicyDiff, i: int) -> str:
    rows, attrs = [], []
    for c in diff.changes:
        old, new = _text(c)
        unit = (c.new or c.old).unit
        section = f"<span class='section'>{esc(unit.section)}</span>" if unit.section else ""
        rows.append([Cell(esc(c.kind), cls=f"k-{c.kind}"), Cell(section), Cell(old, cls="text"), Cell(new, cls="text"),
                     Cell(_labels(c))])
        attrs.append({"kind": c.kind})
    if not rows:
        return "<p class='muted'>No unit changed.</p>"
    kinds = [k for k in (ADDED, REMOVED, REWORDED) if diff.count(k)]
    return (filters(f"changes-{i}", {"kind": ("change", kinds)})
            + "<div class='scroll'>" + table(["change", "section", "old version", "new version", "labels"], rows,
                                             f"changes-{i}", row_attrs=attrs) + "</div>")


def _status(checklist: Checklist, status: str) -> Cell:
    return Cell(f"{SYMBOLS[status]} {esc(checklist.statuses[status])}", cls=f"st-{status}")


def _pair_section(diff: PolicyDiff, i: int, checklist: Checklist) -> str:
    counts = {"unchanged units": diff.unchanged, "added": diff.count(ADDED), "removed": diff.count(REMOVED),
              "reworded": diff.count(REWORDED)}
    summary = meta_list({"old version": f"{diff.old.path or diff.old.doc} ({diff.old.units} units)",
                         "new version": f"{diff.new.path or diff.new.doc} ({diff.new.units} units)", **counts})
    cats = table(["category", "units (old)", "units (new)", "change"],
                 [[c.category, number_cell(c.old), number_cell(c.new),
                   Cell(esc(c.status), cls=f"c-{c.status.replace(' ', '-')}")] for c in diff.categories],
                 f"categories-{i}")
    changed = [it for it in diff.items if it.changed]
    titles = {f.id: f.title for f in checklist.frameworks}
    items = (table(["framework", "article", "requirement", "old", "new"],
                   [[titles.get(it.item.framework, it.item.framework), it.item.article, it.item.requirement,
                     _status(checklist, it.old), _status(checklist, it.new)] for it in changed], f"checklist-{i}")
             if changed else "<p class='muted'>No checklist item changed its status.</p>")
    return (f"<section id='{_anchor(i)}'><h2>{esc(diff.name)}</h2>{summary}"
            f"<h3>Categories</h3>{cats}<h3>Checklist items whose status changed</h3>{items}"
            f"<h3>Changed units</h3>{_changes_table(diff, i)}</section>")


def _anchor(i: int) -> str:
    return f"pair-{i}"


def _batch_section(batch: BatchDiff) -> str:
    rows = []
    for i, d in enumerate(batch.diffs):
        now = [c.category for c in d.categories if c.status == "now disclosed"]
        gone = [c.category for c in d.categories if c.status == "no longer disclosed"]
        rows.append([Cell(f"<a href='#{_anchor(i)}'>{esc(d.name)}</a>", sort=d.name.lower()),
                     number_cell(d.unchanged), number_cell(d.count(ADDED)), number_cell(d.count(REMOVED)),
                     number_cell(d.count(REWORDED)), ", ".join(now), Cell(esc(", ".join(gone)), cls="neg" if gone else ""),
                     number_cell(sum(it.changed and it.worse for it in d.items))])
    parts = [] if batch.complete else [
        f"<p class='note'>{counted(batch.compared, 'policy', 'policies')} compared: the {len(batch.diffs)} that "
        "changed most are shown below, in batch order; the pairs left out and their changes are in the .json that "
        "<code>clausetag diff OLD NEW -o FILE.json</code> writes.</p>"]
    parts += [table(["policy", "unchanged", "added", "removed", "reworded", "now disclosed", "no longer disclosed",
                    "checklist items worse"], rows, "pairs")]
    for title, policies in (("Only in the old versions", batch.only_old), ("Only in the new versions", batch.only_new)):
        if policies:
            parts.append(f"<h3>{title}</h3><ul>" + "".join(f"<li>{esc(p.path or p.doc)}</li>" for p in policies) + "</ul>")
    if batch.failed:
        parts.append("<h3>Could not be compared</h3><ul>"
                     + "".join(f"<li>{esc('; '.join(p.errors) or p.doc)}</li>" for p in batch.failed) + "</ul>")
    return f"<section><h2>Policies</h2>{''.join(parts)}</section>"


def render_diff(batch: BatchDiff) -> str:
    checklist = load_checklist()
    single = len(batch.diffs) == 1 and batch.complete and not (batch.only_old or batch.only_new or batch.failed)
    body = (f"{COVERAGE_STYLE}{STYLE}" + ("" if single else _batch_section(batch))
            + "".join(_pair_section(d, i, checklist) for i, d in enumerate(batch.diffs))
            + f"<p class='muted'>{esc(checklist.disclaimer)}</p>")
    title = (f"clausetag diff: {batch.diffs[0].name}" if single
             else f"clausetag diff: {counted(batch.compared or len(batch.diffs), 'policy', 'policies')} compared")
    return page(title, f"<h1>{esc(title)}</h1>", body)
