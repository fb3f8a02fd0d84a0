"""The Hub listing: one paginated query whose items carry everything the policy checks first.

``expand`` asks for exactly the properties the crawl reads, so an unchanged rerun needs nothing
but the listing pages, and gated, private, disabled, unlicensed, non-English or image/audio
datasets are ruled out before any further request.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, cast

from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.hf_api import DatasetSort_T, ExpandDatasetProperty_T

from crawl.transport import RequestFailed

MAX_PAGE = 1000
EXPAND: list[ExpandDatasetProperty_T] = [
    "sha",
    "cardData",
    "tags",
    "gated",
    "private",
    "disabled",
    "lastModified",
    "downloads",
]


@dataclass(frozen=True)
class ListingQuery:
    """What to list: Hub search text, tag filters, sort key and an optional limit."""

    search: str | None = None
    filters: tuple[str, ...] = ()
    sort: str = "downloads"
    limit: int | None = None

    @property
    def key(self) -> str:
        """Identifies the set of datasets the query selects (sort and limit do not change it)."""
        return json.dumps({"search": self.search or "", "filters": sorted(self.filters)}, sort_keys=True)

    @property
    def whole_hub(self) -> bool:
        """True when the query selects every dataset (no search, no filter)."""
        return not self.search and not self.filters


@dataclass(frozen=True)
class ListedDataset:
    """One listing item, as the crawl uses it."""

    id: str
    sha: str | None
    private: bool = False
    gated: bool | str = False
    disabled: bool = False
    card_data: dict[str, Any] | None = None
    tags: tuple[str, ...] = ()


@dataclass
class Listing:
    """The listed datasets (first occurrence of each id, in listing order) and whether the list is whole."""

    datasets: list[ListedDataset] = field(default_factory=list)
    complete: bool = False
    error: str | None = None


def listed_from_info(info: Any) -> ListedDataset:
    """A :class:`ListedDataset` from ``huggingface_hub``'s ``DatasetInfo``."""
    card = info.card_data.to_dict() if info.card_data is not None else None
    tags = tuple(t for t in info.tags or [] if isinstance(t, str))
    return ListedDataset(
        id=str(info.id),
        sha=info.sha if isinstance(info.sha, str) else None,
        private=bool(info.private),
        gated=info.gated if isinstance(info.gated, str) else bool(info.gated),
        disabled=bool(info.disabled),
        card_data=card if isinstance(card, dict) else None,
        tags=tags,
    )


class ListingStream:
    """Listing items as their pages arrive; once drained, :attr:`complete` and :attr:`error` say how it ended.

    An error part-way ends the stream (what came before stands) and marks the list partial.
    Repeated ids are passed on as the Hub sent them: the caller drops repeats.
    """

    def __init__(self, items: Iterable[Any], limit: int | None) -> None:
        self._items = iter(items)
        self._limit = limit
        self.count = 0
        self.done = False
        self.complete = False
        self.error: str | None = None

    def take(self, n: int) -> list[ListedDataset]:
        """Up to ``n`` more items (fewer, or none, once the listing has ended)."""
        batch: list[ListedDataset] = []
        if self.done:
            return batch
        try:
            for info in self._items:
                self.count += 1
                batch.append(listed_from_info(info))
                if len(batch) >= n:
                    return batch
        except RequestFailed as exc:
            self.error = f"listing: {exc.reason}"
        except HfHubHTTPError as exc:
            status = exc.response.status_code if exc.response is not None else "?"
            self.error = f"listing: http {status} {exc.server_message or ''}".rstrip()
        except (KeyError, TypeError, ValueError) as exc:  # an item the client cannot read ends the pages
            self.error = f"listing: unreadable item ({type(exc).__name__}: {exc})"
        self.done = True
        self.complete = self.error is None and (self._limit is None or self.count < self._limit)
        return batch


def drain(stream: ListingStream) -> Listing:
    """Every item of ``stream`` in one :class:`Listing` (first occurrence of each id)."""
    listing = Listing()
    seen: set[str] = set()
    while batch := stream.take(MAX_PAGE):
        for entry in batch:
            if entry.id not in seen:
                seen.add(entry.id)
                listing.datasets.append(entry)
    listing.complete, listing.error = stream.complete, stream.error
    return listing


def collect(items: Iterable[Any], limit: int | None) -> Listing:
    """Drain a listing iterator into a :class:`Listing`."""
    return drain(ListingStream(items, limit))


def stream_datasets(api: HfApi, query: ListingQuery) -> ListingStream:
    """Run ``query`` against the Hub (all pages, following the Link header), page by page."""
    # The Hub takes at most 1000 as `limit`; a larger limit pages and stops here.
    page_limit = query.limit if query.limit is not None and query.limit <= MAX_PAGE else None
    items: Iterable[Any] = api.list_datasets(
        search=query.search or None,
        filter=list(query.filters) or None,
        # the client passes a sort key it does not list through unchanged, as the Hub may know it
        sort=cast(DatasetSort_T, query.sort) if query.sort else None,
        limit=page_limit,
        expand=list(EXPAND),
    )
    if query.limit is not None:
        items = islice(items, query.limit)
    return ListingStream(items, query.limit)


def list_datasets(api: HfApi, query: ListingQuery) -> Listing:
    """Every dataset ``query`` selects, in one list."""
    return drain(stream_datasets(api, query))
