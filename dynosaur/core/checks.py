"""Range checks of numeric and list settings, shared by the options types that validate their fields.

Each check raises ``OptionError`` naming the field (never a CLI flag) and returns nothing. A whole
number must be an ``int`` (not a ``bool``); a number must be finite (``nan`` compares false with
every bound, so a plain ``<`` check would let it through).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable

from dynosaur.core.errors import OptionError


def _whole(field: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise OptionError(field, f"must be a whole number, got {value!r}")
    return value


def _finite(field: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise OptionError(field, f"must be a number, got {value!r}")
    if not math.isfinite(value):
        raise OptionError(field, f"must be a finite number, got {value}")
    return float(value)


def whole(field: str, value: object) -> None:
    """``value`` is a whole number (a seed)."""
    _whole(field, value)


def at_least(field: str, value: object, minimum: int) -> None:
    """``value`` is a whole number of at least ``minimum``."""
    if _whole(field, value) < minimum:
        raise OptionError(field, f"must be at least {minimum}, got {value}")


def workers(field: str, value: object) -> None:
    """``value`` is a thread count of 1 or more, or -1 for one per core."""
    number = _whole(field, value)
    if number < 1 and number != -1:
        raise OptionError(field, f"must be at least 1, or -1 for one per core, got {value}")


def whole_between(field: str, value: object, low: int, high: int) -> None:
    """``value`` is a whole number from ``low`` to ``high``, both included."""
    if not low <= _whole(field, value) <= high:
        raise OptionError(field, f"must be from {low} to {high}, got {value}")


def positive(field: str, value: object) -> None:
    """``value`` is a finite number above 0 (seconds, dollars, a temperature)."""
    if _finite(field, value) <= 0:
        raise OptionError(field, f"must be a positive number, got {value}")


def non_negative(field: str, value: object) -> None:
    """``value`` is a finite number of 0 or more."""
    if _finite(field, value) < 0:
        raise OptionError(field, f"must be 0 or more, got {value}")


def between(field: str, value: object, low: float, high: float, *, low_included: bool = True) -> None:
    """``value`` is a finite number from ``low`` (included unless ``low_included`` is off) to
    ``high`` (included)."""
    number = _finite(field, value)
    if number > high or number < low or (number == low and not low_included):
        lower = f"from {low:g}" if low_included else f"above {low:g}"
        raise OptionError(field, f"must be {lower} up to {high:g}, got {value}")


def members(field: str, values: Iterable[str], allowed: Collection[str]) -> None:
    """``values`` names at least one value, each of them one of ``allowed``."""
    if isinstance(values, str):
        raise OptionError(field, f"must be a list of names, got the string {values!r}")
    names = list(values)
    choices = ", ".join(allowed)
    if not names:
        raise OptionError(field, f"must name at least one of {choices}")
    for name in names:
        if name not in allowed:
            raise OptionError(field, f"has an unknown value {name!r}; choose from {choices}")


def names(field: str, values: Iterable[str]) -> None:
    """``values`` names at least one value, none of them blank."""
    if isinstance(values, str):
        raise OptionError(field, f"must be a list of names, got the string {values!r}")
    listed = list(values)
    if not listed:
        raise OptionError(field, "must name at least one value")
    if not all(isinstance(name, str) and name.strip() for name in listed):
        raise OptionError(field, f"must not name a blank value, got {listed!r}")
