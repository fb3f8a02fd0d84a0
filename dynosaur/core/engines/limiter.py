"""How many calls go to one server at once: a limit that follows how the server copes (AIMD).

The limit starts at the configured concurrency, the most it may ever be. A call that times out,
or that the server turns away as overloaded (429, 503), halves it, down to 1; with
``latency_rise`` set, so does an answer that took more than that many times the quickest one
seen (compared per answer token, so a long answer is not taken for a strained server). Only a
call that started under the current limit can lower it, so one burst of slow answers halves it
once. Every ``limit`` calm answers in a row raise it by 1, back up to the configured concurrency.

Waiting calls are let in first come, first served. The state outlives event loops (a chain runs
one per stage), so what one stage learnt about the server holds for the next.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Literal

Signal = Literal["answered", "timeout", "overloaded", "failed"]


@dataclass(frozen=True)
class Ticket:
    """One call's hold on the limit: when it started, and under which limit."""

    started: float
    epoch: int


class AdaptiveLimit:
    """A concurrency bound that halves when the server strains and grows back one at a time."""

    def __init__(self, maximum: int, *, adaptive: bool = True, latency_rise: float | None = None) -> None:
        if maximum < 1:
            raise ValueError(f"maximum must be at least 1, got {maximum}")
        if latency_rise is not None and not latency_rise > 1:
            raise ValueError(f"latency_rise must be above 1, got {latency_rise}")
        self.maximum = maximum
        self.adaptive = adaptive
        self.latency_rise = latency_rise
        self.limit = maximum
        self.lowest = maximum
        self.in_flight = 0
        self.most_in_flight = 0
        self.decreases = 0
        self.increases = 0
        self.quickest: float | None = None  # seconds per answer token of the quickest answer seen
        self._epoch = 0  # moves on at every decrease
        self._calm = 0  # calm answers since the limit last changed
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def acquire(self) -> Ticket:
        """Wait for room under the current limit (in arrival order)."""
        if self.in_flight < self.limit and not self._waiters:
            self.in_flight += 1
        else:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter  # ``_wake`` counts us in before it wakes us
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self.in_flight -= 1  # woken and cancelled at once: hand the room on
                    self._wake()
                elif waiter in self._waiters:
                    self._waiters.remove(waiter)
                raise
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        return Ticket(time.monotonic(), self._epoch)

    def release(self, ticket: Ticket, signal: Signal, tokens: int = 1) -> None:
        """Hand the room back and say how the call went ("failed": an error that says nothing of load)."""
        self.in_flight -= 1
        if self.adaptive:
            self._learn(ticket, signal, (time.monotonic() - ticket.started) / max(1, tokens))
        self._wake()

    def _learn(self, ticket: Ticket, signal: Signal, seconds_per_token: float) -> None:
        strained = signal in ("timeout", "overloaded")
        if signal == "answered":
            rise, quickest = self.latency_rise, self.quickest
            strained = rise is not None and quickest is not None and seconds_per_token > rise * quickest
            self.quickest = seconds_per_token if quickest is None else min(quickest, seconds_per_token)
        current = ticket.epoch == self._epoch
        if strained:
            if current:  # it started under this limit, so this limit is too high
                self._lower()
        elif signal == "answered" and current:
            self._calm += 1
            if self._calm >= self.limit and self.limit < self.maximum:
                self.limit += 1
                self.increases += 1
                self._calm = 0

    def _lower(self) -> None:
        self._epoch += 1
        self._calm = 0
        if self.limit > 1:
            self.limit = max(1, self.limit // 2)
            self.lowest = min(self.lowest, self.limit)
            self.decreases += 1

    def _wake(self) -> None:
        while self._waiters and self.in_flight < self.limit:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self.in_flight += 1
                waiter.set_result(None)

    def to_json(self) -> dict[str, Any]:
        return {
            "configured": self.maximum,
            "limit": self.limit,
            "lowest": self.lowest,
            "decreases": self.decreases,
            "increases": self.increases,
            "most_in_flight": self.most_in_flight,
        }
