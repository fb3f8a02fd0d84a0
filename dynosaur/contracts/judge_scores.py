"""``judge_scores.jsonl``: a judge's 1-5 score of each valid task, with a one-line reason.

One line per task: the task's mapping, its score (the rounded mean of the scores of the records
it was judged on, half up), the reason of its lowest-scored record, every record's score and
reason, and which judge gave them. ``judge_report.json`` beside it says which judge ran, the
score distribution and the judge's measured agreement.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dynosaur.core.errors import BadArtifact

MIN_SCORE, MAX_SCORE = 1, 5


@dataclass(frozen=True)
class RecordScore:
    """One record's score and why."""

    score: int
    reason: str
    cache_key: str = ""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"score": self.score, "reason": self.reason}
        if self.cache_key:
            data["cache_key"] = self.cache_key
        return data


@dataclass(frozen=True)
class TaskScore:
    """A task's score over the records it was judged on."""

    task_name: str
    instruction: str
    input_fields: tuple[str, ...]
    output_field: tuple[str, ...]
    score: int
    reason: str
    judge: str
    model: str = ""
    records: tuple[RecordScore, ...] = field(default=())

    @classmethod
    def of(cls, task: dict[str, Any], records: list[RecordScore], judge: str, model: str) -> TaskScore:
        """The task's score from its records' scores (an unjudgeable task, no records, scores 1)."""
        if records:
            mean = sum(r.score for r in records) / len(records)
            score = int(mean + 0.5)
            reason = min(records, key=lambda r: r.score).reason
        else:
            score, reason = MIN_SCORE, "no records: the task has no records to judge"
        return cls(
            task_name=str(task["task_name"]),
            instruction=str(task["instruction"]),
            input_fields=tuple(task.get("input_fields") or ()),
            output_field=tuple(task.get("output_field") or ()),
            score=score,
            reason=reason,
            judge=judge,
            model=model,
            records=tuple(records),
        )

    def key(self) -> tuple[str, str, tuple[str, ...], tuple[str, ...]]:
        return (self.task_name, self.instruction, self.input_fields, self.output_field)

    def to_json(self) -> dict[str, Any]:
        return {
            "task_name": self.task_name,
            "instruction": self.instruction,
            "input_fields": list(self.input_fields),
            "output_field": list(self.output_field),
            "score": self.score,
            "reason": self.reason,
            "judge": self.judge,
            "model": self.model,
            "records": [r.to_json() for r in self.records],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TaskScore:
        """Read one line; ``BadArtifact`` (a ``ValueError``) when it is not a task score."""
        score = data.get("score") if isinstance(data, dict) else None
        if not isinstance(score, int) or not MIN_SCORE <= score <= MAX_SCORE:
            raise BadArtifact(f"not a judge score line: score {score!r} is not an integer from 1 to 5")
        return cls(
            task_name=str(data.get("task_name") or ""),
            instruction=str(data.get("instruction") or ""),
            input_fields=tuple(str(f) for f in data.get("input_fields") or ()),
            output_field=tuple(str(f) for f in data.get("output_field") or ()),
            score=score,
            reason=str(data.get("reason") or ""),
            judge=str(data.get("judge") or ""),
            model=str(data.get("model") or ""),
            records=tuple(
                RecordScore(int(r.get("score", 0)), str(r.get("reason") or ""), str(r.get("cache_key") or ""))
                for r in data.get("records") or ()
                if isinstance(r, dict)
            ),
        )


def task_key(task: dict[str, Any]) -> tuple[str, str, tuple[str, ...], tuple[str, ...]]:
    """The key a task of ``instructions-full.json`` has in the scores."""
    output = task.get("output_field") or ()
    return (
        str(task.get("task_name") or ""),
        str(task.get("instruction") or ""),
        tuple(str(f) for f in task.get("input_fields") or ()),
        (output,) if isinstance(output, str) else tuple(str(f) for f in output),
    )


def read_scores(path: str | Path) -> Iterator[TaskScore]:
    """Every readable score line of ``path`` (none when the file is absent); bad lines are skipped."""
    path = Path(path)
    if not path.is_file():
        return
    with path.open("rb") as handle:
        for line in handle:
            if not line.strip():
                continue
            try:
                yield TaskScore.from_json(json.loads(line))
            except (ValueError, TypeError, AttributeError):  # not JSON (or not UTF-8), not a score
                continue


def score_distribution(scores: list[TaskScore]) -> dict[str, int]:
    """``{"1": n, ..., "5": n}``: how many tasks got each score."""
    counts = {str(s): 0 for s in range(MIN_SCORE, MAX_SCORE + 1)}
    for score in scores:
        counts[str(score.score)] += 1
    return counts
