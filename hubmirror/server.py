"""MirrorServer: a loopback HTTP server that serves a snapshot as the Hub and the dataset viewer.

Every request goes through the same steps: classify it into the Hub's quota bucket, spend quota
(429 when the window is used up), maybe inject a fault, dispatch to the route table, add the
configured latency, answer, and record it in :attr:`MirrorServer.requests`.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import re
import socket
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from crawl.safe_paths import UnsafePath
from crawl.snapshot import ORIGIN_HEADER
from hubmirror.bodies import DEFAULT_MAX_BODY_BYTES, declared_length, read_body
from hubmirror.context import MirrorContext
from hubmirror.faults import FaultConfig, FaultInjector
from hubmirror.quota import QuotaConfig, QuotaDecision, QuotaTracker, rate_limit_headers
from hubmirror.routing import (
    HttpError,
    Request,
    Response,
    Route,
    find_route,
    hub_error,
    json_response,
    revision_param,
)
from hubmirror.store import SnapshotStore

HOST = "127.0.0.1"
_RESOLVE_RE = re.compile(r"^/datasets/.+/resolve/")
# Hub quotas per 5-minute window for anonymous use; the q/w a fault 429 reports without a quota.
_DEFAULT_POLICY = QuotaConfig()
# How long a refused request's unread body is drained before the connection closes.
DRAIN_SECONDS = 5.0
NOT_READY_MESSAGE = "The server is busier than usual and the response is not ready yet. Please retry later."


def bucket_of(path: str) -> str:
    """The Hub's rate-limit bucket of a raw path: "api", "resolvers", "viewer" (or "other")."""
    if path == "/viewer" or path.startswith("/viewer/"):
        return "viewer"
    if path.startswith("/api/"):
        return "api"
    if _RESOLVE_RE.match(path):
        return "resolvers"
    return "other"


@dataclass(frozen=True)
class RequestRecord:
    """One request the mirror answered (or dropped: status 0)."""

    method: str
    path: str  # raw path, without the query
    query: str  # raw query string
    bucket: str
    status: int
    time: float  # when it arrived (time.time())
    fault: str | None = None  # "quota", or the injected fault kind
    duration: float = 0.0

    @property
    def params(self) -> dict[str, list[str]]:
        return parse_qs(self.query, keep_blank_values=True)


# The modules whose ``ROUTES`` every mirror serves, consulted in this order (first match wins).
# ``history`` answers reads at a tag or an older commit and hands every other revision on, so it
# must come before ``hub_routes``, which only knows ``main`` and the current sha.
ROUTE_MODULES = ("history", "refs", "uploads", "hub_routes", "viewer_routes")


def discovered_routes() -> list[Route]:
    """``ROUTES`` of the ``ROUTE_MODULES``, in that order."""
    routes: list[Route] = []
    for name in ROUTE_MODULES:
        routes.extend(importlib.import_module(f"hubmirror.{name}").ROUTES)
    return routes


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


class MirrorServer:
    """``with MirrorServer(snapshot_dir) as mirror:`` — ``mirror.url`` is a Hub endpoint.

    Binds 127.0.0.1 only (``port=0``: any free port). ``extra_routes`` are consulted before the
    package's own routes. A request body over ``max_body_bytes`` is answered 413, and a write
    route without a token 401, before the body is read.
    """

    def __init__(
        self,
        snapshot_dir: str | Path,
        *,
        latency: float = 0.0,
        faults: FaultConfig | None = None,
        quota: QuotaConfig | None = None,
        page_size: int = 1000,
        port: int = 0,
        extra_routes: Sequence[Route] = (),
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        if not 0 <= latency < math.inf:
            raise ValueError(f"latency must be a finite number of 0 or more, got {latency}")
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port must be within 0-65535 (0: any free port), got {port!r}")
        if max_body_bytes < 1:
            raise ValueError(f"max_body_bytes must be at least 1, got {max_body_bytes}")
        self.max_body_bytes = max_body_bytes
        self.latency = latency
        self.faults = faults
        self.quota = quota
        self.routes: list[Route] = [*extra_routes, *discovered_routes()]
        self._store = SnapshotStore(snapshot_dir)
        self._injector = FaultInjector(faults) if faults else None
        self._tracker = QuotaTracker(quota) if quota else None
        self._log: list[RequestRecord] = []
        self._log_lock = threading.Lock()
        self._httpd = _HTTPServer((HOST, port), self._handler_class())
        self.port: int = self._httpd.server_address[1]
        self.url = f"http://{HOST}:{self.port}"
        self.viewer_url = f"{self.url}/viewer"
        self.context = MirrorContext(store=self._store, url=self.url, page_size=page_size)
        self._thread: threading.Thread | None = None

    # lifecycle ---------------------------------------------------------------------------------
    def start(self) -> MirrorServer:
        """Serve in a background thread."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="hub-mirror",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> MirrorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # state ------------------------------------------------------------------------------------
    @property
    def snapshot_dir(self) -> Path:
        return self._store.snapshot.root

    def set_snapshot(self, snapshot_dir: str | Path) -> None:
        """Serve another snapshot directory from the next request on."""
        self._store.set_root(snapshot_dir)

    def invalidate(self) -> None:
        """Re-read the served directory (after writing into it)."""
        self._store.invalidate()

    @property
    def requests(self) -> list[RequestRecord]:
        """A copy of the request log, in answer order."""
        with self._log_lock:
            return list(self._log)

    def count(self, bucket: str | None = None, status: int | None = None) -> int:
        """How many logged requests have this bucket and/or status."""
        return sum(
            1
            for r in self.requests
            if (bucket is None or r.bucket == bucket) and (status is None or r.status == status)
        )

    def reset_log(self) -> None:
        with self._log_lock:
            self._log.clear()

    # request handling ---------------------------------------------------------------------------
    def _record(self, record: RequestRecord) -> None:
        with self._log_lock:
            self._log.append(record)

    def _quota_refusal(self, decision: QuotaDecision) -> Response:
        message = f'Rate limit reached for "{decision.bucket}": retry in {decision.reset_seconds} seconds'
        headers = {
            **decision.headers(),
            "Retry-After": str(decision.reset_seconds),
            "X-Error-Message": message,
        }
        return json_response({"error": message}, 429, headers)

    def _fault_response(self, kind: str, bucket: str) -> Response:
        assert self.faults is not None
        if kind == "429":
            policy = self.quota or _DEFAULT_POLICY
            limit = policy.limits.get(bucket, _DEFAULT_POLICY.limits["api"])
            wait = self.faults.retry_after
            headers = rate_limit_headers(bucket, 0, wait, limit, int(policy.window_seconds))
            headers["Retry-After"] = str(wait)
            return json_response({"error": "Too Many Requests"}, 429, headers)
        if kind == "not_ready" and bucket == "viewer":
            return json_response({"error": NOT_READY_MESSAGE}, 500, {"X-Error-Code": "ResponseNotReady"})
        if kind in ("500", "not_ready"):
            headers = {"X-Error-Code": "UnexpectedError"} if bucket == "viewer" else {}
            return json_response({"error": "Internal Error"}, 500, headers)
        return json_response({"error": "Service Unavailable"}, 503)

    def _dispatch(self, request: Request) -> Response:
        found = find_route(self.routes, request.method, request.path)
        if found is None:
            return json_response({"error": "Not Found"}, 404)
        route, params = found
        request.params = params
        try:
            if "revision" in params:
                revision_param(request)
            return route.handler(request, self.context)
        except HttpError as exc:
            return exc.response
        except UnsafePath as exc:  # a link in the snapshot where a write would go through it
            return hub_error(403, str(exc)).response
        except Exception:  # a bug in a handler answers 500 and is shown, never kills the server
            traceback.print_exc(file=sys.stderr)
            return json_response({"error": "Internal Error"}, 500)

    def refusal_before_body(self, request: Request) -> Response | None:
        """The answer to a request that must not have its body read: 401 for a write route
        without a token, 400 or 413 for a Content-Length that is malformed or over the cap."""
        found = find_route(self.routes, request.method, request.path)
        if found is not None and found[0].needs_token and not request.authenticated:
            return hub_error(401, "Invalid credentials in Authorization header").response
        try:
            declared_length(request.headers, self.max_body_bytes)
        except HttpError as exc:
            return exc.response
        return None

    def handle(self, request: Request) -> tuple[Response | None, str | None]:
        """Answer one request: quota, faults, route. ``(None, "drop")`` means close without answer."""
        bucket = bucket_of(request.path)
        decision = self._tracker.take(bucket) if self._tracker else None
        if decision is not None and not decision.allowed:
            return self._quota_refusal(decision), "quota"
        fault = self._injector.choose(bucket) if self._injector else None
        if fault == "drop":
            return None, fault
        if fault in ("429", "500", "503", "not_ready"):
            return self._fault_response(fault, bucket), fault
        if fault == "slow":
            assert self.faults is not None
            time.sleep(self.faults.slow_seconds)
        response = self._dispatch(request)
        if decision is not None:
            response.headers = {**decision.headers(), **response.headers}
        if origin := self._store.origin():
            response.headers = {**response.headers, ORIGIN_HEADER: origin}
        return response, fault

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "hub-mirror"
            disable_nagle_algorithm = True  # headers and body go out in separate writes

            def log_message(self, *args: Any) -> None:  # requests are in mirror.requests
                pass

            unread_body = False

            def _drain(self) -> None:
                # Read and drop (never keep) what the client still sends, for a bounded while:
                # closing on unread data resets the connection, and the client would see a reset
                # instead of the 401/413.
                with contextlib.suppress(OSError, ValueError):
                    self.connection.shutdown(socket.SHUT_WR)
                    self.connection.settimeout(DRAIN_SECONDS)
                    deadline = time.monotonic() + DRAIN_SECONDS
                    while time.monotonic() < deadline and self.rfile.read1(65536):
                        pass

            def _answer(self, request: Request) -> tuple[Response | None, str | None]:
                # auth and the declared size first: a refused body is never read (nor buffered)
                refusal = mirror.refusal_before_body(request)
                if refusal is None:
                    try:
                        request.body = read_body(self.rfile, request.headers, mirror.max_body_bytes)
                    except HttpError as exc:
                        refusal = exc.response
                if refusal is not None:
                    self.close_connection = True  # the unread rest must not pass for a request
                    self.unread_body = True
                    refusal.headers = {**refusal.headers, "Connection": "close"}
                    return refusal, None
                return mirror.handle(request)

            def _serve(self) -> None:
                arrived, started = time.time(), time.monotonic()
                parts = urlsplit(self.path)
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                )
                response, fault = self._answer(request)
                if mirror.latency:
                    time.sleep(mirror.latency)
                status = 0 if response is None else response.status
                # logged before the answer goes out, so a client that got it also finds it here
                mirror._record(
                    RequestRecord(
                        method=self.command,
                        path=parts.path,
                        query=parts.query,
                        bucket=bucket_of(parts.path),
                        status=status,
                        time=arrived,
                        fault=fault,
                        duration=time.monotonic() - started,
                    )
                )
                if response is None:
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)
                    return
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.send_response(response.status)
                    self.send_header("Content-Type", response.content_type)
                    self.send_header("Content-Length", str(len(response.body)))
                    for name, value in response.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(response.body)
                if self.unread_body:
                    self._drain()

            do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        return Handler
