"""Everything one crawl is told: endpoints, listing query, limits, quotas, policy, retries."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from crawl.listing import ListingQuery
from crawl.policy import PolicyOptions
from crawl.ratelimit import Quota, plan_quotas
from crawl.transport import RetryPolicy
from crawl.viewer import DEFAULT_SPLITS

DEFAULT_HUB_ENDPOINT = "https://huggingface.co"
DEFAULT_VIEWER_ENDPOINT = "https://datasets-server.huggingface.co"
# Bump when a change to the crawl changes what it writes for the same Hub state.
# 2: translation datasets kept, Translation features flattened; 3: train splits only;
# 4: websites on the public Hub, row indices; 5: translation datasets skipped unless kept
OUTPUT_VERSION = 5


@dataclass(frozen=True)
class CrawlOptions:
    """The settings of one crawl (the CLI builds it from its options and the environment)."""

    hub_endpoint: str = DEFAULT_HUB_ENDPOINT
    viewer_endpoint: str = DEFAULT_VIEWER_ENDPOINT
    data_dir: Path = Path("instruction_data")
    query: ListingQuery = field(default_factory=ListingQuery)
    rows: int = 100
    max_configs: int = 20
    splits: tuple[str, ...] = DEFAULT_SPLITS  # the splits rows may come from, in preference order
    max_row_chars: int = 100_000
    concurrency: int = 16
    token: str | None = field(default=None, repr=False)
    record_dir: Path | None = None
    quotas: dict[str, Quota] = field(default_factory=lambda: plan_quotas("anonymous"))
    policy: PolicyOptions = field(default_factory=PolicyOptions)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout: float = 30.0
    full: bool = False
    progress: bool = True

    def __post_init__(self) -> None:
        for name in ("rows", "max_configs", "max_row_chars", "concurrency"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.query.limit is not None and self.query.limit < 1:
            raise ValueError("limit must be at least 1")
        if not self.splits or not all(isinstance(s, str) and s.strip() for s in self.splits):
            raise ValueError("splits must name at least one split")
        if not 0 < self.timeout < math.inf:
            raise ValueError(f"timeout must be a finite number above 0, got {self.timeout}")
        for name in ("hub_endpoint", "viewer_endpoint"):
            if not getattr(self, name).startswith(("http://", "https://")):
                raise ValueError(
                    f"{name.replace('_', ' ')} must be an http(s) URL, got {getattr(self, name)!r}"
                )

    def fingerprint(self, origin: str | None = None) -> str:
        """A digest of the settings that shape a dataset's outcome; a change re-crawls it.

        ``origin`` is the public Hub the endpoint serves (see :mod:`crawl.origin`; default: the
        endpoint itself): a mirror of the same snapshot on another port crawls the same Hub.
        """
        shaping = {
            "version": OUTPUT_VERSION,
            "hub": (origin or self.hub_endpoint).rstrip("/"),
            "rows": self.rows,
            "max_configs": self.max_configs,
            "splits": list(self.splits),
            "max_row_chars": self.max_row_chars,
            "policy": self.policy.as_dict(),
        }
        return hashlib.sha256(json.dumps(shaping, sort_keys=True).encode()).hexdigest()[:16]
