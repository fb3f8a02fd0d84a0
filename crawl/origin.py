"""Which public Hub the crawled datasets live on, so each line links to its public page.

Crawling huggingface.co, that is the Hub endpoint itself. A mirror serving a snapshot names the
Hub the snapshot was taken from in the ``X-Hub-Origin`` header of its answers; the crawl then
writes that Hub's pages (``https://huggingface.co/datasets/ID``), not the mirror's loopback
address, so a replay writes what the live crawl wrote.
"""

from __future__ import annotations

import threading

import httpx

from crawl.snapshot import ORIGIN_HEADER, valid_origin
from crawl.transport import Router


class OriginWatcher:
    """A transport observer that notes the origin a Hub API answer names (the first one wins)."""

    def __init__(self, router: Router) -> None:
        self._router = router
        self._lock = threading.Lock()
        self._origin: str | None = None

    def __call__(self, request: httpx.Request, response: httpx.Response) -> None:
        if self._origin is not None or self._router.bucket(request.url) != "api":
            return
        origin = valid_origin(response.headers.get(ORIGIN_HEADER))
        if origin is not None:
            with self._lock:
                self._origin = self._origin or origin

    def origin(self, hub_endpoint: str) -> str:
        """The origin a mirror named, else ``hub_endpoint`` (the Hub crawled is the public one)."""
        with self._lock:
            return self._origin or hub_endpoint.rstrip("/")
