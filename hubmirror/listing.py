"""``GET /api/datasets``: search, filters, sort, field selection and cursor pagination.

Pure functions over API items, so the rules can be read (and tested) apart from HTTP.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

# What the Hub returns per item when neither ``full`` nor ``expand`` is asked for.
DEFAULT_FIELDS = (
    "_id",
    "id",
    "author",
    "sha",
    "lastModified",
    "private",
    "gated",
    "disabled",
    "likes",
    "tags",
    "description",
    "downloads",
    "trendingScore",
    "createdAt",
)
EXPANDABLE = frozenset(
    {
        "author",
        "cardData",
        "citation",
        "createdAt",
        "description",
        "disabled",
        "downloads",
        "downloadsAllTime",
        "gated",
        "lastModified",
        "likes",
        "mainSize",
        "paperswithcode_id",
        "private",
        "resourceGroup",
        "sha",
        "siblings",
        "tags",
        "trendingScore",
        "usedStorage",
    }
)
SORT_KEYS = {
    "downloads": "downloads",
    "likes": "likes",
    "lastModified": "lastModified",
    "last_modified": "lastModified",
    "createdAt": "createdAt",
    "created_at": "createdAt",
    "trendingScore": "trendingScore",
    "trending_score": "trendingScore",
    "id": "id",
}
MAX_LIMIT = 1000


class ListingError(ValueError):
    """A listing query the Hub answers with 400."""


def _truthy(value: str | None) -> bool:
    return value is not None and value.lower() in ("1", "true", "yes")


def matches_filter(item: dict[str, Any], wanted: str) -> bool:
    """A filter value matches a tag exactly, or a bare value matches the value part of a tag."""
    tags = item.get("tags") or []
    if wanted in tags:
        return True
    if ":" not in wanted:
        return any(tag.split(":", 1)[-1] == wanted for tag in tags)
    return False


def select_items(
    items: list[dict[str, Any]],
    *,
    search: list[str],
    author: str | None,
    filters: list[str],
    gated: str | None,
    authenticated: bool,
) -> list[dict[str, Any]]:
    """The items a query selects (private ones only for a client that sent a token)."""
    chosen = []
    for item in items:
        if item.get("private") and not authenticated:
            continue
        repo_id = item["id"]
        if any(term.lower() not in repo_id.lower() for term in search if term):
            continue
        if author and (item.get("author") or "").lower() != author.lower():
            continue
        if not all(matches_filter(item, f) for f in filters):
            continue
        if gated is not None and bool(item.get("gated")) != _truthy(gated):
            continue
        chosen.append(item)
    return chosen


def sort_items(items: list[dict[str, Any]], sort: str | None, direction: str | None) -> list[dict[str, Any]]:
    """Sort by a Hub sort key (descending unless ``direction=1``); ties and no sort: by id."""
    by_id = sorted(items, key=lambda item: item["id"])
    if not sort:
        return by_id
    key = SORT_KEYS.get(sort)
    if key is None:
        raise ListingError(f"Invalid sort parameter: {sort}")
    if direction not in (None, "", "-1", "1"):
        raise ListingError(f"Invalid direction parameter: {direction}")
    descending = direction != "1"
    # a stable sort over id-ordered items keeps ties in id order
    present = [item for item in by_id if item.get(key) is not None]
    missing = [item for item in by_id if item.get(key) is None]
    return sorted(present, key=lambda item: item[key], reverse=descending) + missing


def projection(full: str | None, expand: list[str]) -> tuple[str, ...] | None:
    """The keys each item keeps (None: all of them)."""
    if expand and full is not None:
        raise ListingError("Cannot use both `full` and `expand` parameters")
    if expand:
        unknown = sorted(set(expand) - EXPANDABLE)
        if unknown:
            raise ListingError(f"Invalid expand parameter: {', '.join(unknown)}")
        return ("_id", "id", *dict.fromkeys(expand))
    if _truthy(full):
        return None
    return DEFAULT_FIELDS


def project(item: dict[str, Any], keys: tuple[str, ...] | None) -> dict[str, Any]:
    """The item with only ``keys`` (in the item's own key order)."""
    if keys is None:
        return dict(item)
    wanted = set(keys)
    return {k: v for k, v in item.items() if k in wanted}


def page_limit(limit: str | None, page_size: int) -> int:
    """The page size a ``limit`` asks for, capped at 1000 (as the Hub does) and at the server's page size."""
    if limit is None or limit == "":
        return page_size
    try:
        value = int(limit)
    except ValueError:
        raise ListingError(f"Invalid limit parameter: {limit}") from None
    if value < 1:
        raise ListingError("limit must be a positive integer")
    return min(value, MAX_LIMIT, page_size)


def encode_cursor(offset: int, last_id: str) -> str:
    """An opaque cursor for the page that starts after ``last_id``."""
    raw = json.dumps({"o": offset, "k": last_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The offset a cursor points at; :class:`ListingError` for anything not made by us."""
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        offset = data["o"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise ListingError("Invalid cursor") from None
    if not isinstance(offset, int) or offset < 0:
        raise ListingError("Invalid cursor")
    return offset
