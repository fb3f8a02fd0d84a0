"""The filter stage: re-judge ``tasks.jsonl`` against the metadata and write the valid tasks.

The rules themselves live in ``dynosaur.contracts.task_checks`` (the propose stage applies the same ones).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crawl.artifact_errors import not_utf8
from dynosaur.contracts.artifacts import (
    FILTER_REPORT_FILE,
    INSTRUCTIONS_FILE,
    METADATA_FILE,
    REJECTED_FILE,
    TASKS_FILE,
    reason_kind,
)
from dynosaur.contracts.metadata import load_metadata
from dynosaur.contracts.task_checks import demonstration_index, judge, prompt_sentences
from dynosaur.contracts.tasks import Task
from dynosaur.core.errors import MissingArtifact
from dynosaur.core.io import atomic_write_json, atomic_write_jsonl


@dataclass
class FilterSummary:
    """Counts of a filter run; printed and written to ``filter_report.json``."""

    tasks: int = 0
    valid: int = 0
    rejected: Counter = field(default_factory=Counter)
    valid_by_source: Counter = field(default_factory=Counter)
    datasets: int = 0
    skipped_lines: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "tasks": self.tasks,
            "valid": self.valid,
            "rejected": sum(self.rejected.values()),
            "rejected_by_reason": dict(sorted(self.rejected.items())),
            "valid_by_source": dict(sorted(self.valid_by_source.items())),
            "datasets_with_valid_tasks": self.datasets,
            "skipped_lines": self.skipped_lines,
        }

    def render(self) -> str:
        lines = [
            f"filter: {self.tasks} proposals, {self.valid} valid tasks for {self.datasets} "
            f"dataset-configs, {sum(self.rejected.values())} rejected"
        ]
        if self.valid_by_source:
            lines.append(
                "  valid by source: " + ", ".join(f"{k} {n}" for k, n in sorted(self.valid_by_source.items()))
            )
        if self.rejected:
            lines.append("  rejected: " + ", ".join(f"{n} {k}" for k, n in self.rejected.most_common()))
        for item in self.skipped_lines[:5]:
            lines.append(f"  skipped {item['where']}: {item['reason']}")
        lines.append(f"  wrote {INSTRUCTIONS_FILE}, {REJECTED_FILE}, {FILTER_REPORT_FILE}")
        return "\n".join(lines)


def read_tasks(path: Path) -> tuple[list[Task], list[dict[str, Any]]]:
    """The tasks of ``tasks.jsonl`` in file order, and each unreadable line with its reason."""
    if not path.is_file():
        raise MissingArtifact(f"{path} does not exist; run `dynosaur propose` first")
    tasks: list[Task] = []
    skipped: list[dict[str, Any]] = []
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                tasks.append(Task.from_json(json.loads(raw.decode("utf-8"))))
            except UnicodeDecodeError as exc:
                skipped.append({"where": f"{path.name}:{number}", "reason": not_utf8(exc)})
            except (json.JSONDecodeError, ValueError) as exc:
                skipped.append({"where": f"{path.name}:{number}", "reason": str(exc)})
    return tasks, skipped


def filter_tasks(
    data_dir: str | Path, prompts_dir: str | Path | None = None, max_tasks: int = 3
) -> FilterSummary:
    """Re-validate ``tasks.jsonl`` against the metadata and write the filter's artifacts.

    Writes (each atomically) ``tasks.jsonl`` with every proposal judged, ``instructions-full.json``
    (the valid tasks in Dynosaur's shape), ``rejected_tasks.jsonl`` and ``filter_report.json``.
    """
    data_dir = Path(data_dir)
    tasks, skipped = read_tasks(data_dir / TASKS_FILE)
    lines, skipped_meta = load_metadata(data_dir / METADATA_FILE)
    judged = judge(
        tasks,
        {line["task_name"]: line for line in lines},
        prompt_sentences(max_tasks, prompts_dir),
        demonstration_index(prompts_dir),
    )
    summary = FilterSummary(tasks=len(judged), skipped_lines=skipped + skipped_meta)
    for task in judged:
        if task.valid:
            summary.valid += 1
            summary.valid_by_source[task.source] += 1
        else:
            summary.rejected[reason_kind(task.reason)] += 1
    summary.datasets = len({t.task_name for t in judged if t.valid})
    atomic_write_jsonl(data_dir / TASKS_FILE, (t.to_json() for t in judged))
    atomic_write_json(data_dir / INSTRUCTIONS_FILE, [t.published() for t in judged if t.valid])
    atomic_write_jsonl(data_dir / REJECTED_FILE, (t.to_json() for t in judged if not t.valid))
    atomic_write_json(data_dir / FILTER_REPORT_FILE, summary.to_json())
    return summary
