"""The response cache: same request, no second engine call; any difference, a new key."""

from __future__ import annotations

import asyncio

from dynosaur.core.cache import CachedEngine, ResponseCache, cache_key
from dynosaur.core.engines import ChatRequest, Completion, GenerationParams


class CountingEngine:
    name = "counting"
    model = "m1"
    capabilities = frozenset({"chat"})

    def __init__(self) -> None:
        self.calls = 0

    async def complete(self, request: ChatRequest) -> Completion:
        self.calls += 1
        return Completion(text=f"answer {self.calls}", model=self.model, prompt_tokens=3, completion_tokens=2)

    async def aclose(self) -> None:
        pass


def _request(text: str, temperature: float = 0.0) -> ChatRequest:
    return ChatRequest.of([{"role": "user", "content": text}], GenerationParams(temperature=temperature))


def test_second_identical_request_is_served_from_cache(tmp_path):
    engine = CountingEngine()
    cached = CachedEngine(engine, ResponseCache(tmp_path / "cache.sqlite"))
    first = asyncio.run(cached.complete(_request("hello")))
    second = asyncio.run(cached.complete(_request("hello")))
    assert engine.calls == 1
    assert second.text == first.text == "answer 1"
    assert second.cached and not first.cached
    assert second.cache_key == first.cache_key
    assert (cached.stats.hits, cached.stats.misses) == (1, 1)


def test_cache_survives_reopening(tmp_path):
    path = tmp_path / "cache.sqlite"
    asyncio.run(CachedEngine(CountingEngine(), ResponseCache(path)).complete(_request("persist")))
    engine = CountingEngine()
    hit = asyncio.run(CachedEngine(engine, ResponseCache(path)).complete(_request("persist")))
    assert engine.calls == 0
    assert hit.prompt_tokens == 3 and hit.completion_tokens == 2


def test_key_changes_with_messages_params_model_and_engine():
    base = cache_key("e", "m", _request("a"))
    assert cache_key("e", "m", _request("a")) == base
    assert cache_key("e", "m", _request("b")) != base
    assert cache_key("e", "m", _request("a", temperature=0.7)) != base
    assert cache_key("e", "m2", _request("a")) != base
    assert cache_key("e2", "m", _request("a")) != base
