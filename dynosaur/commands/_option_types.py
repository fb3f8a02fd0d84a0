"""argparse types for every numeric and list option, so a bad value ends the command before it reads
or writes anything: ``argparse`` prints ``argument --flag: <problem>`` and exits with status 2.

Each type runs the same check (``dynosaur.core.checks``) the options types run on their fields,
so the command line and the library agree on what a valid value is.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Collection
from typing import TypeVar

from dynosaur.core import checks
from dynosaur.core.errors import OptionError

T = TypeVar("T")


def _checked(value: T, check: Callable[[str, T], None]) -> None:
    try:
        check("value", value)
    except OptionError as exc:
        raise argparse.ArgumentTypeError(exc.problem) from None


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None


def int_at_least(minimum: int) -> Callable[[str], int]:
    """A whole number of at least ``minimum``."""

    def parse(text: str) -> int:
        value = _int(text)
        _checked(value, lambda field, v: checks.at_least(field, v, minimum))
        return value

    return parse


positive_int = int_at_least(1)
non_negative_int = int_at_least(0)


def whole_number(text: str) -> int:
    """Any whole number (a seed)."""
    return _int(text)


def int_between(low: int, high: int) -> Callable[[str], int]:
    """A whole number from ``low`` to ``high``, both included."""

    def parse(text: str) -> int:
        value = _int(text)
        _checked(value, lambda field, v: checks.whole_between(field, v, low, high))
        return value

    return parse


def workers(text: str) -> int:
    """A thread count of 1 or more, or -1 for one per core."""
    value = _int(text)
    _checked(value, checks.workers)
    return value


def positive_float(text: str) -> float:
    """A finite number above 0."""
    value = _float(text)
    _checked(value, checks.positive)
    return value


def non_negative_float(text: str) -> float:
    """A finite number of 0 or more."""
    value = _float(text)
    _checked(value, checks.non_negative)
    return value


def float_between(low: float, high: float, *, low_included: bool = True) -> Callable[[str], float]:
    """A finite number from ``low`` (included unless ``low_included`` is off) up to ``high``."""

    def parse(text: str) -> float:
        value = _float(text)
        _checked(value, lambda field, v: checks.between(field, v, low, high, low_included=low_included))
        return value

    return parse


share = float_between(0.0, 1.0)  # a share from 0 to 1
fraction = float_between(0.0, 1.0, low_included=False)  # a share above 0, up to 1


def _split(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))


def csv_of(allowed: Collection[str]) -> Callable[[str], tuple[str, ...]]:
    """Comma-separated names, at least one, each of them one of ``allowed`` (repeats dropped)."""

    def parse(text: str) -> tuple[str, ...]:
        values = _split(text)
        _checked(values, lambda field, v: checks.members(field, v, allowed))
        return values

    return parse


def names_csv(text: str) -> tuple[str, ...]:
    """Comma-separated names, at least one (repeats dropped)."""
    values = _split(text)
    _checked(values, checks.names)
    return values
