"""The Hub side of a crawl: ``huggingface_hub`` clients bound to one endpoint and our transports.

``huggingface_hub`` sends its requests through one process-wide ``httpx.Client``, and its async
ones through an ``httpx.AsyncClient`` from a factory. While a crawl runs, the first uses the
crawl's :class:`~crawl.transport.PacedTransport` (listing pages, read in a thread) and one client
of the second its :class:`~crawl.transport.AsyncPacedTransport` (cards, read on the event loop
next to the viewer's requests). So every request is paced, retried and counted alike, and card
downloads need no thread each: threads waking on every answer cost CPU in handing the GIL back
and forth with the loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import httpx
from huggingface_hub import HfApi, hf_hub_url
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.utils import (
    build_hf_headers,
    get_async_session,
    hf_raise_for_status,
    set_async_client_factory,
    set_client_factory,
)

# Not re-exported by huggingface_hub.utils: the default clients (to restore) and the hooks that
# tag their requests; all exist from huggingface_hub 1.31, the floor pyproject.toml sets.
from huggingface_hub.utils._http import (
    async_hf_request_event_hook,
    async_hf_response_event_hook,
    default_async_client_factory,
    default_client_factory,
    hf_request_event_hook,
)

from crawl.listing import Listing, ListingQuery, ListingStream, list_datasets, stream_datasets
from crawl.telemetry import hub_telemetry_off
from crawl.transport import PacedTransport, RequestFailed

LIBRARY_NAME = "dynosaur-crawl"


class CardUnavailable(Exception):
    """The card could not be read for a lasting reason (the dataset is skipped)."""


def _http_reason(exc: HfHubHTTPError) -> str:
    status = exc.response.status_code if exc.response is not None else "?"
    code = exc.response.headers.get("x-error-code", "") if exc.response is not None else ""
    return f"http {status} {code}".rstrip()


class HubClient:
    """Lists datasets and downloads cards from one Hub endpoint."""

    def __init__(
        self,
        endpoint: str,
        *,
        token: str | None,
        transport: PacedTransport,
        async_transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        """``transport`` carries the sync requests (listing), ``async_transport`` the cards
        (httpx's default when None)."""
        self.endpoint = endpoint.rstrip("/")
        # False, not None: never fall back to a token saved on this machine or in the environment.
        self._token: str | bool = token or False
        self._transport = transport
        self._async_transport = async_transport
        self._timeout = timeout
        self._cards: httpx.AsyncClient | None = None
        self.api = HfApi(endpoint=self.endpoint, token=self._token, library_name=LIBRARY_NAME)

    def _client(self) -> httpx.Client:
        return httpx.Client(
            transport=self._transport,
            event_hooks={"request": [hf_request_event_hook]},
            follow_redirects=True,
            timeout=self._timeout,
        )

    def _async_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=self._async_transport,
            event_hooks={
                "request": [async_hf_request_event_hook],
                "response": [async_hf_response_event_hook],
            },
            follow_redirects=True,
            timeout=self._timeout,
        )

    @contextmanager
    def session(self) -> Iterator[HubClient]:
        """Route ``huggingface_hub``'s requests through the crawl's transport while inside.

        Telemetry is off meanwhile: with it on, building a request's user agent fetches a
        registry from huggingface.co, which is not the endpoint being crawled.
        """
        set_client_factory(self._client)
        try:
            with hub_telemetry_off():
                yield self
        finally:
            set_client_factory(default_client_factory)

    @asynccontextmanager
    async def async_session(self) -> AsyncIterator[HubClient]:
        """Route ``huggingface_hub``'s async requests through ``async_transport`` while inside,
        and hold the one async client :meth:`card` reads with (closed on the way out)."""
        set_async_client_factory(self._async_client)
        try:
            async with get_async_session() as client:
                self._cards = client
                yield self
        finally:
            self._cards = None
            set_async_client_factory(default_async_client_factory)

    def list(self, query: ListingQuery) -> Listing:
        """Every dataset ``query`` selects (see :func:`crawl.listing.list_datasets`)."""
        return list_datasets(self.api, query)

    def stream(self, query: ListingQuery) -> ListingStream:
        """``query``'s datasets page by page (see :func:`crawl.listing.stream_datasets`)."""
        return stream_datasets(self.api, query)

    async def card(self, repo_id: str, revision: str) -> bytes | None:
        """README.md at ``revision``; None when the repository has no card. Only inside
        :meth:`async_session`.

        One GET (no HEAD, no cache folder: a card is read once per sha). Raises
        :class:`RequestFailed` for errors worth retrying on the next run and
        :class:`CardUnavailable` for lasting ones.
        """
        if self._cards is None:
            raise RuntimeError("HubClient.card needs an open async_session()")
        url = hf_hub_url(repo_id, "README.md", repo_type="dataset", revision=revision, endpoint=self.endpoint)
        headers = build_hf_headers(token=self._token, library_name=LIBRARY_NAME)
        try:
            response = await self._cards.get(url, headers=headers)
            hf_raise_for_status(response)
        except RemoteEntryNotFoundError:
            return None
        except RevisionNotFoundError as exc:
            # The dataset changed between the listing and this download: try again next run.
            raise RequestFailed(url, status=404, code="RevisionNotFound", attempts=1) from exc
        except GatedRepoError as exc:
            raise CardUnavailable(f"card_unavailable: gated ({_http_reason(exc)})") from exc
        except RepositoryNotFoundError as exc:
            raise CardUnavailable(f"card_unavailable: repository not found ({_http_reason(exc)})") from exc
        except HfHubHTTPError as exc:
            raise CardUnavailable(f"card_unavailable: {_http_reason(exc)}") from exc
        return response.content
