"""JSON and JSON Lines: every string value, in document order, one paragraph each.

Keys, numbers and booleans are structure rather than prose and are left out.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from dynosaur.documents.readers.base import SkipDocument, decode_utf8


def string_values(value: Any) -> Iterator[str]:
    """The non-blank strings inside a parsed JSON value, depth first, in order."""
    if isinstance(value, str):
        if value.strip():
            yield value.strip()
    elif isinstance(value, dict):
        for item in value.values():
            yield from string_values(item)
    elif isinstance(value, list):
        for item in value:
            yield from string_values(item)


def read_json(data: bytes) -> str:
    """The string values of a .json file."""
    try:
        value = json.loads(decode_utf8(data))
    except json.JSONDecodeError as exc:
        raise SkipDocument("invalid JSON", f"line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    return "\n\n".join(string_values(value))


def read_jsonl(data: bytes) -> str:
    """The string values of a .jsonl file, record after record."""
    parts: list[str] = []
    for number, line in enumerate(decode_utf8(data).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SkipDocument("invalid JSON", f"line {number}: {exc.msg}") from exc
        parts.extend(string_values(value))
    return "\n\n".join(parts)
