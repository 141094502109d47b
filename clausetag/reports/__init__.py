"""Reports for reviewers, each beside its HTML page: `evaluation` (a model scored on a gold set:
`evaluation` statistics, `evaluation_run` running the models, `evaluation_html`), `coverage` (what
each labeled policy discloses and a notice checklist, `coverage_html`) and `diff` (two versions of a
policy, `diff_html`); `html_common` holds the page, table and chart helpers they share."""
