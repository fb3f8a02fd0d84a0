"""HTTP transports that pace, retry, count and observe every request the crawler makes.

A request is sent once directly; only when that attempt needs another does tenacity take over
(with the first attempt as its first outcome), so the common case costs no retry machinery and
leaves no reference cycle holding a response body behind.

Both the ``huggingface_hub`` client (sync) and the viewer client (async) send through these
transports, so retries happen in one place: a request that still fails after the last attempt
raises :class:`RequestFailed`, which no client above retries again.
"""

from __future__ import annotations

import asyncio
import math
import random
import select
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import httpcore
import httpx
from huggingface_hub.utils import parse_ratelimit_headers
from tenacity import AsyncRetrying, RetryCallState, Retrying, retry_if_exception_type, retry_if_result
from tenacity.stop import stop_after_attempt

from crawl.ratelimit import Pacer
from crawl.viewer_codes import NOT_READY_CODE, is_permanent

RETRY_EXCEPTIONS: tuple[type[Exception], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)

# (request, final response) for every request that got an answer, after its retries.
Observer = Callable[[httpx.Request, httpx.Response], None]


def is_retryable_status(status: int) -> bool:
    """Rate limits, request timeouts and server errors (but not 501/505, which never change)."""
    return status in (408, 429) or (500 <= status < 600 and status not in (501, 505))


class RequestFailed(Exception):
    """A request that still failed after every attempt (the dataset is reported as failed).

    A viewer request that ended on ``ResponseNotReady`` is :attr:`not_ready`: the crawl defers
    its dataset to a second pass before calling it failed.
    """

    def __init__(self, url: str, *, status: int | None, code: str | None, attempts: int) -> None:
        self.url = url
        self.status = status
        self.code = code
        self.attempts = attempts
        super().__init__(f"{self.reason} after {attempts} attempts: {url}")

    @property
    def reason(self) -> str:
        if self.status is None:
            return f"network: {self.code}"
        return f"http {self.status}" + (f" {self.code}" if self.code else "")

    @property
    def not_ready(self) -> bool:
        return self.status is not None and self.status >= 500 and self.code == NOT_READY_CODE


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry; the jitter comes from a seeded generator."""

    attempts: int = 6
    base_wait: float = 1.0
    max_wait: float = 60.0
    seed: int = 0
    # The viewer answers 500 ResponseNotReady while it is still computing a dataset: a few
    # retries with a longer backoff (not_ready_wait, doubling), then the crawl defers the dataset
    # to a second pass at the end of the run, at least not_ready_wait after it was deferred.
    not_ready_attempts: int = 3
    not_ready_wait: float = 5.0

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.not_ready_attempts < 1:
            raise ValueError("retry attempts must be at least 1")
        if not all(0 <= wait < math.inf for wait in (self.base_wait, self.max_wait, self.not_ready_wait)):
            raise ValueError("retry waits must be finite and not negative")


def _is_not_ready(response: httpx.Response) -> bool:
    return response.status_code >= 500 and _error_code(response) == NOT_READY_CODE


class _RequestRetry:
    """tenacity stop and wait for one request: counts its not-ready answers to end them early.

    tenacity calls ``stop`` once after every retryable outcome and ``wait`` right after it.
    """

    def __init__(self, policy: RetryPolicy, rng: random.Random, lock: threading.Lock) -> None:
        self._policy = policy
        self._rng = rng
        self._lock = lock
        self._after_all = stop_after_attempt(max(1, policy.attempts))
        self.not_ready = 0

    def stop(self, state: RetryCallState) -> bool:
        outcome = state.outcome
        if outcome is not None and not outcome.failed and _is_not_ready(outcome.result()):
            self.not_ready += 1
            if self.not_ready >= max(1, self._policy.not_ready_attempts):
                return True
        return bool(self._after_all(state))

    def wait(self, state: RetryCallState) -> float:
        """The server's hint when it gives one, else capped exponential with jitter."""
        outcome = state.outcome
        base, exponent = self._policy.base_wait, state.attempt_number - 1
        if outcome is not None and not outcome.failed:
            response = outcome.result()
            hint = server_wait(response)
            if hint is not None:
                return min(hint, self._policy.max_wait * 10)
            if _is_not_ready(response):
                base, exponent = self._policy.not_ready_wait, self.not_ready - 1
        ceiling = min(self._policy.max_wait, base * 2**exponent)
        with self._lock:
            return ceiling * (0.5 + 0.5 * self._rng.random())


class Router:
    """Names the rate-limit bucket of a URL: ``viewer``, ``api``, ``resolvers`` or ``other``."""

    def __init__(self, hub_endpoint: str, viewer_endpoint: str) -> None:
        self._hub = hub_endpoint.rstrip("/")
        self._viewer = viewer_endpoint.rstrip("/")

    def _split(self, url: httpx.URL | str) -> tuple[str, str]:
        """(service, raw path below its endpoint) with service "viewer", "hub" or "other"."""
        url = httpx.URL(str(url))
        text = f"{url.scheme}://{url.netloc.decode()}{url.raw_path.decode().split('?', 1)[0]}"
        # The viewer may live under the Hub's host (a mirror serves both), so test it first.
        for service, base in (("viewer", self._viewer), ("hub", self._hub)):
            if text.startswith(base + "/"):
                return service, text[len(base) :]
        return "other", url.path

    def bucket(self, url: httpx.URL | str) -> str:
        service, path = self._split(url)
        if service == "hub":
            if path.startswith("/api/"):
                return "api"
            if "/resolve/" in path:
                return "resolvers"
            return "other"
        return service

    def path(self, url: httpx.URL | str) -> str:
        """The raw path below the Hub or viewer endpoint (``/api/datasets``, ``/splits``)."""
        return self._split(url)[1]


class RequestStats:
    """Thread-safe counts of what was sent and received, by bucket."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sent: Counter[str] = Counter()
        self.statuses: Counter[tuple[str, int]] = Counter()
        self.errors: Counter[str] = Counter()
        self.rate_limited = 0
        self.retries = 0
        self.failed = 0
        self.not_ready = 0
        self.permanent = 0

    def record_send(self, bucket: str) -> None:
        with self._lock:
            self.sent[bucket] += 1

    def record_status(self, bucket: str, status: int) -> None:
        with self._lock:
            self.statuses[(bucket, status)] += 1
            if status == 429:
                self.rate_limited += 1

    def record_error(self, name: str) -> None:
        with self._lock:
            self.errors[name] += 1

    def record_retry(self) -> None:
        with self._lock:
            self.retries += 1

    def record_failure(self, *, not_ready: bool = False) -> None:
        with self._lock:
            if not_ready:
                self.not_ready += 1
            else:
                self.failed += 1

    def record_permanent(self) -> None:
        with self._lock:
            self.permanent += 1

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready copy, keys sorted."""
        with self._lock:
            return {
                "requests": dict(sorted(self.sent.items())),
                "total": sum(self.sent.values()),
                "rate_limited": self.rate_limited,
                "retries": self.retries,
                "failed": self.failed,
                "not_ready": self.not_ready,
                "permanent": self.permanent,
                "errors": dict(sorted(self.errors.items())),
            }


def server_wait(response: httpx.Response) -> float | None:
    """Seconds the server asks us to wait: RateLimit ``t=`` on a spent window, else Retry-After."""
    info = parse_ratelimit_headers(response.headers)
    if response.status_code == 429 and info is not None and info.remaining == 0:
        return float(info.reset_in_seconds)
    value = response.headers.get("retry-after", "").strip()
    return float(value) if value.isdigit() else None


def _give_up(state: RetryCallState) -> httpx.Response:
    """After the last attempt: re-raise its exception or hand back its (retryable) response."""
    assert state.outcome is not None
    return state.outcome.result()


def _error_code(response: httpx.Response) -> str | None:
    return response.headers.get("x-error-code")


class TransportCore:
    """What both transports of a crawl share: routing, pacing, counting, retries, observers."""

    def __init__(
        self,
        router: Router,
        pacer: Pacer,
        stats: RequestStats,
        policy: RetryPolicy,
        observers: list[Observer] | None = None,
    ) -> None:
        self.router = router
        self.pacer = pacer
        self.stats = stats
        self.policy = policy
        self.observers = list(observers or [])
        self._rng = random.Random(policy.seed)
        self._rng_lock = threading.Lock()

    def retryable(self, bucket: str, response: httpx.Response) -> bool:
        """A retryable status, unless the viewer's error code says the answer will not change."""
        if not is_retryable_status(response.status_code):
            return False
        return not (bucket == "viewer" and is_permanent(_error_code(response)))

    def retry_kwargs(self, bucket: str) -> dict[str, Any]:
        schedule = _RequestRetry(self.policy, self._rng, self._rng_lock)
        return {
            "stop": schedule.stop,
            "wait": schedule.wait,
            "retry": retry_if_exception_type(RETRY_EXCEPTIONS)
            | retry_if_result(lambda r: self.retryable(bucket, r)),
            "before_sleep": lambda _state: self.stats.record_retry(),
            "retry_error_callback": _give_up,
        }

    def received(
        self, bucket: str, request: httpx.Request, raw: httpx.Response, body: bytes
    ) -> httpx.Response:
        """Count one answer, pause its bucket after a 429, and rebuild it around ``body``."""
        self.stats.record_status(bucket, raw.status_code)
        if raw.status_code == 429:
            wait = server_wait(raw)
            if wait is not None:
                self.pacer.pause(bucket, wait)
        response = httpx.Response(
            raw.status_code,
            headers=raw.headers,
            stream=httpx.ByteStream(body),
            extensions=raw.extensions,
            request=request,
        )
        response.read()
        return response

    def finish(
        self, bucket: str, request: httpx.Request, response: httpx.Response, attempts: int
    ) -> httpx.Response:
        """Tell the observers; raise :class:`RequestFailed` if the answer is still a retryable error."""
        for observer in self.observers:
            observer(request, response)
        if self.retryable(bucket, response):
            self.stats.record_failure(not_ready=_is_not_ready(response))
            raise RequestFailed(
                str(request.url), status=response.status_code, code=_error_code(response), attempts=attempts
            )
        if response.status_code >= 500 and bucket == "viewer" and is_permanent(_error_code(response)):
            self.stats.record_permanent()
        return response

    def network_failure(self, request: httpx.Request, exc: Exception) -> RequestFailed:
        self.stats.record_failure()
        return RequestFailed(
            str(request.url), status=None, code=type(exc).__name__, attempts=max(1, self.policy.attempts)
        )


def _replay(first: list[httpx.Response | Exception]) -> httpx.Response:
    """The first attempt's outcome, once more (for tenacity, which decides what follows it)."""
    outcome = first.pop()
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


class PacedTransport(httpx.BaseTransport):
    """Sync transport (used by ``huggingface_hub``'s client)."""

    def __init__(self, core: TransportCore, inner: httpx.BaseTransport | None = None) -> None:
        self.core = core
        self._inner = inner or httpx.HTTPTransport()

    def _attempt(self, request: httpx.Request, bucket: str) -> httpx.Response:
        delay = self.core.pacer.reserve(bucket)
        if delay > 0:
            time.sleep(delay)
        self.core.stats.record_send(bucket)
        try:
            raw = self._inner.handle_request(request)
            stream = cast(httpx.SyncByteStream, raw.stream)  # a sync transport answers with one
            try:
                body = b"".join(stream)
            finally:
                stream.close()
        except RETRY_EXCEPTIONS as exc:
            self.core.stats.record_error(type(exc).__name__)
            raise
        return self.core.received(bucket, request, raw, body)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        bucket = self.core.router.bucket(request.url)
        first: list[httpx.Response | Exception] = []
        try:
            first.append(self._attempt(request, bucket))
        except RETRY_EXCEPTIONS as exc:
            first.append(exc)
        else:
            if not self.core.retryable(bucket, cast(httpx.Response, first[0])):
                return self.core.finish(bucket, request, cast(httpx.Response, first[0]), 1)

        def attempt(request: httpx.Request, bucket: str) -> httpx.Response:
            return _replay(first) if first else self._attempt(request, bucket)

        # Only a first attempt that needs another goes through tenacity (which sees it first).
        retrying = Retrying(sleep=time.sleep, **self.core.retry_kwargs(bucket))
        try:
            response = retrying(attempt, request, bucket)
        except RETRY_EXCEPTIONS as exc:
            raise self.core.network_failure(request, exc) from exc
        return self.core.finish(bucket, request, response, retrying.statistics.get("attempt_number", 1))

    def close(self) -> None:
        self._inner.close()


class AsyncPacedTransport(httpx.AsyncBaseTransport):
    """Async transport (used by the viewer client)."""

    def __init__(self, core: TransportCore, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.core = core
        self._inner = inner or httpx.AsyncHTTPTransport()

    async def _attempt(self, request: httpx.Request, bucket: str) -> httpx.Response:
        delay = self.core.pacer.reserve(bucket)
        if delay > 0:
            await asyncio.sleep(delay)
        self.core.stats.record_send(bucket)
        try:
            raw = await self._inner.handle_async_request(request)
            astream = cast(httpx.AsyncByteStream, raw.stream)  # an async transport answers with one
            try:
                body = b"".join([chunk async for chunk in astream])
            finally:
                await astream.aclose()
        except RETRY_EXCEPTIONS as exc:
            self.core.stats.record_error(type(exc).__name__)
            raise
        return self.core.received(bucket, request, raw, body)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        bucket = self.core.router.bucket(request.url)
        first: list[httpx.Response | Exception] = []
        try:
            first.append(await self._attempt(request, bucket))
        except RETRY_EXCEPTIONS as exc:
            first.append(exc)
        else:
            if not self.core.retryable(bucket, cast(httpx.Response, first[0])):
                return self.core.finish(bucket, request, cast(httpx.Response, first[0]), 1)

        async def attempt(request: httpx.Request, bucket: str) -> httpx.Response:
            return _replay(first) if first else await self._attempt(request, bucket)

        retrying = AsyncRetrying(sleep=asyncio.sleep, **self.core.retry_kwargs(bucket))
        try:
            response: httpx.Response = await retrying(attempt, request, bucket)
        except RETRY_EXCEPTIONS as exc:
            raise self.core.network_failure(request, exc) from exc
        return self.core.finish(bucket, request, response, retrying.statistics.get("attempt_number", 1))

    async def aclose(self) -> None:
        await self._inner.aclose()


def _socket_readable(sock: socket.socket | None) -> bool:
    """True when reading would not block: on an idle keep-alive connection, the server closed it."""
    if sock is None or sock.fileno() < 0:
        return True
    if not hasattr(select, "poll"):  # pragma: no cover - Windows
        return bool(select.select([sock], [], [], 0)[0])
    poll = select.poll()
    poll.register(sock, select.POLLIN)
    return bool(poll.poll(0))


class _Stream(httpcore.AsyncNetworkStream):
    """anyio's stream, with the liveness check the pool makes on every idle connection, for
    every request and every answer, answered from the socket found once at connect time (anyio
    rebuilds its table of socket attributes on each lookup)."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _Stream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            return _socket_readable(self._socket)
        if info == "socket":
            return self._socket
        return self._inner.get_extra_info(info)


class _Backend(httpcore.AsyncNetworkBackend):
    """httpcore's anyio backend, handing out :class:`_Stream` s."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        return _Stream(await self._inner.connect_tcp(host, port, timeout, local_address, socket_options))

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.AsyncNetworkStream:  # pragma: no cover - the crawl speaks TCP
        return _Stream(await self._inner.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def async_http_transport(ssl_context: ssl.SSLContext, limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """httpx's async transport over a connection pool whose liveness checks are cheap (:class:`_Stream`).

    Everything else (HTTP/1.1, TLS, timeouts, errors) is httpx's and httpcore's own.
    """
    transport = httpx.AsyncHTTPTransport(verify=ssl_context, limits=limits)
    if isinstance(getattr(transport, "_pool", None), httpcore.AsyncConnectionPool):  # no proxy in between
        transport._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_Backend(),
        )
    return transport
