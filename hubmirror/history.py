"""Commit history: every commit's files kept by blob id, so a tag or an older sha can be served.

The commit route records each commit (see ``crawl.snapshot`` for ``commits/`` and ``blobs/``);
a dataset written into the snapshot directly gets its current state recorded the first time it
is committed to or tagged. Reads at a revision go through :func:`at_revision`: ``main`` and the
current sha are served from ``files/`` as before; a tag or a recorded older sha is served from
the history by handing the Hub read routes a view of the store as it was at that commit.

``server.ROUTE_MODULES`` lists this module before ``hub_routes``: its resolve and revision routes
must see a tag name before ``hub_routes`` refuses it (they pass every other revision on to
``hub_routes`` unchanged).
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any
from urllib.parse import unquote

from crawl.snapshot import InvalidRepoId, Snapshot
from hubmirror import hub_routes
from hubmirror.context import MirrorContext
from hubmirror.hub_routes import git_blob_sha
from hubmirror.routing import REPO_ID, HttpError, Request, Response, Route, repo_id_param
from hubmirror.store import SnapshotStore

# One write at a time: commits and tags read the head and refs and write them back.
WRITE_LOCK = threading.Lock()
# The API item keys that belong to a commit; the rest (private, gated, downloads...) stay current.
COMMIT_ITEM_KEYS = ("sha", "lastModified", "siblings", "tags", "cardData")


def current_files(snapshot: Snapshot, repo_id: str) -> dict[str, bytes]:
    """The dataset's files as ``files/`` holds them now."""
    files_dir = snapshot.dataset_dir(repo_id) / "files"
    return {name: (files_dir / name).read_bytes() for name in snapshot.file_names(repo_id)}


def _item_keys(item: dict[str, Any]) -> dict[str, Any]:
    return {key: item[key] for key in COMMIT_ITEM_KEYS if key in item}


def head_record(snapshot: Snapshot, item: dict[str, Any]) -> dict[str, Any]:
    """The record of the dataset's current commit, written from ``files/`` if it has none yet."""
    repo_id, sha = item["id"], item["sha"]
    record = snapshot.load_commit(repo_id, sha)
    if record is None:
        files = {}
        for name, data in current_files(snapshot, repo_id).items():
            files[name] = git_blob_sha(data)
            snapshot.write_blob(repo_id, files[name], data)
        record = {"parent": None, "files": files, "item": _item_keys(item)}
        snapshot.write_commit(repo_id, sha, record)
    return record


def restore_head(
    snapshot: Snapshot, head: dict[str, Any], repo_id: str, operations: list[tuple[str, str, bytes]]
) -> None:
    """Put the files ``operations`` touched back as the commit record ``head`` holds them (its
    blobs): undoes a commit that failed partway, before the item named it."""
    files = head["files"]
    present = set(snapshot.file_names(repo_id))
    for kind, path, _ in operations:
        prefix = path.rstrip("/") + "/"
        names = {n for n in (*files, *present) if n.startswith(prefix)} if kind == "deletedFolder" else {path}
        for name in sorted(names):
            data = snapshot.load_blob(repo_id, files[name]) if name in files else None
            if data is not None:
                snapshot.write_file(repo_id, name, data)
            elif name in present and name not in files:
                snapshot.delete_file(repo_id, name)


def record_commit(
    snapshot: Snapshot,
    parent: dict[str, Any],
    operations: list[tuple[str, str, bytes]],
    item: dict[str, Any],
) -> None:
    """Record the commit ``item["sha"]``: the parent's files with ``operations`` applied.

    ``operations`` are ``("file", path, content)``, ``("deletedFile", path, b"")`` and
    ``("deletedFolder", path, b"")``, as the commit route parsed them.
    """
    repo_id = item["id"]
    files = dict(parent["files"])
    for kind, path, content in operations:
        if kind == "file":
            files[path] = git_blob_sha(content)
            snapshot.write_blob(repo_id, files[path], content)
        elif kind == "deletedFile":
            files.pop(path, None)
        else:
            files = {name: blob for name, blob in files.items() if not name.startswith(path + "/")}
    snapshot.write_commit(
        repo_id, item["sha"], {"parent": parent["item"]["sha"], "files": files, "item": _item_keys(item)}
    )


def tag_commit(snapshot: Snapshot, repo_id: str, revision: str) -> str | None:
    """The commit a tag names, or None when ``revision`` is no tag of the dataset."""
    tag = snapshot.load_refs(repo_id)["tags"].get(revision)
    return str(tag["commit"]) if tag else None


class CommitView(SnapshotStore):
    """The store as it was at one recorded commit of one dataset (other datasets as they are)."""

    def __init__(self, store: SnapshotStore, repo_id: str, record: dict[str, Any]) -> None:
        super().__init__(store.snapshot.root)
        self._base, self._repo_id, self._record = store, repo_id, record

    def item(self, repo_id: str) -> dict[str, Any] | None:
        current = self._base.item(repo_id)
        if current is None or repo_id != self._repo_id:
            return current
        then = {key: value for key, value in current.items() if key not in COMMIT_ITEM_KEYS}
        return {**then, **self._record["item"]}

    def names(self) -> list[str]:
        """The files of the dataset at this commit, sorted."""
        return sorted(self._record["files"])

    def file(self, repo_id: str, filename: str) -> bytes | None:
        if repo_id != self._repo_id:
            return self._base.file(repo_id, filename)
        blob = self._record["files"].get(filename)
        return None if blob is None else self.snapshot.load_blob(repo_id, blob)


def at_revision(request: Request, ctx: MirrorContext) -> tuple[Request, MirrorContext]:
    """The request and context that serve ``request.params["revision"]``.

    A tag becomes the sha it names; a sha other than the head comes with a :class:`CommitView`.
    Anything else (``main``, the head sha, an unknown revision, a repo the client may not see)
    comes back unchanged, for the read routes to answer or refuse as they always do.
    """
    try:
        repo_id = repo_id_param(request)
    except HttpError:
        return request, ctx
    item = ctx.store.item(repo_id)
    revision = unquote(request.params["revision"])
    if item is None or (item.get("private") and not request.authenticated) or revision == "main":
        return request, ctx
    try:
        commit = tag_commit(ctx.snapshot, repo_id, revision) or revision
    except InvalidRepoId:
        return request, ctx
    if commit == item["sha"]:
        return dataclasses.replace(request, params={**request.params, "revision": commit}), ctx
    record = ctx.snapshot.load_commit(repo_id, commit)
    if record is None:
        return request, ctx
    view = dataclasses.replace(ctx, store=CommitView(ctx.store, repo_id, record))
    return dataclasses.replace(request, params={**request.params, "revision": commit}), view


def resolve_file(request: Request, ctx: MirrorContext) -> Response:
    """``HEAD``/``GET /datasets/{id}/resolve/{rev}/{filename}`` at any revision, tags included."""
    return hub_routes.resolve_file(*at_revision(request, ctx))


def dataset_info(request: Request, ctx: MirrorContext) -> Response:
    """``GET /api/datasets/{id}/revision/{rev}`` at any revision, tags included."""
    return hub_routes.dataset_info(*at_revision(request, ctx))


ROUTES = [
    Route("GET", rf"/api/datasets/{REPO_ID}/revision/(?P<revision>[^/]+)", dataset_info),
    Route("GET", rf"/datasets/{REPO_ID}/resolve/(?P<revision>[^/]+)/(?P<filename>.+)", resolve_file),
]
