"""A self-contained HTML reader view of labeled policies: highlights, legend, per-label filters, and a review
mode that corrects labels in the browser (infer/review_page.py)."""

from __future__ import annotations

import html
import json

from clausetag.infer import review_page
from clausetag.infer.structure import LEAD_IN_BASIS, SECTION_BASIS
from clausetag.records import ERROR_RECORD, SUMMARY_RECORD, UNIT_RECORD
from clausetag.wording import counted

PALETTE = ["#fde68a", "#bfdbfe", "#bbf7d0", "#fecaca", "#ddd6fe", "#fbcfe8", "#a5f3fc", "#fed7aa", "#e5e7eb",
           "#d9f99d", "#c7d2fe", "#f5d0fe", "#99f6e4"]

STYLE = """
body{font:15px/1.6 system-ui,sans-serif;margin:0;color:#111}
header{position:sticky;top:0;background:#fff;border-bottom:1px solid #ddd;padding:.6em 1em;z-index:2}
main{max-width:60em;margin:0 auto;padding:1em}
.legend label{display:inline-block;margin:.15em .4em;padding:0 .4em;border-radius:4px;cursor:pointer}
.doc{border-top:2px solid #333;margin-top:2em}
.u{border-radius:3px;padding:0 1px}
.u[data-hidden]{background:none!important}
h3.u{margin:1em 0 .3em}
.err{color:#b91c1c;font-weight:bold}.warn{color:#92400e;font-weight:bold}
.tags{font-size:11px;color:#555;margin-left:.25em}
"""

SCRIPT = """
const boxes=[...document.querySelectorAll('.legend input')];
function apply(){const on=new Set(boxes.filter(b=>b.checked).map(b=>b.value));
 document.querySelectorAll('.u').forEach(u=>{const ls=(u.dataset.labels||'').split(' ').filter(Boolean);
  const shown=ls.filter(l=>on.has(l));
  if(shown.length){u.style.background=COLORS[shown[0]];u.removeAttribute('data-hidden');}
  else{u.style.background='none';u.setAttribute('data-hidden','');}});}
boxes.forEach(b=>b.addEventListener('change',apply));apply();
"""


def render_html(records: list[dict], labels: list[str], meta: dict) -> str:
    """The page for the records of `clausetag label`; `meta`: `model` (shown, and the folder whose thresholds
    the review mode reads unless `model_dir` or `thresholds` is given), `documents` (a count)."""
    units_by_doc: dict[str, list[dict]] = {}
    order: list[str] = []
    for r in records:
        key = r.get("doc", "")
        if key not in units_by_doc:
            units_by_doc[key] = []
            order.append(key)
        units_by_doc[key].append(r)
    review = review_page.review_data([r for doc in order for r in units_by_doc[doc]], labels, meta)
    colors = {l: PALETTE[i % len(PALETTE)] for i, l in enumerate(labels)}
    esc = html.escape
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>clausetag labels</title>"
             f"<style>{STYLE}{review_page.STYLE}</style></head><body><header><strong>clausetag</strong> — "
             f"{esc(str(meta.get('model', '')))} · {counted(meta.get('documents', 0), 'document')}"
             f"<button type='button' id='rv-toggle'>Review</button><div class='legend'>"]
    for l in labels:
        parts.append(f"<label style='background:{colors[l]}'><input type='checkbox' value='{esc(l)}' checked> "
                     f"{esc(l)}</label>")
    parts.append("</div></header>" + review_page.panel_html(labels, review["thresholds"] is not None) + "<main>")
    index = 0  # a unit's place in the review data (units in page order)
    for doc in order:
        recs = units_by_doc[doc]
        parts.append(f"<section class='doc'><h2>{esc(doc)}</h2>")
        units = [r for r in recs if r["type"] == UNIT_RECORD]
        sections = {u.get("section") for u in units}
        for r in recs:
            if r["type"] == SUMMARY_RECORD:
                parts += [f"<p class='warn'>warning: {esc(w)}</p>" for w in r.get("warnings") or []]
        for r in recs:
            if r["type"] == ERROR_RECORD:
                parts.append(f"<p class='err'>error: {esc(r['error'])}</p>")
            if r["type"] != UNIT_RECORD:
                continue
            tip = "\n".join(f"{k}: {v:.2f}" for k, v in sorted(r["scores"].items(), key=lambda kv: -kv[1]))
            if r.get("basis") in (SECTION_BASIS, LEAD_IN_BASIS):
                origin = "its section (most of its units)" if r["basis"] == SECTION_BASIS else "its list's lead-in"
                tip = f"labels from {origin}; the model's scores:\n" + tip
            attrs = f"class='u' data-i='{index}' data-labels='{esc(' '.join(r['labels']))}' title='{esc(tip)}'"
            tags = f"<span class='tags' data-t='{index}'>[{esc(', '.join(r['labels']))}]</span>"
            if r.get("heading", r["text"] in sections):  # outputs before 2026-11-29 have no "heading"
                parts.append(f"<h3 {attrs}>{esc(r['text'])}{tags}</h3>")
            else:
                parts.append(f"<span {attrs}>{esc(r['text'])}</span>{tags} ")
            index += 1
        parts.append("</section>")
    parts.append(f"</main>{review_page.data_script(review)}<script>const COLORS={json.dumps(colors)};{SCRIPT}"
                 f"{review_page.SCRIPT}</script></body></html>")
    return "".join(parts)

