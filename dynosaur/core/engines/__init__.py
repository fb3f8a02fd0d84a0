"""LLM engines behind one interface, registered by name; see ``base`` for the protocol."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from dynosaur.core.engines.base import (
    BudgetExceeded,
    ChatRequest,
    Completion,
    Engine,
    EngineError,
    GenerationParams,
    UnsupportedRequest,
    require_capability,
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


def engine_names() -> list[str]:
    return sorted(set(_ENGINE_MODULES) | set(_FACTORIES))


def create_engine(name: str, **options: Any) -> Engine:
    """Build the engine registered under ``name`` with its own options."""
    if name not in _FACTORIES and name in _ENGINE_MODULES:
        importlib.import_module(_ENGINE_MODULES[name])
    if name not in _FACTORIES:
        raise ConfigError(f"unknown engine {name!r}; known: {', '.join(engine_names())}")
    return _FACTORIES[name](**options)


__all__ = [
    "BudgetExceeded",
    "ChatRequest",
    "Completion",
    "Engine",
    "EngineError",
    "GenerationParams",
    "UnsupportedRequest",
    "create_engine",
    "engine_names",
    "register_engine",
    "require_capability",
    "structured_output_mode",
]
