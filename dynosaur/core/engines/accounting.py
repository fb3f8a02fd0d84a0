"""Token usage, per-model prices and a spending budget for paid engines.

Prices are dollars per one million tokens. They come from the maintained ``genai-prices`` table
(looked up by model and by the provider its base URL names; a server on this machine is only
priced under OpenAI's names, so a local model is not charged some other provider's price), and a
JSON file ``{"model": {"input": 0.15, "output": 0.6}}`` (or ``{"model": [0.15, 0.6]}``) overrides
it; an entry may add ``cached_input``, ``batch_input`` and ``batch_output``. Cached input (the
prompt prefix a server reused, ``usage.prompt_tokens_details.cached_tokens``) is priced at the
cached rate, Batch API calls at the batch rate (half the standard rate unless listed).
A model name with a dated suffix (``gpt-4o-mini-2024-07-18``) takes the price of its longest
listed prefix in the file. A model on a server on this machine that neither lists has no price,
but costs nothing to call: summaries say "$0 (local)"; elsewhere its cost is unknown.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from dynosaur.core.engines.base import BudgetExceeded
from dynosaur.core.errors import ConfigError

BATCH_DISCOUNT = 0.5  # the Batch API's rate, where the table lists none
_MILLION = 1_000_000


@dataclass(frozen=True)
class Price:
    """Dollars per one million tokens: input, output, cached input, and both at the batch rate."""

    input: float
    output: float
    cached_input: float | None = None
    batch_input: float | None = None
    batch_output: float | None = None

    def rates(self, batch: bool = False) -> tuple[float, float, float]:
        """(input, cached input, output) per 1M tokens, at the standard or the batch rate."""
        cached = self.input if self.cached_input is None else self.cached_input
        if not batch:
            return self.input, cached, self.output
        batch_input = self.input * BATCH_DISCOUNT if self.batch_input is None else self.batch_input
        batch_output = self.output * BATCH_DISCOUNT if self.batch_output is None else self.batch_output
        return batch_input, min(cached, batch_input), batch_output

    def cost(
        self, prompt_tokens: int, completion_tokens: int, cached_tokens: int = 0, *, batch: bool = False
    ) -> float:
        """Dollars for one call; ``cached_tokens`` are the part of ``prompt_tokens`` served from cache."""
        rate_in, rate_cached, rate_out = self.rates(batch)
        cached = max(0, min(cached_tokens, prompt_tokens))
        return (
            (prompt_tokens - cached) * rate_in + cached * rate_cached + completion_tokens * rate_out
        ) / _MILLION


_OPTIONAL_RATES = ("cached_input", "batch_input", "batch_output")


def _price_of(model: str, entry: Any) -> Price:
    extra: dict[str, Any] = {}
    if isinstance(entry, Mapping) and {"input", "output"} <= set(entry):
        values = (entry["input"], entry["output"])
        extra = {key: entry[key] for key in _OPTIONAL_RATES if entry.get(key) is not None}
        unknown = set(entry) - {"input", "output", *_OPTIONAL_RATES}
        if unknown:
            raise ConfigError(f"price for {model!r} has unknown keys: {', '.join(sorted(unknown))}")
    elif isinstance(entry, (list, tuple)) and len(entry) == 2:
        values = tuple(entry)
    else:
        raise ConfigError(f"price for {model!r} must be {{'input': X, 'output': Y}} or [X, Y], got {entry!r}")
    try:
        numbers = [float(values[0]), float(values[1]), *(float(v) for v in extra.values())]
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"price for {model!r} is not a number: {entry!r}") from exc
    if any(n < 0 or not math.isfinite(n) for n in numbers):
        raise ConfigError(f"price for {model!r} must be finite and non-negative: {entry!r}")
    return Price(numbers[0], numbers[1], **{key: float(value) for key, value in extra.items()})


def load_prices(source: str | Path | Mapping[str, Any] | None = None) -> dict[str, Price]:
    """The prices a JSON file or a mapping of model -> price lists (they override the table)."""
    if source is None:
        return {}
    if isinstance(source, Mapping):
        extra = source
    else:
        path = Path(source)
        try:
            extra = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"price file {path} does not exist") from exc
        except json.JSONDecodeError as exc:
            raise ConfigError(f"price file {path} is not valid JSON: {exc}") from exc
        if not isinstance(extra, dict):
            raise ConfigError(f"price file {path} must hold a JSON object of model -> price")
    return {
        str(model): entry if isinstance(entry, Price) else _price_of(str(model), entry)
        for model, entry in extra.items()
    }


@lru_cache(maxsize=256)
def table_price(model: str, provider_api_url: str | None = None) -> Price | None:
    """The ``genai-prices`` price of ``model``: at the provider ``provider_api_url`` names, or (with
    None) under OpenAI's model names; None when the table does not know it."""
    import genai_prices  # imported here: a few hundred kilobytes of price data

    def rate(**usage: int) -> tuple[float, float]:
        context = usage.pop("_batch", 0)
        kwargs: dict[str, Any] = (
            {"provider_api_url": provider_api_url} if provider_api_url else {"provider_id": "openai"}
        )
        if context:
            kwargs["price_context"] = {"processing": "batch"}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = genai_prices.calc_price(genai_prices.Usage(**usage), model, **kwargs)
        return float(found.input_price), float(found.output_price)

    try:
        standard_in, standard_out = rate(input_tokens=_MILLION, output_tokens=_MILLION)
        cached_in, _ = rate(input_tokens=_MILLION, cache_read_tokens=_MILLION)
        batch_in, batch_out = rate(input_tokens=_MILLION, output_tokens=_MILLION, _batch=1)
    except (LookupError, ValueError):
        return None
    return Price(standard_in, standard_out, cached_in, batch_in, batch_out)


def price_for(
    model: str, prices: Mapping[str, Price] | None = None, *, base_url: str | None = None, local: bool = False
) -> Price | None:
    """The price of ``model``: the override file's entry (or its longest listed prefix's), else the
    ``genai-prices`` table's for the provider at ``base_url`` (OpenAI's names for a ``local``
    server); None when unknown."""
    prices = prices or {}
    if model in prices:
        return prices[model]
    prefixes = [name for name in prices if model.startswith(name + "-")]
    if prefixes:
        return prices[max(prefixes, key=len)]
    if local or not base_url:
        return table_price(model)
    return table_price(model, base_url) or table_price(model)


def estimate_prompt_tokens(prompt_chars: int) -> int:
    """The usual rule of thumb: about four characters per token."""
    return math.ceil(prompt_chars / 4)


@dataclass
class Usage:
    """What a run has used so far."""

    calls: int = 0
    batch_calls: int = 0  # of calls, answered through the Batch API (at the batch rate)
    prompt_tokens: int = 0
    cached_tokens: int = 0  # of prompt_tokens, served from the server's prompt cache
    completion_tokens: int = 0
    cost_usd: float = 0.0
    retries: int = 0
    timeouts: int = 0
    failures: int = 0
    timeout_seconds: float = 0.0  # spent in attempts that timed out
    retry_wait_seconds: float = 0.0  # waited between attempts
    concurrency: dict[str, int] | None = None  # the adaptive limit: configured, lowest, now, ...

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["cost_usd"] = round(self.cost_usd, 6)
        data["timeout_seconds"] = round(self.timeout_seconds, 3)
        data["retry_wait_seconds"] = round(self.retry_wait_seconds, 3)
        return data

    def strain(self) -> dict[str, Any] | None:
        """How hard the server was to reach: timeouts, retries (with their seconds) and how the
        concurrency limit moved; None when nothing went wrong."""
        lowered = bool(self.concurrency and self.concurrency.get("decreases"))
        if not (self.timeouts or self.retries or self.failures or lowered):
            return None
        return {
            "timeouts": self.timeouts,
            "timeout_seconds": round(self.timeout_seconds, 3),
            "retries": self.retries,
            "retry_wait_seconds": round(self.retry_wait_seconds, 3),
            "failed_calls": self.failures,
            "concurrency": self.concurrency,
        }


class Budget:
    """A spending limit shared by concurrent calls: each call reserves its worst case first."""

    def __init__(self, limit_usd: float) -> None:
        if not math.isfinite(limit_usd) or limit_usd < 0:
            raise ConfigError(f"budget must be a non-negative number of dollars, got {limit_usd!r}")
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
