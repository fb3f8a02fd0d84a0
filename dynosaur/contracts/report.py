"""``report.html``: the page that shows what a run generated; a release carries it beside its card."""

from dynosaur.contracts.artifacts import REPORT_HTML_FILE as REPORT_FILE

__all__ = ["REPORT_FILE"]
