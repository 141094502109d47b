"""The diff page of `clausetag diff`: counts, categories and checklist items in each version, and every
added, removed and reworded unit with its labels (filterable)."""

from __future__ import annotations

from difflib import SequenceMatcher

from clausetag.coverage import load_checklist
from clausetag.coverage_html import STYLE as COVERAGE_STYLE, SYMBOLS
from clausetag.html_common import Cell, esc, filters, meta_list, number_cell, page, table
from clausetag.policy_diff import ADDED, REMOVED, REWORDED, PolicyDiff, UnitChange

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


def _changes_table(diff: PolicyDiff) -> str:
    rows, attrs = [], []
    for c in diff.changes:
        old, new = _text(c)
        unit = (c.new or c.old).unit
        section = f"<span class='section'>{esc(unit.section)}</span>" if unit.section else ""
        rows.append([Cell(esc(c.kind), cls=f"k-{c.kind}"), Cell(section), Cell(old, cls="text"), Cell(new, cls="text"),
                     Cell(_labels(c))])
        attrs.append({"kind": c.kind, "label": " ".join(sorted({*c.gained, *c.lost}))})
    kinds = [k for k in (ADDED, REMOVED, REWORDED) if diff.count(k)]
    return (filters("changes", {"kind": ("change", kinds)})
            + "<div class='scroll'>" + table(["change", "section", "old version", "new version", "labels"], rows,
                                             "changes", row_attrs=attrs) + "</div>")


def render_diff(diff: PolicyDiff) -> str:
    checklist = load_checklist()
    counts = {"unchanged units": diff.unchanged, "added": diff.count(ADDED), "removed": diff.count(REMOVED),
              "reworded": diff.count(REWORDED)}
    summary = meta_list({"old version": f"{diff.old.doc} ({len(diff.old.predictions)} units)",
                         "new version": f"{diff.new.doc} ({len(diff.new.predictions)} units)", **counts})
    cats = table(["category", "units (old)", "units (new)", "change"],
                 [[c.category, number_cell(c.old), number_cell(c.new),
                   Cell(esc(c.status), cls=f"c-{c.status.replace(' ', '-')}")] for c in diff.categories], "categories")
    changed = [i for i in diff.items if i.changed]
    titles = {f.id: f.title for f in checklist.frameworks}
    items = (table(["framework", "article", "requirement", "old", "new"],
                   [[titles.get(i.item.framework, i.item.framework), i.item.article, i.item.requirement,
                     Cell(f"{SYMBOLS[i.old]} {esc(checklist.statuses[i.old])}", cls=f"st-{i.old}"),
                     Cell(f"{SYMBOLS[i.new]} {esc(checklist.statuses[i.new])}", cls=f"st-{i.new}")] for i in changed],
                   "checklist")
             if changed else "<p class='muted'>No checklist item changed its status.</p>")
    body = (f"{COVERAGE_STYLE}{STYLE}<section><h2>Summary</h2>{summary}</section>"
            f"<section><h2>Categories</h2>{cats}</section>"
            f"<section><h2>Checklist items whose status changed</h2>{items}"
            f"<p class='muted'>{esc(checklist.disclaimer)}</p></section>"
            f"<section><h2>Changed units</h2>{_changes_table(diff)}</section>")
    title = f"clausetag diff: {diff.old.doc} → {diff.new.doc}"
    return page(title, f"<h1>{esc(title)}</h1>", body)
