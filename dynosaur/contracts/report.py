"""``report.html``: the page that shows what a run generated; a release carries it beside its card."""

REPORT_FILE = "report.html"
