"""The coverage report page: batch table (sortable, filterable, CSV download), checklist overview and
one section per policy with its evidence sentences."""

from __future__ import annotations

from urllib.parse import quote

from clausetag.reports.coverage import CSV_FILE, JSON_FILE, Coverage, ItemResult, PolicyCoverage, item_key
from clausetag.reports.html_common import Cell, esc, filters, meta_list, number_cell, page, table
from clausetag.records import Prediction
from clausetag.wording import counted

SYMBOLS = {"found": "✓", "check": "?", "missing": "✗", "optional_missing": "–", "not_assessable": "n/a"}
STYLE = """<style>
td.present{background:#dcfce7}td.absent{background:#fee2e2;color:#991b1b}
td.st-found{background:#dcfce7;color:#166534}td.st-check{background:#fef3c7;color:#92400e}
td.st-missing{background:#fee2e2;color:#991b1b;font-weight:bold}td.st-optional_missing,td.st-not_assessable{color:#777}
details.policy{border-top:1px solid #e5e5e5;padding:.4em 0}details.policy>summary{cursor:pointer;font-weight:600}
ul.evidence{margin:.2em 0 .6em;padding-left:1.2em}ul.evidence li{margin:.15em 0}
.score{font-variant-numeric:tabular-nums;color:#1d4ed8;font-size:.85em;margin-right:.4em}
.section{color:#666;font-size:.85em}
</style>"""


def _anchor(i: int) -> str:
    return f"policy-{i}"


def _sentence(p: Prediction, label: str | None) -> str:
    score = f"<span class='score'>{p.scores.get(label, 0.0):.2f}</span>" if label else ""
    section = f" <span class='section'>({esc(p.unit.section)})</span>" if p.unit.section else ""
    return f"{score}{esc(p.unit.text)}{section}"


def _status_cell(r: ItemResult | None, statuses: dict[str, str]) -> Cell:
    if r is None:
        return Cell("", sort="")
    return Cell(SYMBOLS[r.status], sort=r.status, cls=f"st-{r.status}", title=statuses[r.status])


# --- batch -----------------------------------------------------------------------------------

def _batch_table(cov: Coverage, csv_text: str | None) -> str:
    cats, fws = cov.batch.categories, cov.checklist.frameworks
    headers = ["policy", "languages", "units", *cats, "absent categories",
               *(f"{f.title}: seems missing" for f in fws)]
    rows, attrs = [], []
    for i, pc in enumerate(cov.policies):
        p = pc.policy
        flag = " <span class='neg'>(failed)</span>" if p.errors else " <span class='neg'>(check)</span>" if p.warnings else ""
        name = Cell(f"<a href='#{_anchor(i)}'>{esc(p.doc)}</a>" + flag,
                    sort=p.doc.lower())
        if not p.labeled:
            rows.append([name, "", number_cell(0), *([Cell("", sort="")] * (len(cats) + 1 + len(fws)))])
            attrs.append({"absent": "failed", "lang": ""})
            continue
        row: list = [name, ", ".join(p.languages), number_cell(p.units)]
        for c in cats:
            n = pc.categories[c].count
            row.append(Cell(str(n), sort=n, cls="num " + ("present" if n else "absent")))
        row.append(Cell(esc(", ".join(pc.absent)) or "–", sort=len(pc.absent)))
        for f in fws:
            missing = pc.items_with("missing", f.id)
            row.append(Cell(esc(", ".join(r.item.id for r in missing)) or "–", sort=len(missing)))
        rows.append(row)
        attrs.append({"absent": "some absent" if pc.absent else "all present",
                      "lang": p.languages[0] if p.languages else ""})
    langs = sorted({a["lang"] for a in attrs if a["lang"]})
    controls = filters("batch", {"absent": ("categories", ["all present", "some absent", "failed"]),
                                 "lang": ("language", langs)})
    if csv_text is None:  # a large batch: the file beside the page, not the page's own copy
        download = (f"<p><a class='button' id='download-csv' href='{CSV_FILE}'>{CSV_FILE}</a> "
                    f"<span class='muted'>(beside this report: every policy of the batch, with the checklist status "
                    f"of every item)</span></p>")
    else:
        download = (f"<p><a class='button' id='download-csv' download='{CSV_FILE}' "
                    f"href='data:text/csv;charset=utf-8,{quote(csv_text)}'>Download CSV</a> "
                    f"<span class='muted'>(the same table as <code>{CSV_FILE}</code> beside this report, with the "
                    f"checklist status of every item)</span></p>")
    return download + controls + f"<div class='scroll'>{table(headers, rows, 'batch', row_attrs=attrs)}</div>"


def _category_summary(cov: Coverage) -> str:
    n = cov.tally.labeled
    rows = [[c, number_cell(cov.policies_with(c)), number_cell(100 * cov.policies_with(c) / n if n else 0.0)]
            for c in cov.batch.categories]
    return table(["category", "policies disclosing it", "% of labeled policies"], rows, "category-summary")


def _checklist_items(cov: Coverage) -> str:
    rows = []
    for f in cov.checklist.frameworks:
        for it in f.items:
            rows.append([f.title, it.article, it.requirement + (" (where applicable)" if it.optional else ""),
                         ", ".join(it.categories) or "keywords only", number_cell(cov.policies_missing(it))])
    return table(["framework", "article", "expected disclosure", "looked for in", "policies where it seems missing"],
                 rows, "checklist-items")


def _checklist_matrix(cov: Coverage) -> str:
    items = [it for f in cov.checklist.frameworks for it in f.items]
    headers = ["policy", *(f"{it.framework.upper()} {it.id}" for it in items)]
    rows = []
    for i, pc in enumerate(cov.policies):
        by_key = {item_key(r.item): r for r in pc.checklist}
        rows.append([Cell(f"<a href='#{_anchor(i)}'>{esc(pc.policy.doc)}</a>", sort=pc.policy.doc.lower()),
                     *(_status_cell(by_key.get(item_key(it)), cov.checklist.statuses) for it in items)])
    legend = " · ".join(f"{SYMBOLS[k]} {esc(v)}" for k, v in cov.checklist.statuses.items())
    return (f"<p class='muted'>{legend}</p>" + filters("checklist", {})
            + f"<div class='scroll'>{table(headers, rows, 'checklist')}</div>")


# --- per policy ------------------------------------------------------------------------------

def _policy(i: int, pc: PolicyCoverage, cov: Coverage) -> str:
    p = pc.policy
    head = (f"<details class='policy' id='{_anchor(i)}'><summary>{esc(p.doc)} — {counted(p.units, 'unit')}"
            f"{', ' + esc(', '.join(p.languages)) if p.languages else ''}"
            + (f", {counted(len(pc.absent), 'category', 'categories')} never mentioned"
               if p.labeled else "") + "</summary>")
    parts = [head]
    if p.path:
        parts.append(f"<p class='muted'>{esc(p.path)}</p>")
    for e in p.errors:
        parts.append(f"<p class='neg'>error: {esc(e)}</p>")
    for w in p.warnings:
        parts.append(f"<p class='neg'>warning: {esc(w)}</p>")
    if not p.labeled:
        return "".join(parts) + "</details>"
    parts.append("<h3>Categories disclosed, with the strongest evidence</h3>")
    for c, cc in pc.categories.items():
        if cc.present:
            items = "".join(f"<li>{_sentence(e, c)}</li>" for e in cc.evidence)
            parts.append(f"<div><strong>{esc(c)}</strong> <span class='muted'>({counted(cc.count, 'unit')})</span>"
                         f"<ul class='evidence'>{items}</ul></div>")
    parts.append("<h3>Never mentioned</h3>")
    if pc.absent:
        items = []
        for c in pc.absent:
            cand = pc.categories[c].best_candidate
            hint = f" — closest sentence: {_sentence(cand, c)}" if cand else ""
            items.append(f"<li><strong>{esc(c)}</strong>{hint}</li>")
        parts.append(f"<ul class='evidence'>{''.join(items)}</ul>")
    else:
        parts.append("<p class='muted'>Every category is tagged at least once.</p>")
    for f in cov.checklist.frameworks:
        rows = []
        for r in (r for r in pc.checklist if r.item.framework == f.id):
            label = r.item.categories[0] if r.item.categories else None
            ev = "<br>".join(_sentence(e, label) for e in r.evidence) or "–"
            verdict = Cell(esc(cov.checklist.statuses[r.status]), sort=r.status, cls=f"st-{r.status}")
            rows.append([r.item.article, r.item.requirement, verdict, Cell(ev, cls="text")])
        parts.append(f"<h3>{esc(f.title)} checklist</h3>"
                     + table(["article", "expected disclosure", "machine reading", "evidence"], rows,
                             f"{_anchor(i)}-{f.id}", sortable=False))
    return "".join(parts) + "</details>"


def _shown(cov: Coverage) -> str:
    """What the page of a batch too large to show whole shows, and where the rest is."""
    if cov.complete:
        return ""
    return (f"<p class='note'>This batch has {counted(cov.tally.policies, 'policy', 'policies')}: the tables and "
            f"sections below show the {len(cov.policies)} where the most checklist items seem missing (failed "
            f"policies first), in batch order. The figures across the batch count every policy; every policy is in "
            f"<a href='{CSV_FILE}'>{CSV_FILE}</a> and <a href='{JSON_FILE}'>{JSON_FILE}</a> beside this page.</p>")


def render_coverage(cov: Coverage, csv_text: str | None) -> str:
    """The page; `csv_text`: coverage.csv, offered as a download from the page itself (None: linked instead)."""
    b, t = cov.batch, cov.tally
    title = f"clausetag coverage report: {b.source.name}"
    header = (f"<h1>{esc(title)}</h1><div class='muted'>{counted(t.policies, 'policy', 'policies')} "
              f"({t.labeled} labeled{f', {t.failed} failed' if t.failed else ''}), {counted(t.units, 'unit')}"
              f"</div><nav><a href='#batch-section'>Batch</a><a href='#checklist-section'>Checklist</a>"
              f"<a href='#policies'>Policies</a><a href='#provenance'>Provenance</a></nav>")
    body = [
        STYLE,
        f"<section id='disclaimer'><p class='note'><strong>{esc(cov.checklist.title)}.</strong> "
        f"{esc(cov.checklist.disclaimer)}</p></section>",
        f"<section id='batch-section'><h2>Categories per policy</h2>{_shown(cov)}<p class='muted'>Units tagged with each category "
        "(green: mentioned, red: never mentioned). Click a column header to sort; click a policy for its "
        f"evidence.</p>{_batch_table(cov, csv_text)}<h3>Across the batch</h3>{_category_summary(cov)}</section>",
        f"<section id='checklist-section'><h2>{esc(cov.checklist.title)}</h2>"
        f"{''.join(f'<p class=muted>{esc(f.title)}: {esc(f.reference)}</p>' for f in cov.checklist.frameworks)}"
        f"{_checklist_matrix(cov)}<h3>Checklist items</h3>{_checklist_items(cov)}</section>",
        "<section id='policies'><h2>Policies</h2>"
        + "".join(_policy(i, pc, cov) for i, pc in enumerate(cov.policies)) + "</section>",
        "<section id='provenance'><h2>Provenance</h2>"
        + meta_list({"labels file": str(b.source), "sha256": Cell(f"<span class='hash'>{b.sha256}</span>"),
                     "labels": ", ".join(b.labels), "fallback label (not a category)": b.fallback or "–"})
        + "</section>",
    ]
    return page(title, header, "".join(body))
