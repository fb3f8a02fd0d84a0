"""Drop the records of ``dynosaur-full.jsonl`` that overlap an evaluation benchmark.

A record's instruction, input and output are normalized into words; a record with at least
``threshold`` of its ``n``-word runs in the benchmark index is removed. The kept records replace
``dynosaur-full.jsonl`` and ``dynosaur-full.parquet`` atomically; the removed ones go to
``decontaminated_records.jsonl`` with the benchmark and the n-gram that matched, and
``decontamination_report.json`` says what was checked and what was removed per benchmark.

A rerun over the file this stage wrote keeps the records removed before in both files, so the
report always accounts for everything the organizer wrote.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dynosaur.contracts.artifacts import DECONTAMINATED_RECORDS_FILE as REMOVED_FILE
from dynosaur.contracts.artifacts import DECONTAMINATION_REPORT_FILE as REPORT_FILE
from dynosaur.contracts.artifacts import RECORDS_FILE
from dynosaur.contracts.decontamination import file_sha256
from dynosaur.contracts.records import Record, RecordWriter
from dynosaur.core import checks
from dynosaur.core.io import atomic_write_json, atomic_write_jsonl, read_jsonl
from dynosaur.quality.decontaminate.index import NgramIndex
from dynosaur.quality.decontaminate.ngrams import (
    DEFAULT_N,
    NGRAM_VERSION,
    WordHasher,
    ngram_hashes,
    normalized_words,
)
from dynosaur.quality.decontaminate.sources import BenchmarkOutcome

BATCH = 2048


@dataclass(frozen=True)
class DecontaminateOptions:
    """n-gram length and how many of a record's n-grams must match to remove it."""

    n: int = DEFAULT_N
    threshold: int = 1

    def __post_init__(self) -> None:
        checks.at_least("n", self.n, 1)
        checks.at_least("threshold", self.threshold, 1)


@dataclass(frozen=True)
class Overlap:
    """Why a record is removed: the benchmark part of its first matching n-gram, and that n-gram."""

    benchmark: str
    ngram: str
    matches: int
    benchmarks: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "reason": "benchmark_overlap",
            "benchmark": self.benchmark,
            "ngram": self.ngram,
            "matches": self.matches,
            "benchmarks": self.benchmarks,
        }


def record_words(record: Record) -> list[str]:
    """The normalized words of a record's instruction, input and output."""
    return normalized_words(f"{record.instruction}\n{record.input}\n{record.output}")


class OverlapChecker:
    """Finds the records of a batch whose n-grams the index holds."""

    def __init__(self, index: NgramIndex, options: DecontaminateOptions) -> None:
        self.index = index
        self.options = options
        self._hasher = WordHasher()

    def check(self, records: list[Record]) -> list[Overlap | None]:
        """One entry per record: None when it is kept."""
        texts = [record_words(record) for record in records]
        n = self.options.n
        hashes, owner, offset = ngram_hashes(texts, n, self._hasher)
        found = self.index.lookup(hashes)
        hit = np.flatnonzero(found >= 0)
        counts = np.bincount(owner[hit], minlength=len(records))
        result: list[Overlap | None] = [None] * len(records)
        for i in np.flatnonzero(counts >= self.options.threshold):
            rows = hit[owner[hit] == i]
            labels = Counter(self.index.labels[int(found[row])] for row in rows)
            first = int(rows[0])
            start = int(offset[first])
            result[int(i)] = Overlap(
                benchmark=self.index.labels[int(found[first])],
                ngram=" ".join(texts[i][start : start + n]),
                matches=int(counts[i]),
                benchmarks=dict(sorted(labels.items())),
            )
        return result


@dataclass
class DecontaminationReport:
    """``decontamination_report.json``."""

    n: int
    threshold: int
    benchmarks: list[BenchmarkOutcome]
    index_ngrams: int = 0
    index_bytes: int = 0
    records_checked: int = 0
    records_kept: int = 0
    removed_per_benchmark: Counter = field(default_factory=Counter)
    removed_before: int = 0
    output_sha256: str = ""

    @property
    def records_removed(self) -> int:
        return sum(self.removed_per_benchmark.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "method": f"{self.n}-gram overlap on normalized words (lower case, no punctuation or accents)",
            "n": self.n,
            "threshold": self.threshold,
            "ngram_version": NGRAM_VERSION,
            "benchmarks": [outcome.to_json() for outcome in self.benchmarks],
            "index_ngrams": self.index_ngrams,
            "index_bytes": self.index_bytes,
            "records_checked": self.records_checked,
            "records_kept": self.records_kept,
            "records_removed": self.records_removed,
            "removed_before": self.removed_before,
            "removed_per_benchmark": dict(sorted(self.removed_per_benchmark.items())),
            "output_sha256": self.output_sha256,
        }

    def render(self) -> str:
        checked = [o for o in self.benchmarks if o.status != "skipped"]
        lines = [
            f"decontamination: {self.records_checked} records against {len(checked)} benchmarks "
            f"({self.index_ngrams} distinct {self.n}-grams, {self.index_bytes / 2**20:.1f} MiB), "
            f"removed {self.records_removed}, kept {self.records_kept}"
        ]
        lines += [
            f"  removed {count:6d}  {label}" for label, count in sorted(self.removed_per_benchmark.items())
        ]
        for outcome in self.benchmarks:
            if outcome.status == "skipped":
                lines.append(f"  benchmark skipped: {outcome.benchmark} ({outcome.reason})")
        return "\n".join(lines)


def _batches(path: Path) -> Iterator[list[Record]]:
    batch: list[Record] = []
    for obj in read_jsonl(path, skip_torn_tail=False):
        batch.append(Record.from_json(obj))
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _previous_removals(data_dir: Path, current_sha: str) -> list[dict[str, Any]]:
    """The records removed by the run that wrote the current file (none if organize rewrote it)."""
    try:
        previous = json.loads((data_dir / REPORT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(previous, dict) or previous.get("output_sha256") != current_sha:
        return []
    return [line for line in read_jsonl(data_dir / REMOVED_FILE) if isinstance(line, dict)]


def decontaminate(
    data_dir: str | Path,
    index: NgramIndex,
    outcomes: Iterable[BenchmarkOutcome],
    options: DecontaminateOptions | None = None,
) -> DecontaminationReport:
    """Remove the records overlapping ``index`` from ``DATA_DIR/dynosaur-full.{jsonl,parquet}``."""
    options = options or DecontaminateOptions()
    data_dir = Path(data_dir)
    path = data_dir / RECORDS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: run `dynosaur organize` first")
    report = DecontaminationReport(options.n, options.threshold, list(outcomes), len(index), index.nbytes)
    removed = _previous_removals(data_dir, file_sha256(path))
    report.removed_before = len(removed)
    for line in removed:
        report.removed_per_benchmark[str(line.get("benchmark"))] += 1
    checker = OverlapChecker(index, options)
    with RecordWriter(path, path.with_suffix(".parquet")) as writer:
        for batch in _batches(path):
            for record, overlap in zip(batch, checker.check(batch), strict=True):
                report.records_checked += 1
                if overlap is None:
                    writer.write(record)
                    report.records_kept += 1
                else:
                    removed.append({**record.to_json(), **overlap.to_json()})
                    report.removed_per_benchmark[overlap.benchmark] += 1
    atomic_write_jsonl(data_dir / REMOVED_FILE, removed)
    report.output_sha256 = file_sha256(path)
    atomic_write_json(data_dir / REPORT_FILE, report.to_json())
    return report
