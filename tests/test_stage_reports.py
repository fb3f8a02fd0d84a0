"""Every stage's end-of-run report has one shape: ``to_json()`` for the file, ``render()`` to print."""

from __future__ import annotations

import inspect
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from dynosaur.contracts.manifest import Manifest
from dynosaur.core.errors import cli_flag, spell_fields
from dynosaur.core.report import StageReport
from dynosaur.dedup.jsonl import DedupResult, RemovedLine
from dynosaur.dino.run import DinoResult
from dynosaur.documents.report import DocumentsSummary
from dynosaur.hub.filter.run import FilterSummary
from dynosaur.hub.organize.run import OrganizeReport
from dynosaur.hub.propose.run import ProposeSummary
from dynosaur.hub.publish.grow import GrowReport
from dynosaur.hub.publish.release_repo import TagResult
from dynosaur.hub.publish.run import Release, ReleaseReport, UploadResult
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

_MANIFEST = Manifest(
    version="2026.11.21",
    date="2026-11-21",
    repo_id="me/dyno",
    records=3,
    shards=["data/train-00000-of-00001.parquet"],
    sources={"acme/qa": {"license": "mit", "records": 3, "tasks": 1}},
    changelog=[
        {
            "version": "2026.11.21",
            "previous": "2026.11.20",
            "added": ["acme/qa"],
            "changed": [],
            "removed": [],
        }
    ],
)
_TAG = TagResult("2026.11.21", "c0ffee" * 7, "failed", "the Hub answered 403: no", "me/dyno")
_UPLOAD = UploadResult("https://hub/me/dyno", "ab" * 20, "https://hub/c", ["README.md"], [], _TAG, None)

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
    _TAG,
    ReleaseReport(Release(Path("releases/2026.11.21"), _MANIFEST), _UPLOAD, repo_id="me/dyno"),
    ReleaseReport(None, previous=_MANIFEST, head_tag=_TAG, repo_id="me/dyno"),
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


def test_a_release_report_says_what_was_released_and_what_its_tag_did() -> None:
    made = ReleaseReport(Release(Path("releases/2026.11.21"), _MANIFEST), _UPLOAD, repo_id="me/dyno")
    assert not made.ok  # the tag failed: the commit stays, the run says so
    data = made.to_json()
    assert (data["version"], data["commit"], data["earlier_tag"]) == ("2026.11.21", "ab" * 20, None)
    assert data["tag"] == {
        "name": "2026.11.21",
        "commit": "c0ffee" * 7,
        "status": "failed",
        "error": _TAG.error,
    }
    text = made.render()
    assert text.splitlines()[0].startswith("release 2026.11.21: 3 records, 1 tasks, 1 sources, 1 shards")
    assert "since 2026.11.20: 1 added, 0 changed, 0 removed" in text
    assert f"hf repos tag create me/dyno 2026.11.21 --revision {'c0ffee' * 7}" in text
    unchanged = ReleaseReport(None, previous=_MANIFEST, repo_id="me/dyno")
    assert unchanged.ok and unchanged.to_json() == {"version": None, "previous": "2026.11.21", "tag": None}
    assert unchanged.render() == "nothing new since 2026.11.21: no release made"


def test_a_tag_report_renders_each_status() -> None:
    created = TagResult("1.0", "1234567890abcdef", "created", repo_id="me/dyno")
    assert created.ok and created.render() == "tagged  1.0 on 1234567890ab"
    assert TagResult("1.0", "1234567890abcdef", "exists").render() == "tagged  1.0 (already on 1234567890ab)"
    assert not _TAG.ok and _TAG.render().startswith("tag 2026.11.21 FAILED: the Hub answered 403: no.")
    assert set(created.to_json()) == {"name", "commit", "status", "error"}  # the repo is not repeated


def test_the_propose_report_names_the_batch_results_field_and_the_cli_spells_it() -> None:
    summary = ProposeSummary(
        engine="openai",
        batch={
            "batch_calls": 0,
            "batches_submitted": 0,
            "batches_resumed": 0,
            "retried_as_normal_calls": 0,
            "files_written": ["out/batch-0.jsonl"],
        },
    )
    text = summary.render()
    assert "--" not in text.replace("batch-0", "")
    assert "wrote out/batch-0.jsonl: run it, then rerun with `batch_results` FILE" in text
    assert "rerun with --batch-results FILE" in spell_fields(text, summary.mentions, cli_flag)
