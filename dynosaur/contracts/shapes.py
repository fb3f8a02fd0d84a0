"""Checking the JSON shape of a file an earlier stage wrote (or a user edited): a wrong type is a
``BadArtifact`` that names the file and the field, not a ``TypeError`` deep in a stage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dynosaur.core.errors import BadArtifact

_WHAT = {
    bool: "a boolean",
    int: "a number",
    float: "a number",
    str: "a string",
    list: "a list",
    dict: "a mapping",
}


def describe(value: Any) -> str:
    """What a value is, shown short: ``a number (7)``, ``a string ('x')``, ``null``."""
    if value is None:
        return "null"
    shown = repr(value)
    shown = shown if len(shown) <= 40 else shown[:40] + "..."
    return f"{_WHAT.get(type(value), type(value).__name__)} ({shown})"


def _is(value: Any, kind: type) -> bool:
    if kind is float:  # a whole number in JSON is a number too
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def require(value: Any, kind: type, path: Path, field: str, *, absent: bool = True) -> Any:
    """``value`` when it is of ``kind`` (or ``None`` while ``absent``: the field is left out);
    otherwise a ``BadArtifact`` naming ``path`` and ``field``."""
    if not (_is(value, kind) or (absent and value is None)):
        raise BadArtifact(f"{path}: {field} is {describe(value)}, not {_WHAT[kind]}")
    return value


def require_items(value: Any, kind: type, path: Path, field: str) -> Any:
    """``value`` when it is a list (or a mapping) whose every item is of ``kind`` (``None`` passes);
    otherwise a ``BadArtifact`` naming the item (``tasks[2]``, ``sources.squad``)."""
    if isinstance(value, dict):
        for key, item in value.items():
            require(item, kind, path, f"{field}.{key}", absent=False)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            require(item, kind, path, f"{field}[{index}]", absent=False)
    return value


def require_object(value: Any, path: Path) -> dict[str, Any]:
    """``value`` when the file holds a JSON object; otherwise a ``BadArtifact`` naming the file."""
    if not isinstance(value, dict):
        raise BadArtifact(f"{path}: {describe(value)}, not a JSON object")
    return value
