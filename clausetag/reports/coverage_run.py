"""`clausetag report` on a batch of any size: each policy is read (`LabelOutput`), its coverage computed and
written to coverage.csv and coverage.json, and only its outline kept, so memory does not grow with the
batch's units. The page shows every policy of a batch of up to `[report] page_policies`; of a larger
one, the figures across the whole batch and the policies where the most checklist items seem missing
(docs/cluster.md), the files beside it every policy (coverage.json one policy a line).
"""

from __future__ import annotations

from pathlib import Path

from clausetag.infer.output import atomic_file, atomic_write_text, spreadsheet_writer
from clausetag.reports.coverage import (CSV_FILE, JSON_FILE, REPORT_FILE, BatchTally, Coverage, PolicyCoverage,
                                        csv_columns, csv_row, json_head, load_checklist, policy_coverage, policy_json)
from clausetag.reports.coverage_html import render_coverage
from clausetag.reports.json_spool import JsonListSpool
from clausetag.reports.label_output import LabelOutput
from clausetag.reports.selection import Worst
from clausetag.settings import defaults


def gaps(pc: PolicyCoverage) -> tuple[bool, int, int]:
    """How much a reviewer should look at a policy: failed, then checklist items that seem missing, then
    categories never mentioned."""
    return not pc.policy.labeled, len(pc.items_with("missing")), len(pc.absent)


def write_report(labels_path: str | Path, out_dir: Path, checklist: str | None = None,
                 page_policies: int | None = None) -> Coverage:
    """Read a label output policy by policy and write report.html, coverage.csv and coverage.json into
    `out_dir`; returns the coverage of the policies the page shows, with the whole batch's figures."""
    out = LabelOutput(labels_path)
    checklist_ = load_checklist(checklist)
    settings = defaults()["report"]
    k = settings["evidence_per_category"]
    shown = Worst(settings["page_policies"] if page_policies is None else page_policies)
    tally, cats = BatchTally(), out.categories
    out_dir.mkdir(parents=True, exist_ok=True)
    with JsonListSpool(one_line=len(out.docs) > shown.limit) as spool, atomic_file(out_dir / CSV_FILE) as f:
        rows = spreadsheet_writer(f)
        rows.writerow(csv_columns(cats, checklist_))
        for policy in out.policies():
            pc = policy_coverage(policy, out, checklist_, k)
            tally.add(pc)
            spool.add(policy_json(pc))
            rows.writerow(csv_row(pc, cats, checklist_))
            shown.offer(gaps(pc), PolicyCoverage(policy.outline(), pc.categories, pc.checklist))
        cov = Coverage(out, checklist_, shown.in_order(), tally)
        spool.write(out_dir / JSON_FILE, json_head(cov), "policies")
    csv_text = None
    if cov.complete:  # a batch the page shows whole carries its CSV as a download
        with (out_dir / CSV_FILE).open(encoding="utf-8", newline="") as f:
            csv_text = f.read()
    atomic_write_text(out_dir / REPORT_FILE, render_coverage(cov, csv_text))
    return cov
