"""The openai engine against a loopback OpenAI-compatible server the test scripts."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from dynosaur.core.engines import (
    BudgetExceeded,
    ChatRequest,
    EngineError,
    GenerationParams,
    create_engine,
)
from dynosaur.core.engines.openai import retry_after_seconds
from tests.support.openai_server import Reply, ScriptedOpenAIServer

SCHEMA = {"name": "tasks", "schema": {"type": "object", "properties": {"tasks": {"type": "array"}}}}
SECRET = "sk-test-DO-NOT-LEAK-1234"


def _engine(server: ScriptedOpenAIServer, **options):
    options.setdefault("retry_wait_initial", 0.01)
    options.setdefault("api_key", SECRET)
    return create_engine("openai", base_url=server.base_url, **options)


def _request(text: str = "Propose tasks.", **params) -> ChatRequest:
    return ChatRequest.of([{"role": "user", "content": text}], GenerationParams(**params))


def _complete(engine, request: ChatRequest):
    async def go():
        try:
            return await engine.complete(request)
        finally:
            await engine.aclose()

    return asyncio.run(go())


def _script(*replies: Reply):
    """A responder that plays ``replies`` in order, then repeats the last one."""
    queue = list(replies)

    def respond(body):
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return respond


def test_answer_text_tokens_and_cost_are_reported():
    reply = Reply(content='{"tasks": []}', prompt_tokens=1000, completion_tokens=200)
    with ScriptedOpenAIServer(_script(reply)) as server:
        engine = _engine(server, model="gpt-4o-mini")
        completion = _complete(engine, _request())
    assert completion.text == '{"tasks": []}'
    assert completion.finish_reason == "stop"
    assert (completion.prompt_tokens, completion.completion_tokens) == (1000, 200)
    assert engine.usage.calls == 1
    assert engine.usage.cost_usd == pytest.approx((1000 * 0.15 + 200 * 0.60) / 1e6)


def test_rate_limit_waits_at_least_the_retry_after_the_server_asked():
    seen: list[float] = []

    def respond(body):
        seen.append(time.monotonic())
        if len(seen) == 1:
            return Reply(status=429, headers={"retry-after-ms": "300"})
        return Reply(content="ok")

    with ScriptedOpenAIServer(respond) as server:
        engine = _engine(server)
        completion = _complete(engine, _request())
    assert completion.text == "ok"
    assert server.calls == 2
    assert seen[1] - seen[0] >= 0.3
    assert engine.usage.retries == 1


def test_retry_after_in_seconds_and_http_dates_are_understood():
    class Response:
        def __init__(self, headers):
            self.headers = headers

    class Failure(Exception):
        def __init__(self, headers):
            self.response = Response(headers)

    assert retry_after_seconds(Failure({"retry-after": "7"})) == 7.0
    assert retry_after_seconds(Failure({"retry-after-ms": "250", "retry-after": "9"})) == 0.25
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
    assert 25 <= retry_after_seconds(Failure({"retry-after": date})) <= 31
    assert retry_after_seconds(Failure({})) is None


def test_retry_after_longer_than_the_cap_is_capped():
    seen: list[float] = []

    def respond(body):
        seen.append(time.monotonic())
        return Reply(status=429, headers={"retry-after": "3600"}) if len(seen) == 1 else Reply(content="ok")

    with ScriptedOpenAIServer(respond) as server:
        completion = _complete(_engine(server, max_retry_wait=0.05), _request())
    assert completion.text == "ok"
    assert seen[1] - seen[0] < 60


def test_server_errors_are_retried_until_an_answer_comes():
    with ScriptedOpenAIServer(_script(Reply(status=500), Reply(status=502), Reply(content="fine"))) as server:
        engine = _engine(server)
        completion = _complete(engine, _request())
    assert completion.text == "fine"
    assert server.calls == 3
    assert engine.usage.retries == 2


def test_persistent_server_errors_end_in_engine_error_after_the_retries():
    with ScriptedOpenAIServer(_script(Reply(status=503))) as server:
        engine = _engine(server, max_retries=2)
        with pytest.raises(EngineError, match="after 3 attempt"):
            _complete(engine, _request())
    assert server.calls == 3
    assert engine.usage.failures == 1 and engine.usage.calls == 0


def test_a_slow_server_times_out_and_is_retried():
    with ScriptedOpenAIServer(_script(Reply(content="late", delay=1.0), Reply(content="quick"))) as server:
        completion = _complete(_engine(server, timeout=0.2), _request())
    assert completion.text == "quick"
    assert server.calls == 2


def test_a_server_that_always_times_out_gives_engine_error():
    with (
        ScriptedOpenAIServer(_script(Reply(content="late", delay=0.6))) as server,
        pytest.raises(EngineError, match="timed out"),
    ):
        _complete(_engine(server, timeout=0.2, max_retries=1), _request())


def test_bad_request_is_not_retried():
    bad = Reply(
        status=400, raw_body={"error": {"message": "messages too long", "type": "invalid_request_error"}}
    )
    with (
        ScriptedOpenAIServer(_script(bad)) as server,
        pytest.raises(EngineError, match="HTTP 400: messages too long"),
    ):
        _complete(_engine(server), _request())
    assert server.calls == 1


def test_cut_off_answer_keeps_finish_reason_length():
    with ScriptedOpenAIServer(
        _script(Reply(content='[{"instruction": "Summ', finish_reason="length"))
    ) as server:
        completion = _complete(_engine(server), _request())
    assert completion.finish_reason == "length"
    assert completion.text == '[{"instruction": "Summ'


def test_json_schema_is_sent_when_the_request_has_one():
    with ScriptedOpenAIServer(_script(Reply(content='{"tasks": []}'))) as server:
        _complete(_engine(server), _request(json_schema=SCHEMA))
    assert server.requests[0]["response_format"] == {"type": "json_schema", "json_schema": SCHEMA}


def test_server_rejecting_json_schema_falls_back_to_json_object_and_remembers():
    def respond(body):
        if body.get("response_format", {}).get("type") == "json_schema":
            return Reply(
                status=400, raw_body={"error": {"message": "response_format json_schema unsupported"}}
            )
        return Reply(content='{"tasks": []}')

    with ScriptedOpenAIServer(respond) as server:
        engine = _engine(server)

        async def two():
            first = await engine.complete(_request("one", json_schema=SCHEMA))
            second = await engine.complete(_request("two", json_schema=SCHEMA))
            await engine.aclose()
            return first, second

        first, second = asyncio.run(two())
    formats = [body.get("response_format", {}).get("type") for body in server.requests]
    assert formats == ["json_schema", "json_object", "json_object"]
    assert first.text == second.text == '{"tasks": []}'
    assert engine.response_format == "json_object+schema"
    assert server.requests[1]["response_format"]["schema"] == SCHEMA["schema"]


def test_server_rejecting_any_response_format_gets_plain_requests():
    def respond(body):
        if "response_format" in body:
            return Reply(status=400, raw_body={"error": {"message": "unknown field response_format"}})
        return Reply(content="[]")

    with ScriptedOpenAIServer(respond) as server:
        engine = _engine(server)
        assert _complete(engine, _request(json_schema=SCHEMA)).text == "[]"
    assert [("response_format" in body) for body in server.requests] == [True, True, True, False]
    assert engine.response_format == "text"


def test_model_that_refuses_max_tokens_gets_max_completion_tokens():
    def respond(body):
        if "max_tokens" in body:
            return Reply(
                status=400,
                raw_body={
                    "error": {
                        "message": "Unsupported parameter: 'max_tokens'. Use 'max_completion_tokens' instead."
                    }
                },
            )
        return Reply(content="ok")

    with ScriptedOpenAIServer(respond) as server:
        assert _complete(_engine(server), _request(max_tokens=77)).text == "ok"
    assert server.requests[-1]["max_completion_tokens"] == 77


def test_budget_stops_before_a_call_that_could_exceed_it():
    with ScriptedOpenAIServer(_script(Reply(content="ok", prompt_tokens=10, completion_tokens=10))) as server:
        # gpt-4o: $2.50 / $10 per 1M; worst case of one call ≈ 100 prompt + 1000 answer tokens ≈ $0.01025
        engine = _engine(server, model="gpt-4o", budget_usd=0.015)

        async def run():
            done = [await engine.complete(_request("x" * 400, max_tokens=1000))]
            engine.budget.spent_usd = 0.006  # as if earlier calls had spent more
            with pytest.raises(BudgetExceeded, match="budget"):
                await engine.complete(_request("y" * 400, max_tokens=1000))
            await engine.aclose()
            return done

        done = asyncio.run(run())
    assert len(done) == 1
    assert server.calls == 1  # the refused call never reached the server


def test_budget_with_an_unpriced_model_is_refused_at_start():
    with pytest.raises(ValueError, match="price"):
        create_engine("openai", model="my-local-llama", base_url="http://127.0.0.1:9/v1", budget_usd=1.0)


def test_price_file_makes_a_local_model_budgetable(tmp_path):
    prices = tmp_path / "prices.json"
    prices.write_text('{"my-local-llama": {"input": 0.0, "output": 0.0}}')
    engine = create_engine(
        "openai", model="my-local-llama", base_url="http://127.0.0.1:9/v1", budget_usd=0.0, prices=str(prices)
    )
    assert engine.price.input == 0.0


def test_dated_model_name_takes_its_family_price():
    engine = create_engine("openai", model="gpt-4o-mini-2024-07-18", base_url="http://127.0.0.1:9/v1")
    assert (engine.price.input, engine.price.output) == (0.15, 0.60)


def test_api_key_is_sent_but_never_appears_in_errors():
    bad = Reply(status=401, raw_body={"error": {"message": f"Incorrect API key provided: {SECRET}"}})
    with ScriptedOpenAIServer(_script(bad)) as server:
        engine = _engine(server)
        with pytest.raises(EngineError) as info:
            _complete(engine, _request())
    assert server.requests[0]["_headers"]["authorization"] == f"Bearer {SECRET}"
    assert SECRET not in str(info.value)
    assert SECRET not in repr(engine)


def test_concurrency_is_bounded():
    active = {"now": 0, "peak": 0}
    lock = threading.Lock()

    def respond(body):
        with lock:
            active["now"] += 1
            active["peak"] = max(active["peak"], active["now"])
        time.sleep(0.05)
        with lock:
            active["now"] -= 1
        return Reply(content="ok")

    with ScriptedOpenAIServer(respond) as server:
        engine = _engine(server, concurrency=2)

        async def many():
            answers = await asyncio.gather(*(engine.complete(_request(f"q{i}")) for i in range(6)))
            await engine.aclose()
            return answers

        answers = asyncio.run(many())
    assert [a.text for a in answers] == ["ok"] * 6
    assert active["peak"] <= 2


def _structured(engine, texts: list[str]) -> list[str]:
    async def go():
        try:
            done = await asyncio.gather(*(engine.complete(_request(t, json_schema=SCHEMA)) for t in texts))
        finally:
            await engine.aclose()
        return [c.text for c in done]

    return asyncio.run(go())


def test_llama_cpp_python_500_naming_response_format_steps_down_without_retrying():
    with ScriptedOpenAIServer(_script(Reply(content='{"tasks": []}')), flavor="llama-cpp-python") as server:
        engine = _engine(server, concurrency=4)
        texts = _structured(engine, [f"dataset {i}" for i in range(4)])
    assert texts == ['{"tasks": []}'] * 4
    formats = [body.get("response_format", {}).get("type") for body in server.requests]
    # one probe is refused (and not retried as a transient 500); everything after asks json_object
    assert formats == ["json_schema"] + ["json_object"] * 4
    assert all(body["response_format"]["schema"] == SCHEMA["schema"] for body in server.requests[1:])
    assert engine.response_format == "json_object+schema"
    assert engine.usage.retries == 0 and engine.usage.failures == 0


def test_a_plain_500_is_still_retried_and_not_taken_for_a_refused_format():
    with ScriptedOpenAIServer(_script(Reply(status=500), Reply(content="{}"))) as server:
        engine = _engine(server)
        assert _structured(engine, ["x"]) == ["{}"]
    formats = [body["response_format"]["type"] for body in server.requests]
    assert formats == ["json_schema", "json_schema"]
    assert engine.usage.retries == 1 and engine.response_format == "json_schema"


def test_a_400_about_something_else_does_not_step_down():
    bad = Reply(status=400, raw_body={"error": {"message": "context length exceeded"}})
    with ScriptedOpenAIServer(_script(bad)) as server:
        engine = _engine(server)
        with pytest.raises(EngineError, match="context length"):
            _structured(engine, ["x"])
    assert server.calls == 1
    assert engine.format_known is False and engine.response_format == "json_schema"


def test_the_accepted_format_is_remembered_in_the_cache_per_server_and_model(tmp_path):
    from dynosaur.core.cache import CachedEngine, ResponseCache

    path = tmp_path / "cache.sqlite"
    with ScriptedOpenAIServer(_script(Reply(content="{}")), flavor="llama-cpp-python") as server:
        cache = ResponseCache(path)
        _structured(CachedEngine(_engine(server, model="small"), cache), ["first"])
        cache.close()
        assert server.calls == 2  # the probe, then json_object with the schema
        cache = ResponseCache(path)
        again = _engine(server, model="small")
        _structured(CachedEngine(again, cache), ["second"])
        other_model = _engine(server, model="other")
        _structured(CachedEngine(other_model, cache), ["third"])
        cache.close()
    formats = [body["response_format"]["type"] for body in server.requests]
    # the second run asks json_object straight away; another model on the server probes for itself
    assert formats == ["json_schema", "json_object", "json_object", "json_schema", "json_object"]
    assert again.response_format == "json_object+schema"
    assert SECRET not in path.read_bytes().decode("utf-8", "replace")


def test_local_servers_default_to_one_request_at_a_time_and_a_long_timeout():
    local = create_engine("openai", base_url="http://127.0.0.1:8080/v1")
    named = create_engine("openai", base_url="http://localhost:11434/v1")
    remote = create_engine("openai", base_url="https://api.example.invalid/v1", api_key="sk-x")
    assert (local.concurrency, local.timeout) == (1, 600.0)
    assert (named.concurrency, named.timeout) == (1, 600.0)
    assert (remote.concurrency, remote.timeout) == (8, 120.0)
    chosen = create_engine("openai", base_url="http://127.0.0.1:8080/v1", concurrency=3, timeout=5)
    assert (chosen.concurrency, chosen.timeout) == (3, 5)
    with pytest.raises(ValueError, match="timeout"):
        create_engine("openai", base_url="http://127.0.0.1:8080/v1", timeout=0)


def test_timeouts_are_retried_a_bounded_number_of_times_and_the_error_says_how_long():
    with ScriptedOpenAIServer(_script(Reply(content="late", delay=0.5))) as server:
        engine = _engine(server, timeout=0.15, max_retries=5, max_timeout_retries=1)
        with pytest.raises(EngineError) as caught:
            _complete(engine, _request())
    # five retries would be allowed for other errors; a saturated server is asked twice only
    assert server.calls == 2
    assert engine.usage.timeouts == 2 and engine.usage.failures == 1
    message = str(caught.value)
    assert "timed out after 0.15s" in message
    elapsed = float(message.split(" in ")[1].split("s:")[0])
    assert elapsed >= 0.3


def test_cached_prompt_tokens_are_priced_at_the_cached_rate():
    reply = Reply(content="{}", prompt_tokens=1000, cached_tokens=800, completion_tokens=200)
    with ScriptedOpenAIServer(_script(reply)) as server:
        engine = _engine(server, model="gpt-4o-mini")
        completion = _complete(engine, _request())
    assert completion.cached_tokens == 800 and engine.usage.cached_tokens == 800
    # gpt-4o-mini: $0.15 input, $0.075 cached input, $0.60 output per 1M tokens (genai-prices)
    assert engine.usage.cost_usd == pytest.approx((200 * 0.15 + 800 * 0.075 + 200 * 0.60) / 1e6)


def test_prices_come_from_the_maintained_table_and_a_price_file_overrides_them(tmp_path):
    from dynosaur.core.engines.accounting import price_for

    table = price_for("gpt-4.1-nano", base_url="https://api.openai.com/v1")
    assert (table.input, table.output, table.cached_input) == (0.1, 0.4, 0.025)
    assert price_for("gpt-4o-mini-2024-07-18").input == 0.15  # a dated name finds its model
    prices = tmp_path / "prices.json"
    prices.write_text('{"gpt-4o-mini": {"input": 1.0, "output": 2.0, "cached_input": 0.5}}')
    reply = Reply(content="{}", prompt_tokens=1000, cached_tokens=400, completion_tokens=100)
    with ScriptedOpenAIServer(_script(reply)) as server:
        engine = _engine(server, model="gpt-4o-mini", prices=str(prices), budget_usd=1.0)
        request = _request("x" * 4000, max_tokens=500)
        # the budget's worst case uses the same prices: 1,000 uncached input + 500 output tokens
        assert engine.worst_case_cost(request) == pytest.approx((1000 * 1.0 + 500 * 2.0) / 1e6)
        _complete(engine, request)
    assert engine.usage.cost_usd == pytest.approx((600 * 1.0 + 400 * 0.5 + 100 * 2.0) / 1e6)
    prices.write_text('{"gpt-4o-mini": {"input": 1.0, "output": 2.0, "cahced_input": 0.5}}')
    with pytest.raises(ValueError, match="unknown keys: cahced_input"):
        create_engine("openai", model="gpt-4o-mini", base_url="http://127.0.0.1:9/v1", prices=str(prices))


def test_a_local_model_is_not_charged_another_providers_price():
    from dynosaur.core.engines.accounting import price_for

    assert price_for("llama-3.1-8b-instant", base_url="https://api.groq.com/openai/v1") is not None
    assert price_for("llama-3.1-8b-instant", local=True) is None
    engine = create_engine("openai", model="llama-3.1-8b-instant", base_url="http://127.0.0.1:8080/v1")
    assert engine.price is None


def test_batch_calls_cost_the_batch_rate():
    from dynosaur.core.engines.accounting import Price, price_for

    table = price_for("gpt-4o-mini")
    assert table.cost(1000, 1000, batch=True) == pytest.approx(table.cost(1000, 1000) / 2)
    listed = Price(1.0, 2.0)  # no batch rate listed: half the standard one
    assert listed.cost(2000, 500, batch=True) == pytest.approx((2000 * 0.5 + 500 * 1.0) / 1e6)
