"""The one-screen summary printed at the end of a crawl."""

from __future__ import annotations

from crawl.crawler import CrawlResult
from crawl.outputs import DATA_FILE


def _counts(pairs: list[tuple[str, int]]) -> str:
    return ", ".join(f"{name} {count}" for name, count in pairs) or "none"


def format_summary(result: CrawlResult, timed: bool = True) -> str:
    """Counts by outcome and reason, requests by bucket, 429s and (``timed``) time."""
    listing = "complete" if result.complete else "partial"
    lines = [
        f"crawl: listed {result.listed} datasets ({listing} listing); crawled {result.crawled}, "
        f"unchanged {result.unchanged}, removed {len(result.removed)}"
        + (f" - {result.seconds:.1f} s" if timed else ""),
    ]
    if result.listing_error:
        lines.append(
            f"  listing stopped early: {result.listing_error} (nothing was removed; rerun to finish)"
        )
    if result.lost:
        lines.append(
            f"  {DATA_FILE} was missing or changed outside the crawl: {result.lost} datasets crawled again"
        )
    if result.interrupted:
        lines.append("  interrupted: everything finished so far is saved; rerun to resume")
    lines.append(
        f"  this run: kept {result.statuses.get('kept', 0)} ({result.configs_kept} configs), "
        f"skipped {result.statuses.get('skipped', 0)}, failed {result.statuses.get('failed', 0)}"
    )
    if result.deferred:
        lines.append(
            f"    deferred (viewer not ready) {result.deferred}: {result.recovered} answered in the "
            f"second pass, {result.deferred - result.recovered} failed"
        )
    for status in ("skipped", "failed"):
        reasons = sorted(
            ((kind or "unknown", n) for (s, kind), n in result.reasons.items() if s == status),
            key=lambda item: (-item[1], item[0]),
        )
        if reasons:
            lines.append(f"    {status}: {_counts(reasons)}")
    totals = result.totals
    lines.append(
        f"  data dir: {result.outputs.lines} dataset-configs in {DATA_FILE}; "
        f"datasets kept {totals.get('kept', 0)}, skipped {totals.get('skipped', 0)}, failed {totals.get('failed', 0)}"
    )
    if result.outputs.collisions:
        lines.append(
            f"  task_name collisions (later datasets left out): {', '.join(sorted(result.outputs.collisions))}"
        )
    requests = result.requests
    per_config = (
        f"{requests.get('total', 0) / result.configs_kept:.1f} per kept config"
        if result.configs_kept
        else "no config kept"
    )
    lines.append(
        f"  requests: {_counts(sorted(requests.get('requests', {}).items()))} "
        f"(total {requests.get('total', 0)}, {per_config}); "
        f"429 received {requests.get('rate_limited', 0)}; retries {requests.get('retries', 0)}; "
        f"gave up {requests.get('failed', 0)}; not ready after retries {requests.get('not_ready', 0)}; "
        f"permanent viewer errors {requests.get('permanent', 0)}"
    )
    if result.statuses.get("failed"):
        lines.append("  failed datasets are retried on the next run (see crawl_report.jsonl)")
    return "\n".join(lines)
