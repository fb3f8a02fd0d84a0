"""One streaming pass over a run's records (and a read of its small reports) into the numbers a
report shows.

Records are never held in memory: counts are exact, lengths are kept as compact integer arrays
(4 bytes per field per record), and the records shown per task come from a seeded reservoir, so
a report of 1M records builds in seconds and the same artifacts give the same report.
"""

from __future__ import annotations

import json
import random
from array import array
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from dynosaur.contracts.judge_scores import TaskScore, read_scores
from dynosaur.contracts.task_checks import reason_kind
from dynosaur.quality.report.licenses import policy_class
from dynosaur.quality.report.task_types import task_type
from dynosaur.quality.report.verbs import verb_noun

SAMPLES_PER_TASK = 3
LENGTH_SAMPLE = 100_000  # records whose lengths the histograms show (all of a smaller file)
_OUTPUTS_KEPT = 11  # distinct outputs remembered per task: enough to tell a label space
_OUTPUT_CHARS = 40
_NO_LICENSE = "(none)"


@dataclass(frozen=True)
class RecordFields:
    """Which keys of a record line hold its parts; ``None`` where a generator has no such part.

    ``source_default`` names the source of records without a source key (a generator's own name).
    """

    instruction: str | None = "instruction"
    input: str | None = "input"
    output: str | None = "output"
    source: str | None = "taskname"
    license: str | None = "license"
    source_default: str = ""
    instruction_default: str = ""


@dataclass
class TaskStats:
    """One task (a source and an instruction) as seen in the records."""

    source: str
    instruction: str
    records: int = 0
    outputs: set[str] = field(default_factory=set)
    samples: list[dict[str, str]] = field(default_factory=list)
    type: str = ""
    score: TaskScore | None = None


@dataclass
class ReportData:
    """Everything the report shows, computed from the artifacts."""

    title: str
    records: int = 0
    lines_skipped: int = 0
    per_source: Counter = field(default_factory=Counter)
    tasks_per_source: Counter = field(default_factory=Counter)
    per_license: Counter = field(default_factory=Counter)
    tasks_per_license: Counter = field(default_factory=Counter)
    per_policy: Counter = field(default_factory=Counter)
    tasks_per_policy: Counter = field(default_factory=Counter)
    task_types: Counter = field(default_factory=Counter)
    verb_nouns: Counter = field(default_factory=Counter)
    lengths: dict[str, array] = field(default_factory=dict)
    length_sample: int = 0
    rejections: dict[str, Counter] = field(default_factory=dict)
    tasks: list[TaskStats] = field(default_factory=list)
    scores: list[TaskScore] = field(default_factory=list)
    judge: str = ""
    notes: list[str] = field(default_factory=list)


def _text(line: dict[str, Any], key: str | None, default: str = "") -> str:
    if key is None:
        return default
    value = line.get(key)
    if value is None:
        return default
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _instruction_key(instruction: str) -> str:
    # Classification records end with their label space; the task is the instruction before it.
    head, sep, _ = instruction.partition(" Answers must be one of ")
    return head if sep else instruction


class _Collector:
    def __init__(self, fields: RecordFields, seed: int, samples_per_task: int, length_sample: int) -> None:
        self.fields = fields
        self.random = random.Random(seed).random
        self.samples_per_task = samples_per_task
        self.length_sample = length_sample
        self.tasks: dict[tuple[str, str], TaskStats] = {}
        self.task_license: dict[tuple[str, str], str] = {}
        self.lengths = {part: array("I") for part in ("instruction", "input", "output")}

    def add(self, line: dict[str, Any], data: ReportData) -> None:
        f = self.fields
        instruction = _text(line, f.instruction, f.instruction_default)
        text_input, output = _text(line, f.input), _text(line, f.output)
        source = _text(line, f.source, f.source_default) or f.source_default or "(unknown)"
        license_ = _text(line, f.license) or _NO_LICENSE
        data.records += 1
        data.per_source[source] += 1
        data.per_license[license_] += 1
        self._lengths(data.records, instruction, text_input, output)
        key = (source, _instruction_key(instruction))
        task = self.tasks.get(key)
        if task is None:
            task = self.tasks[key] = TaskStats(source, key[1])
            self.task_license[key] = license_
        task.records += 1
        if len(task.outputs) < _OUTPUTS_KEPT and len(output) <= _OUTPUT_CHARS:
            task.outputs.add(output)
        # Reservoir sampling (Algorithm R) with the report's seed: every record of the task is
        # equally likely to be shown, whatever the file's size.
        if task.records <= self.samples_per_task:
            task.samples.append({"instruction": instruction, "input": text_input, "output": output})
        else:
            slot = int(self.random() * task.records)
            if slot < self.samples_per_task:
                task.samples[slot] = {"instruction": instruction, "input": text_input, "output": output}

    def _lengths(self, seen: int, instruction: str, text_input: str, output: str) -> None:
        """Word counts of a uniform reservoir of ``length_sample`` records (all of them in a
        smaller file): splitting every long input of a huge file is what would cost time."""
        lengths = self.lengths
        if seen <= self.length_sample:
            lengths["instruction"].append(len(instruction.split()))
            lengths["input"].append(len(text_input.split()))
            lengths["output"].append(len(output.split()))
            return
        slot = int(self.random() * seen)
        if slot < self.length_sample:
            lengths["instruction"][slot] = len(instruction.split())
            lengths["input"][slot] = len(text_input.split())
            lengths["output"][slot] = len(output.split())


def collect(
    title: str,
    records: Path,
    fields: RecordFields,
    *,
    rejections: tuple[tuple[str, Path], ...] = (),
    scores: Path | None = None,
    seed: int = 0,
    samples_per_task: int = SAMPLES_PER_TASK,
    length_sample: int = LENGTH_SAMPLE,
    progress: bool = False,
) -> ReportData:
    """The report's numbers from a records file (JSONL), its stages' reports and the judge scores."""
    data = ReportData(title)
    collector = _Collector(fields, seed, samples_per_task, length_sample)
    if records.is_file():
        total = records.stat().st_size
        with (
            records.open("rb") as handle,
            tqdm(total=total, unit="B", unit_scale=True, desc="report", disable=not progress) as bar,
        ):
            for raw in handle:
                bar.update(len(raw))
                try:
                    line = json.loads(raw)
                except ValueError:
                    data.lines_skipped += 1
                    continue
                if not isinstance(line, dict):
                    data.lines_skipped += 1
                    continue
                collector.add(line, data)
    else:
        data.notes.append(f"{records.name} not found: no records to show")
    data.lengths = collector.lengths
    data.length_sample = min(data.records, length_sample)
    for license_, count in data.per_license.items():
        data.per_policy[policy_class(None if license_ == _NO_LICENSE else license_)] += count
    data.tasks = sorted(collector.tasks.values(), key=lambda t: (t.source, t.instruction))
    for task in data.tasks:
        license_ = collector.task_license[(task.source, task.instruction)]
        data.tasks_per_source[task.source] += 1
        data.tasks_per_license[license_] += 1
        data.tasks_per_policy[policy_class(None if license_ == _NO_LICENSE else license_)] += 1
        task.type = task_type(task.instruction, task.outputs if len(task.outputs) < _OUTPUTS_KEPT else ())
        data.task_types[task.type] += 1
        data.verb_nouns[verb_noun(task.instruction)] += 1
    for stage, path in rejections:
        counts = read_rejections(path)
        if counts is not None:
            data.rejections[stage] = counts
    if scores is not None:
        _attach_scores(data, scores)
    return data


def _attach_scores(data: ReportData, path: Path) -> None:
    data.scores = list(read_scores(path))
    by_task: dict[tuple[str, str], TaskScore] = {}
    for score in data.scores:
        by_task.setdefault((score.task_name, score.instruction), score)
    for task in data.tasks:
        task.score = by_task.get((task.source, task.instruction))
    judges = sorted({f"{s.judge} ({s.model})" if s.model else s.judge for s in data.scores})
    data.judge = ", ".join(judges)


def _reason_counter(lines: list[dict[str, Any]]) -> Counter:
    counts: Counter = Counter()
    for line in lines:
        reason = line.get("reason")
        status = str(line.get("status") or "")
        if not reason or status in ("kept", "ok", "written"):
            continue
        kind = reason_kind(str(reason))
        stage = line.get("stage")
        prefix = f"{status}: " if status == "failed" else (f"{stage}: " if stage else "")
        counts[prefix + kind] += 1
    return counts


def _by_reason_counter(report: Any, counts: Counter | None = None) -> Counter:
    """Sum every ``*_by_reason``, ``*_per_benchmark`` and ``removed`` mapping of counts, wherever
    it sits in the report."""
    counts = Counter() if counts is None else counts
    items = (
        report.items() if isinstance(report, dict) else enumerate(report) if isinstance(report, list) else ()
    )
    for key, value in items:
        name = str(key)
        if isinstance(value, dict) and (name.endswith(("by_reason", "per_benchmark")) or name == "removed"):
            what = name.removesuffix("by_reason").removesuffix("_").replace("_", " ")
            for reason, count in value.items():
                if isinstance(count, int) and not isinstance(count, bool) and count:
                    counts[f"{what}: {reason}" if what else str(reason)] += count
        elif isinstance(value, (dict, list)):
            _by_reason_counter(value, counts)
    return counts


def read_rejections(path: Path) -> Counter | None:
    """Rejections by reason from a stage's report: a JSONL of ``{reason, status?, stage?}`` lines,
    or a JSON report with ``*_by_reason`` counts. ``None`` when the file is absent."""
    if not path.is_file():
        return None
    if path.suffix == ".jsonl":
        lines = []
        with path.open("rb") as handle:
            for raw in handle:
                try:
                    line = json.loads(raw)
                except ValueError:  # not JSON, or not UTF-8
                    continue
                if isinstance(line, dict):
                    lines.append(line)
        return _reason_counter(lines)
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return Counter({"unreadable report": 1})
    return _by_reason_counter(report) if isinstance(report, dict) else Counter()
