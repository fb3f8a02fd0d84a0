"""Language of a dataset's rows, for datasets whose card names no language."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from langdetect import DetectorFactory, detect
from langdetect.lang_detect_exception import LangDetectException

# langdetect samples randomly; a fixed seed makes the answer the same on every run.
DetectorFactory.seed = 0

_MAX_CHARS = 5000


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def row_text(rows: Iterable[dict[str, Any]], max_chars: int = _MAX_CHARS) -> str:
    """The rows' string values joined, cut to ``max_chars``."""
    parts: list[str] = []
    size = 0
    for row in rows:
        for text in _strings(row):
            text = text.strip()
            if not text:
                continue
            parts.append(text)
            size += len(text) + 1
            if size >= max_chars:
                return "\n".join(parts)[:max_chars]
    return "\n".join(parts)


def detect_language(rows: Iterable[dict[str, Any]]) -> str | None:
    """ISO 639-1 code of the rows' text (``en``), or None when there is no text to judge."""
    text = row_text(rows)
    if not any(ch.isalpha() for ch in text):
        return None
    try:
        code = detect(text)
    except LangDetectException:
        return None
    return code.split("-")[0].lower()
