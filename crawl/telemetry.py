"""Switching ``huggingface_hub``'s telemetry off around work aimed at an endpoint.

With telemetry on, building a request's user agent fetches a registry from huggingface.co — not
the endpoint being talked to, so a crawl of (or a publish to) a mirror would still reach out.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from huggingface_hub import constants


@contextmanager
def hub_telemetry_off() -> Iterator[None]:
    """Telemetry off inside the block; the previous setting is restored after it."""
    before = constants.HF_HUB_DISABLE_TELEMETRY
    constants.HF_HUB_DISABLE_TELEMETRY = True
    try:
        yield
    finally:
        constants.HF_HUB_DISABLE_TELEMETRY = before
