"""Every stage's end-of-run report has one shape: ``to_json()`` for the file, ``render()`` to print."""

from __future__ import annotations

import inspect
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from dynosaur.core.report import StageReport
from dynosaur.dedup.jsonl import DedupResult, RemovedLine
from dynosaur.dino.run import DinoResult
from dynosaur.documents.report import DocumentsSummary
from dynosaur.hub.filter.run import FilterSummary
from dynosaur.hub.organize.run import OrganizeReport
from dynosaur.hub.propose.run import ProposeSummary
from dynosaur.hub.publish.grow import GrowReport
from dynosaur.quality.decontaminate.run import DecontaminationReport
from dynosaur.quality.judge.run import JudgeSummary
from dynosaur.quality.report import ReportResult
from dynosaur.self_instruct.run import SelfInstructReport

_DINO_SUMMARY: dict[str, Any] = {
    "task_name": "t",
    "mode": "pair",
    "engine": "rules",
    "model": "m",
    "seed": 0,
    "counter_labels": {"honoured": False, "ignored": False},
    "labels": {"yes": {"generated": 2, "kept": 1, "removed": {"dedup": 1}}},
    "total": {"generated": 2, "kept": 1},
    "batches": {"generated_now": 1, "from_earlier_runs": 0, "failed": 0},
    "stopped": None,
}

_SELF_INSTRUCT: dict[str, Any] = {
    "instructions_generated": 1,
    "requested": 2,
    "seed_tasks": 3,
    "stop_reason": "done",
    "tasks_written": 1,
    "records_written": 2,
    "output_dir": "out",
    "bootstrap": {"rounds": 1, "candidates": 2, "kept": 1, "rejected": {"too similar": 1}, "errors": []},
    "classification": {"yes": 1, "no": 0, "unparseable": 0},
    "instances": {"kept": 2, "dropped": {}},
    "engine": {"name": "rules", "model": "m", "calls": 3, "cache_hits": 0},
    "tasks_dropped": {},
}

REPORTS: list[Any] = [
    ProposeSummary(engine="rules", proposed=Counter(a=1)),
    FilterSummary(tasks=2, valid=1, rejected=Counter(bad=1)),
    OrganizeReport(records=3, rows_skipped=Counter(empty=1)),
    GrowReport(),
    DecontaminationReport(n=13, threshold=1, benchmarks=[], removed_per_benchmark=Counter(x=1)),
    JudgeSummary(judge="rules", model="m", records_per_task=2),
    ReportResult(path=Path("report.html"), records=3, tasks=1, seconds=0.5),
    SelfInstructReport(_SELF_INSTRUCT),
    DedupResult(kept=[b"{}"], removed=[RemovedLine(2, "invalid JSON"), RemovedLine(3, "dup", 1, 0.9)]),
    DocumentsSummary(records=2, self_instruct_dropped=Counter(short=1)),
    DinoResult(_DINO_SUMMARY, Path("d.jsonl"), Path("s.json"), Path("g.jsonl")),
]


@pytest.mark.parametrize("report", REPORTS, ids=lambda r: type(r).__name__)
def test_report_has_the_stage_report_shape(report: Any) -> None:
    assert isinstance(report, StageReport)
    for name in ("to_json", "render"):
        required = [
            p
            for p in inspect.signature(getattr(report, name)).parameters.values()
            if p.default is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        assert not required, f"{type(report).__name__}.{name} needs {required}"
    data = report.to_json()
    assert isinstance(data, dict)
    back = json.loads(json.dumps(data, allow_nan=False))
    assert set(back) == set(data) and back == json.loads(json.dumps(back))
    assert isinstance(report.render(), str)


def test_every_report_class_is_listed() -> None:
    """A new ``...Report`` / ``...Summary`` class in a stage module must join the list above."""
    import importlib
    import pkgutil

    import dynosaur

    listed = {type(r) for r in REPORTS}
    found = set()
    for info in pkgutil.walk_packages(dynosaur.__path__, "dynosaur."):
        if info.name.startswith(("dynosaur.commands", "dynosaur.contracts", "dynosaur.core")):
            continue
        try:
            module = importlib.import_module(info.name)
        except ImportError:  # optional extras (torch, openai, ...) not installed
            continue
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if obj.__module__ == info.name and obj.__name__.endswith(("Report", "Summary")):
                found.add(obj)
    assert found - listed == set()
