"""``dynosaur judge``: score every valid task on a few of its records, 1-5 with a reason.

Reads the valid tasks, their dataset-configs' metadata and the records (streamed once; each
task's records drawn by a seeded reservoir), scores each drawn record with the offline rules
judge or an engine, and writes ``judge_scores.jsonl`` (one line per task, in task order) and
``judge_report.json`` atomically, also when the run stops early (budget, Ctrl-C): what was
scored is kept, and the response cache makes a rerun ask only what is missing.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from dynosaur.contracts.artifacts import JUDGE_REPORT_FILE, JUDGE_SCORES_FILE
from dynosaur.contracts.judge_scores import (
    RecordScore,
    TaskScore,
    score_distribution,
)
from dynosaur.contracts.metadata import load_metadata
from dynosaur.core import checks
from dynosaur.core.engines import describe_strain, server_strain
from dynosaur.core.fanout import Outcome, ask_many
from dynosaur.core.io import atomic_write_json, atomic_write_jsonl
from dynosaur.quality.judge.engine import EngineJudge
from dynosaur.quality.judge.rules import RulesJudge

_SUFFIX = " Answers must be one of "


@dataclass(frozen=True)
class JudgeInputs:
    """Where the tasks, their metadata and their records are, and where the scores go."""

    tasks: Path
    metadata: Path
    records: Path
    output_dir: Path


@dataclass
class JudgeOptions:
    records_per_task: int = 3
    seed: int = 0
    progress: bool = True

    def __post_init__(self) -> None:
        checks.at_least("records_per_task", self.records_per_task, 1)
        checks.whole("seed", self.seed)


@dataclass
class JudgeSummary:
    """What a judge run did; printed at its end and written to ``judge_report.json``."""

    judge: str
    model: str
    records_per_task: int
    tasks: int = 0
    scores: list[TaskScore] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    stopped: str | None = None
    engine_calls: int = 0
    cache_hits: int = 0
    agreement: dict[str, Any] | None = None
    server: dict[str, Any] | None = None  # timeouts, retries and their seconds; the concurrency limit

    def to_json(self) -> dict[str, Any]:
        scored = [s.score for s in self.scores]
        return {
            "judge": self.judge,
            "model": self.model,
            "records_per_task": self.records_per_task,
            "tasks": self.tasks,
            "tasks_scored": len(self.scores),
            "score_distribution": score_distribution(self.scores),
            "mean_score": round(sum(scored) / len(scored), 3) if scored else None,
            "low_by_reason": dict(
                sorted(Counter(s.reason.split(":", 1)[0] for s in self.scores if s.score <= 2).items())
            ),
            "failures": self.failures,
            "stopped": self.stopped,
            "engine_calls": self.engine_calls,
            "cache_hits": self.cache_hits,
            "agreement": self.agreement,
            "server": self.server,
        }

    def render(self) -> str:
        data = self.to_json()
        spread = ", ".join(f"{k}: {v}" for k, v in data["score_distribution"].items())
        lines = [
            f"judge: {data['tasks_scored']} of {self.tasks} tasks scored by {self.judge} ({self.model}) "
            f"on up to {self.records_per_task} records each",
            f"  scores {spread}; mean {data['mean_score']}",
        ]
        if self.engine_calls or self.cache_hits:
            lines.append(f"  engine calls {self.engine_calls}, cache hits {self.cache_hits}")
        if self.server:
            lines.append("  " + describe_strain(self.server))
        if data["low_by_reason"]:
            lines.append("  scored 1-2: " + ", ".join(f"{n} {k}" for k, n in data["low_by_reason"].items()))
        if self.agreement:
            a = self.agreement
            lines.append(
                f"  measured agreement: precision {a['precision']:.2f}, recall {a['recall']:.2f}, "
                f"kappa {a['kappa']:.2f} on {a['tasks']} labelled tasks"
            )
        for failure in self.failures[:5]:
            lines.append(f"  not scored {failure['task_name']}: {failure['reason']}")
        if self.stopped:
            lines.append(f"  stopped early: {self.stopped}; rerun to continue (answers are cached)")
        return "\n".join(lines)


def load_tasks(path: Path) -> list[dict[str, Any]]:
    """The valid tasks of ``instructions-full.json``; ``ValueError`` when it is missing or not a list."""
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"{path} not found: run `dynosaur filter` first") from exc
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not JSON: {exc}") from exc
    if not isinstance(tasks, list):
        raise ValueError(f"{path} is not a list of tasks")
    return [t for t in tasks if isinstance(t, dict) and t.get("task_name") and t.get("instruction")]


def _key(task_name: str, instruction: str) -> tuple[str, str]:
    head, sep, _ = instruction.partition(_SUFFIX)
    return task_name, (head if sep else instruction).strip()


def sample_records(
    path: Path, tasks: list[dict[str, Any]], per_task: int, seed: int
) -> dict[tuple[str, str], list[dict[str, str]]]:
    """Up to ``per_task`` records of each task, uniformly drawn (Algorithm R) with ``seed``."""
    wanted = {_key(str(t["task_name"]), str(t["instruction"])) for t in tasks}
    chosen: dict[tuple[str, str], list[dict[str, str]]] = {key: [] for key in wanted}
    seen: Counter = Counter()
    draw = random.Random(seed).random
    if not path.is_file():
        return chosen
    with path.open("rb") as handle:
        for raw in handle:
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(line, dict):
                continue
            key = _key(str(line.get("taskname") or ""), str(line.get("instruction") or ""))
            if key not in chosen:
                continue
            seen[key] += 1
            record = {part: str(line.get(part) or "") for part in ("instruction", "input", "output")}
            if seen[key] <= per_task:
                chosen[key].append(record)
            else:
                slot = int(draw() * seen[key])
                if slot < per_task:
                    chosen[key][slot] = record
    return chosen


def _metadata(path: Path) -> dict[str, dict[str, Any]]:
    if not path.is_file():
        return {}
    lines, _skipped = load_metadata(path)
    return {str(line["task_name"]): line for line in lines}


async def _score_with_engine(
    judge: EngineJudge,
    tasks: list[dict[str, Any]],
    records: dict[tuple[str, str], list[dict[str, str]]],
    summary: JudgeSummary,
    progress: bool,
) -> dict[int, list[RecordScore]]:
    units = [
        (index, slot, record)
        for index, task in enumerate(tasks)
        for slot, record in enumerate(records[_key(str(task["task_name"]), str(task["instruction"]))])
    ]
    found: dict[int, dict[int, RecordScore]] = {}
    bar = tqdm(total=len(units), desc="judge", unit="record", disable=not progress)

    async def ask(unit: tuple[int, int, dict[str, str]]) -> RecordScore:
        index, _slot, record = unit
        return await judge.score(tasks[index], record)

    def settled(outcome: Outcome[tuple[int, int, dict[str, str]], RecordScore]) -> None:
        index, slot, _record = outcome.item
        if outcome.done and outcome.value is not None:
            found.setdefault(index, {})[slot] = outcome.value
        elif outcome.failed:
            summary.failures.append(
                {
                    "task_name": tasks[index]["task_name"],
                    "instruction": tasks[index]["instruction"],
                    "reason": outcome.reason,
                }
            )
        elif outcome.error is not None:  # the call the budget refused
            summary.stopped = outcome.reason
        if not outcome.skipped:
            bar.update(1)

    try:
        await ask_many(units, ask, limit=judge.engine.concurrency, on_outcome=settled)
    finally:
        bar.close()
        await judge.aclose()
    return {index: [slots[s] for s in sorted(slots)] for index, slots in found.items()}


def judge_tasks(
    inputs: JudgeInputs,
    judge: RulesJudge | EngineJudge,
    options: JudgeOptions | None = None,
    agreement: dict[str, Any] | None = None,
) -> JudgeSummary:
    """Score every valid task; writes ``judge_scores.jsonl`` and ``judge_report.json``."""
    options = options or JudgeOptions()
    tasks = load_tasks(inputs.tasks)
    metadata = _metadata(inputs.metadata)
    records = sample_records(inputs.records, tasks, options.records_per_task, options.seed)
    summary = JudgeSummary(
        judge.name, judge.model, options.records_per_task, tasks=len(tasks), agreement=agreement
    )
    by_task: dict[int, list[RecordScore]] = {}
    try:
        if isinstance(judge, RulesJudge):
            for index, task in enumerate(
                tqdm(tasks, desc="judge", unit="task", disable=not options.progress)
            ):
                key = _key(str(task["task_name"]), str(task["instruction"]))
                by_task[index] = judge.judge(task, metadata.get(str(task["task_name"])), records[key])
        else:
            by_task = asyncio.run(_score_with_engine(judge, tasks, records, summary, options.progress))
    except KeyboardInterrupt:
        summary.stopped = "interrupted"
        _finish(inputs, judge, tasks, records, by_task, summary)
        raise
    _finish(inputs, judge, tasks, records, by_task, summary)
    return summary


def _finish(
    inputs: JudgeInputs,
    judge: RulesJudge | EngineJudge,
    tasks: list[dict[str, Any]],
    records: dict[tuple[str, str], list[dict[str, str]]],
    by_task: dict[int, list[RecordScore]],
    summary: JudgeSummary,
) -> None:
    summary.scores = []
    for index, task in enumerate(tasks):
        scored = by_task.get(index)
        if scored:
            summary.scores.append(
                TaskScore.of(
                    {**task, "instruction": str(task["instruction"]).strip()}, scored, judge.name, judge.model
                )
            )
        elif not records[_key(str(task["task_name"]), str(task["instruction"]))]:
            summary.failures.append(
                {
                    "task_name": task["task_name"],
                    "instruction": task["instruction"],
                    "reason": "no records to judge",
                }
            )
    stats = getattr(getattr(judge, "engine", None), "stats", None)
    if stats is not None:
        summary.engine_calls, summary.cache_hits = stats.misses, stats.hits
    if isinstance(judge, EngineJudge):
        summary.server = server_strain(judge.engine)
    inputs.output_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_jsonl(inputs.output_dir / JUDGE_SCORES_FILE, (s.to_json() for s in summary.scores))
    atomic_write_json(inputs.output_dir / JUDGE_REPORT_FILE, summary.to_json())
