"""The Hub state the mirror serves: a snapshot directory, read through a small in-memory cache."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from crawl.snapshot import Snapshot


class SnapshotStore:
    """Thread-safe cached reads of one snapshot directory, swappable while serving.

    API items and viewer views are cached after the first read; whoever writes into the served
    directory while the mirror runs calls :meth:`invalidate` afterwards.
    """

    def __init__(self, root: str | Path) -> None:
        self._lock = threading.Lock()
        self._snapshot = Snapshot(root)
        self._items: dict[str, dict[str, Any]] | None = None
        self._viewers: dict[str, dict[str, Any] | None] = {}
        self._errors_answered: dict[str, int] = {}
        self._origin: tuple[str | None] | None = None

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    def set_root(self, root: str | Path) -> None:
        """Serve another snapshot directory from the next request on."""
        with self._lock:
            self._snapshot = Snapshot(root)
            self._items = None
            self._viewers = {}
            self._errors_answered = {}
            self._origin = None

    def invalidate(self) -> None:
        """Forget cached reads (after the served directory changed on disk)."""
        with self._lock:
            self._items = None
            self._viewers = {}
            self._origin = None

    def origin(self) -> str | None:
        """The public Hub the served snapshot was taken from (its ``hub.json``), if recorded."""
        with self._lock:
            if self._origin is not None:
                return self._origin[0]
            snapshot = self._snapshot
        origin = snapshot.load_origin()
        with self._lock:
            if self._snapshot is snapshot:
                self._origin = (origin,)
        return origin

    def _load_items(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            if self._items is not None:
                return self._items
            snapshot = self._snapshot
        items: dict[str, dict[str, Any]] = {}
        for repo_id in snapshot.repo_ids():
            api = snapshot.load_api(repo_id)
            if api is not None:
                items[repo_id] = api
        with self._lock:
            if self._snapshot is snapshot:
                self._items = items
        return items

    def items(self) -> list[dict[str, Any]]:
        """Every API item, in repo id order."""
        return list(self._load_items().values())

    def item(self, repo_id: str) -> dict[str, Any] | None:
        return self._load_items().get(repo_id)

    def viewer(self, repo_id: str) -> dict[str, Any] | None:
        """The dataset's viewer.json, or None when it has no viewer."""
        with self._lock:
            if repo_id in self._viewers:
                return self._viewers[repo_id]
            snapshot = self._snapshot
        view = snapshot.load_viewer(repo_id)
        with self._lock:
            if self._snapshot is snapshot:
                self._viewers[repo_id] = view
        return view

    def answer_error(self, key: str, times: int | None) -> bool:
        """Whether an error marked in the snapshot answers this request (None: every request).

        An error with ``times`` answers the first ``times`` requests for ``key`` and then lets the
        view through, like a viewer that finishes computing. The counts restart with a new root.
        """
        if times is None:
            return True
        with self._lock:
            answered = self._errors_answered.get(key, 0)
            if answered >= times:
                return False
            self._errors_answered[key] = answered + 1
            return True

    def file(self, repo_id: str, filename: str) -> bytes | None:
        """A raw repository file (read from disk each time: files can be large)."""
        return self._snapshot.load_file(repo_id, filename)
