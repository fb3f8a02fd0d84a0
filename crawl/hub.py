"""The Hub side of a crawl: ``huggingface_hub`` clients bound to one endpoint and our transport.

``huggingface_hub`` sends every request through one process-wide ``httpx.Client``; while a crawl
runs, that client uses the crawl's :class:`~crawl.transport.PacedTransport`, so listing pages and
file downloads are paced, retried and counted like the viewer's requests.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from huggingface_hub import HfApi, constants, hf_hub_download
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    LocalEntryNotFoundError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.utils import set_client_factory

# Not re-exported by huggingface_hub.utils: the default client (to restore) and the hook that
# tags its requests; both exist throughout huggingface_hub 1.x.
from huggingface_hub.utils._http import default_client_factory, hf_request_event_hook
from tqdm.auto import tqdm

from crawl.listing import Listing, ListingQuery, list_datasets
from crawl.transport import PacedTransport, RequestFailed

# hf_hub_download draws a bar per file; the crawl has its own bar.
_SILENT_BAR = functools.partial(tqdm, disable=True)


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
        cache_dir: str | Path,
        timeout: float = 30.0,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        # False, not None: never fall back to a token saved on this machine or in the environment.
        self._token: str | bool = token or False
        self._transport = transport
        self._cache_dir = Path(cache_dir)
        self._timeout = timeout
        self.api = HfApi(endpoint=self.endpoint, token=self._token, library_name="dynosaur-crawl")

    def _client(self) -> httpx.Client:
        return httpx.Client(
            transport=self._transport,
            event_hooks={"request": [hf_request_event_hook]},
            follow_redirects=True,
            timeout=self._timeout,
        )

    @contextmanager
    def session(self) -> Iterator[HubClient]:
        """Route ``huggingface_hub``'s requests through the crawl's transport while inside.

        Telemetry is off meanwhile: with it on, building a request's user agent fetches a
        registry from huggingface.co, which is not the endpoint being crawled.
        """
        telemetry_off = constants.HF_HUB_DISABLE_TELEMETRY
        constants.HF_HUB_DISABLE_TELEMETRY = True
        set_client_factory(self._client)
        try:
            yield self
        finally:
            set_client_factory(default_client_factory)
            constants.HF_HUB_DISABLE_TELEMETRY = telemetry_off

    def list(self, query: ListingQuery) -> Listing:
        """Every dataset ``query`` selects (see :func:`crawl.listing.list_datasets`)."""
        return list_datasets(self.api, query)

    def card(self, repo_id: str, revision: str) -> bytes | None:
        """README.md at ``revision``; None when the repository has no card.

        Raises :class:`RequestFailed` for errors worth retrying on the next run and
        :class:`CardUnavailable` for lasting ones.
        """
        try:
            path = hf_hub_download(
                repo_id,
                "README.md",
                repo_type="dataset",
                revision=revision,
                endpoint=self.endpoint,
                token=self._token,
                cache_dir=self._cache_dir,
                etag_timeout=self._timeout,
                tqdm_class=_SILENT_BAR,
            )
        except RemoteEntryNotFoundError:
            return None
        except RevisionNotFoundError as exc:
            # The dataset changed between the listing and this download: try again next run.
            raise RequestFailed(repo_id, status=404, code="RevisionNotFound", attempts=1) from exc
        except GatedRepoError as exc:
            raise CardUnavailable(f"card_unavailable: gated ({_http_reason(exc)})") from exc
        except RepositoryNotFoundError as exc:
            raise CardUnavailable(f"card_unavailable: repository not found ({_http_reason(exc)})") from exc
        except LocalEntryNotFoundError as exc:
            # hf_hub_download hides the HEAD error behind a cache miss; surface the real one.
            cause = exc.__cause__
            if isinstance(cause, HfHubHTTPError):
                raise CardUnavailable(f"card_unavailable: {_http_reason(cause)}") from exc
            raise RequestFailed(repo_id, status=None, code=type(cause or exc).__name__, attempts=1) from exc
        except HfHubHTTPError as exc:
            raise CardUnavailable(f"card_unavailable: {_http_reason(exc)}") from exc
        return Path(path).read_bytes()
