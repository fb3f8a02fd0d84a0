"""The ``tasks.jsonl`` seed format of Self-Instruct (also read by xTuring): one task per line.

``{"id", "name", "instruction", "instances": [{"input", "output"}, ...], "is_classification"}``.
Generated tasks are written in the same format, so they can seed another round.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crawl.artifact_errors import not_utf8
from dynosaur.core.errors import DynosaurError
from dynosaur.core.io import atomic_write_jsonl

REQUIRED_FIELDS = ("id", "name", "instruction", "instances", "is_classification")
_MAX_PROBLEMS_SHOWN = 10


class SeedTaskError(DynosaurError, ValueError):
    """A seed file that cannot be used, with every problem found (line numbers included)."""


@dataclass(frozen=True)
class Instance:
    """One input/output example of a task (``input`` is "" for tasks that need none)."""

    input: str
    output: str

    def to_json(self) -> dict[str, str]:
        return {"input": self.input, "output": self.output}


@dataclass(frozen=True)
class SeedTask:
    """A task with its instruction and at least one instance."""

    id: str
    name: str
    instruction: str
    instances: tuple[Instance, ...] = field(default_factory=tuple)
    is_classification: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "instruction": self.instruction,
            "instances": [instance.to_json() for instance in self.instances],
            "is_classification": self.is_classification,
        }


def parse_seed_task(record: Any) -> tuple[SeedTask | None, list[str]]:
    """A task from one decoded line, or None and what is wrong with it."""
    if not isinstance(record, dict):
        return None, [f"expected a JSON object, got {type(record).__name__}"]
    missing = [name for name in REQUIRED_FIELDS if name not in record]
    if missing:
        return None, [f"missing field{'s' if len(missing) > 1 else ''} {', '.join(missing)}"]
    problems = []
    for name in ("id", "name", "instruction"):
        if not isinstance(record[name], str):
            problems.append(f"{name!r} must be a string, got {type(record[name]).__name__}")
        elif name != "name" and not record[name].strip():
            problems.append(f"{name!r} is empty")
    if not isinstance(record["is_classification"], bool):
        problems.append(f"'is_classification' must be true or false, got {record['is_classification']!r}")
    instances = record["instances"]
    parsed: list[Instance] = []
    if not isinstance(instances, list):
        problems.append(f"'instances' must be a list, got {type(instances).__name__}")
    elif not instances:
        problems.append("'instances' is empty (a task needs at least one example)")
    else:
        for number, item in enumerate(instances, start=1):
            if (
                not isinstance(item, dict)
                or not isinstance(item.get("input"), str)
                or not isinstance(item.get("output"), str)
            ):
                problems.append(f"instance {number} must be an object with string 'input' and 'output'")
            else:
                parsed.append(Instance(item["input"], item["output"]))
    if problems:
        return None, problems
    task = SeedTask(
        record["id"], record["name"], record["instruction"], tuple(parsed), record["is_classification"]
    )
    return task, []


def load_seed_tasks(path: str | os.PathLike) -> list[SeedTask]:
    """Every task of a seed file, in file order; raises SeedTaskError listing all problems."""
    path = Path(path)
    if not path.is_file():
        raise SeedTaskError(f"{path}: seed task file not found")
    tasks: list[SeedTask] = []
    problems: list[str] = []
    first_line_of: dict[str, int] = {}
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                problems.append(f"line {number}: {not_utf8(exc)}")
                continue
            except json.JSONDecodeError as exc:
                problems.append(f"line {number}: not valid JSON ({exc.msg} at column {exc.colno})")
                continue
            task, issues = parse_seed_task(record)
            problems.extend(f"line {number}: {issue}" for issue in issues)
            if task is None:
                continue
            if task.id in first_line_of:
                problems.append(
                    f"line {number}: duplicate id {task.id!r} (first on line {first_line_of[task.id]})"
                )
                continue
            first_line_of[task.id] = number
            tasks.append(task)
    if problems:
        shown = problems[:_MAX_PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        tail = f"\n  ... and {more} more" if more else ""
        raise SeedTaskError(f"{path}: {len(problems)} problem(s):\n  " + "\n  ".join(shown) + tail)
    if not tasks:
        raise SeedTaskError(f"{path}: no seed tasks in the file")
    return tasks


def write_seed_tasks(path: str | os.PathLike, tasks: list[SeedTask]) -> int:
    """Write tasks in the seed format (atomically); returns the number of lines."""
    return atomic_write_jsonl(path, (task.to_json() for task in tasks))
