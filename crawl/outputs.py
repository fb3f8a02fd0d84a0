"""The crawl's artifacts, rebuilt whole from the state at the end of every run.

Each file is written through a temp file and an atomic rename, so a reader never sees a
half-written file, and the bytes depend only on the state (sorted, fixed key order).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crawl.artifacts import atomic_write_json, atomic_write_jsonl
from crawl.licenses import PRESET_DESCRIPTIONS, PRESETS
from crawl.policy import PolicyOptions
from crawl.records import metadata_line
from crawl.state import CrawlState

METADATA_FILE = "huggingface_metadata.jsonl"
DATA_FILE = "huggingface_data.jsonl"
LICENSE_FILE = "license_info.json"
REPORT_FILE = "crawl_report.jsonl"
POLICY_FILE = "crawl_policy.json"


@dataclass
class OutputCounts:
    """What the rebuilt artifacts hold."""

    lines: int = 0
    datasets: int = 0
    collisions: dict[str, list[str]] = field(default_factory=dict)  # task_name -> datasets left out


def _unique_lines(state: CrawlState, counts: OutputCounts) -> Iterator[dict[str, Any]]:
    """Lines by task_name; when two datasets make the same task_name, the first id wins."""
    previous: str | None = None
    for dataset, line in state.lines():
        name = line["task_name"]
        if name == previous:
            counts.collisions.setdefault(name, []).append(dataset)
            continue
        previous = name
        yield line


def policy_summary(policy: PolicyOptions, splits: tuple[str, ...]) -> dict[str, Any]:
    """crawl_policy.json: what the crawl kept, for the release card (the license policy by name)."""
    return {
        "license_policy": {
            "name": policy.license_policy,
            "description": PRESET_DESCRIPTIONS[policy.license_policy],
            "classes": sorted(PRESETS[policy.license_policy]),
            "allow_licenses": sorted(policy.allow_licenses),
            "deny_licenses": sorted(policy.deny_licenses),
        },
        "splits": list(splits),
        "rules": policy.as_dict(),
    }


def write_outputs(
    state: CrawlState, data_dir: str | Path, policy: dict[str, Any] | None = None
) -> OutputCounts:
    """Write huggingface_data/metadata.jsonl, license_info.json, crawl_report.jsonl and (given
    the crawl's :func:`policy_summary`) crawl_policy.json."""
    data_dir = Path(data_dir)
    counts = OutputCounts()
    metadata: list[dict[str, Any]] = []
    licenses: dict[str, dict[str, str]] = {}

    def data_lines() -> Iterator[dict[str, Any]]:
        # One pass over the state: the data file streams, the small files are gathered on the way.
        for line in _unique_lines(state, counts):
            metadata.append(metadata_line(line))
            licenses[line["task_name"]] = {"license": line["license"], "website": line["website"]}
            yield line

    counts.lines = atomic_write_jsonl(data_dir / DATA_FILE, data_lines())
    atomic_write_jsonl(data_dir / METADATA_FILE, metadata)
    atomic_write_json(data_dir / LICENSE_FILE, licenses)
    left_out = {dataset: name for name, datasets in counts.collisions.items() for dataset in datasets}

    def reports() -> Iterator[dict[str, Any]]:
        for report in state.reports():
            if report["dataset"] in left_out:
                report["notes"] = [*report["notes"], f"task_name_collision: {left_out[report['dataset']]}"]
            yield report

    counts.datasets = atomic_write_jsonl(data_dir / REPORT_FILE, reports())
    if policy is not None:
        atomic_write_json(data_dir / POLICY_FILE, policy)
    return counts
