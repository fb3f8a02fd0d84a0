"""LLM engines behind one interface, registered by name; see ``base`` for the protocol."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dynosaur.core import checks, config
from dynosaur.core.engines.base import (
    BudgetExceeded,
    ChatRequest,
    Completion,
    Engine,
    EngineError,
    GenerationParams,
    UnsupportedRequest,
    describe_strain,
    require_capability,
    server_strain,
    structured_output_mode,
)
from dynosaur.core.errors import ConfigError

# name -> module that registers it on import; imported lazily so that optional dependencies
# (torch, transformers) are only needed by the engines that use them.
_ENGINE_MODULES = {
    "openai": "dynosaur.core.engines.openai",
    "rules": "dynosaur.core.engines.rules",
    "transformers": "dynosaur.core.engines.transformers",
}
_FACTORIES: dict[str, Callable[..., Engine]] = {}


def register_engine(name: str) -> Callable[[Callable[..., Engine]], Callable[..., Engine]]:
    """Class decorator: make an engine constructible by name."""

    def decorate(factory: Callable[..., Engine]) -> Callable[..., Engine]:
        _FACTORIES[name] = factory
        return factory

    return decorate


@dataclass(frozen=True)
class BatchOptions:
    """Batch mode: ``submit`` sends the uncached requests through the Batch API, ``file_only`` writes
    them as Batch API files into that folder instead, ``results`` are answer files read first."""

    submit: bool = False
    file_only: str | Path | None = None
    results: tuple[str | Path, ...] = ()
    poll_seconds: float = 5.0
    progress: bool = True

    def __post_init__(self) -> None:
        checks.positive("batch_poll_seconds", self.poll_seconds)


@dataclass(frozen=True)
class EngineOptions:
    """The settings an engine is opened with (``open_engine``): which engine, its own settings (each
    engine's ``from_options`` takes what it uses and refuses, with a ``DynosaurError`` naming the
    field, what it cannot work without), batch mode, and the response cache in front of it
    (``cache``: its file, default the data folder's; ``use_cache`` off: none)."""

    engine: str = "rules"
    model: str | None = None
    base_url: str | None = None
    concurrency: int | None = None
    timeout: float | None = None
    max_retries: int = 5
    budget_usd: float | None = None
    prices: str | Path | None = None
    device: str = "auto"
    allow_download: bool = False
    batch: BatchOptions | None = None
    cache: str | Path | None = None
    use_cache: bool = True

    def __post_init__(self) -> None:
        if self.concurrency is not None:
            checks.at_least("concurrency", self.concurrency, 1)
        if self.timeout is not None:
            checks.positive("timeout", self.timeout)
        checks.at_least("max_retries", self.max_retries, 0)
        if self.budget_usd is not None:
            checks.non_negative("budget_usd", self.budget_usd)


def engine_names() -> list[str]:
    return sorted(set(_ENGINE_MODULES) | set(_FACTORIES))


def _factory(name: str) -> Callable[..., Engine]:
    if name not in _FACTORIES and name in _ENGINE_MODULES:
        importlib.import_module(_ENGINE_MODULES[name])
    if name not in _FACTORIES:
        raise ConfigError(f"unknown engine {name!r}; known: {', '.join(engine_names())}")
    return _FACTORIES[name]


def create_engine(name: str, **options: Any) -> Engine:
    """Build the engine registered under ``name`` with its own options."""
    return _factory(name)(**options)


def open_engine_by_name(name: str, options: EngineOptions) -> Engine:
    """The engine registered as ``name``, opened from ``options`` by its own ``from_options`` (an
    engine without one gets the model only); a ``ConfigError`` when it cannot be started here."""
    try:
        factory = _factory(name)
        opener: Callable[[EngineOptions], Engine] | None = getattr(factory, "from_options", None)
        if opener is not None:
            return opener(options)
        return factory(model=options.model or config.openai_model())
    except (ImportError, TypeError) as exc:
        raise ConfigError(f"engine {name!r} cannot be started here: {exc}") from exc


__all__ = [
    "BatchOptions",
    "BudgetExceeded",
    "ChatRequest",
    "Completion",
    "Engine",
    "EngineOptions",
    "EngineError",
    "GenerationParams",
    "UnsupportedRequest",
    "create_engine",
    "describe_strain",
    "engine_names",
    "open_engine_by_name",
    "register_engine",
    "require_capability",
    "server_strain",
    "structured_output_mode",
]
