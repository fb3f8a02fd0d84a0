"""Per-bucket request quotas in fixed windows, answered the way the Hub answers them."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class QuotaConfig:
    """At most ``limits[bucket]`` requests per ``window_seconds`` fixed window, per bucket.

    The Hub's own quotas per 5-minute window: anonymous api 500 / resolvers 3,000; free account
    1,000 / 5,000; PRO 2,500 / 12,000.
    """

    limits: dict[str, int] = field(default_factory=lambda: {"api": 500, "resolvers": 3000})
    window_seconds: float = 300.0

    def __post_init__(self) -> None:
        if not 0 < self.window_seconds < math.inf:
            raise ValueError(f"window_seconds must be a finite number above 0, got {self.window_seconds}")
        if any(limit < 0 for limit in self.limits.values()):
            raise ValueError("quota limits must not be negative")


@dataclass(frozen=True)
class QuotaDecision:
    """Whether a request may be served, and the RateLimit headers that describe the window."""

    allowed: bool
    bucket: str
    limit: int
    remaining: int
    reset_seconds: int
    window_seconds: int

    def headers(self) -> dict[str, str]:
        return rate_limit_headers(
            self.bucket, self.remaining, self.reset_seconds, self.limit, self.window_seconds
        )


def rate_limit_headers(bucket: str, remaining: int, reset: int, limit: int, window: int) -> dict[str, str]:
    """``RateLimit`` and ``RateLimit-Policy`` as the Hub sends them."""
    return {
        "RateLimit": f'"{bucket}";r={remaining};t={reset}',
        "RateLimit-Policy": f'"fixed window";"{bucket}";q={limit};w={window}',
    }


class QuotaTracker:
    """Counts requests per bucket in fixed windows that start when the tracker starts."""

    def __init__(self, config: QuotaConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self._clock = clock
        self._start = clock()
        self._lock = threading.Lock()
        self._window: dict[str, int] = {}
        self._used: dict[str, int] = {}

    def take(self, bucket: str) -> QuotaDecision | None:
        """Spend one request of ``bucket``'s quota (None when the bucket has no quota).

        A refused request spends nothing.
        """
        limit = self.config.limits.get(bucket)
        if limit is None:
            return None
        window = self.config.window_seconds
        with self._lock:
            elapsed = self._clock() - self._start
            index = int(elapsed // window)
            if self._window.get(bucket) != index:
                self._window[bucket] = index
                self._used[bucket] = 0
            used = self._used[bucket]
            allowed = used < limit
            if allowed:
                self._used[bucket] = used = used + 1
        reset = max(1, math.ceil((index + 1) * window - elapsed))
        return QuotaDecision(
            allowed=allowed,
            bucket=bucket,
            limit=limit,
            remaining=max(0, limit - used),
            reset_seconds=reset,
            window_seconds=math.ceil(window),
        )
