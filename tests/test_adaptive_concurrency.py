"""Slow local servers: the concurrency limit follows the server's latency and timeouts (AIMD).

The server here is one box that slows down as requests pile up on it, like a model served on a
CPU: an answer takes ``BASE * 4 ** (n - 1)`` seconds, n being the requests in flight when it
arrives, and it stops working on a request whose client gave up. Assertions count requests and
timeouts, never how long the run took.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from dynosaur.core.engines import ChatRequest, GenerationParams, describe_strain
from dynosaur.core.engines.limiter import AdaptiveLimit
from dynosaur.core.engines.openai import OpenAIEngine
from dynosaur.core.engines.servers import is_private_server, server_defaults
from dynosaur.core.fanout import ask_many
from tests.support.openai_server import Reply, ScriptedOpenAIServer

BASE = 0.01  # seconds for a request alone: 0.01, 0.04, 0.16, then 0.64 (past the timeout) with 4 in
TIMEOUT = 0.25
CAP = 1.0


class Saturating:
    """The responder: slower with every request in flight; records how many were in flight."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.arrivals: list[int] = []  # requests in flight as each one arrived (itself included)
        self.server: ScriptedOpenAIServer | None = None

    def __call__(self, body: dict[str, Any]) -> Reply:
        with self.lock:
            self.now += 1
            self.arrivals.append(self.now)
            load = self.now
        try:
            assert self.server is not None
            if self.server.client_gone(min(BASE * 4 ** (load - 1), CAP)):
                return Reply(status=499)  # nobody is listening any more
            return Reply(content="ok", completion_tokens=5)
        finally:
            with self.lock:
                self.now -= 1


def _run(adaptive: bool, items: int = 24) -> tuple[OpenAIEngine, Saturating, int]:
    slow = Saturating()
    with ScriptedOpenAIServer(slow) as server:
        slow.server = server
        engine = OpenAIEngine(
            model="m",
            base_url=server.base_url,
            concurrency=8,
            timeout=TIMEOUT,
            max_retries=3,
            max_timeout_retries=1,
            retry_wait_initial=0.01,
            adaptive_concurrency=adaptive,
        )

        async def go() -> int:
            try:
                asked = await ask_many(
                    [
                        ChatRequest.of([{"role": "user", "content": f"q{i}"}], GenerationParams())
                        for i in range(items)
                    ],
                    engine.complete,
                    limit=engine.concurrency,
                )
            finally:
                await engine.aclose()
            return len(asked.failures())

        failed = asyncio.run(go())
    return engine, slow, failed


def test_the_limit_comes_down_when_a_local_server_saturates_and_timeouts_fall() -> None:
    fixed, fixed_server, fixed_failed = _run(adaptive=False)
    adapted, adapted_server, adapted_failed = _run(adaptive=True)
    fixed_later = fixed_server.arrivals[len(fixed_server.arrivals) // 2 :]
    later = adapted_server.arrivals[len(adapted_server.arrivals) // 2 :]
    # with eight in flight the box answers little in time, to the end of the run (a retry can arrive
    # just before the server notices that the request it replaces was given up, hence at least eight)
    assert max(fixed_later) >= 8 and fixed.usage.timeouts >= 16
    assert fixed.limiter.decreases == 0 and fixed.limiter.limit == 8
    # adapting, the limit halves at the first signs; afterwards the box sees far fewer at once (the
    # limit climbs back one by one, to the load where answers slow down again, and halves there)
    assert adapted.limiter.decreases >= 1 and adapted.limiter.lowest <= 2
    assert max(later) <= 5 and sum(later) / len(later) < sum(fixed_later) / len(fixed_later)
    assert adapted.usage.timeouts < fixed.usage.timeouts
    assert adapted_failed < fixed_failed
    # the run's report says what the server cost in time and how the limit moved
    strain = adapted.usage.strain()
    assert strain is not None and strain["timeouts"] == adapted.usage.timeouts
    assert strain["timeout_seconds"] >= TIMEOUT * adapted.usage.timeouts * 0.9
    assert strain["concurrency"]["configured"] == 8 and strain["concurrency"]["lowest"] <= 2
    line = describe_strain(strain)
    assert line.startswith(f"server: {adapted.usage.timeouts} timed out") and "lowered" in line


def _ticket_round(limit: AdaptiveLimit, signal: str, n: int = 1) -> None:
    async def go() -> None:
        tickets = [await limit.acquire() for _ in range(n)]
        for ticket in tickets:
            limit.release(ticket, signal)  # type: ignore[arg-type]

    asyncio.run(go())


def test_aimd_halves_once_per_burst_down_to_one_and_grows_back_by_one() -> None:
    limit = AdaptiveLimit(8)
    _ticket_round(limit, "timeout", n=8)  # eight timeouts of one burst: one halving
    assert (limit.limit, limit.decreases) == (4, 1)
    for expected in (2, 1, 1):
        _ticket_round(limit, "overloaded")
        assert limit.limit == expected
    assert limit.lowest == 1 and limit.decreases == 3
    grown = []
    for _ in range(1 + 2 + 3):
        _ticket_round(limit, "answered")
        grown.append(limit.limit)
    assert grown == [2, 2, 3, 3, 3, 4]  # +1 after ``limit`` calm answers in a row
    _ticket_round(limit, "failed", n=4)  # a plain error says nothing of load
    assert limit.limit == 4
    fixed = AdaptiveLimit(3, adaptive=False)
    _ticket_round(fixed, "timeout", n=3)
    assert fixed.limit == 3


def test_waiting_calls_enter_in_order_and_never_exceed_the_limit() -> None:
    limit = AdaptiveLimit(2)
    order: list[int] = []

    async def call(i: int) -> None:
        ticket = await limit.acquire()
        order.append(i)
        assert limit.in_flight <= limit.limit
        await asyncio.sleep(0)
        limit.release(ticket, "failed")

    async def go() -> None:
        await asyncio.gather(*(call(i) for i in range(10)))

    asyncio.run(go())
    assert order == list(range(10)) and limit.most_in_flight == 2 and limit.in_flight == 0


@pytest.mark.parametrize(
    ("url", "private", "defaults"),
    [
        ("http://127.0.0.1:8080/v1", True, (1, 600.0)),
        ("http://localhost:11434/v1", True, (1, 600.0)),
        ("http://192.168.1.20:8000/v1", True, (8, 600.0)),
        ("http://10.0.0.5/v1", True, (8, 600.0)),
        ("http://[fd12::1]:8000/v1", True, (8, 600.0)),
        ("http://gpu-box.local:8000/v1", True, (8, 600.0)),
        ("http://ollama:11434/v1", True, (8, 600.0)),
        ("https://api.openai.com/v1", False, (8, 120.0)),
        ("https://8.8.8.8/v1", False, (8, 120.0)),
    ],
)
def test_private_servers_get_a_timeout_long_enough_for_cpu_inference(url, private, defaults) -> None:
    assert is_private_server(url) is private
    assert server_defaults(url) == defaults
