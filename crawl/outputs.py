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
from crawl.records import metadata_line
from crawl.state import CrawlState

METADATA_FILE = "huggingface_metadata.jsonl"
DATA_FILE = "huggingface_data.jsonl"
LICENSE_FILE = "license_info.json"
REPORT_FILE = "crawl_report.jsonl"


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


def write_outputs(state: CrawlState, data_dir: str | Path) -> OutputCounts:
    """Write huggingface_data/metadata.jsonl, license_info.json and crawl_report.jsonl."""
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
    return counts
