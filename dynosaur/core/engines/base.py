"""The engine interface: a chat request goes in, a completion comes out.

Every generator (task proposal, Self-Instruct, DINO, documents) talks to engines through this
interface only, with the response cache (``dynosaur.core.cache``) in front. An engine declares what it
can do in ``capabilities``, so a stage can refuse an engine that cannot serve it with a clear
message instead of failing half-way:

- ``"chat"``: free-text answers to chat messages (``openai``, ``transformers``).
- ``"context"``: reads the structured ``ChatRequest.context`` instead of the prose (``rules``).
- ``"next_token_scores"``: exposes next-token distributions, so decoding can be steered
  (counter labels / self-debiasing in DINO) — see ``ScoringEngine``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from dynosaur.core.errors import DynosaurError

if TYPE_CHECKING:
    from dynosaur.core.engines.accounting import Usage

DEFAULT_CONCURRENCY = 8  # requests in flight for an engine that does not say


class EngineError(DynosaurError, RuntimeError):
    """An engine failed for good (after its retries); the caller records a reason and goes on."""


class BudgetExceeded(DynosaurError, RuntimeError):
    """The next call would exceed the run's budget; the run stops cleanly, keeping what it has."""


class UnsupportedRequest(EngineError):
    """The engine cannot serve this kind of request (e.g. the rules engine asked for prose)."""


@dataclass
class CacheStats:
    """Answers the response cache had (hits) and asked the engine for (misses)."""

    hits: int = 0
    misses: int = 0


@dataclass(frozen=True)
class GenerationParams:
    """Sampling settings; part of the cache key."""

    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 1024
    seed: int | None = None
    stop: tuple[str, ...] = ()
    # A JSON schema the answer should follow ({"name": ..., "schema": {...}}); engines that can
    # enforce it do, the others ignore it and the caller parses leniently.
    json_schema: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["stop"] = list(self.stop)
        return data


@dataclass(frozen=True)
class ChatRequest:
    """Messages plus parameters; ``context`` carries the structured subject for ``context`` engines."""

    messages: tuple[dict[str, str], ...]
    params: GenerationParams = field(default_factory=GenerationParams)
    context: dict[str, Any] | None = None

    @classmethod
    def of(
        cls,
        messages: list[dict[str, str]],
        params: GenerationParams | None = None,
        context: dict[str, Any] | None = None,
    ) -> ChatRequest:
        return cls(tuple(dict(m) for m in messages), params or GenerationParams(), context)

    def to_json(self) -> dict[str, Any]:
        return {
            "messages": [dict(m) for m in self.messages],
            "params": self.params.to_json(),
            "context": self.context,
        }

    def prompt_chars(self) -> int:
        return sum(len(m.get("content", "")) for m in self.messages)


@dataclass
class Completion:
    """One answer: the raw text, why it stopped and what it cost."""

    text: str
    finish_reason: str = "stop"  # "stop" | "length" | "content_filter" | ...
    model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0  # of prompt_tokens, served from the server's prompt cache
    cache_key: str = ""
    cached: bool = False

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "text": self.text,
            "finish_reason": self.finish_reason,
            "model": self.model,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
        }
        if self.cached_tokens:
            data["cached_tokens"] = self.cached_tokens
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any], *, cache_key: str = "", cached: bool = False) -> Completion:
        return cls(
            text=data["text"],
            finish_reason=data.get("finish_reason", "stop"),
            model=data.get("model", ""),
            prompt_tokens=int(data.get("prompt_tokens", 0)),
            completion_tokens=int(data.get("completion_tokens", 0)),
            cached_tokens=int(data.get("cached_tokens", 0)),
            cache_key=cache_key,
            cached=cached,
        )


@runtime_checkable
class Engine(Protocol):
    """What every engine provides."""

    name: str
    model: str
    capabilities: frozenset[str]

    @property
    def concurrency(self) -> int:
        """Requests worth having in flight at once."""
        ...

    @property
    def usage(self) -> Usage | None:
        """Calls, tokens and dollars so far; None when the engine does not meter."""
        ...

    @property
    def stats(self) -> CacheStats | None:
        """Response-cache hits and misses; None without a cache in front."""
        ...

    async def complete(self, request: ChatRequest) -> Completion:
        """Answer one request, or raise EngineError / BudgetExceeded."""
        ...

    async def aclose(self) -> None:
        """Release connections and other resources."""
        ...


@dataclass(frozen=True)
class ContinuationRequest:
    """Raw prompts (no chat template) continued token by token by a ``next_token_scores`` engine.

    Rows come in groups of ``group_size`` consecutive prompts. Only the first row of a group is
    sampled and returned; the other rows are companions whose next-token scores a steering
    processor may read, and every row of a group is fed the token sampled for its first row, so
    a group stays aligned. ``params.stop`` texts end a group's continuation; no stop text (nor the
    end token) may end it before ``min_new_tokens`` tokens.
    """

    prompts: tuple[str, ...]
    params: GenerationParams = field(default_factory=GenerationParams)
    top_k: int = 0
    group_size: int = 1
    min_new_tokens: int = 0

    def __post_init__(self) -> None:
        if self.group_size < 1 or len(self.prompts) % self.group_size:
            raise ValueError(f"{len(self.prompts)} prompts do not split into groups of {self.group_size}")


@dataclass
class Continuation:
    """The text generated after one group's first prompt.

    ``finish_reason``: ``"stop"`` (a stop text was generated; ``text`` ends before it), ``"eos"``
    (the model's end token) or ``"length"`` (the token limit).
    """

    text: str
    finish_reason: str
    completion_tokens: int = 0


class ScoresProcessor(Protocol):
    """``(input_ids, scores) -> scores`` over a batch, as a ``transformers`` LogitsProcessor."""

    def __call__(self, input_ids: Any, scores: Any) -> Any: ...


@runtime_checkable
class ScoringEngine(Engine, Protocol):
    """An engine with the ``next_token_scores`` capability: decoding can be steered."""

    async def continue_prompts(
        self, request: ContinuationRequest, steer: ScoresProcessor | None = None
    ) -> list[Continuation]:
        """One continuation per group; ``steer`` rewrites every step's next-token scores."""
        ...


def structured_output_mode(engine: Engine) -> str | None:
    """The structured-output mode a chat server turned out to accept (``json_schema``,
    ``json_object+schema``, ``json_object`` or ``text``); None for engines without one, or when no
    structured request has been answered yet (the response cache's wrapper forwards both)."""
    if not getattr(engine, "format_known", False):
        return None
    mode = getattr(engine, "response_format", None)
    return mode if isinstance(mode, str) else None


def server_strain(engine: Engine) -> dict[str, Any] | None:
    """How hard the engine's server was to reach this run (``Usage.strain()``: timeouts, retries
    and their seconds, how the concurrency limit moved); None when nothing went wrong, or for
    engines without a server."""
    usage = engine.usage
    return usage.strain() if usage is not None else None


def describe_strain(strain: dict[str, Any]) -> str:
    """``Usage.strain()`` as one summary line."""
    text = (
        f"server: {strain['timeouts']} timed out ({strain['timeout_seconds']:.1f}s in those calls), "
        f"{strain['retries']} retried ({strain['retry_wait_seconds']:.1f}s waiting between tries), "
        f"{strain['failed_calls']} failed"
    )
    limit = strain.get("concurrency") or {}
    if limit.get("decreases"):
        text += (
            f"; concurrency lowered {limit['decreases']}x from {limit['configured']} to "
            f"{limit['lowest']} (ended at {limit['limit']})"
        )
    return text


def require_capability(engine: Engine, capability: str, purpose: str) -> None:
    """Raise a clear UnsupportedRequest when ``engine`` cannot serve ``purpose``."""
    if capability not in engine.capabilities:
        raise UnsupportedRequest(
            f"engine {engine.name!r} cannot be used for {purpose} (it lacks {capability!r}; "
            f"it offers {', '.join(sorted(engine.capabilities)) or 'nothing'})"
        )
