"""The ``openai`` engine: any OpenAI-compatible chat server (OpenAI, vLLM, Ollama, llama.cpp, TGI).

- Concurrency is bounded by one ``AdaptiveLimit`` (``limiter``): it starts at ``concurrency`` and
  halves when a call times out or the server answers 429/503 (or, for a server on this machine
  or a private network, when an answer comes back ``LATENCY_RISE`` times slower per token than
  the quickest), growing back by one after a run of calm answers. The client's own retries are
  off and ``tenacity`` retries rate limits, timeouts, connection errors and 5xx, waiting at least
  what ``retry-after-ms`` / ``retry-after`` ask (capped), otherwise backing off exponentially
  with jitter; a call gives its room back while it waits to retry.
- Slow local servers: unless told otherwise, a server on this machine (127.0.0.1, localhost) gets
  one request at a time, and one there or on a private network a timeout long enough for CPU
  inference (``server_defaults``). A timed-out call is retried at most ``max_timeout_retries``
  times (asking a saturated server again and again only queues more work on it), the final error
  says how long the call took, and ``usage`` keeps the seconds spent in timed-out calls and in
  waits between retries.
- Structured output: with ``GenerationParams.json_schema`` set, the request carries a
  ``json_schema`` response format. A server that rejects it (a 400, or a 500 whose body names
  ``response_format``, as llama.cpp's Python server answers) is asked again with ``json_object``
  carrying the schema (llama.cpp turns that into a grammar), then plain ``json_object``, then
  plain text. The first structured request probes alone (the others wait for its verdict), and
  ``server_facts`` / ``restore_server_facts`` let the response cache remember the verdict per
  server and model, so a later run does not probe again.
- ``finish_reason`` comes back as the server gave it (``length`` marks a cut-off answer).
- ``usage`` accumulates calls, tokens (with the cached part of the prompt,
  ``usage.prompt_tokens_details.cached_tokens``, priced at the cached rate) and dollars, at prices
  from ``accounting`` (the ``genai-prices`` table, overridden by ``prices``); with ``budget_usd``
  each call first reserves its worst case at the same prices (prompt characters / 4 as uncached
  input + ``max_tokens``) and ``BudgetExceeded`` is raised instead of going over.
- The API key lives only inside the client: it is never part of an error, a log line or the cache.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import openai
from openai.types.chat import ChatCompletion
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    wait_exponential_jitter,
)

from dynosaur.core import config
from dynosaur.core.engines import EngineOptions, register_engine
from dynosaur.core.engines.accounting import (
    Budget,
    Price,
    Usage,
    estimate_prompt_tokens,
    load_prices,
    price_for,
)
from dynosaur.core.engines.base import ChatRequest, Completion, EngineError
from dynosaur.core.engines.limiter import AdaptiveLimit, Signal, Ticket
from dynosaur.core.engines.servers import adapts_to_latency, is_local_server, server_defaults
from dynosaur.core.errors import ConfigError, OptionError

DEFAULT_BASE_URL = "https://api.openai.com/v1"
# Ways to ask for JSON, most to least specific; the engine steps down when a server refuses one.
RESPONSE_FORMATS = ("json_schema", "json_object+schema", "json_object", "text")
# What a rejection of ``response_format`` mentions (a 400/422 naming none of them is another problem).
_FORMAT_WORDS = ("response_format", "json_schema", "json_object", "schema")
_PLACEHOLDER_KEY = "not-needed"  # local servers (vLLM, Ollama) accept any key
# An answer this many times slower (per answer token) than the quickest one seen means a server on
# this machine or network is saturated by our own requests: the concurrency limit halves.
LATENCY_RISE = 4.0


def _overloaded(exc: BaseException) -> bool:
    """The server turned the call away for load (429 other than a spent quota, 503)."""
    if not isinstance(exc, openai.APIStatusError):
        return False
    return (exc.status_code == 429 and exc.code != "insufficient_quota") or exc.status_code == 503


class _Slot:
    """One call's room under the limiter: given back after each attempt, taken again for a retry."""

    def __init__(self, limiter: AdaptiveLimit, ticket: Ticket) -> None:
        self.limiter = limiter
        self.ticket: Ticket | None = ticket

    async def hold(self) -> None:
        if self.ticket is None:
            self.ticket = await self.limiter.acquire()

    def release(self, signal: Signal, tokens: int = 1) -> None:
        if self.ticket is not None:
            ticket, self.ticket = self.ticket, None
            self.limiter.release(ticket, signal, tokens)


def retry_after_seconds(exc: BaseException) -> float | None:
    """The wait a server asked for in ``retry-after-ms`` or ``retry-after`` (seconds or a date)."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _error_text(exc: openai.APIStatusError) -> str:
    body = exc.body if isinstance(exc.body, (dict, list, str)) else ""
    return f"{exc.message} {json.dumps(body, default=str)}".lower()


def rejects_response_format(exc: BaseException) -> bool:
    """The server refused the request's ``response_format``: a 400/422 naming it (or JSON/schema
    output), or a 500 naming ``response_format`` (llama-cpp-python reports its validation
    errors as 500s)."""
    if not isinstance(exc, openai.APIStatusError):
        return False
    text = _error_text(exc)
    if exc.status_code in (400, 422):
        return any(word in text for word in _FORMAT_WORDS)
    return exc.status_code == 500 and "response_format" in text


def is_transient(exc: BaseException) -> bool:
    """Worth retrying: rate limits (unless the quota is gone), timeouts, lost connections, 5xx
    (except a 500 that is really a refused ``response_format``)."""
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(exc, openai.APIStatusError):
        if exc.code == "insufficient_quota" or rejects_response_format(exc):
            return False
        return exc.status_code in (408, 409, 429) or exc.status_code >= 500
    return False


@register_engine("openai")
class OpenAIEngine:
    """Chat completions from an OpenAI-compatible server."""

    name = "openai"
    capabilities = frozenset({"chat"})
    stats = None

    @classmethod
    def from_options(cls, options: EngineOptions) -> OpenAIEngine:
        """The engine for ``options``; refuses api.openai.com without a key."""
        if not options.base_url and not config.openai_api_key():
            raise ConfigError(
                "the openai engine needs OPENAI_API_KEY for api.openai.com, or base_url "
                "(OPENAI_BASE_URL) for a local OpenAI-compatible server",
                mentions=("base_url",),
            )
        return cls(
            model=options.model or config.openai_model(),
            base_url=options.base_url,
            api_key=config.openai_api_key(),
            concurrency=options.concurrency,
            timeout=options.timeout,
            max_retries=options.max_retries,
            budget_usd=options.budget_usd,
            prices=options.prices,
        )

    def __init__(
        self,
        model: str = "gpt-4o-mini",
        base_url: str | None = None,
        api_key: str | None = None,
        concurrency: int | None = None,
        timeout: float | None = None,
        max_retries: int = 5,
        budget_usd: float | None = None,
        prices: str | Path | Mapping[str, Any] | None = None,
        *,
        max_timeout_retries: int = 1,
        max_retry_wait: float = 60.0,
        retry_wait_initial: float = 0.5,
        adaptive_concurrency: bool = True,
        latency_rise: float | None = LATENCY_RISE,
    ) -> None:
        default_concurrency, default_timeout = server_defaults(base_url or DEFAULT_BASE_URL)
        concurrency = default_concurrency if concurrency is None else concurrency
        timeout = default_timeout if timeout is None else timeout
        if concurrency < 1:
            raise OptionError("concurrency", f"must be at least 1, got {concurrency}")
        if max_retries < 0:
            raise OptionError("max_retries", f"must be 0 or more, got {max_retries}")
        if max_timeout_retries < 0:
            raise OptionError("max_timeout_retries", f"must be 0 or more, got {max_timeout_retries}")
        if not timeout > 0:
            raise OptionError("timeout", f"must be a positive number of seconds, got {timeout}")
        self.model = model
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.concurrency = concurrency
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_timeout_retries = max_timeout_retries
        self.max_retry_wait = max_retry_wait
        self.retry_wait_initial = retry_wait_initial
        self.prices = load_prices(prices)
        local = is_local_server(self.base_url)
        self.price: Price | None = price_for(model, self.prices, base_url=self.base_url, local=local)
        if budget_usd is not None and self.price is None:
            raise ConfigError(
                f"a budget needs a price for model {model!r}, and none is known; pass a price file "
                f'(JSON: {{"{model}": {{"input": USD_PER_1M, "output": USD_PER_1M}}}}) or drop the budget'
            )
        self.budget = Budget(budget_usd) if budget_usd is not None else None
        # a model served on this machine that no price lists: its calls cost nothing per token
        # (its price stays unknown, so a budget still needs a price file)
        self.price_local = self.price is None and local
        self.usage = Usage()
        # the one bound on calls to this server; it adapts to how the server copes (see limiter)
        self.limiter = AdaptiveLimit(
            concurrency,
            adaptive=adaptive_concurrency,
            latency_rise=latency_rise if adapts_to_latency(self.base_url) else None,
        )
        self.format_level = 0  # index into RESPONSE_FORMATS of the best format the server accepts
        self.format_known = False  # True once a structured request succeeded (or the cache said so)
        self.token_param = "max_tokens"
        self._api_key = api_key
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: openai.AsyncOpenAI | None = None
        self._probe: asyncio.Lock | None = None

    def __repr__(self) -> str:
        return f"OpenAIEngine(model={self.model!r}, base_url={self.base_url!r})"

    @property
    def response_format(self) -> str:
        """The structured-output mode the server is currently asked for."""
        return RESPONSE_FORMATS[self.format_level]

    @property
    def server_scope(self) -> str:
        """Which server and model ``server_facts`` describe (no credentials: only scheme, host, path)."""
        parts = urlsplit(self.base_url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        return f"{self.name} {parts.scheme}://{host}{parts.path} {self.model}"

    def server_facts(self) -> dict[str, Any]:
        """What this engine learnt about the server that is worth remembering across runs."""
        facts: dict[str, Any] = {}
        if self.format_known:
            facts["response_format"] = self.response_format
        if self.token_param != "max_tokens":
            facts["token_param"] = self.token_param
        return facts

    def restore_server_facts(self, facts: Mapping[str, Any]) -> None:
        """Take over what an earlier run learnt (unknown values are ignored)."""
        if facts.get("response_format") in RESPONSE_FORMATS:
            self.format_level = RESPONSE_FORMATS.index(facts["response_format"])
            self.format_known = True
        if facts.get("token_param") == "max_completion_tokens":
            self.token_param = "max_completion_tokens"

    def _session(self) -> openai.AsyncOpenAI:
        # Clients belong to one event loop; a new loop gets a fresh one.
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._client is None:
            self._client = openai.AsyncOpenAI(
                api_key=self._api_key or _PLACEHOLDER_KEY,
                base_url=self.base_url,
                timeout=self.timeout,
                max_retries=0,
            )
            self._probe = asyncio.Lock()
            self._loop = loop
        return self._client

    def worst_case_cost(self, request: ChatRequest, *, batch: bool = False) -> float:
        """The most one request can cost: its prompt (chars / 4) plus ``max_tokens`` of answer."""
        if self.price is None:
            return 0.0
        prompt = estimate_prompt_tokens(request.prompt_chars())
        return self.price.cost(prompt, request.params.max_tokens, batch=batch)

    def cost_of(self, completion: Completion, *, batch: bool = False) -> float:
        """What ``completion`` cost (0 without a price)."""
        if self.price is None:
            return 0.0
        return self.price.cost(
            completion.prompt_tokens, completion.completion_tokens, completion.cached_tokens, batch=batch
        )

    def account(self, completion: Completion, cost: float, *, batch: bool = False) -> None:
        """Add one answered call to ``usage``."""
        self.usage.calls += 1
        self.usage.batch_calls += int(batch)
        self.usage.prompt_tokens += completion.prompt_tokens
        self.usage.cached_tokens += completion.cached_tokens
        self.usage.completion_tokens += completion.completion_tokens
        self.usage.cost_usd += cost

    async def complete(self, request: ChatRequest) -> Completion:
        """Answer one request; EngineError when it fails for good, BudgetExceeded before overspending."""
        client = self._session()
        slot = _Slot(self.limiter, await self.limiter.acquire())
        try:
            reserved = self.budget.reserve(self.worst_case_cost(request)) if self.budget else 0.0
            cost = 0.0
            try:
                response = await self._with_retries(client, request, slot)
                completion = self._completion(response, request)
                cost = self.cost_of(completion)
            finally:
                if self.budget is not None:
                    self.budget.settle(reserved, cost)
        finally:
            slot.release("failed")  # no-op once an attempt has said how it went
            self.usage.concurrency = self.limiter.to_json()
        self.account(completion, cost)
        return completion

    # -- what the Batch API runner (``dynosaur.core.engines.batch``) needs --

    def client(self) -> openai.AsyncOpenAI:
        """The HTTP client of the running event loop (the key stays inside it)."""
        return self._session()

    def request_body(self, request: ChatRequest) -> dict[str, Any]:
        """The chat-completions body this engine would send for ``request`` right now."""
        structured = request.params.json_schema is not None
        return self._arguments(request, self.format_level if structured else len(RESPONSE_FORMATS) - 1)

    def completion_from_body(self, body: Mapping[str, Any], request: ChatRequest) -> Completion:
        """A completion from a chat-completions response body (a Batch API output line's)."""
        try:
            response = ChatCompletion.model_validate(dict(body))
        except ValueError as exc:
            raise EngineError(f"unreadable chat completion in a batch result: {exc}") from None
        return self._completion(response, request)

    async def _with_retries(self, client: openai.AsyncOpenAI, request: ChatRequest, slot: _Slot) -> Any:
        timeouts = 0

        def out_of_tries(state: RetryCallState) -> bool:
            if state.attempt_number > self.max_retries:
                return True
            return timeouts > self.max_timeout_retries

        retrying = AsyncRetrying(
            retry=retry_if_exception(is_transient),
            stop=out_of_tries,
            wait=self._wait,
            before_sleep=self._count_retry,
            reraise=True,
        )
        started = time.monotonic()
        try:
            async for attempt in retrying:
                with attempt:
                    await slot.hold()  # a retry waits for room under the limit as it is now
                    began = time.monotonic()
                    try:
                        response = await self._create(client, request)
                    except openai.APITimeoutError:
                        timeouts += 1
                        self.usage.timeouts += 1
                        self.usage.timeout_seconds += time.monotonic() - began
                        slot.release("timeout")
                        raise
                    except openai.APIError as exc:
                        slot.release("overloaded" if _overloaded(exc) else "failed")
                        raise
                    usage = getattr(response, "usage", None)
                    slot.release("answered", tokens=int(getattr(usage, "completion_tokens", 0) or 1))
                    return response
        except openai.APIError as exc:
            self.usage.failures += 1
            attempts = retrying.statistics.get("attempt_number", 1)
            raise EngineError(self._describe(exc, attempts, time.monotonic() - started)) from None
        raise AssertionError("unreachable: tenacity either returns or raises")

    def _wait(self, state: RetryCallState) -> float:
        backoff = wait_exponential_jitter(
            multiplier=self.retry_wait_initial, max=self.max_retry_wait, jitter=self.retry_wait_initial
        )(state)
        exc = state.outcome.exception() if state.outcome else None
        asked = retry_after_seconds(exc) if exc is not None else None
        if asked is None:
            return backoff
        return min(asked, self.max_retry_wait)

    def _count_retry(self, state: RetryCallState) -> None:
        self.usage.retries += 1
        if state.next_action is not None:
            self.usage.retry_wait_seconds += state.next_action.sleep

    async def _create(self, client: openai.AsyncOpenAI, request: ChatRequest) -> Any:
        if request.params.json_schema is None or self.format_known or self._probe is None:
            return await self._create_stepping_down(client, request)
        async with self._probe:  # the first structured request finds out alone what the server takes
            if not self.format_known:
                return await self._create_stepping_down(client, request)
        return await self._create_stepping_down(client, request)

    async def _create_stepping_down(self, client: openai.AsyncOpenAI, request: ChatRequest) -> Any:
        structured = request.params.json_schema is not None
        level = self.format_level if structured else len(RESPONSE_FORMATS) - 1
        while True:
            try:
                response = await client.chat.completions.create(**self._arguments(request, level))
            except openai.APIStatusError as exc:
                if isinstance(exc, openai.BadRequestError) and self._switch_token_param(exc):
                    continue
                if not structured or level + 1 >= len(RESPONSE_FORMATS) or not rejects_response_format(exc):
                    raise
                level += 1  # the server does not take this response format: ask more plainly
                continue
            if structured:
                # remembered only once a format has worked; another request may have stepped further
                self.format_level = max(self.format_level, level)
                self.format_known = True
            return response

    def _switch_token_param(self, exc: openai.BadRequestError) -> bool:
        # Newer OpenAI models refuse ``max_tokens`` and name ``max_completion_tokens`` instead.
        message = str(exc.message)
        if self.token_param == "max_tokens" and "max_completion_tokens" in message:
            self.token_param = "max_completion_tokens"
            return True
        return False

    def _arguments(self, request: ChatRequest, level: int) -> dict[str, Any]:
        params = request.params
        arguments: dict[str, Any] = {
            "model": self.model,
            "messages": [dict(m) for m in request.messages],
            "temperature": params.temperature,
            "top_p": params.top_p,
            self.token_param: params.max_tokens,
        }
        if params.seed is not None:
            arguments["seed"] = params.seed
        if params.stop:
            arguments["stop"] = list(params.stop)
        mode = RESPONSE_FORMATS[level]
        if params.json_schema is None or mode == "text":
            return arguments
        if mode == "json_schema":
            arguments["response_format"] = {"type": "json_schema", "json_schema": params.json_schema}
        elif mode == "json_object+schema":
            schema = params.json_schema.get("schema", params.json_schema)
            arguments["response_format"] = {"type": "json_object", "schema": schema}
        else:
            arguments["response_format"] = {"type": "json_object"}
        return arguments

    def _completion(self, response: Any, request: ChatRequest) -> Completion:
        if not response.choices:
            raise EngineError("the server answered without any choice")
        choice = response.choices[0]
        text = choice.message.content if choice.message is not None else None
        usage = response.usage
        prompt_tokens = usage.prompt_tokens if usage else estimate_prompt_tokens(request.prompt_chars())
        completion_tokens = usage.completion_tokens if usage else estimate_prompt_tokens(len(text or ""))
        details = getattr(usage, "prompt_tokens_details", None) if usage else None
        cached_tokens = getattr(details, "cached_tokens", None) if details is not None else None
        return Completion(
            text=text or "",
            finish_reason=choice.finish_reason or "stop",
            model=response.model or self.model,
            prompt_tokens=int(prompt_tokens or 0),
            completion_tokens=int(completion_tokens or 0),
            cached_tokens=int(cached_tokens or 0),
        )

    def _describe(self, exc: openai.APIError, attempts: int, elapsed: float) -> str:
        if isinstance(exc, openai.APITimeoutError):
            what = f"timed out after {self.timeout:g}s"
        elif isinstance(exc, openai.APIConnectionError):
            what = f"could not connect to {self.base_url}"
        elif isinstance(exc, openai.APIStatusError):
            body = exc.body if isinstance(exc.body, dict) else {}
            what = f"HTTP {exc.status_code}: {body.get('message') or exc.message}"
        else:
            what = f"{type(exc).__name__}: {exc.message}"
        text = f"{self.model} request failed after {attempts} attempt(s) in {elapsed:.1f}s: {what}"
        if self._api_key:
            text = text.replace(self._api_key, "***")
        return text

    async def aclose(self) -> None:
        """Close the HTTP client (when it belongs to the running loop)."""
        client, loop = self._client, self._loop
        self._client = self._loop = self._probe = None
        if client is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            await client.close()
