"""Render dataset cells as instruction-record text.

Inputs: one field is its text; several fields are one line each, ``<field> is '<value>'.``,
joined by newlines (a choices list reads ``<field> are A. '...', B. '...'.``). A list of strings
whose field name says it holds choices becomes lettered options; other lists of scalars are joined
with spaces; ``{"text": [...], ...}`` (the viewer's shape for SQuAD-style answers) is read as its
``text`` list, and an output takes its first answer. Numbers and booleans become text
deterministically (``true``/``false``, shortest round-trip float). Anything else (lists of dicts,
structs, lists of lists, NaN) raises :class:`NotRenderable`.
"""

from __future__ import annotations

import math
import re
import string
from typing import Any, NamedTuple

CHOICE_WORDS = frozenset(
    {
        "choice",
        "choices",
        "option",
        "options",
        "candidate",
        "candidates",
        "ending",
        "endings",
        "answers",
        "alternatives",
        "distractors",
    }
)
ANSWER_WORDS = frozenset(
    {"answer", "answers", "target", "targets", "reference", "references", "label", "labels"}
)
_MISSING = object()


class NotRenderable(ValueError):
    """A cell whose value has no faithful text form (lists of dicts, structs, NaN...)."""


class EmptyCell(ValueError):
    """A cell that renders to nothing (missing, None, "", an empty list)."""


class Rendered(NamedTuple):
    """A rendered cell: its text and whether it was cut to the length limit."""

    text: str
    truncated: bool = False


def _name_words(field: str) -> set[str]:
    return {word for word in re.split(r"[^a-z0-9]+", field.lower()) if word}


def is_choice_field(field: str) -> bool:
    """Whether a field name says its list holds answer options (``choices``, ``endings``...)."""
    return bool(_name_words(field) & CHOICE_WORDS)


def is_answer_field(field: str) -> bool:
    """Whether a field name says its list holds reference answers (first one is the output)."""
    return bool(_name_words(field) & ANSWER_WORDS)


def scalar_text(value: Any) -> str:
    """Text of a string, number or boolean; raises :class:`NotRenderable` for anything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise NotRenderable(f"non-finite number {value!r}")
        return repr(value)
    raise NotRenderable(f"{type(value).__name__} is not a scalar")


def is_scalar(value: Any) -> bool:
    return isinstance(value, str | bool | int | float)


def lookup(row: dict[str, Any], field: str) -> Any:
    """A field's value in a row; ``a.b`` reaches into a struct when no top-level ``a.b`` exists.

    Returns the module's ``_MISSING`` sentinel (see :func:`has_field`) when absent.
    """
    if field in row:
        return row[field]
    value: Any = row
    for part in field.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def has_field(row: dict[str, Any], field: str) -> bool:
    return lookup(row, field) is not _MISSING


def _unwrap(value: Any) -> tuple[Any, bool]:
    """Read ``{"text": [...], ...}`` as its text; the flag says it came from such a struct."""
    if isinstance(value, dict) and "text" in value:
        return value["text"], True
    return value, False


def _scalar_list(value: list[Any]) -> list[str]:
    if any(not is_scalar(item) for item in value if item is not None):
        kinds = sorted({type(item).__name__ for item in value if not is_scalar(item) and item is not None})
        raise NotRenderable(f"list of {'/'.join(kinds)}")
    return [scalar_text(item) for item in value if item is not None]


def lettered(options: list[str]) -> str:
    """``A. 'x', B. 'y'`` (numbers past 26 options)."""
    letters = string.ascii_uppercase
    marks = letters if len(options) <= len(letters) else [str(i) for i in range(1, len(options) + 1)]
    return ", ".join(f"{mark}. '{option}'" for mark, option in zip(marks, options, strict=False))


def _cut(text: str, limit: int) -> Rendered:
    if limit and len(text) > limit:
        return Rendered(text[:limit], truncated=True)
    return Rendered(text)


def input_cell(field: str, value: Any, limit: int) -> tuple[Rendered, bool]:
    """Render one input cell; the flag says the text is a lettered options block."""
    value, from_struct = _unwrap(value)
    if value is None:
        return Rendered(""), False
    if isinstance(value, list):
        texts = _scalar_list(value)
        if texts and not from_struct and is_choice_field(field):
            return _cut(lettered(texts), limit), True
        return _cut(" ".join(texts), limit), False
    if isinstance(value, dict):
        raise NotRenderable("struct")
    return _cut(scalar_text(value), limit), False


def output_cell(field: str, value: Any, limit: int) -> Rendered:
    """Render one output cell: a scalar, a text, or the first answer of an answers list."""
    value, from_struct = _unwrap(value)
    if value is None:
        return Rendered("")
    if isinstance(value, list):
        texts = _scalar_list(value)
        if not texts:
            return Rendered("")
        if from_struct or is_answer_field(field):
            return _cut(texts[0], limit)
        return _cut(", ".join(texts), limit)
    if isinstance(value, dict):
        raise NotRenderable("struct")
    return _cut(scalar_text(value), limit)


def _value(row: dict[str, Any], field: str) -> Any:
    value = lookup(row, field)
    return None if value is _MISSING else value


def render_input(fields: list[str], row: dict[str, Any], limit: int) -> Rendered:
    """The input text of a row over ``fields``; raises :class:`NotRenderable` or :class:`EmptyCell`."""
    cells = []
    for field in fields:
        cell, is_options = input_cell(field, _value(row, field), limit)
        if not cell.text.strip():
            raise EmptyCell(field)
        cells.append((field, cell, is_options))
    truncated = any(cell.truncated for _, cell, _ in cells)
    if len(cells) == 1:
        return Rendered(cells[0][1].text, truncated)
    lines = [
        f"{field} are {cell.text}." if is_options else f"{field} is '{cell.text}'."
        for field, cell, is_options in cells
    ]
    return Rendered("\n".join(lines), truncated)


def render_output(field: str, row: dict[str, Any], limit: int) -> Rendered:
    """The output text of a row; raises :class:`NotRenderable` or :class:`EmptyCell`."""
    cell = output_cell(field, _value(row, field), limit)
    if not cell.text.strip():
        raise EmptyCell(field)
    return cell
