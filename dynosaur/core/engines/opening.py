"""Opening an engine for a run: the registered engine, the Batch API runner when asked, the response
cache in front. Every command goes through ``open_engine``; none builds an engine or a cache itself.

    with open_engine(options, data_dir) as engine:
        summary = propose(data_dir, engine, ...)

The layers, inside out: the engine ``options.engine`` names (its own ``from_options``), then
``BatchEngine`` when ``options.batch`` asks for the Batch API, then ``CachedEngine`` over
``options.cache`` (default ``data_dir/llm_cache.sqlite``) unless ``options.use_cache`` is off.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from dynosaur.contracts.artifacts import RESPONSE_CACHE_FILE
from dynosaur.core.cache import CachedEngine, ResponseCache
from dynosaur.core.engines import Engine, EngineOptions, open_engine_by_name, require_capability
from dynosaur.core.errors import ConfigError


class OpenedEngine:
    """An opened engine and the response cache it owns; a context manager whose ``with`` value is
    the engine, and that closes the cache on leaving (the stages close the engine itself)."""

    def __init__(self, engine: Engine, cache: ResponseCache | None) -> None:
        self.engine = engine
        self.cache = cache

    def __enter__(self) -> Engine:
        return self.engine

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the response cache (a closed cache may be closed again)."""
        if self.cache is not None:
            self.cache.close()


def cache_path(options: EngineOptions, data_dir: str | Path | None) -> Path | None:
    """Where the response cache of ``options`` lives; ``None`` without one."""
    if not options.use_cache:
        return None
    if options.cache is not None:
        return Path(options.cache)
    if data_dir is None:
        raise ConfigError("a response cache needs a data folder or an explicit cache path")
    return Path(data_dir) / RESPONSE_CACHE_FILE


def _batched(engine: Engine, options: EngineOptions) -> Engine:
    batch = options.batch
    if batch is None:
        return engine
    # imported here: only a batch run loads the openai client for it
    from dynosaur.core.engines.batch import BatchEngine, BatchSettings
    from dynosaur.core.engines.openai import OpenAIEngine

    if not isinstance(engine, OpenAIEngine):
        raise ConfigError(
            "`batch`, `batch_file_only` and `batch_results` need `engine` openai",
            mentions=("batch", "batch_file_only", "batch_results", "engine"),
        )
    settings = BatchSettings(
        submit=batch.submit,
        file_only=Path(batch.file_only) if batch.file_only is not None else None,
        results=tuple(Path(p) for p in batch.results),
        poll_initial=batch.poll_seconds,
        progress=batch.progress,
    )
    return BatchEngine(engine, settings)


def open_engine(
    options: EngineOptions,
    data_dir: str | Path | None = None,
    *,
    needs: tuple[str, str] | None = None,
) -> OpenedEngine:
    """The engine ``options`` describe, behind the Batch API runner and the response cache as they
    ask; a ``ConfigError`` or ``OptionError`` (naming the field) when it cannot be opened.

    ``needs`` is a capability and what needs it (``("chat", "Self-Instruct")``): an engine without
    it is refused with ``UnsupportedRequest`` before the cache file is created."""
    engine = _batched(open_engine_by_name(options.engine, options), options)
    if needs is not None:
        require_capability(engine, *needs)
    path = cache_path(options, data_dir)
    if path is None:
        return OpenedEngine(engine, None)
    cache = ResponseCache(path)
    return OpenedEngine(CachedEngine(engine, cache), cache)


@contextmanager
def cached(engine: Engine, path: str | Path | None) -> Iterator[Engine]:
    """``engine`` behind the response cache at ``path`` for the ``with`` block: as it is when
    ``path`` is ``None`` or the engine is cached already (then its own cache answers)."""
    if path is None or isinstance(engine, CachedEngine):
        yield engine
        return
    cache = ResponseCache(path)
    try:
        yield CachedEngine(engine, cache)
    finally:
        cache.close()
