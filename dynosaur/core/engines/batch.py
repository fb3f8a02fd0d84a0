"""Batch mode: a run's uncached requests go through the OpenAI Batch API, at half the price.

``BatchEngine`` wraps the ``openai`` engine (under the response cache, so only cache misses reach
it) and has the same interface, so every command that calls an engine can run in batch mode
unchanged. Requests that arrive together (a stage sends its requests at once, and a short gather
window closes the group) become one Batch API input file: JSONL lines whose ``custom_id`` is the
request's cache key, split beyond 50,000 requests or 200 MB per file. Each file is uploaded, a
batch is created over it (``completion_window`` 24h) and polled with backoff and a progress bar;
its output and error files then answer the waiting requests. A line that failed in the batch
(an error status, an expired or cancelled batch) is retried as a normal call.

The ids of submitted batches are kept next to the response cache (``llm_batches.json``, written
atomically before the first poll), so a killed or interrupted run resumes polling the same
batch instead of submitting it again; a batch is forgotten once its answers were handed out and
the run closed the engine. ``file_only`` writes the input files to a folder without uploading
them (the same JSONL feeds vLLM's offline batch runner), and ``results`` reads result files
(the Batch API's or vLLM's output format) back in. Batch calls are priced at the batch rate.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openai
from tqdm import tqdm

from dynosaur.contracts.artifacts import BATCH_STATE_FILE
from dynosaur.core.cache import cache_key
from dynosaur.core.engines.base import BudgetExceeded, ChatRequest, Completion, EngineError
from dynosaur.core.engines.openai import OpenAIEngine, is_transient
from dynosaur.core.errors import BadArtifact, MissingInput
from dynosaur.core.io import atomic_write_json, atomic_write_text

ENDPOINT = "/v1/chat/completions"  # also spelt out in the batches.create call, which wants literals
MAX_REQUESTS_PER_FILE = 50_000  # the Batch API's limits per input file
MAX_BYTES_PER_FILE = 200 * 1024 * 1024
TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})
_MAX_POLL_ERRORS = 10  # consecutive failed polls before a group gives up on its batch


@dataclass
class BatchSettings:
    """How batch mode runs."""

    submit: bool = True  # upload the files and create batches (False: no Batch API calls)
    file_only: Path | None = None  # write the input files here instead of uploading them
    results: tuple[Path, ...] = ()  # result files to read answers from first
    state_path: Path | None = None  # default: llm_batches.json beside the response cache
    poll_initial: float = 5.0
    poll_max: float = 60.0
    gather_window: float = 0.2  # seconds without a new request that close a group
    max_requests_per_file: int = MAX_REQUESTS_PER_FILE
    max_bytes_per_file: int = MAX_BYTES_PER_FILE
    progress: bool = True
    log: Callable[[str], None] | None = None  # default: stderr while progress is shown


def batch_line(custom_id: str, body: Mapping[str, Any]) -> str:
    """One line of a Batch API input file."""
    line = {"custom_id": custom_id, "method": "POST", "url": ENDPOINT, "body": dict(body)}
    return json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n"


def split_lines(lines: list[str], max_requests: int, max_bytes: int) -> list[list[str]]:
    """Lines grouped into files of at most ``max_requests`` lines and ``max_bytes`` bytes."""
    files: list[list[str]] = []
    current: list[str] = []
    size = 0
    for line in lines:
        length = len(line.encode("utf-8"))
        if length > max_bytes:
            raise EngineError(
                f"one batch request is {length:,} bytes, over the {max_bytes:,}-byte file limit"
            )
        if current and (len(current) >= max_requests or size + length > max_bytes):
            files.append(current)
            current, size = [], 0
        current.append(line)
        size += length
    if current:
        files.append(current)
    return files


def read_results(text: str, where: str = "result file") -> dict[str, dict[str, Any]]:
    """custom_id -> result line, from Batch API output / error files (or vLLM's output)."""
    results: dict[str, dict[str, Any]] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise EngineError(f"{where} line {number} is not JSON: {exc}") from None
        if not isinstance(line, dict) or not isinstance(line.get("custom_id"), str):
            raise EngineError(f"{where} line {number} has no custom_id")
        results[line["custom_id"]] = line
    return results


def _answer_body(line: Mapping[str, Any]) -> dict[str, Any] | None:
    """The chat completion of a result line, or None when the line is an error."""
    response = line.get("response")
    if line.get("error") or not isinstance(response, dict):
        return None
    if response.get("status_code", 200) != 200 or not isinstance(response.get("body"), dict):
        return None
    return response["body"]


def _line_error(line: Mapping[str, Any] | None) -> str:
    if line is None:
        return "no result for this request"
    error = line.get("error")
    if isinstance(error, dict):
        return f"{error.get('code') or 'error'}: {error.get('message') or ''}".strip()
    response = line.get("response") or {}
    body = response.get("body") if isinstance(response, dict) else None
    message = (body or {}).get("error", {}).get("message") if isinstance(body, dict) else None
    return f"HTTP {response.get('status_code')}: {message or 'error'}"


class BatchState:
    """The batches submitted and not yet consumed, in a small JSON file (ids only, no secrets)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.batches: list[dict[str, Any]] = []
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise EngineError(
                    f"{path} is not valid JSON ({exc}); remove it to forget its batches"
                ) from None
            self.batches = [b for b in data.get("batches", []) if isinstance(b, dict) and "id" in b]

    def for_scope(self, scope: str) -> list[dict[str, Any]]:
        return [b for b in self.batches if b.get("scope") == scope]

    def add(self, entry: dict[str, Any]) -> None:
        self.batches.append(entry)
        self._save()

    def remove(self, batch_ids: Iterable[str]) -> None:
        gone = set(batch_ids)
        if gone:
            self.batches = [b for b in self.batches if b["id"] not in gone]
            self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(self.path, {"batches": self.batches})


@dataclass
class _Pending:
    request: ChatRequest
    futures: list[asyncio.Future[Completion]] = field(default_factory=list)


class BatchEngine:
    """The ``openai`` engine, asked through the Batch API; same interface as any engine."""

    def __init__(self, engine: OpenAIEngine, settings: BatchSettings | None = None) -> None:
        self.engine = engine
        self.settings = settings or BatchSettings()
        self.name = engine.name
        self.model = engine.model
        self.capabilities = engine.capabilities
        # a stage sends as many requests at once as the engine takes: a whole file's worth
        self.concurrency = self.settings.max_requests_per_file
        self.stats = None
        self.submitted = 0  # batches created by this run
        self.resumed = 0  # batches of an earlier run polled again
        self.retried_normally = 0  # requests a batch did not answer, made as normal calls
        self.written: list[Path] = []  # input files written (file_only)
        self._state: BatchState | None = None
        self._results: dict[str, dict[str, Any]] = {}
        for path in self.settings.results:
            self._read_result_file(path)
        self._pending: dict[str, _Pending] = {}
        self._flusher: asyncio.Task[None] | None = None
        self._groups: set[asyncio.Task[None]] = set()
        self._consumed: set[str] = set()  # batch ids whose answers were handed out

    def batch_report(self) -> dict[str, Any]:
        """What batch mode did this run (for a stage's summary)."""
        return {
            "batch_calls": self.engine.usage.batch_calls,
            "batches_submitted": self.submitted,
            "batches_resumed": self.resumed,
            "retried_as_normal_calls": self.retried_normally,
            "files_written": [str(p) for p in self.written],
        }

    # -- delegated to the wrapped engine --

    @property
    def usage(self) -> Any:
        return self.engine.usage

    @property
    def price(self) -> Any:
        return self.engine.price

    @property
    def price_local(self) -> bool:
        return self.engine.price_local

    @property
    def format_known(self) -> bool:
        return self.engine.format_known

    @property
    def response_format(self) -> str:
        return self.engine.response_format

    @property
    def server_scope(self) -> str:
        return self.engine.server_scope

    def server_facts(self) -> dict[str, Any]:
        return self.engine.server_facts()

    def restore_server_facts(self, facts: Mapping[str, Any]) -> None:
        self.engine.restore_server_facts(facts)

    def attach_cache(self, cache: Any) -> None:
        """Keep the batch ids beside the response cache (called by ``CachedEngine``)."""
        if self.settings.state_path is None:
            self.settings.state_path = Path(cache.path).parent / BATCH_STATE_FILE

    # -- the engine interface --

    async def complete(self, request: ChatRequest) -> Completion:
        key = cache_key(self.name, self.model, request)
        if key in self._results:
            return await self._answer(key, request, self._results[key], reserved=0.0)
        if not self.settings.submit and self.settings.file_only is None:
            return await self.engine.complete(request)  # results-only mode: the rest as normal calls
        future: asyncio.Future[Completion] = asyncio.get_running_loop().create_future()
        self._pending.setdefault(key, _Pending(request)).futures.append(future)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._gather_then_flush())
        return await future

    async def aclose(self) -> None:
        for task in list(self._groups):
            task.cancel()
        if self._consumed and self._state is not None:
            self._state.remove(self._consumed)
            self._consumed.clear()
        await self.engine.aclose()

    # -- groups --

    async def _gather_then_flush(self) -> None:
        while True:
            seen = len(self._pending)
            await asyncio.sleep(self.settings.gather_window)
            if len(self._pending) == seen:
                break
        group, self._pending = self._pending, {}
        task = asyncio.create_task(self._run_group(group))
        self._groups.add(task)
        task.add_done_callback(self._groups.discard)

    async def _run_group(self, group: dict[str, _Pending]) -> None:
        try:
            await self._serve(group)
        except BaseException as exc:  # every waiting request hears why, none hangs
            for pending in group.values():
                for future in pending.futures:
                    if not future.done():
                        if isinstance(exc, asyncio.CancelledError):
                            future.cancel()
                        else:
                            future.set_exception(exc)
            if isinstance(exc, asyncio.CancelledError):
                raise

    async def _serve(self, group: dict[str, _Pending]) -> None:
        if self.settings.file_only is not None:
            self._write_files(group)
            return
        state = self._load_state()
        batches: dict[str, list[str]] = {}  # batch id -> the group's keys it answers
        reserved: dict[str, float] = {}
        for entry in state.for_scope(self.server_scope):
            mine = [key for key in entry.get("custom_ids", []) if key in group]
            if mine:
                batches[entry["id"]] = mine
                self.resumed += 1
                self._say(
                    f"batch {entry['id']}: resuming ({len(mine)} requests, submitted by an earlier run)"
                )
        resumed = {key for keys in batches.values() for key in keys}
        fresh = [key for key in group if key not in resumed]
        if fresh:
            fresh = self._reserve(fresh, group, reserved)
            for batch_id, keys in await self._submit(fresh, group, state):
                batches[batch_id] = keys
        await asyncio.gather(
            *(self._finish_batch(bid, keys, group, reserved) for bid, keys in batches.items())
        )

    def _reserve(self, keys: list[str], group: dict[str, _Pending], reserved: dict[str, float]) -> list[str]:
        budget = self.engine.budget
        if budget is None:
            return keys
        fitting = []
        for key in keys:
            try:
                reserved[key] = budget.reserve(self.engine.worst_case_cost(group[key].request, batch=True))
            except BudgetExceeded as exc:
                for future in group[key].futures:
                    future.set_exception(BudgetExceeded(str(exc)))
            else:
                fitting.append(key)
        return fitting

    def _lines(self, keys: list[str], group: dict[str, _Pending]) -> list[list[str]]:
        lines = [batch_line(key, self.engine.request_body(group[key].request)) for key in keys]
        return split_lines(lines, self.settings.max_requests_per_file, self.settings.max_bytes_per_file)

    def _write_files(self, group: dict[str, _Pending]) -> None:
        folder = self.settings.file_only
        assert folder is not None
        folder.mkdir(parents=True, exist_ok=True)
        keys = sorted(group)
        start = len(self.written)
        for number, chunk in enumerate(self._lines(keys, group), start + 1):
            path = folder / f"requests-{number:04d}.jsonl"
            atomic_write_text(path, "".join(chunk))
            self.written.append(path)
        where = ", ".join(str(p) for p in self.written[start:])
        for pending in group.values():
            for future in pending.futures:
                future.set_exception(
                    EngineError(
                        f"written to {where} for a batch run; read its results back with batch_results",
                        mentions=("batch_results",),
                    )
                )

    async def _submit(
        self, keys: list[str], group: dict[str, _Pending], state: BatchState
    ) -> list[tuple[str, list[str]]]:
        client = self.engine.client()
        created = []
        offset = 0
        for chunk in self._lines(keys, group):
            chunk_keys = keys[offset : offset + len(chunk)]
            offset += len(chunk)
            data = "".join(chunk).encode("utf-8")
            try:
                uploaded = await client.files.create(
                    file=("dynosaur-requests.jsonl", data, "application/jsonl"), purpose="batch"
                )
                batch = await client.batches.create(
                    input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
                )
            except openai.APIError as exc:
                raise EngineError(f"the Batch API refused the batch: {_api_error(exc)}") from None
            state.add(
                {
                    "id": batch.id,
                    "input_file_id": uploaded.id,
                    "scope": self.server_scope,
                    "custom_ids": chunk_keys,
                    "created": time.time(),
                }
            )
            self.submitted += 1
            self._say(f"batch {batch.id}: submitted {len(chunk_keys)} requests (a killed run resumes it)")
            created.append((batch.id, chunk_keys))
        return created

    async def _finish_batch(
        self, batch_id: str, keys: list[str], group: dict[str, _Pending], reserved: dict[str, float]
    ) -> None:
        batch = await self._poll(batch_id, len(keys))
        results: dict[str, dict[str, Any]] = {}
        for file_id in (batch.output_file_id, batch.error_file_id):
            if file_id:
                results.update(
                    read_results(await self._download(file_id), f"batch {batch_id} file {file_id}")
                )
        if batch.status != "completed":
            self._say(
                f"batch {batch_id}: {batch.status}; requests without an answer are made as normal calls"
            )
        self._results.update(results)
        self._consumed.add(batch_id)
        await asyncio.gather(
            *(self._resolve(key, group[key], results.get(key), reserved.get(key, 0.0)) for key in keys)
        )

    async def _poll(self, batch_id: str, requests: int) -> Any:
        client = self.engine.client()
        wait = self.settings.poll_initial
        errors = 0
        with tqdm(
            total=requests, desc=f"batch {batch_id}", unit="req", disable=not self.settings.progress
        ) as bar:
            while True:
                try:
                    batch = await client.batches.retrieve(batch_id)
                except openai.APIError as exc:
                    errors += 1
                    if not is_transient(exc) or errors >= _MAX_POLL_ERRORS:
                        raise EngineError(
                            f"batch {batch_id} could not be polled: {_api_error(exc)}"
                        ) from None
                else:
                    errors = 0
                    counts = batch.request_counts
                    if counts is not None:
                        bar.update(max(0, counts.completed + counts.failed - bar.n))
                    if batch.status in TERMINAL:
                        return batch
                await asyncio.sleep(wait)
                wait = min(self.settings.poll_max, wait * 1.5)

    async def _download(self, file_id: str) -> str:
        try:
            content = await self.engine.client().files.content(file_id)
        except openai.APIError as exc:
            raise EngineError(f"batch result file {file_id} could not be read: {_api_error(exc)}") from None
        return content.text

    async def _resolve(
        self, key: str, pending: _Pending, line: dict[str, Any] | None, reserved: float
    ) -> None:
        try:
            completion = await self._answer(key, pending.request, line, reserved)
        except BaseException as exc:
            for future in pending.futures:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
        else:
            for future in pending.futures:
                if not future.done():
                    future.set_result(completion)

    async def _answer(
        self, key: str, request: ChatRequest, line: Mapping[str, Any] | None, reserved: float
    ) -> Completion:
        body = _answer_body(line) if line is not None else None
        budget = self.engine.budget
        if body is None:
            if budget is not None:
                budget.settle(reserved, 0.0)
            self.retried_normally += 1
            self._say(f"request {key[:12]}: {_line_error(line)}; made as a normal call")
            return await self.engine.complete(request)
        completion = self.engine.completion_from_body(body, request)
        cost = self.engine.cost_of(completion, batch=True)
        if budget is not None:
            budget.settle(reserved, cost)
        self.engine.account(completion, cost, batch=True)
        self._results.pop(key, None)  # handed out once; a repeated request is a new one
        return completion

    # -- helpers --

    def _load_state(self) -> BatchState:
        if self._state is None:
            path = self.settings.state_path or Path(BATCH_STATE_FILE)
            self._state = BatchState(path)
        return self._state

    def _read_result_file(self, path: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise MissingInput(f"batch results {path}: {exc.strerror or exc}") from None
        try:
            self._results.update(read_results(text, str(path)))
        except EngineError as exc:
            raise BadArtifact(str(exc)) from None

    def _say(self, text: str) -> None:
        log = self.settings.log
        if log is not None:
            log(text)
        elif self.settings.progress:
            print(text, file=sys.stderr)


def _api_error(exc: openai.APIError) -> str:
    if isinstance(exc, openai.APIStatusError):
        body = exc.body if isinstance(exc.body, dict) else {}
        return f"HTTP {exc.status_code}: {body.get('message') or exc.message}"
    return f"{type(exc).__name__}: {exc.message}"
