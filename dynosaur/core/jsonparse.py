"""Lenient extraction of one JSON value from a model's answer.

Models wrap JSON in prose, in Markdown fences, write Python literals (single quotes, ``True``,
``None``), leave trailing commas, or stop mid-answer. ``parse_json_value`` tries, in order:
fenced blocks, the whole answer, then every balanced ``[...]``/``{...}`` span; each candidate is
read as JSON, then as JSON without trailing commas, then as a Python literal
(``ast.literal_eval``, which never executes code). An answer cut off mid-value raises
``JSONParseError`` with ``kind == "truncated"`` so the caller can count it as such.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from typing import Any

from dynosaur.core.errors import DynosaurError

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\r?\n(.*?)(?:```|\Z)", re.DOTALL)
_TRAILING_COMMA = re.compile(r",(\s*[\]}])")
_OPENERS = {"[": "]", "{": "}"}


class JSONParseError(DynosaurError, ValueError):
    """No JSON value could be read; ``kind`` is ``empty``, ``truncated`` or ``no_json``."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def parse_json_value(text: str, expect: type | tuple[type, ...] | None = None) -> Any:
    """The first JSON value found in ``text`` (of type ``expect`` when given).

    Raises ``JSONParseError`` when there is none: ``empty`` for a blank answer, ``truncated``
    when a bracket or string is still open at the end, ``no_json`` otherwise.
    """
    if text is None or not text.strip():
        raise JSONParseError("empty", "the answer is empty")
    for candidate in _candidates(text):
        found, value = _read(candidate)
        if found and (expect is None or isinstance(value, expect)):
            return value
    wanted = _describe(expect)
    opened = _unclosed_opener(_last_fence_or_text(text))
    if opened is not None:
        raise JSONParseError(
            "truncated", f"the answer is cut off: {wanted} opened with {opened!r} never closes"
        )
    raise JSONParseError("no_json", f"no {wanted} found in the answer")


def parse_json_list(text: str, item_type: type = dict) -> list[Any]:
    """A JSON list of ``item_type`` items; a lone item or ``{"key": [items]}`` is accepted too."""
    value = parse_json_value(text, expect=(list, dict))
    if isinstance(value, dict):
        lists = [
            v for v in value.values() if isinstance(v, list) and all(isinstance(i, item_type) for i in v)
        ]
        if len(lists) == 1:
            value = lists[0]
        elif isinstance(value, item_type):
            value = [value]
    if not isinstance(value, list):
        raise JSONParseError("no_json", "the answer is not a list")
    return value


def _describe(expect: type | tuple[type, ...] | None) -> str:
    names: dict[type, str] = {list: "JSON list", dict: "JSON object"}
    if expect is None:
        return "JSON value"
    types = expect if isinstance(expect, tuple) else (expect,)
    return " or ".join(names.get(t, t.__name__) for t in types)


def _candidates(text: str) -> Iterator[str]:
    """Substrings that may hold the value, most likely first."""
    for match in _FENCE.finditer(text):
        yield match.group(2)
    yield text
    for start, end in _balanced_spans(text):
        yield text[start:end]


def _read(candidate: str) -> tuple[bool, Any]:
    stripped = candidate.strip()
    if not stripped:
        return False, None
    for attempt in (stripped, _TRAILING_COMMA.sub(r"\1", stripped)):
        try:
            return True, json.loads(attempt)
        except (json.JSONDecodeError, RecursionError):
            pass
    if stripped[0] in _OPENERS:
        try:
            value = ast.literal_eval(stripped)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return False, None
        return True, _jsonable(value)
    return False, None


def _jsonable(value: Any) -> Any:
    """Python literal -> JSON-shaped data (tuples and sets become lists, keys strings)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return [_jsonable(v) for v in items]
    return value


def _balanced_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each outermost balanced bracket span, in order."""
    stack: list[tuple[int, str]] = []
    for index, char in _brackets(stack, text):
        if char in _OPENERS:
            stack.append((index, _OPENERS[char]))
        elif stack and stack[-1][1] == char:
            start, _closer = stack.pop()
            if not stack:
                yield start, index + 1
        elif stack:
            stack.clear()  # mismatched bracket: not a value, start over


def _brackets(stack: list[tuple[int, str]], text: str) -> Iterator[tuple[int, str]]:
    """(index, char) of each bracket of ``text`` outside string literals.

    Quotes only open a string inside a bracketed value (``stack`` is the caller's open-bracket
    stack), so apostrophes in surrounding prose ("don't") stay prose.
    """
    quote = ""
    escaped = False
    for index, char in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
            continue
        if char in "\"'" and stack:
            quote = char
        elif char in _OPENERS or char in "]}":
            yield index, char


def _last_fence_or_text(text: str) -> str:
    fences = list(_FENCE.finditer(text))
    return fences[-1].group(2) if fences else text


def _unclosed_opener(text: str) -> str | None:
    """The outermost bracket still open at the end of ``text``, if any."""
    stack: list[tuple[int, str]] = []
    for index, char in _brackets(stack, text):
        if char in _OPENERS:
            stack.append((index, _OPENERS[char]))
        elif stack and stack[-1][1] == char:
            stack.pop()
    return text[stack[0][0]] if stack else None
