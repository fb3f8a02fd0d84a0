"""The crawl's artifacts, rebuilt from the state at the end of a run that changed it.

Each file is written through a temp file and an atomic rename, so a reader never sees a
half-written file, and the bytes depend only on the state (sorted, fixed key order).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crawl.artifacts import atomic_open, atomic_write_bytes, atomic_write_jsonl, dumps_line
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


def _write_if_changed(path: Path, data: bytes) -> None:
    if not path.is_file() or path.read_bytes() != data:
        atomic_write_bytes(path, data)


def _license_entry(name: str, entry: dict[str, str]) -> str:
    """One ``license_info.json`` member, as ``json.dumps(..., indent=2)`` writes it inside the object."""
    return json.dumps({name: entry}, ensure_ascii=False, indent=2)[2:-2]


def write_outputs(
    state: CrawlState, data_dir: str | Path, policy: dict[str, Any] | None = None
) -> OutputCounts:
    """Write huggingface_data/metadata.jsonl, license_info.json, crawl_report.jsonl and (given
    the crawl's :func:`policy_summary`) crawl_policy.json.

    Nothing is written when the state has not changed since the last write and the files are
    all there; the files stream from the state, whatever its size, in one pass.
    """
    data_dir = Path(data_dir)
    counts = OutputCounts()
    names, counts.collisions = state.output_counts()
    if policy is not None:
        _write_if_changed(data_dir / POLICY_FILE, _policy_bytes(policy))
    present = all(
        (data_dir / name).is_file() for name in (DATA_FILE, METADATA_FILE, LICENSE_FILE, REPORT_FILE)
    )
    if present and state.outputs_current():
        counts.lines, counts.datasets = names, state.dataset_count()
        return counts
    scratch = OutputCounts()  # _unique_lines notes collisions here; the state counted them above
    with (
        atomic_open(data_dir / DATA_FILE, "w") as data,
        atomic_open(data_dir / METADATA_FILE, "w") as metadata,
        atomic_open(data_dir / LICENSE_FILE, "w") as licenses,
    ):
        licenses.write("{")
        for line in _unique_lines(state, scratch):
            data.write(dumps_line(line) + "\n")
            metadata.write(dumps_line(metadata_line(line)) + "\n")
            entry = {"license": line["license"], "website": line["website"]}
            licenses.write(("," if counts.lines else "") + "\n" + _license_entry(line["task_name"], entry))
            counts.lines += 1
        licenses.write("\n}\n" if counts.lines else "}\n")
    left_out = {dataset: name for name, datasets in counts.collisions.items() for dataset in datasets}

    def reports() -> Iterator[dict[str, Any]]:
        for report in state.reports():
            if report["dataset"] in left_out:
                report["notes"] = [*report["notes"], f"task_name_collision: {left_out[report['dataset']]}"]
            yield report

    counts.datasets = atomic_write_jsonl(data_dir / REPORT_FILE, reports())
    state.outputs_written()
    return counts


def _policy_bytes(policy: dict[str, Any]) -> bytes:
    return (json.dumps(policy, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
