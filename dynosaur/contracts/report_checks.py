"""The fields of the stage reports a release reads, checked for their type before the card uses them.

A report of the wrong shape (edited by hand, or from another tool) is a ``BadArtifact`` naming the
file and the field, raised before the release folder is touched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dynosaur.contracts.shapes import require, require_items, require_object


def check_organize_report(report: Any, path: Path) -> dict[str, Any]:
    """``organize_report.json``: its ``sources`` (per task name), ``tasks`` and ``config``."""
    report = require_object(report, path)
    require_items(require(report.get("sources"), dict, path, "sources"), dict, path, "sources")
    require_items(require(report.get("tasks"), list, path, "tasks"), dict, path, "tasks")
    require(report.get("config"), dict, path, "config")
    return report


def check_judge_report(report: Any, path: Path) -> dict[str, Any]:
    """``judge_report.json``: the score distribution and the measured agreement the card shows."""
    report = require_object(report, path)
    require(report.get("score_distribution"), dict, path, "score_distribution")
    agreement = require(report.get("agreement"), dict, path, "agreement")
    for key in ("precision", "recall", "kappa"):
        if agreement:
            require(agreement.get(key), float, path, f"agreement.{key}", absent=False)
    return report


def check_decontamination_report(report: Any, path: Path) -> dict[str, Any]:
    """``decontamination_report.json``: what each benchmark removed, and its parts."""
    report = require_object(report, path)
    removed = require(report.get("removed_per_benchmark"), dict, path, "removed_per_benchmark")
    require_items(removed, int, path, "removed_per_benchmark")
    benchmarks = require(report.get("benchmarks"), list, path, "benchmarks")
    require_items(benchmarks, dict, path, "benchmarks")
    for index, outcome in enumerate(benchmarks or []):
        parts = require(outcome.get("parts"), list, path, f"benchmarks[{index}].parts")
        require_items(parts, dict, path, f"benchmarks[{index}].parts")
    require(report.get("records_removed"), int, path, "records_removed")
    return report
