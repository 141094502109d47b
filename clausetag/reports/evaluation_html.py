"""The evaluation report: one self-contained HTML page (plotly charts inline) from metrics.json's
contents, the gold units and the model runs."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from clausetag.reports.evaluation import pr_curves, reliability, top_errors
from clausetag.reports.html_common import Cell, chart, esc, filters, meta_list, number_cell, page, table, text_cell
from clausetag.settings import defaults
from clausetag.training_overlap import describe as describe_overlap
from clausetag.wording import counted

COLORS = {"model": "#1d4ed8", "compare": "#d97706"}
AVERAGES = [("macro_precision", "macro precision"), ("macro_recall", "macro recall"), ("macro_f1", "macro F1"),
            ("micro_precision", "micro precision"), ("micro_recall", "micro recall"), ("micro_f1", "micro F1")]


def _names(metrics: dict) -> dict[str, str]:
    """Display names per role: `A · dirname` (and `B · dirname` when comparing)."""
    models = metrics["models"]
    if len(models) == 1:
        return {role: m["name"] for role, m in models.items()}
    return {role: f"{'AB'[i]} · {m['name']}" for i, (role, m) in enumerate(models.items())}


def _ci_text(metrics: dict) -> str:
    b = metrics["bootstrap"]
    o = metrics["overall"]
    unit = (f"by document ({counted(o['documents'], 'document')}, units of a document kept together)"
            if o["resampled"] == "document" else "by unit (documents unknown or too few)")
    return (f"<p class='note'>Figures in percent. Brackets: {100 * b['level']:.0f}% bootstrap intervals from "
            f"{b['resamples']} resamples {unit}, seed {b['seed']}; per-language groups are resampled the same "
            f"way, a single document by unit. With few documents the intervals are wide: read them before "
            f"reading small differences.</p>")


# --- tables ----------------------------------------------------------------------------------

def _summary(metrics: dict, names: dict[str, str]) -> str:
    o = metrics["overall"]
    headers = ["average", *names.values()] + (["Δ A − B"] if "difference" in o else [])
    rows = []
    for key, title in AVERAGES:
        row: list = [title]
        for role in names:
            m = o["models"][role]
            row.append(number_cell(m[key], ci=m["ci"][key]))
        if "difference" in o:
            d = o["difference"]
            row.append(number_cell(d[key], ci=d["ci"][key], signed=True))
        rows.append(row)
    return table(headers, rows, "summary", sortable=False)


def _threshold_text(entry: dict) -> str:
    """A label's threshold, or the range of its per-language thresholds."""
    if entry.get("threshold") is not None:
        return f"{entry['threshold']:.2f}"
    lo, hi = entry.get("threshold_range") or (None, None)
    return f"{lo:.2f}–{hi:.2f} (per language)" if lo is not None else "–"


def _threshold_cell(entry: dict) -> Cell:
    if entry.get("threshold") is not None or not entry.get("threshold_range"):
        return number_cell(entry.get("threshold"), 2)
    return Cell(_threshold_text(entry), sort=entry["threshold_range"][0], cls="num")


def _per_label(metrics: dict, names: dict[str, str], labels: list[str]) -> str:
    o, pr = metrics["overall"], metrics.get("precision_recall", {})
    roles = list(names)
    headers = ["label", "support"]
    for role in roles:
        tag = f" ({names[role][0]})" if len(roles) > 1 else ""
        headers += [f"threshold{tag}", f"precision{tag}", f"recall{tag}", f"F1{tag}", f"avg. precision{tag}"]
    if "difference" in o:
        headers += ["Δ F1 (A − B)", "Δ precision", "Δ recall"]
    rows = []
    for label in labels:
        first = o["models"][roles[0]]["per_label"][label]
        row: list = [label, number_cell(first["support"])]
        for role in roles:
            m = o["models"][role]["per_label"][label]
            ap = pr.get(role, {}).get(label, {})
            row += [_threshold_cell(ap), number_cell(m["precision"], ci=m["ci"]["precision"]),
                    number_cell(m["recall"], ci=m["ci"]["recall"]), number_cell(m["f1"], ci=m["ci"]["f1"]),
                    number_cell(ap.get("average_precision"))]
        if "difference" in o:
            d = o["difference"]["per_label"][label]
            row += [number_cell(d["f1"], ci=d["ci"]["f1"], signed=True),
                    number_cell(d["precision"], ci=d["ci"]["precision"], signed=True),
                    number_cell(d["recall"], ci=d["ci"]["recall"], signed=True)]
        rows.append(row)
    return table(headers, rows, "per-label")


def _groups(groups: dict, names: dict[str, str], table_id: str, what: str) -> str:
    headers = [what, "units", "documents", "resampled by"]
    for role in names:
        tag = f" ({names[role][0]})" if len(names) > 1 else ""
        headers += [f"macro F1{tag}", f"micro F1{tag}", f"macro precision{tag}", f"macro recall{tag}"]
    two = any("difference" in g for g in groups.values())
    if two:
        headers += ["Δ macro F1 (A − B)", "Δ micro F1 (A − B)"]
    rows = []
    for key, g in groups.items():
        row: list = [key, number_cell(g["units"]), number_cell(g["documents"]), g["resampled"]]
        for role in names:
            m = g["models"][role]
            row += [number_cell(m["macro_f1"], ci=m["ci"]["macro_f1"]), number_cell(m["micro_f1"], ci=m["ci"]["micro_f1"]),
                    number_cell(m["macro_precision"], ci=m["ci"]["macro_precision"]),
                    number_cell(m["macro_recall"], ci=m["ci"]["macro_recall"])]
        if two:
            d = g["difference"]
            row += [number_cell(d["macro_f1"], ci=d["ci"]["macro_f1"], signed=True),
                    number_cell(d["micro_f1"], ci=d["ci"]["micro_f1"], signed=True)]
        rows.append(row)
    return table(headers, rows, table_id)


# --- charts ----------------------------------------------------------------------------------

def _errors_bars(values, cis) -> dict:
    lo = [v - c[0] if c and c[0] is not None else 0 for v, c in zip(values, cis)]
    hi = [c[1] - v if c and c[1] is not None else 0 for v, c in zip(values, cis)]
    return dict(type="data", symmetric=False, array=hi, arrayminus=lo, thickness=1.2, width=3)


def _fig_label_f1(metrics: dict, names: dict[str, str], labels: list[str]) -> go.Figure:
    fig = go.Figure()
    for role, name in names.items():
        per = metrics["overall"]["models"][role]["per_label"]
        vals = [per[l]["f1"] for l in labels]
        fig.add_bar(x=labels, y=vals, name=name, marker_color=COLORS[role],
                    error_y=_errors_bars(vals, [per[l]["ci"]["f1"] for l in labels]),
                    hovertemplate="%{x}: F1 %{y:.1f}<extra>" + esc(name) + "</extra>")
    fig.update_layout(title="F1 per label with bootstrap intervals", barmode="group", yaxis_title="F1 (%)",
                      yaxis_range=[0, 105], legend_orientation="h")
    return fig


def _fig_difference(metrics: dict, labels: list[str]) -> go.Figure:
    d = metrics["overall"]["difference"]["per_label"]
    vals = [d[l]["f1"] for l in labels]
    fig = go.Figure(go.Bar(x=labels, y=vals, marker_color=["#15803d" if v >= 0 else "#b91c1c" for v in vals],
                           error_y=_errors_bars(vals, [d[l]["ci"]["f1"] for l in labels]),
                           hovertemplate="%{x}: ΔF1 %{y:+.1f}<extra></extra>"))
    fig.update_layout(title="Δ F1 per label (A − B), paired bootstrap intervals", yaxis_title="Δ F1 (points)")
    return fig


def _fig_group_heatmap(metrics: dict, role: str, labels: list[str]) -> tuple[go.Figure, int]:
    rows, z = [], []
    for kind, groups in (("language", metrics["by_language"]), ("document", metrics["by_document"])):
        for key, g in groups.items():
            per = g["models"][role]["per_label"]
            rows.append(f"{kind}: {key}")
            z.append([per[l]["f1"] if per[l]["support"] else None for l in labels])
    text = [["" if v is None else f"{v:.0f}" for v in r] for r in z]
    fig = go.Figure(go.Heatmap(z=z, x=labels, y=rows, text=text, texttemplate="%{text}", colorscale="RdYlGn",
                               zmin=0, zmax=100, colorbar_title="F1", hoverongaps=False,
                               hovertemplate="%{y}<br>%{x}: F1 %{z:.1f}<extra></extra>"))
    fig.update_layout(title="F1 per label, language and document (blank: no gold units)",
                      yaxis_autorange="reversed")
    fig.update_yaxes(automargin=True)
    return fig, 140 + 26 * len(rows)


def _fig_cooccurrence(metrics: dict, names: dict[str, str], labels: list[str]) -> go.Figure:
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=list(names.values()), horizontal_spacing=0.12)
    for i, role in enumerate(names, 1):
        m = np.array(metrics["cooccurrence"][role], dtype=float)
        support = np.array([metrics["overall"]["models"][role]["per_label"][l]["support"] for l in labels], dtype=float)
        share = np.divide(m, support[:, None], out=np.zeros_like(m), where=support[:, None] > 0)
        fig.add_trace(go.Heatmap(z=share, x=labels, y=labels, text=m.astype(int), texttemplate="%{text}",
                                 colorscale="Blues", zmin=0, zmax=1, showscale=i == 1, colorbar_title="share",
                                 hovertemplate="gold %{y}, predicted %{x}: %{text} units (%{z:.0%} of gold)"
                                               "<extra></extra>"), row=1, col=i)
        fig.update_xaxes(title_text="predicted", tickangle=-40, row=1, col=i)
        fig.update_yaxes(title_text="gold" if i == 1 else None, autorange="reversed", row=1, col=i)
    fig.update_layout(title="Gold vs predicted labels (counts; colour: share of the gold label's units)")
    return fig


def _fig_reliability(metrics: dict, runs, labels: list[str], gold: np.ndarray, names: dict[str, str],
                     bins: int) -> go.Figure:
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.75, 0.25], vertical_spacing=0.06)
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(dash="dot", color="#999"), name="perfect calibration",
                    row=1, col=1)
    for run in runs:
        cal = metrics["calibration"][run.role]
        filled = [b for b in cal["bins"] if b["count"]]
        fig.add_scatter(x=[b["mean_score"] for b in filled], y=[b["fraction_gold"] for b in filled],
                        mode="lines+markers", name=f"{names[run.role]} (ECE {cal['ece']:.3f}, Brier {cal['brier']:.3f})",
                        line_color=COLORS[run.role], customdata=[b["count"] for b in filled],
                        hovertemplate="mean score %{x:.2f}: %{y:.0%} gold (%{customdata} pairs)<extra></extra>",
                        row=1, col=1)
        fig.add_bar(x=[(b["low"] + b["high"]) / 2 for b in cal["bins"]], y=[b["count"] for b in cal["bins"]],
                    width=0.9 / bins, marker_color=COLORS[run.role], opacity=0.6, showlegend=False,
                    name=f"{names[run.role]} pairs", row=2, col=1)
    first = runs[0]
    for j, label in enumerate(labels):
        per = reliability(gold[:, [j]], first.scores[:, [j]], bins)
        filled = [b for b in per["bins"] if b["count"]]
        fig.add_scatter(x=[b["mean_score"] for b in filled], y=[b["fraction_gold"] for b in filled],
                        mode="lines+markers", name=f"{label} (A, ECE {per['ece']:.3f})", visible="legendonly",
                        row=1, col=1)
    fig.update_xaxes(range=[0, 1], row=1, col=1)
    fig.update_xaxes(title_text="score (bins of width %.2f)" % (1 / bins), range=[0, 1], row=2, col=1)
    fig.update_yaxes(title_text="fraction gold", range=[0, 1], row=1, col=1)
    fig.update_yaxes(title_text="pairs", type="log", row=2, col=1)
    fig.update_layout(title="Reliability diagram: all (unit, label) pairs; click a label in the legend to add it",
                      barmode="group")
    return fig


def _fig_pr(runs, labels: list[str], gold_set, gold: np.ndarray, names: dict[str, str],
            points: int) -> tuple[go.Figure, int]:
    langs = [u.lang for u in gold_set.units]
    curves = {r.role: pr_curves(gold, r.scores, r.thresholds(labels, langs), labels, points) for r in runs}
    cols = 3
    n_rows = math.ceil(len(labels) / cols)
    titles = []
    for label in labels:
        aps = [curves[r.role][label]["average_precision"] for r in runs]
        titles.append(label + " (AP " + " / ".join("–" if a is None else f"{a:.0f}" for a in aps) + ")")
    fig = make_subplots(rows=n_rows, cols=cols, subplot_titles=titles, vertical_spacing=0.32 / n_rows,
                        horizontal_spacing=0.07)
    for j, label in enumerate(labels):
        r_, c_ = j // cols + 1, j % cols + 1
        for run in runs:
            e = curves[run.role][label]
            first = j == 0
            fig.add_scatter(x=e["curve"]["recall"], y=e["curve"]["precision"], mode="lines", line_shape="hv",
                            line_color=COLORS[run.role], name=names[run.role], legendgroup=run.role,
                            showlegend=first, hovertemplate="recall %{x:.2f}, precision %{y:.2f}<extra></extra>",
                            row=r_, col=c_)
            if e["precision_at_threshold"] is not None and e["recall_at_threshold"] is not None:
                fig.add_scatter(x=[e["recall_at_threshold"] / 100], y=[e["precision_at_threshold"] / 100],
                                mode="markers", marker=dict(symbol="star", size=13, color=COLORS[run.role],
                                                            line=dict(color="#111", width=1)),
                                name=f"threshold ({names[run.role]})", legendgroup=run.role + "-t", showlegend=first,
                                hovertemplate=f"threshold {_threshold_text(e)}: recall %{{x:.2f}}, "
                                              f"precision %{{y:.2f}}<extra></extra>", row=r_, col=c_)
        fig.update_xaxes(range=[0, 1.02], row=r_, col=c_)
        fig.update_yaxes(range=[0, 1.05], row=r_, col=c_)
    for c_ in range(1, cols + 1):
        fig.update_xaxes(title_text="recall", row=n_rows, col=c_)
    for r_ in range(1, n_rows + 1):
        fig.update_yaxes(title_text="precision", row=r_, col=1)
    fig.update_layout(title="Precision–recall per label; star: the model's threshold (before the `other` rule)",
                      legend_orientation="h", legend_y=-0.5 / n_rows, margin_t=100)
    return fig, 160 + 270 * n_rows


# --- error browser and provenance ------------------------------------------------------------

def _error_browser(gold_set, runs, labels: list[str], gold: np.ndarray, names: dict[str, str], k: int) -> str:
    headers = (["model"] if len(runs) > 1 else []) + ["label", "error", "score", "sentence", "document · language · "
                                                      "section", "gold", "predicted", "top scores"]
    rows, attrs = [], []
    for run in runs:
        thr = run.thresholds(labels, [u.lang for u in gold_set.units])
        for j, (label, found) in enumerate(top_errors(gold, run.pred, run.scores, labels, k).items()):
            for kind, idx in found.items():
                for i in idx:
                    u = gold_set.units[i]
                    top = sorted(zip(labels, run.scores[i]), key=lambda x: -x[1])[:3]
                    row: list = [names[run.role]] if len(runs) > 1 else []
                    score = Cell(f"{run.scores[i, j]:.3f}<br><span class='ci'>threshold {thr[i, j]:.2f}</span>",
                                 sort=float(run.scores[i, j]), cls="num")
                    where = " · ".join(esc(x) for x in (u.doc, u.lang, u.section) if x)
                    row += [label, kind.replace("_", " "), score, text_cell(u.text, True), Cell(where),
                            ", ".join(u.labels), ", ".join(l for l, d in zip(labels, run.pred[i]) if d),
                            Cell("<br>".join(f"{esc(l)} {s:.2f}" for l, s in top))]
                    rows.append(row)
                    attrs.append({"model": names[run.role], "label": label, "kind": kind.replace("_", " ")})
    selects = {"label": ("label", labels), "kind": ("error", ["false positive", "false negative"])}
    if len(runs) > 1:
        selects = {"model": ("model", list(names.values())), **selects}
    return (f"<p class='muted'>Per label the {k} most confident false positives (highest score first) and false "
            f"negatives (lowest score first).</p>" + filters("errors", selects)
            + f"<div class='scroll'>{table(headers, rows, 'errors', row_attrs=attrs)}</div>")


def _changes(metrics: dict, gold_set, runs, labels: list[str], names: dict[str, str]) -> str:
    """The units the compared model fixed and broke, and its fixed and broken decisions per label."""
    c = metrics["changes"]
    a, b = names[runs[0].role], names[runs[1].role]
    intro = (f"<p>{esc(b)} fixed <b id='fixed-count'>{c['fixed']}</b> and broke <b id='broken-count'>{c['broken']}"
             f"</b> of {counted(c['units'], 'unit')} against {esc(a)}. Fixed: {esc(a)}'s labels were not the gold "
             f"labels and {esc(b)}'s are exactly; broken: the reverse.</p>")
    per_label = table(["label", "decisions fixed", "decisions broken"],
                      [[l, number_cell(c["per_label"][l]["fixed"]), number_cell(c["per_label"][l]["broken"])]
                       for l in labels], "changes-per-label")
    rows, attrs = [], []
    for kind in ("fixed", "broken"):
        for u in c[f"{kind}_units"]:
            i, unit = u["index"], gold_set.units[u["index"]]
            rows.append([kind, text_cell(unit.text, True), Cell(" · ".join(esc(x) for x in (unit.doc, unit.lang) if x)),
                         ", ".join(unit.labels), ", ".join(l for l, d in zip(labels, runs[0].pred[i]) if d),
                         ", ".join(l for l, d in zip(labels, runs[1].pred[i]) if d)])
            attrs.append({"kind": kind})
    units = (filters("changes", {"kind": ("change", ["fixed", "broken"])})
             + f"<div class='scroll'>{table(['change', 'sentence', 'document · language', 'gold', a, b], rows, 'changes', row_attrs=attrs)}</div>")
    return intro + per_label + units


def _model_block(meta: dict, name: str) -> str:
    sources = "; ".join(f"{s['spec']} ({s.get('units_used')} units, {s.get('docs')} docs, sha256/16 "
                        f"{s.get('sha256_16')})" for s in meta.get("training_sources", [])) or "–"
    items = {
        "directory": meta["path"], "method": meta["method"], "taxonomy": f"{meta['taxonomy']} ({len(meta['labels'])} labels)",
        "encoder": f"{meta.get('encoder') or '–'}" + (f" (fingerprint {meta['encoder_fingerprint_16']}…)"
                                                      if meta.get("encoder_fingerprint_16") else ""),
        "training sources": sources, "training units": meta.get("train_units"),
        "config": f"{meta.get('config_name')} (sha256/16 {meta.get('config_sha256_16')}, seed {meta.get('seed')})",
        "trained": meta.get("created"),
        "model.json sha256": Cell(f"<span class='hash'>{esc(meta.get('model_json_sha256'))}</span>"),
        "thresholds": ", ".join(f"{k} {v:.2f}" for k, v in meta["thresholds"].items())
        + (" (languages without their own)" if meta.get("thresholds_by_language") else ""),
        **{f"thresholds, {lang}": ", ".join(f"{k} {v:.2f}" for k, v in row.items())
           for lang, row in (meta.get("thresholds_by_language") or {}).items()},
    }
    return f"<h3>{esc(name)}</h3>" + meta_list(items)


def _gold_block(prov: dict) -> str:
    langs = ", ".join(f"{k} {v}" for k, v in prov["languages"].items())
    items = {"gold": prov["spec"], "units": prov["units"], "documents": prov["documents"], "languages": langs,
             "labels": f"{prov['native_taxonomy']} mapped to {prov['mapped_to']}",
             f"sha256 ({prov['sha256_of']})": Cell(f"<span class='hash'>{esc(prov['sha256'])}</span>"),
             "sha256 of the units": Cell(f"<span class='hash'>{esc(prov['units_sha256'])}</span>")}
    out = meta_list(items)
    if prov.get("files"):
        out += table(["file", "sha256"], [[f["path"], Cell(f"<span class='hash'>{esc(f['sha256'])}</span>")]
                                          for f in prov["files"]], "gold-files", sortable=False)
        if len(prov["files"]) > 1:
            out += ("<p class='muted'>With several files the gold sha256 is that of their listing: "
                    "<code>sha256sum FILES | sha256sum</code> with the paths as shown.</p>")
    return out


# --- the page --------------------------------------------------------------------------------

def _overlap_notes(metrics: dict, names: dict) -> str:
    """A warning per model that was trained on some of the gold units (or could not be checked)."""
    notes = [describe_overlap(metrics["models"][r].get("training_overlap"), names[r]) for r in names]
    return "".join(f"<p class='note'><b>Not held out.</b> {esc(n[0].upper() + n[1:])}.</p>" for n in notes if n)


def render_evaluation(metrics: dict, gold_set, runs, labels: list[str]) -> str:
    """The whole report.html."""
    settings = defaults()["evaluate"]
    names = _names(metrics)
    gold = gold_set.matrix(labels)
    prov = metrics["gold"]
    compare = "difference" in metrics["overall"]
    title = f"clausetag evaluation: {' vs '.join(names.values())} on {prov['spec']}"
    nav = [("summary", "Summary"), ("labels", "Per label"), ("groups", "Languages & documents"),
           ("cooccurrence", "Gold vs predicted"), ("calibration", "Calibration"), ("pr", "Precision–recall"),
           ("errors-section", "Errors"), ("provenance", "Provenance")]
    if "changes" in metrics:
        nav.insert(-1, ("changes-section", "Fixed & broken"))
    header = (f"<h1>{esc(title)}</h1><div class='muted'>{counted(prov['units'], 'unit')}, "
              f"{counted(prov['documents'], 'document')}, "
              f"created {esc(metrics['created'])} by clausetag {esc(metrics['clausetag'])}</div><nav>"
              + "".join(f"<a href='#{a}'>{t}</a>" for a, t in nav) + "</nav>")
    group_fig, group_height = _fig_group_heatmap(metrics, runs[0].role, labels)
    pr_fig, pr_height = _fig_pr(runs, labels, gold_set, gold, names, settings["pr_curve_points"])
    body = [
        f"<section id='summary'><h2>Summary</h2>{_overlap_notes(metrics, names)}{_ci_text(metrics)}<div class='row'>"
        f"<div>{_summary(metrics, names)}<p class='muted'>Macro: mean over labels with gold units; micro: over all "
        f"(unit, label) decisions.</p></div>"
        f"<div class='grow'>{chart(_fig_label_f1(metrics, names, labels), 'chart-label-f1')}</div></div></section>",
        f"<section id='labels'><h2>Per label</h2><p class='muted'>Click a column header to sort.</p>"
        f"<div class='scroll'>{_per_label(metrics, names, labels)}</div>"
        + (chart(_fig_difference(metrics, labels), "chart-difference", 360) if compare else "") + "</section>",
        f"<section id='groups'><h2>By language</h2>{_groups(metrics['by_language'], names, 'by-language', 'language')}"
        f"<h2>By document</h2>" + filters("by-document", {})
        + f"<div class='scroll'>{_groups(metrics['by_document'], names, 'by-document', 'document')}</div>"
        + chart(group_fig, "chart-groups", group_height) + "</section>",
        "<section id='cooccurrence'><h2>Gold vs predicted labels</h2><p class='muted'>Row: a gold label; column: a "
        "predicted label; cell: units with both. The diagonal holds the true positives, the rest shows which "
        "labels are confused or predicted together.</p>"
        + chart(_fig_cooccurrence(metrics, names, labels), "chart-cooccurrence", 520) + "</section>",
        "<section id='calibration'><h2>Calibration</h2>"
        + chart(_fig_reliability(metrics, runs, labels, gold, names, settings["reliability_bins"]),
                "chart-reliability", 560) + "</section>",
        f"<section id='pr'><h2>Precision–recall</h2>{chart(pr_fig, 'chart-pr', pr_height)}</section>",
        f"<section id='errors-section'><h2>Error browser</h2>"
        f"{_error_browser(gold_set, runs, labels, gold, names, settings['errors_per_label'])}</section>",
        *([f"<section id='changes-section'><h2>Fixed and broken</h2>"
           f"{_changes(metrics, gold_set, runs, labels, names)}</section>"] if "changes" in metrics else []),
        "<section id='provenance'><h2>Provenance</h2>"
        + "".join(_model_block(metrics["models"][r], names[r]) for r in names)
        + f"<h3>Gold set</h3>{_gold_block(prov)}</section>",
    ]
    return page(title, header, "".join(body), with_charts=True)
