"""Render dataset cells as instruction-record text.

Inputs: one field is its text; several fields are one line each, ``<field> is '<value>'.``,
joined by newlines (a choices list reads ``<field> are A. '...', B. '...'.``). A list of strings
whose field name says it holds choices becomes lettered options; other lists of scalars are joined
with spaces; ``{"text": [...], ...}`` (the viewer's shape for SQuAD-style answers) is read as its
``text`` list, and an output takes its first answer. An output list whose name says its items are
alternatives (``references``, ``simplifications``) gives one output per distinct item; any other
output list with several items raises :class:`SeveralItems` (it is never joined into one string).
Numbers and booleans become text deterministically (``true``/``false``, the shortest round-trip
float, float32-aware where the feature is float32). Anything else (lists of dicts, structs, lists
of lists, NaN) raises :class:`NotRenderable`.
"""

from __future__ import annotations

import math
import re
import string
from typing import Any, NamedTuple

from dynosaur.contracts.fields import is_alternatives
from dynosaur.contracts.values import number_text

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
_MISSING = object()


class NotRenderable(ValueError):
    """A cell whose value has no faithful text form (lists of dicts, structs, NaN...)."""


class SeveralItems(NotRenderable):
    """An output list with several items that are parts of one answer (tokens, several labels)."""


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


def scalar_text(value: Any, dtype: str = "") -> str:
    """Text of a string, number or boolean; raises :class:`NotRenderable` for anything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise NotRenderable(f"non-finite number {value!r}")
        return number_text(value, dtype)
    raise NotRenderable(f"{type(value).__name__} is not a scalar")


def is_scalar(value: Any) -> bool:
    return isinstance(value, str | bool | int | float)


def lookup(row: dict[str, Any], field: str) -> Any:
    """A field's value in a row; ``a.b`` reaches into a struct when no top-level ``a.b`` exists.

    Returns the module's ``_MISSING`` sentinel (see :func:`has_field`) when absent.
    """
    return lookup_path(row, field, _MISSING)


def lookup_path(mapping: dict[str, Any], field: str, missing: Any) -> Any:
    """``mapping[field]``, else the walk of ``field``'s dotted parts through nested dicts, else
    ``missing``."""
    if field in mapping:
        return mapping[field]
    value: Any = mapping
    for part in field.split("."):
        if not isinstance(value, dict) or part not in value:
            return missing
        value = value[part]
    return value


def has_field(row: dict[str, Any], field: str) -> bool:
    return lookup(row, field) is not _MISSING


def _unwrap(value: Any) -> tuple[Any, bool]:
    """Read ``{"text": [...], ...}`` as its text; the flag says it came from such a struct."""
    if isinstance(value, dict) and "text" in value:
        return value["text"], True
    return value, False


def _scalar_list(value: list[Any], dtype: str = "") -> list[str]:
    if any(not is_scalar(item) for item in value if item is not None):
        kinds = sorted({type(item).__name__ for item in value if not is_scalar(item) and item is not None})
        raise NotRenderable(f"list of {'/'.join(kinds)}")
    return [scalar_text(item, dtype) for item in value if item is not None]


def lettered(options: list[str]) -> str:
    """``A. 'x', B. 'y'`` (numbers past 26 options)."""
    letters = string.ascii_uppercase
    marks = letters if len(options) <= len(letters) else [str(i) for i in range(1, len(options) + 1)]
    return ", ".join([f"{mark}. '{option}'" for mark, option in zip(marks, options, strict=False)])


def _cut(text: str, limit: int) -> Rendered:
    if limit and len(text) > limit:
        return Rendered(text[:limit], truncated=True)
    return Rendered(text)


def input_cell(field: str, value: Any, limit: int, dtype: str = "") -> tuple[Rendered, bool]:
    """Render one input cell; the flag says the text is a lettered options block."""
    value, from_struct = _unwrap(value)
    if value is None:
        return Rendered(""), False
    if isinstance(value, list):
        texts = _scalar_list(value, dtype)
        if texts and not from_struct and is_choice_field(field):
            return _cut(lettered(texts), limit), True
        return _cut(" ".join(texts), limit), False
    if isinstance(value, dict):
        raise NotRenderable("struct")
    return _cut(scalar_text(value, dtype), limit), False


def output_cells(field: str, value: Any, limit: int, dtype: str = "") -> list[Rendered]:
    """Render one output cell: a scalar, a text, the first answer of an answers struct, or one
    output per distinct item of an alternatives list; raises :class:`SeveralItems` for any other
    list with several items."""
    value, from_struct = _unwrap(value)
    if value is None:
        return []
    if isinstance(value, list):
        texts = [t for t in _scalar_list(value, dtype) if t.strip()]
        if from_struct or field.endswith(".text"):  # a SQuAD-style answers struct: its first answer
            return [_cut(texts[0], limit)] if texts else []
        if len(texts) > 1 and not is_alternatives(field):
            raise SeveralItems(f"{len(texts)} items in one row (parts of one answer, not alternatives)")
        return [_cut(text, limit) for text in dict.fromkeys(texts)]
    if isinstance(value, dict):
        raise NotRenderable("struct")
    return [_cut(scalar_text(value, dtype), limit)]


def output_cell(field: str, value: Any, limit: int, dtype: str = "") -> Rendered:
    """The first of :func:`output_cells` (an empty text when there is none)."""
    cells = output_cells(field, value, limit, dtype)
    return cells[0] if cells else Rendered("")


def _value(row: dict[str, Any], field: str) -> Any:
    value = lookup(row, field)
    return None if value is _MISSING else value


def render_input(
    fields: list[str], row: dict[str, Any], limit: int, dtypes: dict[str, str] | None = None
) -> Rendered:
    """The input text of a row over ``fields``; raises :class:`NotRenderable` or :class:`EmptyCell`."""
    cells = []
    for field in fields:
        cell, is_options = input_cell(field, _value(row, field), limit, (dtypes or {}).get(field, ""))
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


def render_outputs(field: str, row: dict[str, Any], limit: int, dtype: str = "") -> list[Rendered]:
    """The output texts of a row (one, or one per alternative); raises :class:`NotRenderable`
    (:class:`SeveralItems` for a list of parts) or :class:`EmptyCell`."""
    cells = [cell for cell in output_cells(field, _value(row, field), limit, dtype) if cell.text.strip()]
    if not cells:
        raise EmptyCell(field)
    return cells


def render_output(field: str, row: dict[str, Any], limit: int, dtype: str = "") -> Rendered:
    """The first output text of a row; raises :class:`NotRenderable` or :class:`EmptyCell`."""
    return render_outputs(field, row, limit, dtype)[0]


# --- one task's rendering, compiled once ---------------------------------------------------------
#
# The functions above decide, for every cell, how its value becomes text. A task renders the same
# fields with the same dtypes and limit on every row, so :class:`TaskRenderer` settles what does
# not depend on the row once (how each field is reached, its dtype, the ``<field> is '...'.``
# wording) and takes a short path for the common cell, a plain string; any other value goes
# through the general functions, so the text is the same either way.


class TaskRenderer:
    """Render the rows of one task: ``output_field`` and ``input_fields`` at ``limit``."""

    __slots__ = ("_inputs", "_out_field", "_out_dtype", "limit", "plain_output", "input")

    def __init__(
        self,
        input_fields: tuple[str, ...] | list[str],
        output_field: str,
        limit: int,
        dtypes: dict[str, str] | None = None,
        output_dtype: str = "",
    ) -> None:
        dtypes = dtypes or {}
        self.limit = limit
        # (field, reached with a plain key, holds options, dtype, "<field> is '", "<field> are ")
        self._inputs = tuple(
            (
                field,
                "." not in field,
                is_choice_field(field),
                dtypes.get(field, ""),
                f"{field} is '",
                f"{field} are ",
            )
            for field in input_fields
        )
        self._out_field = output_field
        self._out_dtype = output_dtype
        self.plain_output = "." not in output_field  # reached as ``row.get(output_field)``
        # ``input(row)``: :func:`render_input` of a row, as ``(text, truncated)``
        self.input = self._one_input if len(self._inputs) == 1 else self._inputs_lines

    def output_value(self, row: dict[str, Any]) -> Any:
        """The raw output cell of a row (``None`` when absent), as :func:`lookup` reaches it."""
        return row.get(self._out_field) if self.plain_output else _value(row, self._out_field)

    def outputs(self, value: Any) -> list[tuple[str, bool]]:
        """:func:`render_outputs` of a row whose output cell holds ``value``."""
        limit = self.limit
        if type(value) is dict and "text" in value:  # an answers struct: its first answer
            texts = value["text"]
            if type(texts) is list and all(type(text) is str for text in texts):
                value = next((text for text in texts if text and not text.isspace()), None)
        if type(value) is str:
            if limit and len(value) > limit:
                text, cut = value[:limit], True
            else:
                text, cut = value, False
            if not text or text.isspace():
                raise EmptyCell(self._out_field)
            return [(text, cut)]
        cells: list[tuple[str, bool]] = [
            cell
            for cell in output_cells(self._out_field, value, limit, self._out_dtype)
            if cell.text and not cell.text.isspace()
        ]
        if not cells:
            raise EmptyCell(self._out_field)
        return cells

    def _cell(
        self, spec: tuple[str, bool, bool, str, str, str], row: dict[str, Any]
    ) -> tuple[str, bool, bool]:
        """One input cell of a row: ``(text, truncated, is an options block)``; raises
        :class:`EmptyCell` or :class:`NotRenderable` as :func:`render_input` does."""
        field, plain, choices, dtype = spec[:4]
        value: Any = row.get(field) if plain else _value(row, field)
        kind = type(value)
        is_options = truncated = False
        if kind is list and all(type(item) is str for item in value):
            is_options = choices and bool(value)
            value = lettered(value) if is_options else " ".join(value)
            kind = str
        if kind is str:
            text = value
            if self.limit and len(text) > self.limit:
                text, truncated = text[: self.limit], True
        else:
            cell, is_options = input_cell(field, value, self.limit, dtype)
            text, truncated = cell
        if not text or text.isspace():
            raise EmptyCell(field)
        return text, truncated, is_options

    def _one_input(self, row: dict[str, Any]) -> tuple[str, bool]:
        spec = self._inputs[0]
        value = row.get(spec[0]) if spec[1] else None
        if (
            type(value) is str
            and value
            and not value.isspace()
            and not (self.limit and len(value) > self.limit)
        ):
            return value, False  # the common cell: a plain string within the limit
        text, truncated, _ = self._cell(spec, row)
        return text, truncated

    def _inputs_lines(self, row: dict[str, Any]) -> tuple[str, bool]:
        lines = []
        truncated = False
        limit = self.limit
        for spec in self._inputs:
            value = row.get(spec[0]) if spec[1] else None
            if type(value) is str and value and not value.isspace() and not (limit and len(value) > limit):
                lines.append(f"{spec[4]}{value}'.")  # the common cell: a plain string within the limit
                continue
            text, cut, is_options = self._cell(spec, row)
            truncated = truncated or cut
            lines.append(f"{spec[5]}{text}." if is_options else f"{spec[4]}{text}'.")
        return "\n".join(lines), truncated
