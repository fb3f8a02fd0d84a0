"""Injected faults: a seeded share of requests answer 429, 500, 503, not-ready, arrive late or are dropped."""

from __future__ import annotations

import math
import random
import threading
from dataclasses import dataclass

FAULT_KINDS = ("429", "500", "503", "not_ready", "slow", "drop")


@dataclass(frozen=True)
class FaultConfig:
    """``rate`` of requests get a fault, its kind drawn from ``kinds`` by an RNG seeded with ``seed``.

    ``429`` carries RateLimit headers with ``t=retry_after`` and Retry-After; ``500``/``503`` an
    error body; ``not_ready`` is the viewer's ``500`` with ``X-Error-Code: ResponseNotReady`` (a
    plain 500 on the Hub's buckets); ``slow`` waits ``slow_seconds`` and then answers normally; ``drop`` closes the
    connection without an answer. ``buckets`` (None: all) limits faults to "api", "resolvers"
    or "viewer" requests.
    """

    rate: float = 0.1
    seed: int = 0
    kinds: tuple[str, ...] = ("429", "500", "503", "slow")
    slow_seconds: float = 1.0
    retry_after: int = 1
    buckets: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"fault rate must be within [0, 1], got {self.rate}")
        unknown = sorted(set(self.kinds) - set(FAULT_KINDS))
        if unknown or not self.kinds:
            raise ValueError(f"fault kinds must be among {', '.join(FAULT_KINDS)}; got {list(self.kinds)}")
        if not (0 <= self.slow_seconds < math.inf and self.retry_after >= 0):
            raise ValueError("slow_seconds and retry_after must be finite and not negative")


class FaultInjector:
    """Draws, per request and in arrival order, whether and which fault to inject."""

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self._rng = random.Random(config.seed)
        self._lock = threading.Lock()

    def choose(self, bucket: str) -> str | None:
        """The fault kind for the next request of ``bucket``, or None."""
        if self.config.buckets is not None and bucket not in self.config.buckets:
            return None
        with self._lock:
            if self._rng.random() >= self.config.rate:
                return None
            return self._rng.choice(self.config.kinds)
