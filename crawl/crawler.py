"""A whole crawl: list, decide what changed, crawl that concurrently, save, rebuild the outputs.

The state is the source of truth: each finished dataset is saved at once, and the output files
are rebuilt from the state at the end (also after Ctrl-C), so a crawl killed at any point and
run again writes exactly what an uninterrupted crawl writes.

A dataset whose viewer is not ready yet is deferred (not saved) and crawled again in a second
pass once the first is done, at least ``not_ready_wait`` seconds after it was deferred; only then
is it failed. A run killed in between leaves it unsaved, so the next run crawls it again.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
from tqdm.auto import tqdm

from crawl.dataset import DatasetCrawler
from crawl.hub import HubClient
from crawl.listing import ListedDataset, Listing
from crawl.options import CrawlOptions
from crawl.origin import OriginWatcher
from crawl.outputs import OutputCounts, policy_summary, write_outputs
from crawl.ratelimit import Pacer
from crawl.recorder import SnapshotRecorder
from crawl.records import DEFERRED, FAILED, KEPT, DatasetOutcome, reason_kind
from crawl.state import STATE_FILE, CrawlState
from crawl.transport import AsyncPacedTransport, Observer, PacedTransport, RequestStats, Router, TransportCore
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


async def _crawl_all(
    crawler: DatasetCrawler,
    todo: list[ListedDataset],
    state: CrawlState,
    options: CrawlOptions,
    listing_key: str,
    result: CrawlResult,
) -> None:
    semaphore = asyncio.Semaphore(options.concurrency)
    fingerprint = options.fingerprint()
    deferred: list[ListedDataset] = []
    last_deferral = 0.0

    async def one(ds: ListedDataset, last_pass: bool) -> DatasetOutcome:
        async with semaphore:
            return await crawler.crawl(ds, last_pass=last_pass)

    bar = tqdm(
        total=len(todo), desc="crawl", unit="dataset", disable=not options.progress, dynamic_ncols=True
    )

    async def run_pass(datasets: list[ListedDataset], last_pass: bool) -> None:
        nonlocal last_deferral
        listed = {ds.id: ds for ds in datasets}
        tasks = [asyncio.create_task(one(ds, last_pass)) for ds in datasets]
        try:
            for finished in asyncio.as_completed(tasks):
                outcome = await finished
                if outcome.status == DEFERRED:
                    deferred.append(listed[outcome.dataset])
                    last_deferral = time.monotonic()
                    continue
                state.save(outcome, fingerprint, listing_key)
                result.add(outcome, second_pass=last_pass)
                bar.update()
                bar.set_postfix(
                    {k: result.statuses.get(k, 0) for k in ("kept", "skipped", "failed")}, refresh=False
                )
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    try:
        await run_pass(todo, last_pass=False)
        if deferred:
            result.deferred = len(deferred)
            await asyncio.sleep(max(0.0, last_deferral + options.retry.not_ready_wait - time.monotonic()))
            await run_pass(sorted(deferred, key=lambda ds: ds.id), last_pass=True)
    finally:
        bar.close()


def _plan(
    listing: Listing, state: CrawlState, options: CrawlOptions
) -> tuple[list[ListedDataset], list[str]]:
    """(datasets to crawl, ids unchanged since their last crawl)."""
    entries = state.entries()
    fingerprint = options.fingerprint()
    todo, unchanged = [], []
    # A recording must hold every answer the outputs depend on, so it re-reads unchanged datasets.
    everything = options.full or options.record_dir is not None
    for ds in listing.datasets:
        if everything or state.needs_crawl(entries.get(ds.id), ds.sha, fingerprint):
            todo.append(ds)
        else:
            unchanged.append(ds.id)
    return todo, unchanged


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
        transport=PacedTransport(core, httpx.HTTPTransport(verify=tls, limits=limits)),
        timeout=options.timeout,
    )
    headers = {"authorization": f"Bearer {options.token}"} if options.token else {}
    executor = ThreadPoolExecutor(max_workers=options.concurrency, thread_name_prefix="hub")
    state = CrawlState(data_dir / STATE_FILE)
    key = options.query.key
    try:
        async with httpx.AsyncClient(
            base_url=options.viewer_endpoint.rstrip("/"),
            transport=AsyncPacedTransport(core, httpx.AsyncHTTPTransport(verify=tls, limits=limits)),
            headers=headers,
            timeout=options.timeout,
            follow_redirects=True,
        ) as client:
            with hub.session():
                loop = asyncio.get_running_loop()
                listing = await loop.run_in_executor(executor, hub.list, options.query)
                result.listed, result.complete, result.listing_error = (
                    len(listing.datasets),
                    listing.complete,
                    listing.error,
                )
                todo, unchanged = _plan(listing, state, options)
                result.unchanged = len(unchanged)
                state.mark_seen(unchanged, key)
                if listing.complete:
                    listed_ids = {ds.id for ds in listing.datasets}
                    result.removed = state.remove_vanished(listed_ids, key, options.query.whole_hub)
                origin = watcher.origin(options.hub_endpoint)
                if recorder is not None:
                    recorder.snapshot.write_origin(origin)
                crawler = DatasetCrawler(hub, ViewerClient(client), options, executor, origin)
                await _crawl_all(crawler, todo, state, options, key, result)
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
    """Synchronous entry point."""
    return asyncio.run(crawl_async(options))
