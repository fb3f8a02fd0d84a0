"""What a route handler may use: the served state and the server's settings."""

from __future__ import annotations

from dataclasses import dataclass

from crawl.snapshot import Snapshot
from hubmirror.store import SnapshotStore


@dataclass
class MirrorContext:
    """Handed to every handler with the request."""

    store: SnapshotStore
    url: str  # the Hub endpoint, "http://127.0.0.1:PORT"
    page_size: int  # the largest listing page

    @property
    def snapshot(self) -> Snapshot:
        """The snapshot directory served right now (write routes write into it)."""
        return self.store.snapshot

    @property
    def viewer_url(self) -> str:
        return f"{self.url}/viewer"

    def invalidate(self) -> None:
        """Call after writing into :attr:`snapshot`, so the next request sees the change."""
        self.store.invalidate()
