"""``report.html``: what a run generated, seen with eyes and numbers, in one self-contained file.

``write_report(spec)`` streams the records named by ``spec`` once, reads the stages' small reports
and the judge scores, and writes the HTML atomically. The command layer builds the spec (it knows
each generator's file names): the Hub chain's, Self-Instruct's, DINO's and the documents'.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dynosaur.contracts.report import REPORT_FILE
from dynosaur.core.io import atomic_write_text
from dynosaur.quality.report.collect import SAMPLES_PER_TASK, RecordFields, ReportData, collect
from dynosaur.quality.report.render import render_html


@dataclass(frozen=True)
class ReportSpec:
    """What one report shows: a records file, how to read its lines, and the stages' reports."""

    title: str
    records: Path
    output: Path
    fields: RecordFields = field(default_factory=RecordFields)
    rejections: tuple[tuple[str, Path], ...] = ()
    scores: Path | None = None


@dataclass
class ReportResult:
    """What was written."""

    path: Path
    records: int
    tasks: int
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "records": self.records, "tasks": self.tasks, "seconds": self.seconds}

    def render(self, timed: bool = True, relative_to: Path | None = None) -> str:
        """``report: N records, T tasks -> PATH (S s)``; ``timed=False``: without the duration,
        ``relative_to``: PATH relative to that folder (for output that must not vary by run)."""
        inside = relative_to is not None and self.path.is_relative_to(relative_to)
        path = self.path.relative_to(relative_to).as_posix() if relative_to and inside else str(self.path)
        duration = f" ({self.seconds:.1f}s)" if timed else ""
        return f"report: {self.records} records, {self.tasks} tasks -> {path}{duration}"


def build_report(spec: ReportSpec, *, seed: int = 0, progress: bool = False) -> tuple[ReportData, str]:
    """The report's numbers and its HTML (nothing written)."""
    data = collect(
        spec.title,
        spec.records,
        spec.fields,
        rejections=spec.rejections,
        scores=spec.scores,
        seed=seed,
        samples_per_task=SAMPLES_PER_TASK,
        progress=progress,
    )
    missing = [
        (stage, f"no {path.name} in this folder") for stage, path in spec.rejections if not path.is_file()
    ]
    return data, render_html(data, missing, SAMPLES_PER_TASK)


def write_report(spec: ReportSpec, *, seed: int = 0, progress: bool = False) -> ReportResult:
    """Build the report of ``spec`` and write it to ``spec.output`` atomically."""
    started = time.perf_counter()
    data, html = build_report(spec, seed=seed, progress=progress)
    atomic_write_text(spec.output, html)
    return ReportResult(spec.output, data.records, len(data.tasks), time.perf_counter() - started)


__all__ = [
    "REPORT_FILE",
    "RecordFields",
    "ReportData",
    "ReportResult",
    "ReportSpec",
    "build_report",
    "write_report",
]
