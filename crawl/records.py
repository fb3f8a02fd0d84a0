"""The crawl's records: one output line per kept dataset-config, one report line per dataset.

Field order is fixed here (it is the file contract in DESIGN.md); JSON keeps insertion order, so
every run writes the same bytes for the same Hub state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

METADATA_ROWS = 2
KEPT, SKIPPED, FAILED = "kept", "skipped", "failed"
# Within a run only (never saved): the viewer was not ready; asked again in the run's second pass.
DEFERRED = "deferred"


def task_name(repo_id: str, config: str, several_configs: bool) -> str:
    """``repo id`` for a single-config dataset, ``<repo id>-<config>`` when it has several."""
    return f"{repo_id}-{config}" if several_configs else repo_id


def website(hub_origin: str, repo_id: str) -> str:
    """The dataset's public page on the Hub it comes from (``https://huggingface.co/datasets/ID``)."""
    return f"{hub_origin.rstrip('/')}/datasets/{repo_id}"


@dataclass
class ConfigLine:
    """What one kept dataset-config contributes (the huggingface_data.jsonl line, in order)."""

    task_name: str
    dataset: str
    config: str
    split: str
    revision: str
    license: str
    website: str
    languages: list[str]
    multilinguality: str
    summary: str
    supported_task: str
    data_fields: str
    task_category: list[str]
    task_ids: list[str]
    features: list[dict[str, Any]]
    selected_data: list[dict[str, Any]]
    row_indices: list[int]  # each selected_data row's index in its split (the viewer's row_idx)

    def to_json(self) -> dict[str, Any]:
        return {
            "task_name": self.task_name,
            "dataset": self.dataset,
            "config": self.config,
            "split": self.split,
            "revision": self.revision,
            "license": self.license,
            "website": self.website,
            "languages": list(self.languages),
            "multilinguality": self.multilinguality,
            "summary": self.summary,
            "supported_task": self.supported_task,
            "data_fields": self.data_fields,
            "task_category": list(self.task_category),
            "task_ids": list(self.task_ids),
            "features": self.features,
            "selected_data": self.selected_data,
            "row_indices": list(self.row_indices),
        }


def metadata_line(data_line: dict[str, Any]) -> dict[str, Any]:
    """The huggingface_metadata.jsonl line: the data line with its first two sample rows."""
    line = {**data_line, "selected_data": data_line["selected_data"][:METADATA_ROWS]}
    if isinstance(data_line.get("row_indices"), list):
        line["row_indices"] = data_line["row_indices"][:METADATA_ROWS]
    return line


@dataclass
class DatasetOutcome:
    """Everything one dataset's crawl produced: its report line and its output lines."""

    dataset: str
    sha: str | None
    status: str
    reason: str | None = None
    configs_kept: list[str] = field(default_factory=list)
    configs_skipped: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)

    def report(self) -> dict[str, Any]:
        """The crawl_report.jsonl line."""
        return {
            "dataset": self.dataset,
            "sha": self.sha,
            "status": self.status,
            "reason": self.reason,
            "configs_kept": list(self.configs_kept),
            "configs_skipped": dict(self.configs_skipped),
            "notes": list(self.notes),
        }

    @classmethod
    def skipped(
        cls, dataset: str, sha: str | None, reason: str, notes: list[str] | None = None
    ) -> DatasetOutcome:
        return cls(dataset=dataset, sha=sha, status=SKIPPED, reason=reason, notes=list(notes or []))

    @classmethod
    def failed(
        cls, dataset: str, sha: str | None, reason: str, notes: list[str] | None = None
    ) -> DatasetOutcome:
        return cls(dataset=dataset, sha=sha, status=FAILED, reason=reason, notes=list(notes or []))


def reason_kind(reason: str | None) -> str:
    """The counting key of a reason: the text before its first ":" (``license_denied: ofl`` -> ``license_denied``)."""
    return (reason or "").split(":", 1)[0].strip()
