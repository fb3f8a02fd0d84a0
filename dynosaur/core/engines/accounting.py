"""Token usage, per-model prices and a spending budget for paid engines.

Prices are dollars per one million tokens (input, output). The built-in table covers a few common
models; a JSON file ``{"model": {"input": 0.15, "output": 0.6}}`` (or ``{"model": [0.15, 0.6]}``)
extends or overrides it. A model name with a dated suffix (``gpt-4o-mini-2024-07-18``) takes the
price of its longest listed prefix.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from dynosaur.core.engines.base import BudgetExceeded


@dataclass(frozen=True)
class Price:
    """Dollars per one million input and output tokens."""

    input: float
    output: float

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.input + completion_tokens * self.output) / 1_000_000


# Public list prices (USD per 1M tokens, standard tier).
DEFAULT_PRICES: dict[str, Price] = {
    "gpt-4o-mini": Price(0.15, 0.60),
    "gpt-4o": Price(2.50, 10.00),
    "gpt-4.1-nano": Price(0.10, 0.40),
    "gpt-4.1-mini": Price(0.40, 1.60),
    "gpt-4.1": Price(2.00, 8.00),
    "gpt-5-nano": Price(0.05, 0.40),
    "gpt-5-mini": Price(0.25, 2.00),
    "gpt-5": Price(1.25, 10.00),
    "gpt-3.5-turbo": Price(0.50, 1.50),
}


def _price_of(model: str, entry: Any) -> Price:
    if isinstance(entry, Mapping) and {"input", "output"} <= set(entry):
        values = (entry["input"], entry["output"])
    elif isinstance(entry, (list, tuple)) and len(entry) == 2:
        values = tuple(entry)
    else:
        raise ValueError(f"price for {model!r} must be {{'input': X, 'output': Y}} or [X, Y], got {entry!r}")
    try:
        price = Price(float(values[0]), float(values[1]))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"price for {model!r} is not a number: {entry!r}") from exc
    if price.input < 0 or price.output < 0 or not all(map(math.isfinite, (price.input, price.output))):
        raise ValueError(f"price for {model!r} must be finite and non-negative: {entry!r}")
    return price


def load_prices(source: str | Path | Mapping[str, Any] | None = None) -> dict[str, Price]:
    """The built-in prices, extended by a JSON file or a mapping of model -> price."""
    prices = dict(DEFAULT_PRICES)
    if source is None:
        return prices
    if isinstance(source, Mapping):
        extra = source
    else:
        path = Path(source)
        try:
            extra = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ValueError(f"price file {path} does not exist") from exc
        except json.JSONDecodeError as exc:
            raise ValueError(f"price file {path} is not valid JSON: {exc}") from exc
        if not isinstance(extra, dict):
            raise ValueError(f"price file {path} must hold a JSON object of model -> price")
    for model, entry in extra.items():
        prices[str(model)] = entry if isinstance(entry, Price) else _price_of(str(model), entry)
    return prices


def price_for(model: str, prices: Mapping[str, Price]) -> Price | None:
    """The price of ``model``, or of its longest listed prefix; None when unknown."""
    if model in prices:
        return prices[model]
    prefixes = [name for name in prices if model.startswith(name + "-")]
    return prices[max(prefixes, key=len)] if prefixes else None


def estimate_prompt_tokens(prompt_chars: int) -> int:
    """The usual rule of thumb: about four characters per token."""
    return math.ceil(prompt_chars / 4)


@dataclass
class Usage:
    """What a run has used so far."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    retries: int = 0
    timeouts: int = 0
    failures: int = 0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["cost_usd"] = round(self.cost_usd, 6)
        return data


class Budget:
    """A spending limit shared by concurrent calls: each call reserves its worst case first."""

    def __init__(self, limit_usd: float) -> None:
        if not math.isfinite(limit_usd) or limit_usd < 0:
            raise ValueError(f"budget must be a non-negative number of dollars, got {limit_usd!r}")
        self.limit_usd = limit_usd
        self.spent_usd = 0.0
        self.reserved_usd = 0.0

    def reserve(self, worst_case_usd: float) -> float:
        """Hold ``worst_case_usd`` for one call, or raise BudgetExceeded if it would not fit."""
        if self.spent_usd + self.reserved_usd + worst_case_usd > self.limit_usd:
            raise BudgetExceeded(
                f"budget of ${self.limit_usd:.4f} reached: ${self.spent_usd:.4f} spent, "
                f"${self.reserved_usd:.4f} in flight, next call may cost up to ${worst_case_usd:.4f}"
            )
        self.reserved_usd += worst_case_usd
        return worst_case_usd

    def settle(self, reserved_usd: float, actual_usd: float) -> None:
        """Replace a reservation by what the call really cost (0 when it failed)."""
        self.reserved_usd = max(0.0, self.reserved_usd - reserved_usd)
        self.spent_usd += actual_usd
