"""The mirror's route table: requests, responses, routes, and the Hub's and viewer's error shapes.

A route is a method, a regular expression matched against the raw (still percent-encoded) path,
and a handler ``handler(request, ctx) -> Response``. Matching the raw path keeps an encoded slash
inside one path segment; handlers decode and validate what they capture (:func:`repo_id_param`,
:func:`filename_param`), so ``..`` and encoded slashes never reach the snapshot.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from crawl.snapshot import InvalidRepoId, validate_filename, validate_repo_id
from hubmirror.names import describe, name_problem

if TYPE_CHECKING:
    from hubmirror.context import MirrorContext

# One repo id in a raw path: a name or namespace/name, each one path segment.
REPO_ID = r"(?P<repo_id>[^/]+(?:/[^/]+)?)"


@dataclass
class Request:
    """An incoming request as handlers see it."""

    method: str
    path: str  # raw path, percent-encoding kept
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes = b""
    params: dict[str, str] = field(default_factory=dict)  # the route's named groups, raw

    @property
    def authenticated(self) -> bool:
        """Whether the client sent a token (its value is never read or kept)."""
        return self.headers.get("authorization", "").lower().startswith("bearer ")

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    def args(self, name: str) -> list[str]:
        """Every value of a repeated query parameter (``name`` and ``name[]``)."""
        return self.query.get(name, []) + self.query.get(f"{name}[]", [])


@dataclass
class Response:
    """What a handler answers; the server adds latency, quota headers and Content-Length."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"


Handler = Callable[[Request, "MirrorContext"], Response]


@dataclass(frozen=True)
class Route:
    """``method`` + a regex over the raw path (named groups become ``request.params``).

    ``needs_token``: a request without ``Authorization: Bearer ...`` is answered 401 before its
    body is read (write routes).
    """

    method: str
    pattern: str
    handler: Handler
    needs_token: bool = False

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method != self.method and not (method == "HEAD" and self.method == "GET"):
            return None
        found = re.fullmatch(self.pattern, path)
        return found.groupdict() if found else None


class HttpError(Exception):
    """Raised by handlers to answer an error response."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON body with fixed key order and compact separators."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(status=status, body=body, headers=dict(headers or {}))


def hub_error(
    status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None
) -> HttpError:
    """A Hub API error: ``{"error": message}`` with ``X-Error-Message`` (and ``X-Error-Code``)."""
    extra = {"X-Error-Message": message, **(headers or {})}
    if code:
        extra["X-Error-Code"] = code
    return HttpError(json_response({"error": message}, status, extra))


def viewer_error(status: int, code: str, message: str) -> HttpError:
    """A dataset-viewer error: ``{"error": message}`` with ``X-Error-Code``."""
    return HttpError(json_response({"error": message}, status, {"X-Error-Code": code}))


REPO_ID_RULE = (
    "a repo id is 'name' or 'namespace/name', each of letters, digits, '-', '_' and '.', "
    "at most 96 characters, not starting or ending with '-' or '.'"
)
FILENAME_RULE = "a file path uses letters, digits, '-', '_', '.' and '/' only (at most 255 characters)"
REVISION_RULE = "a revision is a branch, a tag or a commit sha"


def check_repo_id(value: object) -> str:
    """``value`` if it is a repo id the Hub accepts; else a 400 that says what is wrong."""
    try:
        return validate_repo_id(value)  # type: ignore[arg-type]
    except InvalidRepoId:
        raise hub_error(400, describe("repo id", value, REPO_ID_RULE)) from None


def check_filename(value: object) -> str:
    """``value`` if it is a file path inside a repository; else a 400 that says what is wrong."""
    if isinstance(value, str) and name_problem(value) is None:
        try:
            return validate_filename(value)
        except ValueError:
            pass
    raise hub_error(400, describe("file path", value, FILENAME_RULE))


def repo_id_param(request: Request) -> str:
    """The route's decoded repo id; 400 for anything the Hub would not accept."""
    raw = request.params["repo_id"]
    parts = [unquote(part) for part in raw.split("/")]
    if any("/" in part for part in parts):
        raise hub_error(400, f"Invalid repo id {unquote(raw)!r}: contains an encoded '/'")
    return check_repo_id("/".join(parts))


def filename_param(request: Request) -> str:
    """The route's decoded file path inside the repository; 400 for path tricks."""
    return check_filename(unquote(request.params["filename"]))


def revision_param(request: Request) -> str:
    """The route's decoded revision; 400 for a control character, a backslash, ``..`` or a
    leading ``/`` (what no branch, tag or sha contains)."""
    revision = unquote(request.params["revision"])
    if name_problem(revision) is not None:
        raise hub_error(400, describe("revision", revision, REVISION_RULE))
    return revision


def find_route(routes: Sequence[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The first route matching ``method`` and the raw ``path``."""
    for route in routes:
        params = route.match(method, path)
        if params is not None:
            return route, params
    return None
