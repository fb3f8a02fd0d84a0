"""Request pacing per Hub rate-limit bucket.

The Hub counts requests per bucket (``api`` for ``/api/...``, ``resolvers`` for file downloads) in
fixed windows. Spacing requests evenly at ``(window + slack) / quota`` keeps any window of that
length under the quota even when a request arrives up to ``slack`` seconds late, so a crawl that
knows its quota receives no 429 at all, and a long crawl still runs at the quota's full rate.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

DEFAULT_WINDOW_SECONDS = 300.0


@dataclass(frozen=True)
class Quota:
    """At most ``requests`` requests in any ``window`` seconds."""

    requests: int
    window: float = DEFAULT_WINDOW_SECONDS

    def __post_init__(self) -> None:
        if self.requests < 1 or not 0 < self.window < math.inf:
            raise ValueError(
                f"a quota needs requests >= 1 and window > 0, got {self.requests}/{self.window}s"
            )

    @property
    def rate(self) -> float:
        """Requests per second."""
        return self.requests / self.window


# Published Hub quotas per 5-minute window (api / resolvers).
HUB_PLANS: dict[str, dict[str, int]] = {
    "anonymous": {"api": 500, "resolvers": 3000},
    "free": {"api": 1000, "resolvers": 5000},
    "pro": {"api": 2500, "resolvers": 12000},
}


def plan_quotas(
    plan: str,
    *,
    api: int | None = None,
    resolvers: int | None = None,
    window: float = DEFAULT_WINDOW_SECONDS,
) -> dict[str, Quota]:
    """The quotas of a Hub plan, with optional per-bucket overrides."""
    if plan not in HUB_PLANS:
        raise ValueError(f"unknown hub plan {plan!r} (choose from {', '.join(HUB_PLANS)})")
    limits = dict(HUB_PLANS[plan])
    if api is not None:
        limits["api"] = api
    if resolvers is not None:
        limits["resolvers"] = resolvers
    return {bucket: Quota(count, window) for bucket, count in limits.items()}


class Pacer:
    """Hands out evenly spaced send times per bucket; safe to share between threads.

    Buckets without a quota are not spaced, but a pause (after a 429) holds them too.
    """

    def __init__(
        self,
        quotas: Mapping[str, Quota] | None = None,
        *,
        slack: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._quotas = dict(quotas or {})
        self._slack = slack
        self._clock = clock
        self._lock = threading.Lock()
        self._next: dict[str, float] = {}
        self._paused_until: dict[str, float] = {}

    def interval(self, bucket: str) -> float:
        """Seconds between two sends in ``bucket`` (0 when it has no quota)."""
        quota = self._quotas.get(bucket)
        if quota is None:
            return 0.0
        # Allow for requests that reach the server a little late: 1% of the window, at least 50 ms.
        slack = self._slack if self._slack is not None else max(0.05, quota.window * 0.01)
        return (quota.window + slack) / quota.requests

    def reserve(self, bucket: str) -> float:
        """Claim the next send slot of ``bucket``; returns how many seconds to wait for it."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next.get(bucket, now), self._paused_until.get(bucket, now))
            self._next[bucket] = start + self.interval(bucket)
            return start - now

    def pause(self, bucket: str, seconds: float) -> None:
        """Hold every send of ``bucket`` for ``seconds`` from now (the server said the window is spent)."""
        with self._lock:
            until = self._clock() + max(0.0, seconds)
            self._paused_until[bucket] = max(self._paused_until.get(bucket, 0.0), until)

    def quota(self, bucket: str) -> Quota | None:
        with self._lock:
            return self._quotas.get(bucket)
