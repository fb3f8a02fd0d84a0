"""Git refs: create a tag on a commit, list the branch and the tags.

What ``HfApi.create_tag`` / ``list_repo_refs`` (huggingface_hub 1.x) send, answered the Hub's way:

* ``POST /api/datasets/{id}/tag/{revision}`` ``{"tag", "message"?}``: tags the commit that
  ``revision`` names (``main``, the head sha or a recorded older sha, 7 characters or more).
  Needs a token; 409 ``Tag ... already exists`` when the name is taken (``exist_ok`` reads the
  409), 404 ``RevisionNotFound`` for an unknown revision, 400 for a name git would refuse.
* ``GET /api/datasets/{id}/refs`` → ``{"branches": [main], "converts": [], "tags": [...]}``
  (plus ``"pullRequests": []`` with ``include_prs=1``), each ``{"name", "ref", "targetCommit"}``.

Tags live in the dataset's ``refs.json``; the tagged commit's files stay in the history
(``hubmirror.history``), so resolving a file at the tag keeps answering what was tagged.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

from hubmirror.context import MirrorContext
from hubmirror.history import WRITE_LOCK, head_record
from hubmirror.hub_routes import visible_item
from hubmirror.names import describe
from hubmirror.routing import REPO_ID, Request, Response, Route, hub_error, json_response, repo_id_param

# git check-ref-format, narrowed: no "..", "//", "@{", leading "-" or "/", trailing "." "/" ".lock".
_TAG_RE = re.compile(r"^(?![-/.])(?!.*(?:\.\.|//|/\.|@\{))[A-Za-z0-9._/@+-]{1,128}(?<![./])(?<!\.lock)\Z")
_SHA_PREFIX_RE = re.compile(r"^[0-9a-f]{7,40}\Z")
TAG_RULE = "a tag uses letters, digits and '._/@+-' (at most 128), as git check-ref-format allows"


def _ref(kind: str, name: str, commit: str) -> dict[str, str]:
    return {"name": name, "ref": f"refs/{kind}/{name}", "targetCommit": commit}


def _tag_body(request: Request) -> tuple[str, str | None]:
    try:
        body = json.loads(request.body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise hub_error(400, "Invalid JSON body") from None
    tag = body.get("tag") if isinstance(body, dict) else None
    if not isinstance(tag, str) or not _TAG_RE.match(tag):
        raise hub_error(400, describe("tag name", tag, TAG_RULE))
    message = body.get("message")
    return tag, message if isinstance(message, str) else None


def _target(ctx: MirrorContext, item: dict[str, Any], revision: str) -> str:
    """The full sha that ``revision`` names: main, the head, or a recorded commit."""
    head = str(item["sha"])
    if revision == "main" or (_SHA_PREFIX_RE.match(revision) and head.startswith(revision)):
        head_record(ctx.snapshot, item)  # the tagged files must outlive later commits
        return head
    if _SHA_PREFIX_RE.match(revision):
        commits = ctx.snapshot.dataset_dir(item["id"]) / "commits"
        found = sorted(p.stem for p in commits.glob(f"{revision}*.json")) if commits.is_dir() else []
        if len(found) == 1:
            return found[0]
    raise hub_error(404, f"Invalid rev id: {revision}", "RevisionNotFound")


def create_tag(request: Request, ctx: MirrorContext) -> Response:
    """``POST /api/datasets/{id}/tag/{revision}``: a new tag on that commit; 409 if the name is taken."""
    if not request.authenticated:
        raise hub_error(401, "Invalid credentials in Authorization header")
    repo_id = repo_id_param(request)
    tag, message = _tag_body(request)
    with WRITE_LOCK:
        item = visible_item(request, ctx, repo_id)
        commit = _target(ctx, item, unquote(request.params["revision"]))
        refs = ctx.snapshot.load_refs(repo_id)
        if tag in refs["tags"]:
            text = f"Tag '{tag}' already exists (on commit {refs['tags'][tag]['commit']})"
            raise hub_error(409, text)
        created = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        refs["tags"][tag] = {"commit": commit, "message": message or "", "createdAt": created}
        refs["tags"] = dict(sorted(refs["tags"].items()))
        ctx.snapshot.write_refs(repo_id, refs)
    return json_response(_ref("tags", tag, commit))


def list_refs(request: Request, ctx: MirrorContext) -> Response:
    """``GET /api/datasets/{id}/refs``: the ``main`` branch and every tag, by name."""
    repo_id = repo_id_param(request)
    item = visible_item(request, ctx, repo_id)
    tags = ctx.snapshot.load_refs(repo_id)["tags"]
    answer: dict[str, Any] = {
        "branches": [_ref("heads", "main", item["sha"])],
        "converts": [],
        "tags": [_ref("tags", name, str(tag["commit"])) for name, tag in sorted(tags.items())],
    }
    if request.arg("include_prs"):
        answer["pullRequests"] = []
    return json_response(answer)


ROUTES = [
    Route("POST", rf"/api/datasets/{REPO_ID}/tag/(?P<revision>[^/]+)", create_tag, needs_token=True),
    Route("GET", rf"/api/datasets/{REPO_ID}/refs", list_refs),
]
