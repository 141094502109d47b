"""Pieces shared by clausetag's self-contained HTML reports: page shell, sortable and filterable
tables, plotly charts with plotly.js inlined (the pages work offline, from a file)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable

from clausetag import __version__

STYLE = """
body{font:14px/1.5 system-ui,sans-serif;margin:0;color:#111;background:#fafafa}
header{background:#fff;border-bottom:1px solid #ddd;padding:.6em 1.2em}
header h1{font-size:1.25em;margin:0}
header nav a{margin-right:1em;font-size:.9em}
main{max-width:96em;margin:0 auto;padding:0 1.2em 3em}
section{background:#fff;border:1px solid #e5e5e5;border-radius:6px;padding:.6em 1.2em;margin:1.2em 0}
h2{font-size:1.1em;margin:.4em 0 .6em}
h3{font-size:1em;margin:.8em 0 .4em}
table{border-collapse:collapse;margin:.4em 0;font-size:13px}
th,td{border-bottom:1px solid #e5e5e5;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f3f4f6;position:sticky;top:0}
table.sortable th{cursor:pointer;user-select:none}
table.sortable th[data-dir=asc]::after{content:" ▲"}
table.sortable th[data-dir=desc]::after{content:" ▼"}
td.text{min-width:22em;max-width:40em}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.ci{color:#666;font-size:.85em}
.pos{color:#15803d}.neg{color:#b91c1c}
.note{background:#fffbeb;border:1px solid #fcd34d;border-radius:6px;padding:.5em 1em}
.muted{color:#666}
.row{display:flex;gap:1.5em;align-items:flex-start;flex-wrap:wrap}.row>.grow{flex:1;min-width:30em}
.filters{margin:.4em 0;display:flex;gap:.6em;flex-wrap:wrap;align-items:center}
.filters input,.filters select{font:inherit;padding:.15em .3em}
.scroll{overflow-x:auto;max-height:75vh;overflow-y:auto}
code,.hash{font-family:ui-monospace,monospace;font-size:.85em;word-break:break-all}
a.button,button{display:inline-block;background:#1d4ed8;color:#fff;border:0;border-radius:4px;padding:.3em .8em;
 text-decoration:none;font:inherit;cursor:pointer}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.15em 1em;margin:.3em 0}
dl.meta dt{color:#555}dl.meta dd{margin:0}
"""

#: Click a header of a `table.sortable` to sort by it (numbers by `data-sort`, else text); a
#: `.filters[data-target=ID]` block filters that table's rows: each select matches `data-KEY` of the
#: row (empty value = all), each search box matches the row's text.
TABLE_SCRIPT = """
document.querySelectorAll('table.sortable').forEach(t=>{
 const heads=[...t.tHead.rows[0].cells];
 heads.forEach((th,i)=>th.addEventListener('click',()=>{
  const asc=th.dataset.dir!=='asc';heads.forEach(h=>h.removeAttribute('data-dir'));th.dataset.dir=asc?'asc':'desc';
  const key=r=>{const c=r.cells[i];if(!c)return '';const v=c.dataset.sort!==undefined?c.dataset.sort:c.textContent.trim();
   const n=parseFloat(v);return v!==''&&!isNaN(n)&&isFinite(v)?n:v.toLowerCase();};
  const rows=[...t.tBodies[0].rows];
  rows.sort((a,b)=>{const x=key(a),y=key(b);let c;
   if(typeof x===typeof y)c=x<y?-1:x>y?1:0;else c=typeof x==='number'?-1:1;return asc?c:-c;});
  rows.forEach(r=>t.tBodies[0].appendChild(r));}));});
document.querySelectorAll('.filters[data-target]').forEach(f=>{
 const t=document.getElementById(f.dataset.target);const out=f.querySelector('.shown');
 const apply=()=>{const sels=[...f.querySelectorAll('select[data-key]')];const q=[...f.querySelectorAll('input[type=search]')]
  .map(i=>i.value.trim().toLowerCase()).filter(Boolean);let n=0;
  [...t.tBodies[0].rows].forEach(r=>{const ok=sels.every(s=>!s.value||r.dataset[s.dataset.key]===s.value)
   &&q.every(v=>r.textContent.toLowerCase().includes(v));r.hidden=!ok;if(ok)n++;});
  if(out)out.textContent=n+' shown';};
 f.querySelectorAll('select,input').forEach(e=>e.addEventListener('input',apply));apply();});
"""


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


@dataclass(frozen=True)
class Cell:
    """A table cell: inner HTML (already escaped), the value it sorts by, a CSS class, a tooltip."""

    html: str
    sort: Any = None
    cls: str = ""
    title: str = ""

    def render(self) -> str:
        attrs = ""
        if self.sort is not None:
            attrs += f" data-sort='{esc(self.sort)}'"
        if self.cls:
            attrs += f" class='{self.cls}'"
        if self.title:
            attrs += f" title='{esc(self.title)}'"
        return f"<td{attrs}>{self.html}</td>"


def text_cell(value: Any, wide: bool = False) -> Cell:
    """Escaped text; `wide` for sentences (a minimum width keeps them readable in wide tables)."""
    return Cell(esc(value), cls="text" if wide else "")


def number_cell(value: float | int | None, digits: int = 1, ci: list | None = None, signed: bool = False) -> Cell:
    """A right-aligned number, optionally with its interval `[low, high]` under it."""
    if value is None:
        return Cell("–", sort="", cls="num")
    fmt = f"{{:{'+' if signed else ''}.{digits}f}}"
    body = fmt.format(value) if isinstance(value, float) else str(value)
    if ci and ci[0] is not None and ci[1] is not None:
        body += f"<br><span class='ci'>[{ci[0]:.{digits}f}–{ci[1]:.{digits}f}]</span>"
    cls = "num" + ((" pos" if value > 0 else " neg" if value < 0 else "") if signed else "")
    return Cell(body, sort=value, cls=cls)


def table(headers: Iterable[str], rows: Iterable[Iterable[Cell | str | int | float]], table_id: str,
          sortable: bool = True, row_attrs: Iterable[dict[str, str]] | None = None) -> str:
    """An HTML table; plain values become escaped text cells; `row_attrs` become `data-*` attributes."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    attrs_list = list(row_attrs) if row_attrs is not None else None
    body = []
    for i, row in enumerate(rows):
        cells = "".join((c if isinstance(c, Cell) else text_cell(c)).render() for c in row)
        attrs = "".join(f" data-{k}='{esc(v)}'" for k, v in (attrs_list[i] if attrs_list else {}).items())
        body.append(f"<tr{attrs}>{cells}</tr>")
    cls = " class='sortable'" if sortable else ""
    return f"<table id='{esc(table_id)}'{cls}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def filters(target: str, selects: dict[str, tuple[str, list[str]]], search: bool = True) -> str:
    """Filter controls for table `target`: `selects` maps a row data key to (label, options)."""
    parts = [f"<div class='filters' data-target='{esc(target)}'>"]
    for key, (label, options) in selects.items():
        opts = "".join(f"<option value='{esc(o)}'>{esc(o)}</option>" for o in options)
        parts.append(f"<label>{esc(label)} <select data-key='{esc(key)}'><option value=''>all</option>{opts}"
                     f"</select></label>")
    if search:
        parts.append("<input type='search' placeholder='search text…' aria-label='search'>")
    parts.append("<span class='shown muted'></span></div>")
    return "".join(parts)


def meta_list(items: dict[str, Any]) -> str:
    """A definition list; values are escaped unless they are `Cell`s."""
    rows = "".join(f"<dt>{esc(k)}</dt><dd>{v.html if isinstance(v, Cell) else esc(v)}</dd>" for k, v in items.items())
    return f"<dl class='meta'>{rows}</dl>"


@lru_cache(maxsize=1)
def plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def chart(fig, div_id: str, height: int = 420) -> str:
    """A plotly figure as a div and the script that draws it (plotly.js itself comes with `page`)."""
    import plotly.io as pio

    fig.update_layout(template="plotly_white", height=height)
    fig.update_layout(margin={"l": 60, "r": 20, "t": 60, "b": 50, **fig.layout.margin.to_plotly_json()})
    return pio.to_html(fig, include_plotlyjs=False, full_html=False, div_id=div_id, default_height=f"{height}px",
                       config={"displaylogo": False, "responsive": True})


def page(title: str, header: str, body: str, with_charts: bool = False) -> str:
    """A complete, self-contained HTML document."""
    plotly = f"<script>{plotly_js()}</script>" if with_charts else ""
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width,initial-scale=1'>"
            f"<meta name='generator' content='clausetag {esc(__version__)}'><title>{esc(title)}</title>"
            f"<style>{STYLE}</style>{plotly}</head><body><header>{header}</header><main>{body}</main>"
            f"<script>{TABLE_SCRIPT}</script></body></html>")
