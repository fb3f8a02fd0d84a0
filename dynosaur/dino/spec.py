"""DINO task specs: loading and validation with errors a user can act on.

A spec is ``{"task_name": ..., "labels": {LABEL: {"instruction": ..., "counter_labels": [...]}}}``.
Each instruction ends with an opening quotation mark; the generated text is what the model writes
before the closing one. In a text-pair spec every instruction holds ``<X1>``, where an input text
goes; a single-text spec holds none.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawl.artifact_errors import not_utf8_in
from dynosaur.core.errors import DynosaurError

PLACEHOLDER = "<X1>"
QUOTE = '"'


class SpecError(DynosaurError, ValueError):
    """A task spec that cannot be used, with the reason."""


@dataclass(frozen=True)
class LabelSpec:
    """One label: its instruction and the labels whose instructions it must steer away from."""

    instruction: str
    counter_labels: tuple[str, ...] = ()

    def prompt(self, input_text: str | None = None) -> str:
        """The instruction with the input text in place of ``<X1>`` (pair specs)."""
        return self.instruction if input_text is None else self.instruction.replace(PLACEHOLDER, input_text)


@dataclass(frozen=True)
class TaskSpec:
    """A validated spec; labels keep the order of the file."""

    task_name: str
    labels: dict[str, LabelSpec]

    @property
    def is_pair(self) -> bool:
        """True when instructions take an input text (``<X1>``)."""
        return any(PLACEHOLDER in label.instruction for label in self.labels.values())

    @property
    def has_counter_labels(self) -> bool:
        return any(label.counter_labels for label in self.labels.values())

    @property
    def file_stem(self) -> str:
        """``task_name`` made safe for a file name."""
        return re.sub(r"[^A-Za-z0-9._-]+", "_", self.task_name).strip("._") or "task"

    def to_json(self) -> dict[str, Any]:
        return {
            "task_name": self.task_name,
            "labels": {
                name: {"instruction": label.instruction, "counter_labels": list(label.counter_labels)}
                for name, label in self.labels.items()
            },
        }

    def fingerprint(self) -> str:
        blob = json.dumps(self.to_json(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def parse_spec(data: Any, source: str = "spec") -> TaskSpec:
    """Validate a decoded spec; raise SpecError naming the first problem found."""
    if not isinstance(data, dict):
        raise SpecError(f"{source}: a task spec is a JSON object with 'task_name' and 'labels'")
    task_name = data.get("task_name")
    if not isinstance(task_name, str) or not task_name.strip():
        raise SpecError(f"{source}: 'task_name' must be a non-empty string")
    raw_labels = data.get("labels")
    if not isinstance(raw_labels, dict) or not raw_labels:
        raise SpecError(f"{source}: 'labels' must be a non-empty object of label -> instruction")
    labels: dict[str, LabelSpec] = {}
    for name, entry in raw_labels.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("instruction"), str):
            raise SpecError(f"{source}: label {name!r} needs an 'instruction' string")
        instruction = entry["instruction"]
        if not instruction.rstrip(" ").endswith(QUOTE):
            raise SpecError(
                f"{source}: the instruction of label {name!r} must end with an opening "
                f"quotation mark ({QUOTE}); the output is the text before the closing one"
            )
        counters = entry.get("counter_labels", [])
        if not isinstance(counters, list) or not all(isinstance(c, str) for c in counters):
            raise SpecError(f"{source}: 'counter_labels' of label {name!r} must be a list of label names")
        labels[name] = LabelSpec(instruction=instruction, counter_labels=tuple(counters))
    for name, label in labels.items():
        for counter in label.counter_labels:
            if counter not in labels:
                raise SpecError(
                    f"{source}: counter label {counter!r} of label {name!r} is not a label "
                    f"of this spec (labels: {', '.join(labels)})"
                )
            if counter == name:
                raise SpecError(f"{source}: label {name!r} lists itself as a counter label")
    with_placeholder = [name for name, label in labels.items() if PLACEHOLDER in label.instruction]
    if with_placeholder and len(with_placeholder) != len(labels):
        missing = [name for name in labels if name not in with_placeholder]
        raise SpecError(
            f"{source}: this looks like a text-pair spec, but the instructions of labels "
            f"{', '.join(map(repr, missing))} have no {PLACEHOLDER} where the input text goes"
        )
    return TaskSpec(task_name=task_name, labels=labels)


def load_spec(path: str | Path) -> TaskSpec:
    """Read and validate a spec file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"cannot read task spec {str(path)!r}: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(f"{path.name}: {not_utf8_in(data, exc)}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SpecError(f"{path.name}: not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    return parse_spec(data, source=path.name)


def check_mode(spec: TaskSpec, has_input_file: bool) -> None:
    """A pair spec needs an input file; a single-text spec must not get one."""
    if spec.is_pair and not has_input_file:
        raise SpecError(
            f"spec {spec.task_name!r} is a text-pair spec (its instructions contain "
            f"{PLACEHOLDER}): give input_file with the texts to pair",
            mentions=("input_file",),
        )
    if not spec.is_pair and has_input_file:
        raise SpecError(
            f"spec {spec.task_name!r} is a single-text spec (no {PLACEHOLDER} in its "
            f"instructions), so it takes no input_file",
            mentions=("input_file",),
        )
