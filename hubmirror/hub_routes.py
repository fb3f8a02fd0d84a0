"""Hub API read routes: the dataset listing, one dataset's item, and file downloads (resolve)."""

from __future__ import annotations

import hashlib
import mimetypes
import re
from typing import Any
from urllib.parse import unquote, urlencode

from hubmirror.context import MirrorContext
from hubmirror.listing import (
    ListingError,
    decode_cursor,
    encode_cursor,
    page_limit,
    project,
    projection,
    select_items,
    sort_items,
)
from hubmirror.routing import (
    REPO_ID,
    Request,
    Response,
    Route,
    filename_param,
    hub_error,
    json_response,
    repo_id_param,
)

DISABLED_MESSAGE = "Access to this resource is disabled."
_RANGE_RE = re.compile(r"^bytes=(\d+)-(\d*)$")


def git_blob_sha(data: bytes) -> str:
    """The git blob id of a file: what the Hub sends as ETag for files not stored in LFS."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def list_datasets(request: Request, ctx: MirrorContext) -> Response:
    """``GET /api/datasets``: one page of the selected, sorted items, Link to the next page."""
    try:
        keys = projection(request.arg("full"), request.args("expand"))
        size = page_limit(request.arg("limit"), ctx.page_size)
        cursor = request.arg("cursor")
        offset = decode_cursor(cursor) if cursor else 0
        items = select_items(
            ctx.store.items(),
            search=request.args("search"),
            author=request.arg("author"),
            filters=request.args("filter"),
            gated=request.arg("gated"),
            authenticated=request.authenticated,
        )
        items = sort_items(items, request.arg("sort"), request.arg("direction"))
    except ListingError as exc:
        raise hub_error(400, str(exc)) from None
    page = items[offset : offset + size]
    headers = {}
    if offset + size < len(items):
        query = [(k, v) for k, values in request.query.items() if k != "cursor" for v in values]
        query.append(("cursor", encode_cursor(offset + size, page[-1]["id"])))
        headers["Link"] = f'<{ctx.url}/api/datasets?{urlencode(query)}>; rel="next"'
    return json_response([project(item, keys) for item in page], headers=headers)


def visible_item(request: Request, ctx: MirrorContext, repo_id: str) -> dict[str, Any]:
    """The dataset's API item, or the Hub's RepoNotFound (401 without a token, as the Hub does)."""
    item = ctx.store.item(repo_id)
    if item is None or (item.get("private") and not request.authenticated):
        status = 404 if request.authenticated else 401
        raise hub_error(status, "Repository not found", "RepoNotFound")
    return item


def check_revision(item: dict[str, Any], raw_revision: str) -> str:
    """The commit a revision names ("main" or the current sha), else RevisionNotFound."""
    revision = unquote(raw_revision)
    if revision not in ("main", item.get("sha")):
        raise hub_error(404, f"Invalid rev id: {revision}", "RevisionNotFound")
    return item["sha"]


def _with_blobs(item: dict[str, Any], ctx: MirrorContext) -> dict[str, Any]:
    siblings = []
    for sibling in item.get("siblings") or []:
        data = ctx.store.file(item["id"], sibling["rfilename"])
        extra = {} if data is None else {"blobId": git_blob_sha(data), "size": len(data)}
        siblings.append({**sibling, **extra})
    return {**item, "siblings": siblings}


def dataset_info(request: Request, ctx: MirrorContext) -> Response:
    """``GET /api/datasets/{id}[/revision/{rev}]``: the whole item, or only the expanded keys."""
    repo_id = repo_id_param(request)
    item = visible_item(request, ctx, repo_id)
    if "revision" in request.params:
        check_revision(item, request.params["revision"])
    try:
        keys = projection(None, request.args("expand")) if request.args("expand") else None
    except ListingError as exc:
        raise hub_error(400, str(exc)) from None
    if (request.arg("blobs") or "").lower() == "true":
        item = _with_blobs(item, ctx)
    return json_response(project(item, keys))


def _content_type(filename: str) -> str:
    if filename.endswith(".md"):
        return "text/markdown; charset=utf-8"
    guessed, _ = mimetypes.guess_type(filename)
    return guessed or "application/octet-stream"


def resolve_file(request: Request, ctx: MirrorContext) -> Response:
    """``HEAD``/``GET /datasets/{id}/resolve/{rev}/{filename}``: the raw file at that commit."""
    repo_id = repo_id_param(request)
    filename = filename_param(request)
    item = visible_item(request, ctx, repo_id)
    if item.get("disabled"):
        raise hub_error(403, DISABLED_MESSAGE)
    if item.get("gated") and not request.authenticated:
        raise hub_error(
            401,
            f"Access to dataset {repo_id} is restricted. You must have access to it and be authenticated to access it.",
            "GatedRepo",
        )
    commit = check_revision(item, request.params["revision"])
    data = ctx.store.file(repo_id, filename)
    if data is None:
        raise hub_error(404, "Entry not found", "EntryNotFound")
    headers = {"X-Repo-Commit": commit, "ETag": f'"{git_blob_sha(data)}"', "Accept-Ranges": "bytes"}
    status = 200
    wanted = _RANGE_RE.match(request.headers.get("range", ""))
    if wanted and request.method == "GET":
        start = int(wanted.group(1))
        end = int(wanted.group(2)) if wanted.group(2) else len(data) - 1
        if start >= len(data) or end < start:
            return Response(416, b"", {**headers, "Content-Range": f"bytes */{len(data)}"})
        end = min(end, len(data) - 1)
        headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
        data, status = data[start : end + 1], 206
    return Response(status, data, headers, content_type=_content_type(filename))


ROUTES = [
    Route("GET", r"/api/datasets", list_datasets),
    Route("GET", rf"/api/datasets/{REPO_ID}", dataset_info),
    Route("GET", rf"/api/datasets/{REPO_ID}/revision/(?P<revision>[^/]+)", dataset_info),
    Route("GET", rf"/datasets/{REPO_ID}/resolve/(?P<revision>[^/]+)/(?P<filename>.+)", resolve_file),
]
