"""Hub write routes: create a dataset repo, validate a card, preupload and commit files.

What ``HfApi.create_repo`` / ``create_commit`` / ``upload_file`` / ``upload_folder`` (huggingface_hub
1.x) send, answered the Hub's way, with the files written into the served snapshot:

* ``POST /api/repos/create`` ``{"name", "organization", "type", "visibility"|"private"}`` →
  ``{"url", "name", "id"}``; 409 with the same ``url`` when the repo exists (``exist_ok`` reads it).
* ``POST /api/validate-yaml`` ``{"content", "repoType"}`` → ``{"errors": [], "warnings": []}`` or 400.
* ``POST /api/datasets/{id}/preupload/{rev}`` ``{"files": [{"path", "sample", "size"}]}`` →
  every file ``uploadMode: "regular"`` (no LFS server needed) with the current blob ``oid``, so
  the client skips files that did not change.
* ``GET /api/datasets/{id}/tree/{rev}[/{path}]``: what ``list_repo_files`` / ``list_repo_tree`` read,
  at ``main``, a tag or a recorded sha.
* ``POST /api/datasets/{id}/commit/{rev}``: ndjson, a ``header`` line then ``file`` (base64
  content), ``deletedFile`` and ``deletedFolder`` lines → ``{"commitOid", "commitUrl", ...}``.
  The operations are checked whole against the repo's files first (``hubmirror.commits``): a
  commit that cannot apply entirely is refused (409 / 404 / 403) with nothing written.
  Each commit gets a new sha (a digest of the parent sha and the payload); ``siblings``,
  ``cardData`` and the card's tags of the API item follow the new files, and the commit is
  recorded (``hubmirror.history``) so that tags and older shas keep serving its files.

Writes need a token (``Authorization: Bearer ...``); its value is never read or kept.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

import yaml

from hubmirror.commits import apply_operations, check_operations, parse_commit
from hubmirror.context import MirrorContext
from hubmirror.demo.builder import card_tags, make_dataset, parse_card_metadata
from hubmirror.history import WRITE_LOCK, CommitView, at_revision, head_record, record_commit, restore_head
from hubmirror.hub_routes import check_revision, git_blob_sha, visible_item
from hubmirror.routing import (
    REPO_ID,
    Request,
    Response,
    Route,
    check_filename,
    check_repo_id,
    hub_error,
    json_response,
    repo_id_param,
)

_FRONT_MATTER_RE = re.compile(r"\A\s*---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _require_token(request: Request) -> None:
    if not request.authenticated:
        raise hub_error(401, "Invalid credentials in Authorization header")


def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise hub_error(400, "Invalid JSON body") from None
    if not isinstance(body, dict):
        raise hub_error(400, "Invalid JSON body: an object is expected")
    return body


def create_repo(request: Request, ctx: MirrorContext) -> Response:
    """``POST /api/repos/create``: a new, empty dataset repo (a ``.gitattributes`` only)."""
    _require_token(request)
    body = _json_body(request)
    if body.get("type", "model") != "dataset":
        raise hub_error(400, "The mirror hosts dataset repositories only")
    name, organization = body.get("name"), body.get("organization")
    if not isinstance(name, str) or not isinstance(organization, (str, type(None))):
        raise hub_error(400, "Invalid repo name: 'name' (and 'organization') must be strings")
    repo_id = check_repo_id(f"{organization}/{name}" if organization else name)
    url = f"{ctx.url}/datasets/{repo_id}"
    private = body.get("visibility") == "private" or body.get("private") is True
    with WRITE_LOCK:
        existing = ctx.snapshot.load_api(repo_id)
        if existing is not None:
            message = "You already created this dataset repo"
            return json_response({"error": message, "url": url}, 409, {"X-Error-Message": message})
        now = _now()
        dataset = make_dataset(
            repo_id, card=None, private=private, viewer=False, created_at=now, last_modified=now
        )
        ctx.snapshot.write_dataset(dataset)
        ctx.invalidate()
    return json_response({"url": url, "name": repo_id, "id": dataset.api["_id"]})


def card_errors(content: str) -> list[str]:
    """Why a card's YAML front matter does not parse (empty when it does or there is none)."""
    match = _FRONT_MATTER_RE.match(content)
    if not match:
        return []
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        return [" ".join(f"Invalid YAML in the card metadata: {exc}".split())]
    if data is not None and not isinstance(data, dict):
        return ["The card metadata must be a YAML mapping"]
    return []


def validate_yaml(request: Request, ctx: MirrorContext) -> Response:
    """``POST /api/validate-yaml``: check a README.md's front matter before a commit."""
    body = _json_body(request)
    errors = card_errors(str(body.get("content") or ""))
    if errors:
        return json_response(
            {"errors": [{"message": e} for e in errors], "warnings": []}, 400, {"X-Error-Message": errors[0]}
        )
    return json_response({"errors": [], "warnings": []})


def preupload(request: Request, ctx: MirrorContext) -> Response:
    """``POST /api/datasets/{id}/preupload/{rev}``: every file goes "regular", with its current oid."""
    _require_token(request)
    repo_id = repo_id_param(request)
    item = visible_item(request, ctx, repo_id)
    check_revision(item, request.params["revision"])
    files = _json_body(request).get("files")
    if not isinstance(files, list):
        raise hub_error(400, "Invalid preupload payload: 'files' must be a list")
    answer = []
    for entry in files:
        path = check_filename(entry.get("path") if isinstance(entry, dict) else None)
        current = ctx.snapshot.load_file(repo_id, path)
        answer.append(
            {
                "path": path,
                "uploadMode": "regular",
                "shouldIgnore": False,
                "oid": git_blob_sha(current) if current is not None else None,
            }
        )
    return json_response({"files": answer, "commitOid": item["sha"]})


def _refresh_item(ctx: MirrorContext, item: dict[str, Any], sha: str) -> dict[str, Any]:
    repo_id = item["id"]
    names = ctx.snapshot.file_names(repo_id)
    card = ctx.snapshot.load_file(repo_id, "README.md")
    metadata = parse_card_metadata(card.decode("utf-8", "replace")) if card is not None else None
    tags = card_tags(metadata)
    if any(name.endswith(".parquet") for name in names):
        tags.append("format:parquet")
    updated = {
        **item,
        "sha": sha,
        "lastModified": _now(),
        "siblings": [{"rfilename": n} for n in names],
        "tags": list(dict.fromkeys([*tags, "region:us"])),
    }
    updated.pop("cardData", None)
    if metadata is not None:
        updated["cardData"] = metadata
    return updated


def commit(request: Request, ctx: MirrorContext) -> Response:
    """``POST /api/datasets/{id}/commit/{rev}``: apply an ndjson commit to the served snapshot."""
    _require_token(request)
    repo_id = repo_id_param(request)
    if request.arg("create_pr"):
        raise hub_error(400, "Pull requests are not supported by the mirror")
    header, operations = parse_commit(request.body)
    with WRITE_LOCK:
        item = visible_item(request, ctx, repo_id)
        check_revision(item, request.params["revision"])
        parent = header.get("parentCommit")
        if parent and not item["sha"].startswith(str(parent)):
            raise hub_error(412, f"Parent commit {parent} is not the head of the branch")
        check_operations(ctx.snapshot, repo_id, operations)  # before anything is written
        parent_record = head_record(ctx.snapshot, item)
        try:
            apply_operations(ctx.snapshot, repo_id, operations)
            sha = hashlib.sha1(item["sha"].encode() + b"\0" + request.body).hexdigest()
            updated = _refresh_item(ctx, item, sha)
            record_commit(ctx.snapshot, parent_record, operations, updated)
            ctx.snapshot.write_api(repo_id, updated)  # the commit is made once the item names it
        except BaseException:
            # a full disk midway: the files go back to the head's, from its recorded blobs (a blob
            # or a commit record already written is named by no item, and is harmless)
            restore_head(ctx.snapshot, parent_record, repo_id, operations)
            raise
        finally:
            ctx.invalidate()
    return json_response(
        {
            "success": True,
            "commitOid": sha,
            "commitUrl": f"{ctx.url}/datasets/{repo_id}/commit/{sha}",
            "commitMessage": header.get("summary"),
            "pullRequestUrl": None,
        }
    )


def tree(request: Request, ctx: MirrorContext) -> Response:
    """``GET /api/datasets/{id}/tree/{rev}[/{path}]``: files and folders, as ``list_repo_tree`` reads them."""
    request, ctx = at_revision(request, ctx)
    repo_id = repo_id_param(request)
    item = visible_item(request, ctx, repo_id)
    sha = check_revision(item, request.params["revision"])
    base = request.params.get("filename")
    prefix = (check_filename(unquote(base)).rstrip("/") + "/") if base else ""
    recursive = (request.arg("recursive") or "").lower() == "true"
    names = ctx.store.names() if isinstance(ctx.store, CommitView) else ctx.snapshot.file_names(repo_id)
    names = [name for name in names if name.startswith(prefix)]
    if base and not names:
        raise hub_error(404, f"{base} does not exist on {request.params['revision']}", "EntryNotFound")
    entries: dict[str, dict[str, Any]] = {}
    for name in names:
        parts = name[len(prefix) :].split("/")
        depth = len(parts) if recursive else 1
        for level in range(1, min(depth, len(parts) - 1) + 1):
            folder = prefix + "/".join(parts[:level])
            oid = hashlib.sha1(f"{sha}:{folder}".encode()).hexdigest()
            entries.setdefault(folder, {"type": "directory", "oid": oid, "size": 0, "path": folder})
        if recursive or len(parts) == 1:
            data = ctx.store.file(repo_id, name) or b""
            entries[name] = {"type": "file", "oid": git_blob_sha(data), "size": len(data), "path": name}
    return json_response([entries[key] for key in sorted(entries)])


ROUTES = [
    Route("GET", rf"/api/datasets/{REPO_ID}/tree/(?P<revision>[^/]+)(?:/(?P<filename>[^/]+))?", tree),
    Route("POST", r"/api/repos/create", create_repo, needs_token=True),
    Route("POST", r"/api/validate-yaml", validate_yaml),
    Route("POST", rf"/api/datasets/{REPO_ID}/preupload/(?P<revision>[^/]+)", preupload, needs_token=True),
    Route("POST", rf"/api/datasets/{REPO_ID}/commit/(?P<revision>[^/]+)", commit, needs_token=True),
]
