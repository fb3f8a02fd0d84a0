"""The response cache: SQLite in front of every engine.

The key is a SHA-256 over the engine name, model, messages, generation parameters and context, so
a rerun of the same command makes no engine call and an interrupted run resumes with only the
missing ones. Each answer is committed as soon as it arrives. Only answers are stored: no API key
or header ever reaches the cache.

Next to the answers the cache keeps what an engine learnt about its server (``server_facts``:
which structured-output mode a server and model accept), so that a later run does not probe
again. An engine that offers ``server_scope``, ``server_facts()`` and
``restore_server_facts(facts)`` takes part; the others are left alone.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from crawl.artifact_errors import sqlite_writing
from dynosaur.core.engines.base import DEFAULT_CONCURRENCY, CacheStats, ChatRequest, Completion, Engine

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    engine TEXT NOT NULL,
    model TEXT NOT NULL,
    request TEXT NOT NULL,
    response TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS server_facts (
    scope TEXT PRIMARY KEY,
    facts TEXT NOT NULL,
    updated REAL NOT NULL
)
"""


def cache_key(engine: str, model: str, request: ChatRequest) -> str:
    """Stable hash of everything that determines an answer."""
    payload = {"engine": engine, "model": model, **request.to_json()}
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ResponseCache:
    """A SQLite key-value store of completions (safe to share between threads of one process)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with sqlite_writing(self.path):
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)

    def get(self, key: str) -> Completion | None:
        with self._lock:
            row = self._db.execute("SELECT response FROM responses WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        return Completion.from_json(json.loads(row[0]), cache_key=key, cached=True)

    def put(self, key: str, engine: str, model: str, request: ChatRequest, completion: Completion) -> None:
        request_blob = json.dumps(request.to_json(), ensure_ascii=False, sort_keys=True)
        response_blob = json.dumps(completion.to_json(), ensure_ascii=False, sort_keys=True)
        with self._lock, sqlite_writing(self.path):
            self._db.execute(
                "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?)",
                (key, engine, model, request_blob, response_blob, time.time()),
            )

    def facts(self, scope: str) -> dict[str, Any]:
        """What was remembered about ``scope`` (a server and model); empty when nothing."""
        with self._lock:
            row = self._db.execute("SELECT facts FROM server_facts WHERE scope = ?", (scope,)).fetchone()
        if row is None:
            return {}
        try:
            facts = json.loads(row[0])
        except json.JSONDecodeError:
            return {}
        return facts if isinstance(facts, dict) else {}

    def put_facts(self, scope: str, facts: dict[str, Any]) -> None:
        """Remember ``facts`` about ``scope``, replacing what was there."""
        blob = json.dumps(facts, ensure_ascii=False, sort_keys=True)
        with self._lock, sqlite_writing(self.path):
            self._db.execute(
                "INSERT OR REPLACE INTO server_facts VALUES (?, ?, ?)", (scope, blob, time.time())
            )

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()


class CachedEngine:
    """An engine wrapped by the response cache; it has the same interface as the engine.

    ``concurrency`` and ``usage`` are the wrapped engine's (the defaults for an engine that does not
    declare them), ``stats`` the cache's; any other attribute is read from the wrapped engine, so a
    caller never needs to know whether a cache is in front.
    """

    def __init__(self, engine: Engine, cache: ResponseCache) -> None:
        self.engine = engine
        self.cache = cache
        self.stats = CacheStats()
        self.name = engine.name
        self.model = engine.model
        self.capabilities = engine.capabilities
        self.concurrency: int = getattr(engine, "concurrency", DEFAULT_CONCURRENCY)
        attach = getattr(engine, "attach_cache", None)
        if attach is not None:  # batch mode keeps its batch ids beside the cache
            attach(cache)
        self._facts_scope: str | None = getattr(engine, "server_scope", None)
        self._facts: dict[str, Any] = {}
        if self._facts_scope is not None:
            self._facts = cache.facts(self._facts_scope)
            if self._facts:
                engine.restore_server_facts(self._facts)  # type: ignore[attr-defined]

    @property
    def usage(self) -> Any:
        return getattr(self.engine, "usage", None)

    def __getattr__(self, name: str) -> Any:
        # only reached for attributes the wrapper does not have itself (price, batch_report, ...)
        if name.startswith("_") or name in ("engine", "cache", "stats"):
            raise AttributeError(name)
        return getattr(self.engine, name)

    def _remember_facts(self) -> None:
        if self._facts_scope is None:
            return
        facts = self.engine.server_facts()  # type: ignore[attr-defined]
        if facts != self._facts:
            self.cache.put_facts(self._facts_scope, facts)
            self._facts = dict(facts)

    def key_for(self, request: ChatRequest) -> str:
        return cache_key(self.engine.name, self.engine.model, request)

    async def complete(self, request: ChatRequest) -> Completion:
        key = self.key_for(request)
        hit = self.cache.get(key)
        if hit is not None:
            self.stats.hits += 1
            return hit
        self.stats.misses += 1
        try:
            completion = await self.engine.complete(request)
        finally:
            self._remember_facts()
        completion.cache_key = key
        self.cache.put(key, self.engine.name, self.engine.model, request, completion)
        return completion

    async def aclose(self) -> None:
        await self.engine.aclose()
