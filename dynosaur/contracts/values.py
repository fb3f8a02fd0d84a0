"""Cell values as the text a record shows: booleans as ``true``/``false``, floats without the
artefacts of a float32 column read as a float64 (``0.30000001192092896`` -> ``0.3``)."""

from __future__ import annotations

import math
import struct
from typing import Any

FLOAT32_DTYPES = frozenset({"float32", "float16", "float"})


def _as_float32(value: float) -> float:
    return struct.unpack("<f", struct.pack("<f", value))[0]


def float32_text(value: float) -> str:
    """The shortest text that reads back as the same float32 (``2.109999895095825`` -> ``2.11``)."""
    if not math.isfinite(value):
        raise ValueError(f"non-finite number {value!r}")
    try:
        target = _as_float32(value)
    except OverflowError:
        return repr(value)
    if target.is_integer() and abs(target) < 1e16:
        return repr(target)  # ``3.0``: the same text a float64 column gives for whole numbers
    for digits in range(1, 10):
        text = f"{value:.{digits}g}"
        if _as_float32(float(text)) == target:
            return repr(float(text))
    return repr(target)


def number_text(value: int | float, dtype: str = "") -> str:
    """An int as is; a float as its shortest round-trip text (float32-aware for such a column)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        raise ValueError(f"non-finite number {value!r}")
    return float32_text(value) if dtype in FLOAT32_DTYPES else repr(value)


def cell_text(value: Any, dtype: str = "") -> str | None:
    """A scalar's record text, or None for anything that is not a string, number or boolean."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, int, float)):
        try:
            return number_text(value, dtype)
        except ValueError:
            return None
    return None
