"""A whole crawl: list, decide what changed, crawl that concurrently, save, update the outputs.

Listing pages feed a fixed pool of workers as they arrive, and each finished dataset is saved to
the state at once and dropped, so memory does not grow with the number of datasets. At the end
(also after Ctrl-C) the output files are brought up to date from the state when anything
changed, encoding only what did (crawl.outputs), so a crawl killed at any point and run again
writes exactly what an uninterrupted crawl writes.

A dataset whose viewer is not ready yet is deferred (not saved) and crawled again in a second
pass once the first is done, at least ``not_ready_wait`` seconds after it was deferred; only then
is it failed. A run killed in between leaves it unsaved, so the next run crawls it again.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
from tqdm.auto import tqdm

from crawl.artifact_errors import sqlite_writing
from crawl.dataset import DatasetCrawler
from crawl.hub import HubClient
from crawl.listing import ListedDataset, ListingStream
from crawl.options import CrawlOptions
from crawl.origin import OriginWatcher
from crawl.outputs import OutputCounts, check_outputs, policy_summary, write_outputs
from crawl.ratelimit import Pacer
from crawl.recorder import SnapshotRecorder
from crawl.records import DEFERRED, FAILED, KEPT, DatasetOutcome, reason_kind
from crawl.state import STATE_FILE, CrawlState
from crawl.transport import (
    AsyncPacedTransport,
    Observer,
    PacedTransport,
    RequestStats,
    Router,
    TransportCore,
    async_http_transport,
)
from crawl.viewer import ViewerClient


@dataclass
class CrawlResult:
    """What a crawl did, for the summary and the exit status."""

    listed: int = 0
    complete: bool = False
    listing_error: str | None = None
    crawled: int = 0
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    reasons: Counter[tuple[str, str]] = field(default_factory=Counter)  # (status, reason kind)
    configs_kept: int = 0
    lost: int = 0  # datasets crawled again because the data file no longer held their lines
    deferred: int = 0  # datasets the first pass deferred (viewer not ready)
    recovered: int = 0  # ... of which the second pass kept or skipped
    totals: dict[str, int] = field(default_factory=dict)  # datasets per status in the state
    outputs: OutputCounts = field(default_factory=OutputCounts)
    requests: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    interrupted: bool = False

    @property
    def exit_code(self) -> int:
        """0: all done; 1: the listing failed; 3: some datasets failed (a rerun retries them)."""
        if self.listing_error:
            return 1
        return 3 if self.statuses.get(FAILED) else 0

    def add(self, outcome: DatasetOutcome, second_pass: bool = False) -> None:
        if second_pass and outcome.status != FAILED:
            self.recovered += 1
        self.crawled += 1
        self.statuses[outcome.status] += 1
        if outcome.status == KEPT:
            self.configs_kept += len(outcome.configs_kept)
        else:
            self.reasons[(outcome.status, reason_kind(outcome.reason))] += 1


_BATCH = 256  # listing items taken per hop to the listing thread


async def _pool(
    feed: Callable[[asyncio.Queue[ListedDataset | None]], Awaitable[None]],
    handle: Callable[[ListedDataset], Awaitable[None]],
    workers: int,
) -> None:
    """``workers`` tasks handle what ``feed`` puts on a queue of ``workers`` places.

    Nothing waits beyond the queue, and a finished dataset is handled and dropped at once, so
    memory stays the same however many datasets the feed yields.
    """
    queue: asyncio.Queue[ListedDataset | None] = asyncio.Queue(maxsize=workers)

    async def work() -> None:
        while (item := await queue.get()) is not None:
            await handle(item)

    async def produce() -> None:
        await feed(queue)
        for _ in range(workers):
            await queue.put(None)

    tasks = [asyncio.create_task(produce()), *(asyncio.create_task(work()) for _ in range(workers))]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            task.result()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class _Run:
    """One crawl as it goes: the listing feeds workers, each finished dataset is saved at once."""

    def __init__(
        self,
        options: CrawlOptions,
        state: CrawlState,
        result: CrawlResult,
        make_crawler: Callable[[str], DatasetCrawler],
        origin: Callable[[], str],
    ) -> None:
        self.options = options
        self.state = state
        self.result = result
        self.key = options.query.key
        self._make_crawler = make_crawler
        self._origin = origin
        self._crawler: DatasetCrawler | None = None
        self.fingerprint = ""
        self.deferred: list[ListedDataset] = []
        self._last_deferral = 0.0
        # A recording must hold every answer the outputs depend on, so it re-reads unchanged datasets.
        self._everything = options.full or options.record_dir is not None
        self.bar = tqdm(desc="crawl", unit="dataset", disable=not options.progress, dynamic_ncols=True)

    def crawler(self) -> DatasetCrawler:
        """The dataset crawler, made once the first listing answer named the Hub's origin."""
        if self._crawler is None:
            origin = self._origin()
            self.fingerprint = self.options.fingerprint(origin)
            self._crawler = self._make_crawler(origin)
        return self._crawler

    async def list_and_crawl(self, stream: ListingStream, executor: ThreadPoolExecutor) -> None:
        """The first pass: every listed dataset that changed, crawled while the listing pages arrive."""
        loop = asyncio.get_running_loop()
        state, result = self.state, self.result

        async def feed(queue: asyncio.Queue[ListedDataset | None]) -> None:
            while batch := await loop.run_in_executor(executor, stream.take, _BATCH):
                new = state.note_listed([ds.id for ds in batch])
                known = state.entries_of(sorted(new))
                for ds in batch:
                    if ds.id not in new:
                        continue  # a repeat: the Hub's pages shifted while they were read
                    new.discard(ds.id)
                    result.listed += 1
                    self.crawler()
                    if self._everything or state.needs_crawl(known.get(ds.id), ds.sha, self.fingerprint):
                        await queue.put(ds)
                    else:
                        result.unchanged += 1
                        self.bar.update()

        await _pool(feed, lambda ds: self._one(ds, last_pass=False), self.options.concurrency)
        self.crawler()
        result.complete, result.listing_error = stream.complete, stream.error
        state.mark_listed(self.key)
        if stream.complete:
            result.removed = state.remove_unlisted(self.key, self.options.query.whole_hub)

    async def second_pass(self) -> None:
        """Datasets the viewer was not ready for, once ``not_ready_wait`` has passed."""
        if not self.deferred:
            return
        self.result.deferred = len(self.deferred)
        wait = self._last_deferral + self.options.retry.not_ready_wait - time.monotonic()
        self.state.commit()
        await asyncio.sleep(max(0.0, wait))
        todo = sorted(self.deferred, key=lambda ds: ds.id)

        async def feed(queue: asyncio.Queue[ListedDataset | None]) -> None:
            for ds in todo:
                await queue.put(ds)

        await _pool(feed, lambda ds: self._one(ds, last_pass=True), self.options.concurrency)

    async def _one(self, ds: ListedDataset, last_pass: bool) -> None:
        outcome = await self.crawler().crawl(ds, last_pass=last_pass)
        if outcome.status == DEFERRED:
            self.deferred.append(ds)
            self._last_deferral = time.monotonic()
            return
        self.state.save(outcome, self.fingerprint, self.key)
        self.result.add(outcome, second_pass=last_pass)
        self.bar.update()
        self.bar.set_postfix(
            {k: self.result.statuses.get(k, 0) for k in ("kept", "skipped", "failed")}, refresh=False
        )


async def crawl_async(options: CrawlOptions) -> CrawlResult:
    """Run one crawl (see the module docstring); returns what it did."""
    started = time.monotonic()
    result = CrawlResult()
    data_dir = options.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)

    router = Router(options.hub_endpoint, options.viewer_endpoint)
    stats = RequestStats()
    watcher = OriginWatcher(router)
    observers: list[Observer] = [watcher]
    recorder = SnapshotRecorder(options.record_dir, router) if options.record_dir is not None else None
    if recorder is not None:
        observers.append(recorder)
    core = TransportCore(router, Pacer(options.quotas), stats, options.retry, observers)
    # One connection per dataset in flight: a larger idle pool only costs liveness checks.
    limits = httpx.Limits(max_connections=options.concurrency, max_keepalive_connections=options.concurrency)
    tls = httpx.create_ssl_context()  # loading the CA bundle is slow: once for both clients
    hub = HubClient(
        options.hub_endpoint,
        token=options.token,
        transport=PacedTransport(core, httpx.HTTPTransport(verify=tls)),
        async_transport=AsyncPacedTransport(core, async_http_transport(tls, limits)),
        timeout=options.timeout,
    )
    headers = {"authorization": f"Bearer {options.token}"} if options.token else {}
    # The listing's pages, read one at a time while the datasets of the last one are crawled.
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hub-listing")
    state = CrawlState(data_dir / STATE_FILE)
    try:
        result.lost = check_outputs(state, data_dir)
        async with httpx.AsyncClient(
            base_url=options.viewer_endpoint.rstrip("/"),
            transport=AsyncPacedTransport(core, async_http_transport(tls, limits)),
            headers=headers,
            timeout=options.timeout,
            follow_redirects=True,
        ) as client:
            with hub.session():
                async with hub.async_session():

                    def make_crawler(origin: str) -> DatasetCrawler:
                        if recorder is not None:
                            recorder.snapshot.write_origin(origin)
                        return DatasetCrawler(hub, ViewerClient(client), options, origin)

                    run = _Run(
                        options, state, result, make_crawler, lambda: watcher.origin(options.hub_endpoint)
                    )
                    try:
                        await run.list_and_crawl(hub.stream(options.query), executor)
                        await run.second_pass()
                    finally:
                        run.bar.close()
    except (KeyboardInterrupt, asyncio.CancelledError):
        result.interrupted = True
        raise
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
        result.outputs = write_outputs(state, data_dir, policy_summary(options.policy, options.splits))
        result.totals = state.counts()
        state.close()
        result.requests = stats.as_dict()
        result.seconds = time.monotonic() - started
    return result


def run_crawl(options: CrawlOptions) -> CrawlResult:
    """Synchronous entry point. A state the disk or the folder refuses to write (full, read-only)
    raises :class:`~crawl.artifact_errors.WriteFailed` naming it."""
    with sqlite_writing(options.data_dir / STATE_FILE):
        return asyncio.run(crawl_async(options))
