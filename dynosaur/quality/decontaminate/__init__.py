"""Decontamination: remove records that overlap evaluation benchmarks (n-gram overlap).

``run_decontamination(data_dir, benchmarks, crawl_options)`` reads (or reuses) the benchmarks'
index and rewrites ``dynosaur-full.jsonl``; see :mod:`.run` for the files it writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from crawl.benchmarks import Benchmark
from crawl.options import CrawlOptions
from dynosaur.core import checks
from dynosaur.quality.decontaminate.index import NgramIndex
from dynosaur.quality.decontaminate.run import (
    RECORDS_FILE,
    REMOVED_FILE,
    REPORT_FILE,
    DecontaminateOptions,
    DecontaminationReport,
    OverlapChecker,
    decontaminate,
)
from dynosaur.quality.decontaminate.sources import (
    DEFAULT_MAX_ROWS,
    INDEX_DIR,
    BenchmarkOutcome,
    BenchmarkReader,
)

__all__ = [
    "DEFAULT_MAX_ROWS",
    "INDEX_DIR",
    "REMOVED_FILE",
    "REPORT_FILE",
    "BenchmarkOutcome",
    "BenchmarkReader",
    "DecontaminateOptions",
    "DecontaminationReport",
    "NgramIndex",
    "OverlapChecker",
    "decontaminate",
    "run_decontamination",
]


def run_decontamination(
    data_dir: str | Path,
    benchmarks: Sequence[Benchmark],
    fetch: CrawlOptions,
    options: DecontaminateOptions | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> DecontaminationReport:
    """Index ``benchmarks`` (through ``fetch``'s Hub and viewer) and decontaminate ``data_dir``."""
    options = options or DecontaminateOptions()
    checks.at_least("max_rows", max_rows, 1)
    data_dir = Path(data_dir)
    if not (data_dir / RECORDS_FILE).is_file():  # before any request
        raise FileNotFoundError(f"{data_dir / RECORDS_FILE} not found: run `dynosaur organize` first")
    reader = BenchmarkReader(fetch, data_dir / INDEX_DIR, options.n, max_rows)
    outcomes, parts = reader.read_all(list(benchmarks))
    return decontaminate(data_dir, NgramIndex.build(parts), outcomes, options)
