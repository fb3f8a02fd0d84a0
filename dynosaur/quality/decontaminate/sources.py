"""Benchmark texts from the Hub, read with the crawl's own clients and kept as hashed n-grams.

For each benchmark: the Hub API gives its current revision; an index already written for that
revision (and the same n, configs and splits) is reused without a viewer request; otherwise the
viewer's ``/splits`` and ``/rows`` are read page by page, every row's text is cut into hashed
n-grams, and those are written under ``DATA_DIR/decontamination_index/`` (raw little-endian
``uint64``, atomically, with a ``parts.json`` beside them). A benchmark that cannot be read is an
outcome with its reason, never an exception.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError

from crawl.benchmarks import Benchmark
from crawl.hub import HubClient
from crawl.options import CrawlOptions
from crawl.ratelimit import Pacer
from crawl.snapshot import InvalidRepoId, validate_repo_id
from crawl.transport import (
    AsyncPacedTransport,
    PacedTransport,
    RequestFailed,
    RequestStats,
    Router,
    TransportCore,
)
from crawl.viewer import ViewerClient, ViewerError, ViewerPending
from dynosaur.core.io import atomic_write_bytes, atomic_write_json
from dynosaur.quality.decontaminate.ngrams import (
    NGRAM_VERSION,
    Hashes,
    WordHasher,
    ngram_hashes,
    normalized_words,
)

INDEX_DIR = "decontamination_index"
DEFAULT_MAX_ROWS = 100_000
_SAFE = re.compile(r"[0-9A-Za-z._-]+")


class BenchmarkUnavailable(Exception):
    """A benchmark that cannot be read this time (the reason goes to the report)."""


@dataclass
class BenchmarkOutcome:
    """What happened to one benchmark: indexed (read now), reused (from the data dir) or skipped."""

    benchmark: str
    status: str
    reason: str | None = None
    revision: str | None = None
    parts: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "status": self.status,
            "reason": self.reason,
            "revision": self.revision,
            "parts": self.parts,
        }


def row_text(value: Any) -> str:
    """Every string of a row (nested lists and mappings too), in field order, space-joined."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return " ".join(t for t in (row_text(v) for v in value.values()) if t)
    if isinstance(value, list):
        return " ".join(t for t in (row_text(v) for v in value) if t)
    return ""


def _folder(index_dir: Path, benchmark: Benchmark, revision: str, n: int, max_rows: int) -> Path:
    request = json.dumps([list(benchmark.configs), list(benchmark.splits), max_rows])
    key = hashlib.sha256(request.encode()).hexdigest()[:12]
    return index_dir / benchmark.id.replace("/", "--") / revision / f"n{n}-v{NGRAM_VERSION}-{key}"


def _load(folder: Path) -> tuple[list[dict[str, Any]], list[Hashes]] | None:
    """A stored index (parts and their hashes), or None when absent or incomplete."""
    try:
        parts = json.loads((folder / "parts.json").read_text(encoding="utf-8"))["parts"]
        hashes = [np.frombuffer((folder / part["file"]).read_bytes(), dtype="<u8") for part in parts]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if any(len(h) != part.get("ngrams") for h, part in zip(hashes, parts, strict=True)):
        return None
    return parts, [h.astype(np.uint64, copy=False) for h in hashes]


class BenchmarkReader:
    """Reads benchmarks through one Hub endpoint and one viewer endpoint (the crawl's settings)."""

    def __init__(
        self, options: CrawlOptions, index_dir: Path, n: int, max_rows: int = DEFAULT_MAX_ROWS
    ) -> None:
        self.options = options
        self.index_dir = index_dir
        self.n = n
        self.max_rows = max_rows
        self.stats = RequestStats()
        router = Router(options.hub_endpoint, options.viewer_endpoint)
        self._core = TransportCore(router, Pacer(options.quotas), self.stats, options.retry)
        self._hub = HubClient(
            options.hub_endpoint,
            token=options.token,
            transport=PacedTransport(self._core),
            timeout=options.timeout,
        )
        self._hasher = WordHasher()

    def read_all(
        self, benchmarks: list[Benchmark]
    ) -> tuple[list[BenchmarkOutcome], list[tuple[str, Hashes]]]:
        """Each benchmark's outcome, and the (label, hashes) of every part read or reused."""
        return asyncio.run(self._read_all(benchmarks))

    async def _read_all(
        self, benchmarks: list[Benchmark]
    ) -> tuple[list[BenchmarkOutcome], list[tuple[str, Hashes]]]:
        headers = {"authorization": f"Bearer {self.options.token}"} if self.options.token else {}
        outcomes, parts = [], []
        async with httpx.AsyncClient(
            base_url=self.options.viewer_endpoint.rstrip("/"),
            transport=AsyncPacedTransport(self._core),
            headers=headers,
            timeout=self.options.timeout,
            follow_redirects=True,
        ) as client:
            viewer = ViewerClient(client)
            with self._hub.session():
                for benchmark in benchmarks:
                    outcome = BenchmarkOutcome(benchmark.spec, "skipped")
                    try:
                        parts.extend(await self._read(benchmark, viewer, outcome))
                    except BenchmarkUnavailable as exc:
                        outcome.status, outcome.reason, outcome.parts = "skipped", str(exc), []
                    outcomes.append(outcome)
        return outcomes, parts

    def _revision(self, benchmark: Benchmark) -> str:
        try:
            validate_repo_id(benchmark.id)
        except InvalidRepoId:
            raise BenchmarkUnavailable("invalid_repo_id") from None
        try:
            info = self._hub.api.dataset_info(benchmark.id)
        except GatedRepoError:
            raise BenchmarkUnavailable("gated") from None
        except RepositoryNotFoundError:
            raise BenchmarkUnavailable("not_found: no such dataset on the Hub") from None
        except HfHubHTTPError as exc:
            status = exc.response.status_code if exc.response is not None else "?"
            raise BenchmarkUnavailable(f"hub_error: http {status}") from None
        except RequestFailed as exc:
            raise BenchmarkUnavailable(f"hub_unreachable: {exc.reason}") from None
        except httpx.HTTPError as exc:
            raise BenchmarkUnavailable(f"hub_unreachable: {type(exc).__name__}") from None
        revision = info.sha or ""
        if not _SAFE.fullmatch(revision):
            raise BenchmarkUnavailable("revision_unknown: the Hub gave no usable sha")
        return revision

    async def _viewer(self, call: Any) -> Any:
        try:
            return await call
        except ViewerError as exc:
            raise BenchmarkUnavailable(exc.reason) from None
        except ViewerPending:
            raise BenchmarkUnavailable("viewer_pending") from None
        except RequestFailed as exc:
            raise BenchmarkUnavailable(f"viewer_failed: {exc.reason}") from None

    async def _read(
        self, benchmark: Benchmark, viewer: ViewerClient, outcome: BenchmarkOutcome
    ) -> list[tuple[str, Hashes]]:
        revision = self._revision(benchmark)
        outcome.revision = revision
        folder = _folder(self.index_dir, benchmark, revision, self.n, self.max_rows)
        stored = _load(folder)
        if stored is not None:
            outcome.status, outcome.parts = "reused", stored[0]
            return [(part["label"], hashes) for part, hashes in zip(*stored, strict=True)]
        entries = await self._viewer(viewer.splits(benchmark.id))
        chosen = _choose(benchmark, entries)
        found: list[tuple[str, Hashes]] = []
        parts: list[dict[str, Any]] = []
        for i, (config, split) in enumerate(chosen):
            page = await self._viewer(viewer.rows(benchmark.id, config, split, self.max_rows))
            texts = [normalized_words(row_text(item.get("row"))) for item in page.rows]
            hashes = np.unique(ngram_hashes(texts, self.n, self._hasher)[0])
            label = f"{benchmark.id}:{config}:{split}"
            total = page.num_rows_total if page.num_rows_total is not None else len(page.rows)
            parts.append(
                {
                    "label": label,
                    "config": config,
                    "split": split,
                    "rows": len(page.rows),
                    "rows_total": total,
                    "rows_shorter_than_n": sum(1 for words in texts if len(words) < self.n),
                    "ngrams": len(hashes),
                    "file": f"part-{i}.u64",
                }
            )
            found.append((label, hashes))
        for part, (_, hashes) in zip(parts, found, strict=True):
            atomic_write_bytes(folder / part["file"], hashes.astype("<u8").tobytes())
        meta = {"benchmark": benchmark.spec, "revision": revision, "n": self.n, "parts": parts}
        atomic_write_json(folder / "parts.json", meta)  # last: its presence means complete
        outcome.status, outcome.parts = "indexed", parts
        return found


def _choose(benchmark: Benchmark, entries: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The (config, split) pairs to read: the benchmark's configs (all when none) × its splits."""
    listed: dict[str, list[str]] = {}
    for entry in entries:
        config, split = entry.get("config"), entry.get("split")
        if isinstance(config, str) and isinstance(split, str):
            listed.setdefault(config, []).append(split)
    missing = [c for c in benchmark.configs if c not in listed]
    if missing:
        raise BenchmarkUnavailable(f"config_not_found: {','.join(missing)}")
    configs = benchmark.configs or tuple(listed)
    chosen = [(c, s) for c in configs for s in benchmark.splits if s in listed[c]]
    if not chosen:
        raise BenchmarkUnavailable(f"split_not_found: none of {','.join(benchmark.splits)}")
    return chosen
