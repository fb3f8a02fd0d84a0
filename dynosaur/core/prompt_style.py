"""Prompt styles: the full prompt, or a compact one for small models with small context windows.

``full`` shows every rule, the card's description and several worked examples; ``compact`` keeps
one short example, a few rules and the dataset's field names spelled out as the only names an
answer may use. ``auto`` (the default) picks ``compact`` when the model's context window is known
to be small (below ``SMALL_CONTEXT_TOKENS``): given with ``--context-window``, or reported by the
server — llama.cpp's ``llama-server`` (``/props``: ``n_ctx``; ``/v1/models``: ``meta.n_ctx``), vLLM
(``/v1/models``: ``max_model_len``) and servers that list ``context_length``. Servers that say
nothing (OpenAI, llama-cpp-python) keep the full prompt.

The window a server reported is remembered in the response cache beside the engine's other server
facts, so a rerun picks the same style (and so the same cached prompts) even while the server is
down.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from dynosaur.core.errors import OptionError

PROMPT_STYLES = ("auto", "full", "compact")
SMALL_CONTEXT_TOKENS = 4096  # below this many tokens of context, ``auto`` picks the compact prompt
PROBE_TIMEOUT = 5.0
_OPENAI_HOST = "api.openai.com"  # its models list says nothing about context windows


class _FactStore(Protocol):
    def facts(self, scope: str) -> dict[str, Any]: ...

    def put_facts(self, scope: str, facts: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class StyleChoice:
    """The style a run uses and why."""

    style: str  # "full" or "compact"
    requested: str  # what was asked for: auto, full or compact
    context_window: int | None = None
    source: str = ""  # where the window came from: "option", "server", "cache" or ""

    def describe(self) -> str:
        """One phrase for a summary line."""
        if self.requested != "auto":
            return f"{self.style} (asked for)"
        if self.context_window is None:
            return f"{self.style} (auto: context window unknown)"
        where = {"option": "`context_window`", "server": "reported by the server", "cache": "cached"}
        return (
            f"{self.style} (auto: context window {self.context_window} tokens, "
            f"{where.get(self.source, self.source)})"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "style": self.style,
            "requested": self.requested,
            "context_window": self.context_window,
            "context_window_from": self.source or None,
        }


def check_style(style: str) -> str:
    """``style`` if it is one of ``PROMPT_STYLES``; an ``OptionError`` otherwise."""
    if style not in PROMPT_STYLES:
        raise OptionError("prompt_style", f"must be one of {', '.join(PROMPT_STYLES)}, got {style!r}")
    return style


def _positive_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) and value > 0:
        return int(value)
    return None


def window_from_models(body: Any, model: str) -> int | None:
    """The context window a ``/v1/models`` answer gives for ``model`` (or for its only model)."""
    entries = body.get("data") if isinstance(body, dict) else None
    if not isinstance(entries, list):
        return None
    entries = [e for e in entries if isinstance(e, dict)]
    named = [e for e in entries if e.get("id") == model]
    chosen = named or (entries if len(entries) == 1 else [])
    for entry in chosen:
        meta = entry.get("meta") if isinstance(entry.get("meta"), dict) else {}
        for value in (
            entry.get("max_model_len"),  # vLLM
            meta.get("n_ctx"),  # llama-server, the window it was started with
            entry.get("context_length"),
            entry.get("context_window"),
            meta.get("n_ctx_train"),  # llama-server, what the model was trained for
        ):
            window = _positive_int(value)
            if window is not None:
                return window
    return None


def window_from_props(body: Any) -> int | None:
    """The context window in llama-server's ``/props`` (per slot: ``n_ctx``)."""
    if not isinstance(body, dict):
        return None
    settings = body.get("default_generation_settings")
    if isinstance(settings, dict):
        window = _positive_int(settings.get("n_ctx"))
        if window is not None:
            return window
    return _positive_int(body.get("n_ctx"))


def _get_json(url: str, timeout: float) -> Any:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http only)
            return json.loads(response.read().decode("utf-8", "replace"))
    except (OSError, ValueError, urllib.error.URLError):
        return None


def probe_context_window(base_url: str, model: str, timeout: float = PROBE_TIMEOUT) -> int | None:
    """Ask an OpenAI-compatible server for ``model``'s context window; None when it does not say
    (or cannot be reached)."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https"):
        return None
    base = base_url.rstrip("/")
    root = base[: -len("/v1")] if base.endswith("/v1") else base
    window = window_from_props(_get_json(root + "/props", timeout))
    if window is None:
        window = window_from_models(_get_json(base + "/models", timeout), model)
    return window


def _innermost(engine: Any) -> Any:
    seen = 0
    while getattr(engine, "engine", None) is not None and seen < 8:  # cache and batch wrappers
        engine = engine.engine
        seen += 1
    return engine


def _server_window(engine: Any) -> tuple[int | None, str]:
    """The window of the engine's server: probed, else the one cached by an earlier run."""
    inner = _innermost(engine)
    window = _positive_int(getattr(inner, "context_window", None))
    if window is not None:  # an engine that knows its own (a local model)
        return window, "server"
    base_url = getattr(inner, "base_url", None)
    if getattr(inner, "name", "") != "openai" or not isinstance(base_url, str):
        return None, ""
    if (urlsplit(base_url).hostname or "").lower() == _OPENAI_HOST:
        return None, ""
    store: _FactStore | None = getattr(engine, "cache", None)
    scope = f"{getattr(inner, 'server_scope', base_url)} context"
    window = probe_context_window(base_url, str(getattr(inner, "model", "")))
    if store is None:
        return window, "server" if window else ""
    if window is not None:
        if store.facts(scope).get("context_window") != window:
            store.put_facts(scope, {"context_window": window})
        return window, "server"
    cached = _positive_int(store.facts(scope).get("context_window"))
    return cached, "cache" if cached else ""


def choose_prompt_style(requested: str, engine: Any, *, context_window: int | None = None) -> StyleChoice:
    """The style to use: ``requested`` unless it is ``auto``, which picks ``compact`` for a context
    window below ``SMALL_CONTEXT_TOKENS`` (``context_window`` if given, else the server's)."""
    check_style(requested)
    if context_window is not None and context_window < 1:
        raise OptionError("context_window", f"must be a positive number of tokens, got {context_window}")
    if requested != "auto":
        return StyleChoice(requested, requested, context_window, "option" if context_window else "")
    window: int | None = context_window
    source = "option"
    if window is None:
        window, source = _server_window(engine)
    style = "compact" if window is not None and window < SMALL_CONTEXT_TOKENS else "full"
    return StyleChoice(style, "auto", window, source)
