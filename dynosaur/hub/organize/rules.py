"""The organizer's rules: each returns ``None`` (keep the task) or a reason string (drop it).

A reason reads ``<kind>: <detail>``; reports count reasons by their kind.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, TypeAlias

from dynosaur.contracts import task_checks
from dynosaur.contracts.label_lists import coverage_reason
from dynosaur.contracts.tasks import Task as ProposedTask
from dynosaur.core import checks
from dynosaur.hub.organize.render import has_field, is_scalar, lookup_path

MEDIA_TYPES = frozenset({"Image", "Audio", "Video", "Pdf"})


@dataclass(frozen=True)
class OrganizeConfig:
    """Thresholds of the organizer (each one is a CLI option)."""

    max_labels: int = 10  # at most this many distinct scalar outputs make a classification task
    binary_majority: float = 0.7  # two labels: drop when one holds more than this share of rows
    multi_majority: float = 0.5  # three or more labels: drop when one holds more than this share
    max_label_chars: int = 15  # a longer label leaves the label space out of the instruction
    max_cell_chars: int = 2000  # every rendered cell is cut to this many characters (0: no limit)
    row_group_size: int = 10_000  # Parquet row group size
    min_judge_score: int = 0  # drop tasks the judge scored below this (0: no judge filter)

    def __post_init__(self) -> None:
        checks.at_least("max_labels", self.max_labels, 1)
        # two labels: the larger always holds at least half of the rows, so a lower limit drops them all
        checks.between("binary_majority", self.binary_majority, 0.5, 1.0)
        checks.between("multi_majority", self.multi_majority, 0.0, 1.0, low_included=False)
        checks.at_least("max_label_chars", self.max_label_chars, 0)
        checks.at_least("max_cell_chars", self.max_cell_chars, 0)
        checks.at_least("row_group_size", self.row_group_size, 1)
        checks.whole_between("min_judge_score", self.min_judge_score, 0, 5)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Task:
    """A valid task from ``instructions-full.json``."""

    task_name: str
    instruction: str
    input_fields: tuple[str, ...]
    output_field: str

    @classmethod
    def from_json(cls, obj: Any) -> Task:
        """Parse one task; raises ``ValueError`` with the reason when its shape is wrong."""
        if not isinstance(obj, dict):
            raise ValueError("bad task: not an object")
        name, instruction = obj.get("task_name"), obj.get("instruction")
        inputs, output = obj.get("input_fields"), obj.get("output_field")
        if isinstance(output, list) and len(output) == 1:
            output = output[0]
        if isinstance(inputs, str):
            inputs = [inputs]
        if not isinstance(name, str) or not name:
            raise ValueError("bad task: no task_name")
        if not isinstance(instruction, str) or not instruction.strip():
            raise ValueError("bad task: no instruction")
        if not isinstance(inputs, list) or not all(isinstance(f, str) and f for f in inputs):
            raise ValueError("bad task: input_fields is not a list of field names")
        if not isinstance(output, str) or not output:
            raise ValueError("bad task: output_field is not one field name")
        return cls(name, instruction.strip(), tuple(inputs), output)


def feature_types(features: Any) -> dict[str, Any]:
    """``{field: feature JSON}`` from the viewer's feature list or a ``Features.to_dict`` mapping."""
    if isinstance(features, dict):
        return dict(features)
    if isinstance(features, list):
        return {f["name"]: f.get("type") for f in features if isinstance(f, dict) and "name" in f}
    return {}


def feature_of(features: dict[str, Any], field: str) -> Any:
    """The feature JSON of ``field`` (``a.b`` reaches into a struct), or ``None``."""
    return lookup_path(features, field, None)


def _type_name(feature: Any) -> str | None:
    return feature.get("_type") if isinstance(feature, dict) else None


def value_dtype(feature: Any) -> str:
    """The dtype of a Value feature, or of a list's Value items (``""`` when there is none)."""
    while isinstance(feature, dict) and feature.get("_type") in ("List", "Sequence", "LargeList"):
        feature = feature.get("feature")
    if isinstance(feature, list) and len(feature) == 1:
        return value_dtype(feature[0])
    return str(feature.get("dtype") or "") if _type_name(feature) == "Value" else ""


# --- task rules: (task, features, rows, fields) -> None | reason -------------------------------

Rows: TypeAlias = list[dict[str, Any]]
Fields: TypeAlias = "task_checks.DatasetFields | None"


def no_input_fields(task: Task, features: dict[str, Any], rows: Rows, fields: Fields = None) -> str | None:
    return None if task.input_fields else "no input fields: the task names no input field"


def output_among_inputs(
    task: Task, features: dict[str, Any], rows: Rows, fields: Fields = None
) -> str | None:
    if task.output_field in task.input_fields:
        return f"output is an input: {task.output_field!r} is both"
    return None


def no_rows(task: Task, features: dict[str, Any], rows: Rows, fields: Fields = None) -> str | None:
    return None if rows else "no rows: the dataset-config has no sample rows"


def field_vanished(task: Task, features: dict[str, Any], rows: Rows, fields: Fields = None) -> str | None:
    """A field the task names that neither the features nor any row hold."""
    for field in (*task.input_fields, task.output_field):
        if feature_of(features, field) is None and not any(has_field(row, field) for row in rows):
            return f"field vanished: {field!r} is not in the dataset-config"
    return None


def media_field(task: Task, features: dict[str, Any], rows: Rows, fields: Fields = None) -> str | None:
    for field in (*task.input_fields, task.output_field):
        kind = _type_name(feature_of(features, field))
        if kind in MEDIA_TYPES:
            return f"media field: {field!r} is {kind}"
    return None


# The validation rules that judge what a task's fields hold, applied again here so that an
# instructions file made elsewhere (another tool, an older run) gets the same guard.
CONTENT_RULES = (task_checks.id_field, task_checks.locator_output, task_checks.bare_input)


def dataset_fields(features: dict[str, Any], rows: Rows) -> task_checks.DatasetFields:
    """The fields of one dataset-config as the content rules read them (made once per config)."""
    return task_checks.DatasetFields.of({"features": features, "selected_data": rows})


def content(task: Task, features: dict[str, Any], rows: Rows, fields: Fields = None) -> str | None:
    """An id or locator field, or an input that is only true/false values or numbers."""
    proposed = ProposedTask(task.task_name, task.instruction, task.input_fields, (task.output_field,), "")
    data = fields if fields is not None else dataset_fields(features, rows)
    for rule in CONTENT_RULES:
        reason = rule(proposed, data)
        if reason:
            return reason
    return None


def labels_cover(instruction: str, outputs: list[str]) -> str | None:
    """An instruction that lists labels must name the output of every row."""
    return coverage_reason(instruction, outputs)


TASK_RULES: tuple[Callable[[Task, dict[str, Any], Rows, Fields], str | None], ...] = (
    no_input_fields,
    output_among_inputs,
    no_rows,
    field_vanished,
    media_field,
    content,
)


def first_reason(task: Task, features: dict[str, Any], rows: Rows, fields: Fields = None) -> str | None:
    """The reason of the first task rule that drops ``task``, or ``None``; ``fields`` is
    :func:`dataset_fields` of the config when the caller keeps it for all the config's tasks."""
    for rule in TASK_RULES:
        reason = rule(task, features, rows, fields)
        if reason:
            return reason
    return None


# --- label space ---------------------------------------------------------------------------------


_SCALAR_TYPES = frozenset({str, bool, int, float})


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def label_space(outputs: list[str], raw: list[Any], feature: Any, config: OrganizeConfig) -> list[str] | None:
    """The ordered labels when the outputs look like a classification task, else ``None``.

    Classification-style: every raw output is a scalar, there are at most ``max_labels`` distinct
    values, and the field is a ClassLabel/bool or values repeat (a few rows of free text whose
    values are all distinct are not a label space). Order: the ClassLabel's own order, numbers by
    value, otherwise alphabetical.
    """
    if not outputs or not (set(map(type, raw)) <= _SCALAR_TYPES or all(is_scalar(value) for value in raw)):
        return None
    distinct = set(outputs)
    kind = _type_name(feature)
    declared = kind == "ClassLabel" or (kind == "Value" and feature.get("dtype") == "bool")
    if len(distinct) > config.max_labels or (not declared and len(distinct) >= len(outputs)):
        return None
    if kind == "ClassLabel" and isinstance(feature.get("names"), list):
        order = {str(name): i for i, name in enumerate(feature["names"])}
        return sorted(distinct, key=lambda label: (order.get(label, len(order)), label))
    if all(_is_number(value) for value in raw):
        by_text = {text: value for text, value in zip(outputs, raw, strict=True)}
        return sorted(distinct, key=lambda label: (by_text[label], label))
    return sorted(distinct, key=lambda label: (label.casefold(), label))


def imbalanced(outputs: list[str], labels: list[str], config: OrganizeConfig) -> str | None:
    """Drop a classification task whose majority label dominates its rows."""
    counts = Counter(outputs)
    label, top = max(counts.items(), key=lambda item: (item[1], item[0]))
    share = top / len(outputs)
    if len(labels) == 1:
        return f"imbalanced labels: only {label!r} in {len(outputs)} rows"
    limit = config.binary_majority if len(labels) == 2 else config.multi_majority
    if share > limit:
        return f"imbalanced labels: {label!r} is {share:.0%} of {len(outputs)} rows (limit {limit:.0%})"
    return None


def names_every_label(instruction: str, labels: list[str]) -> bool:
    """Whether the instruction already spells out each label as a word of its own."""
    return all(
        re.search(rf"(?<![\w-]){re.escape(label)}(?![\w-])", instruction, flags=re.IGNORECASE)
        for label in labels
    )


def label_suffix(labels: list[str], config: OrganizeConfig, instruction: str = "") -> str | None:
    """``Answers must be one of A, B, C.``, or ``None`` when a label is too long to list or the
    instruction already names every label (saying it twice teaches nothing)."""
    if any(len(label) > config.max_label_chars for label in labels):
        return None
    suffix = f"Answers must be one of {', '.join(labels)}."
    if suffix in instruction or names_every_label(instruction, labels):
        return None
    return suffix
