"""``--record DIR``: every answer the crawl reads, written into a snapshot the mirror can serve.

The recorder watches the transports' final answers (after retries) and files each one where the
snapshot format keeps it: listing items as ``api.json``, downloaded files under ``files/``,
``/splits`` and ``/rows`` answers into ``viewer.json``. Only bodies are kept, never headers, so
the token cannot reach the snapshot. Served by the mirror, the snapshot replays the crawl exactly.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx

from crawl.snapshot import InvalidRepoId, Snapshot, validate_filename, validate_repo_id
from crawl.transport import Router

_RESOLVE_RE = re.compile(r"^/datasets/(?P<repo>[^/]+(?:/[^/]+)?)/resolve/(?P<rev>[^/]+)/(?P<file>.+)$")
_ALL_VALID = {"preview": True, "viewer": True, "search": True, "filter": True, "statistics": True}


def _json(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def _valid_id(repo_id: Any) -> str | None:
    try:
        return validate_repo_id(repo_id)
    except InvalidRepoId:
        return None


class SnapshotRecorder:
    """A transport observer that builds a snapshot directory; safe to call from any thread."""

    def __init__(self, root: str | Path, router: Router) -> None:
        self.snapshot = Snapshot(root)
        self._router = router
        self._lock = threading.Lock()
        self._views: dict[str, dict[str, Any]] = {}

    def __call__(self, request: httpx.Request, response: httpx.Response) -> None:
        bucket = self._router.bucket(request.url)
        path = self._router.path(request.url)
        with self._lock:
            if bucket == "api" and path == "/api/datasets" and response.status_code == 200:
                self._listing(_json(response))
            elif bucket == "resolvers" and request.method == "GET" and response.status_code == 200:
                self._file(path, response.content)
            elif bucket == "viewer":
                self._viewer(path, dict(request.url.params), response)

    def _listing(self, items: Any) -> None:
        for item in items if isinstance(items, list) else []:
            repo_id = _valid_id(item.get("id")) if isinstance(item, dict) else None
            if repo_id is not None:
                self.snapshot.write_api(repo_id, item)

    def _file(self, path: str, body: bytes) -> None:
        match = _RESOLVE_RE.match(path)
        if not match:
            return
        repo_id = _valid_id(unquote(match.group("repo")))
        try:
            filename = validate_filename(unquote(match.group("file")))
        except ValueError:
            return
        if repo_id is not None:
            self.snapshot.write_file(repo_id, filename, body)

    def _view(self, repo_id: str) -> dict[str, Any]:
        if repo_id not in self._views:
            self._views[repo_id] = self.snapshot.load_viewer(repo_id) or {
                "is_valid": dict(_ALL_VALID),
                "error": None,
                "splits": [],
                "configs": {},
            }
        return self._views[repo_id]

    def _viewer(self, path: str, params: dict[str, str], response: httpx.Response) -> None:
        repo_id = _valid_id(params.get("dataset"))
        if repo_id is None or response.status_code == 404:
            return  # no viewer for this dataset: the snapshot has no viewer.json either
        body = _json(response)
        if response.status_code != 200:
            if path == "/splits":
                message = body.get("error", "") if isinstance(body, dict) else ""
                code = response.headers.get("x-error-code", "")
                self._view(repo_id)["error"] = {
                    "status": response.status_code,
                    "code": code,
                    "message": message,
                }
                self.snapshot.write_viewer(repo_id, self._view(repo_id))
            return
        if not isinstance(body, dict):
            return
        view = self._view(repo_id)
        if path == "/splits":
            entries = body.get("splits") or []
            view["splits"] = [
                {"config": e.get("config"), "split": e.get("split")} for e in entries if isinstance(e, dict)
            ]
        elif path == "/rows":
            self._rows(view, params, body)
        else:
            return
        self.snapshot.write_viewer(repo_id, view)

    @staticmethod
    def _rows(view: dict[str, Any], params: dict[str, str], body: dict[str, Any]) -> None:
        config, split = params.get("config", ""), params.get("split", "")
        target = view["configs"].setdefault(config, {}).setdefault(split, {"features": [], "rows": []})
        target["features"] = body.get("features") or target["features"]
        rows = target["rows"]
        for item in body.get("rows") or []:
            if not isinstance(item, dict) or not isinstance(item.get("row_idx"), int):
                continue
            index = item["row_idx"]
            if index >= len(rows):
                rows.extend([{}] * (index - len(rows) + 1))
            rows[index] = item.get("row")
        if isinstance(body.get("num_rows_total"), int):
            target["num_rows_total"] = body["num_rows_total"]
