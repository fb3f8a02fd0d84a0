"""Grow: run the chain again for what changed on the Hub, and release a new version.

The ``grow`` command wires the stages (crawl, propose, filter, organize, release) as named
steps; this module runs them in order, stops at the first step that fails (what earlier steps
wrote stays), and writes ``grow_report.json`` with each step's summary and the release's changes.
The crawl's state makes the crawl incremental and the response cache makes proposals for
unchanged datasets free, so each step may simply run over everything.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dynosaur.contracts.artifacts import GROW_REPORT_FILE
from dynosaur.core.io import atomic_write_json


@dataclass
class Outcome:
    """What one step returns: whether the chain may go on, its summary and JSON-ready details."""

    ok: bool
    summary: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    """A named stage call."""

    name: str
    run: Callable[[], Outcome]


@dataclass
class StepResult:
    name: str
    ok: bool
    summary: str
    seconds: float
    detail: dict[str, Any]


@dataclass
class GrowReport:
    """Every step's result, in order; ``ok`` when all of them went through."""

    steps: list[StepResult] = field(default_factory=list)
    timed: bool = True  # False: the report file leaves out durations, so equal runs write equal bytes

    @property
    def ok(self) -> bool:
        return all(step.ok for step in self.steps)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "steps": [
                {
                    "name": s.name,
                    "ok": s.ok,
                    **({"seconds": round(s.seconds, 3)} if self.timed else {}),
                    "summary": s.summary,
                    "detail": s.detail,
                }
                for s in self.steps
            ],
        }

    def render(self) -> str:
        """The end-of-run summary: each step's own summary under its name."""
        lines = []
        for step in self.steps:
            lines.append(f"== {step.name} ({'ok' if step.ok else 'FAILED'}, {step.seconds:.1f}s)")
            lines.extend(f"   {line}" for line in step.summary.splitlines())
        return "\n".join(lines)


def run_steps(
    steps: list[Step],
    data_dir: str | Path,
    errors: tuple[type[BaseException], ...],
    echo: Callable[[str], None] | None = None,
    report_file: str = GROW_REPORT_FILE,
    timed: bool = True,
) -> GrowReport:
    """Run ``steps`` in order until one fails; ``errors`` raised by a step count as its failure.

    The report is written to ``DATA_DIR/<report_file>`` after every step, so a run that stops
    (or is interrupted) still says how far it got.
    """
    report = GrowReport(timed=timed)
    for step in steps:
        started = time.monotonic()
        if echo:
            echo(f"{step.name}...")
        try:
            outcome = step.run()
        except errors as exc:
            outcome = Outcome(False, f"{type(exc).__name__}: {exc}")
        report.steps.append(
            StepResult(step.name, outcome.ok, outcome.summary, time.monotonic() - started, outcome.detail)
        )
        atomic_write_json(Path(data_dir) / report_file, report.to_json())
        if not outcome.ok:
            break
    return report
