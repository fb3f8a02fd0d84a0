"""The dataset viewer: which configs and splits a dataset has, and its first rows.

Two kinds of request per kept config at the default ``--rows 100``: ``/splits`` once per dataset
and ``/rows`` once per config (more pages only when more than 100 rows are asked for).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from crawl.viewer_codes import is_permanent

MAX_PAGE = 100  # the viewer refuses /rows?length= over 100
# Training data comes from these splits only, the first one a config has; a test split is taken
# only when named (evaluation rows must not become training data).
DEFAULT_SPLITS = ("train", "validation")
NO_TRAIN_SPLIT = "no_train_split"


class ViewerError(Exception):
    """The viewer answered with a lasting error: the dataset or config is skipped.

    Lasting: a 4xx or 501, or a 5xx whose code is one of the viewer's permanent ones (see
    :mod:`crawl.viewer_codes`); its code is then the reason, ``viewer_error: ConfigNamesError``.
    """

    def __init__(self, status: int, code: str) -> None:
        self.status = status
        self.code = code
        super().__init__(self.reason)

    @property
    def permanent(self) -> bool:
        return self.status >= 500 and is_permanent(self.code)

    @property
    def reason(self) -> str:
        if self.permanent:
            return f"viewer_error: {self.code}"
        return f"viewer_unavailable: {self.status} {self.code}".rstrip()


class ViewerPending(Exception):
    """The viewer lists the dataset's splits as still pending (deferred like ResponseNotReady)."""


@dataclass
class RowsPage:
    """The rows of one config/split, as the viewer returns them."""

    features: list[dict[str, Any]]
    rows: list[dict[str, Any]] = field(default_factory=list)  # {"row_idx", "row", "truncated_cells"}
    num_rows_total: int | None = None


def choose_splits(
    entries: list[dict[str, Any]], max_configs: int, splits: tuple[str, ...] = DEFAULT_SPLITS
) -> tuple[list[tuple[str, str | None]], int]:
    """One split per config: the first of ``splits`` it has (None: none), first ``max_configs`` configs.

    Returns the (config, split) pairs in the viewer's config order and the number of configs.
    """
    by_config: dict[str, list[str]] = {}
    for entry in entries:
        config, split = entry.get("config"), entry.get("split")
        if isinstance(config, str) and isinstance(split, str):
            by_config.setdefault(config, [])
            if split not in by_config[config]:
                by_config[config].append(split)
    chosen: list[tuple[str, str | None]] = []
    for config, found in list(by_config.items())[: max(0, max_configs)]:
        preferred = [s for s in splits if s in found]
        chosen.append((config, preferred[0] if preferred else None))
    return chosen, len(by_config)


class ViewerClient:
    """``/splits`` and ``/rows`` of one viewer endpoint, over the crawl's async client."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def _get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        response = await self._client.get(path, params=params)
        if response.status_code != 200:
            raise ViewerError(response.status_code, response.headers.get("x-error-code", ""))
        try:
            data = json.loads(response.content)
        except ValueError:
            raise ViewerError(response.status_code, "InvalidJSON") from None
        if not isinstance(data, dict):
            raise ViewerError(response.status_code, "UnexpectedBody")
        return data

    async def splits(self, dataset: str) -> list[dict[str, Any]]:
        """The ``{"config", "split"}`` entries the viewer lists for ``dataset``."""
        data = await self._get("/splits", {"dataset": dataset})
        entries = data.get("splits")
        entries = [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []
        if not entries and data.get("pending"):
            raise ViewerPending(dataset)
        return entries

    async def rows(self, dataset: str, config: str, split: str, count: int) -> RowsPage:
        """Up to ``count`` rows from offset 0, paging by 100."""
        page = RowsPage(features=[])
        while len(page.rows) < count:
            length = min(MAX_PAGE, count - len(page.rows))
            params = {
                "dataset": dataset,
                "config": config,
                "split": split,
                "offset": len(page.rows),
                "length": length,
            }
            data = await self._get("/rows", params)
            if not page.features and isinstance(data.get("features"), list):
                page.features = data["features"]
            if isinstance(data.get("num_rows_total"), int):
                page.num_rows_total = data["num_rows_total"]
            got = [r for r in data.get("rows") or [] if isinstance(r, dict)]
            page.rows.extend(got)
            if len(got) < length or (
                page.num_rows_total is not None and len(page.rows) >= page.num_rows_total
            ):
                break
        return page
