"""The decontamination report's file names, and what a release says about it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from dynosaur.contracts.artifacts import DECONTAMINATION_REPORT_FILE as REPORT_FILE
from dynosaur.contracts.artifacts import RECORDS_FILE
from dynosaur.contracts.report_checks import check_decontamination_report


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def release_summary(data_dir: Path, records_file: str = RECORDS_FILE) -> dict[str, Any]:
    """What was checked and removed per benchmark, for the manifest and the card.

    Empty when the records were not decontaminated, or were rewritten since (the report's
    SHA-256 of the file it wrote no longer matches).
    """
    try:
        report = json.loads((data_dir / REPORT_FILE).read_text(encoding="utf-8"))
        current = file_sha256(data_dir / records_file)
    except (OSError, ValueError):
        return {}
    if not isinstance(report, dict) or report.get("output_sha256") != current:
        return {}
    check_decontamination_report(report, data_dir / REPORT_FILE)
    removed: dict[str, int] = report.get("removed_per_benchmark") or {}
    benchmarks = []
    for outcome in report.get("benchmarks") or []:
        parts = [part.get("label", "") for part in outcome.get("parts") or []]
        benchmarks.append(
            {
                "benchmark": outcome.get("benchmark", ""),
                "status": "skipped" if outcome.get("status") == "skipped" else "checked",
                "reason": outcome.get("reason"),
                "revision": outcome.get("revision"),
                "parts": parts,
                "removed": sum(int(removed.get(label, 0)) for label in parts),
            }
        )
    return {
        "method": report.get("method", ""),
        "n": report.get("n"),
        "threshold": report.get("threshold"),
        "records_removed": int(report.get("records_removed") or 0),
        "benchmarks": benchmarks,
    }
