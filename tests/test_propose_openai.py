"""`dynosaur propose` with the openai engine against a scripted OpenAI-compatible server.

Whatever the server answers, every request ends in kept tasks, a counted rejection or a counted
failure: never a crash, never a silent drop.
"""

from __future__ import annotations

import json
import re
import threading
import time

import pytest

from dynosaur.core.cache import CachedEngine, ResponseCache
from dynosaur.core.engines import create_engine
from dynosaur.hub.propose.run import ProposeOptions, ProposeSummary, propose
from tests.support.openai_server import Reply, ScriptedOpenAIServer

STRING = {"dtype": "string", "_type": "Value"}


def _line(name: str) -> dict:
    return {
        "task_name": name,
        "dataset": name,
        "config": "default",
        "split": "train",
        "revision": "r1",
        "license": "mit",
        "website": f"https://huggingface.co/datasets/{name}",
        "languages": ["en"],
        "multilinguality": "english",
        "summary": f"Movie reviews collected for {name}.",
        "supported_task": "",
        "data_fields": "",
        "task_category": ["text-classification"],
        "task_ids": [],
        "features": {"review": STRING, "label": {"names": ["negative", "positive"], "_type": "ClassLabel"}},
        "selected_data": [
            {"review": "Loved it.", "label": "positive"},
            {"review": "Dull.", "label": "negative"},
        ],
    }


GOOD = {
    "instruction": "Is this movie review positive or negative?",
    "input_fields": ["review"],
    "output_field": ["label"],
}


def _data_dir(tmp_path, names=("org/reviews",)):
    data = tmp_path / "data"
    data.mkdir()
    with open(data / "huggingface_metadata.jsonl", "w") as handle:
        for name in names:
            handle.write(json.dumps(_line(name)) + "\n")
    return data


def _dataset_of(body) -> str:
    """The dataset a request is about (the last user turn names it)."""
    last = [m["content"] for m in body["messages"] if m["role"] == "user"][-1]
    return json.loads(re.search(r'^name: (".*")$', last, re.MULTILINE).group(1))


def _run(data, server, modes=("aware",), **engine_options):
    engine_options.setdefault("retry_wait_initial", 0.01)
    engine = create_engine("openai", base_url=server.base_url, api_key="sk-test", **engine_options)
    cache = ResponseCache(data / "llm_cache.sqlite")
    try:
        return propose(data, CachedEngine(engine, cache), ProposeOptions(modes=modes, progress=False))
    finally:
        cache.close()


def _tasks(data):
    return [json.loads(line) for line in (data / "tasks.jsonl").read_text().splitlines()]


ANSWERS = {
    "plain JSON": json.dumps({"tasks": [GOOD]}),
    "bare JSON list": json.dumps([GOOD]),
    "Python literal": repr([GOOD]),
    "prose around JSON": "Here are tasks that fit the data:\n"
    + json.dumps([GOOD])
    + "\nThey use only listed fields.",
    "fenced JSON": "```json\n" + json.dumps({"tasks": [GOOD]}, indent=2) + "\n```",
}


@pytest.mark.parametrize("answer", list(ANSWERS.values()), ids=list(ANSWERS))
def test_answer_shapes_models_give_all_end_in_a_kept_task(tmp_path, answer):
    data = _data_dir(tmp_path)
    with ScriptedOpenAIServer(lambda body: Reply(content=answer)) as server:
        summary = _run(data, server)
    (task,) = _tasks(data)
    assert task["valid"] is True
    assert (task["instruction"], task["input_fields"], task["output_field"]) == (
        GOOD["instruction"],
        ["review"],
        ["label"],
    )
    assert task["source"] == "description-aware" and task["engine"] == "openai"
    assert task["model"] == "gpt-4o-mini" and len(task["cache_key"]) == 64 and task["prompts_version"]
    assert summary.valid["aware"] == 1


def test_truncated_answer_is_a_counted_rejection(tmp_path):
    data = _data_dir(tmp_path)
    cut = '{"tasks": [{"instruction": "Is this movie review positive or neg'
    with ScriptedOpenAIServer(lambda body: Reply(content=cut, finish_reason="length")) as server:
        summary = _run(data, server)
    (task,) = _tasks(data)
    assert task["valid"] is False and task["reason"].startswith("truncated answer")
    assert summary.rejected["truncated answer"] == 1


def test_rate_limit_then_answer_keeps_the_task(tmp_path):
    data = _data_dir(tmp_path)
    replies = [Reply(status=429, headers={"retry-after-ms": "50"}), Reply(content=json.dumps([GOOD]))]
    with ScriptedOpenAIServer(lambda body: replies.pop(0)) as server:
        _run(data, server)
        assert server.calls == 2
    assert _tasks(data)[0]["valid"] is True


def test_server_errors_then_answer_keeps_the_task(tmp_path):
    data = _data_dir(tmp_path)
    replies = [Reply(status=500), Reply(status=503), Reply(content=json.dumps([GOOD]))]
    with ScriptedOpenAIServer(lambda body: replies.pop(0)) as server:
        _run(data, server)
    assert _tasks(data)[0]["valid"] is True


def test_a_timeout_is_retried_and_a_dead_dataset_is_a_counted_failure(tmp_path):
    data = _data_dir(tmp_path, names=("org/fast", "org/slow"))

    def respond(body):
        if _dataset_of(body) == "org/slow":
            return Reply(content=json.dumps([GOOD]), delay=0.6)
        return Reply(content=json.dumps([GOOD]))

    with ScriptedOpenAIServer(respond) as server:
        summary = _run(data, server, timeout=0.2, max_retries=1)
    assert [t["task_name"] for t in _tasks(data)] == ["org/fast"]
    (failure,) = summary.failures
    assert failure["task_name"] == "org/slow" and "timed out" in failure["reason"]
    report = json.loads((data / "propose_report.json").read_text())
    assert report["failures"][0]["task_name"] == "org/slow"


def test_unknown_fields_are_rejected_with_the_field_named(tmp_path):
    data = _data_dir(tmp_path)
    answer = [
        GOOD,
        {"instruction": "Guess the director.", "input_fields": ["review"], "output_field": ["director"]},
    ]
    with ScriptedOpenAIServer(lambda body: Reply(content=json.dumps(answer))) as server:
        summary = _run(data, server)
    kept, rejected = _tasks(data)
    assert kept["valid"] is True
    assert rejected["reason"] == "unknown field: 'director' is not a field of org/reviews"
    assert summary.rejected == {"unknown field": 1}


def test_server_without_json_schema_support_still_gives_tasks(tmp_path):
    data = _data_dir(tmp_path, names=("org/a", "org/b"))

    def respond(body):
        if body.get("response_format", {}).get("type") == "json_schema":
            return Reply(status=400, raw_body={"error": {"message": "json_schema is not supported"}})
        return Reply(content=json.dumps([GOOD]))

    with ScriptedOpenAIServer(respond) as server:
        engine = create_engine("openai", base_url=server.base_url, concurrency=1)
        cache = ResponseCache(data / "llm_cache.sqlite")
        propose(data, CachedEngine(engine, cache), ProposeOptions(modes=("aware",), progress=False))
        cache.close()
    assert [t["valid"] for t in _tasks(data)] == [True, True]
    formats = [body.get("response_format", {}).get("type") for body in server.requests]
    assert formats == ["json_schema", "json_object", "json_object"]  # learned once, not per call


def test_llama_cpp_python_server_gets_the_field_enum_inside_json_object_and_the_summary_says_so(tmp_path):
    data = _data_dir(tmp_path, names=("org/a", "org/b"))
    with ScriptedOpenAIServer(
        lambda body: Reply(content=json.dumps({"tasks": [GOOD]})), flavor="llama-cpp-python"
    ) as server:
        summary = _run(data, server, concurrency=2)
    assert [t["valid"] for t in _tasks(data)] == [True, True]
    assert summary.failures == [] and server.calls == 3  # one refused probe, then one call each
    schema = server.requests[-1]["response_format"]["schema"]
    item = schema["properties"]["tasks"]["items"]["properties"]["input_fields"]["items"]
    assert item["enum"] == ["review", "label"]
    assert summary.structured_output == "json_object+schema"
    assert "structured output json_object+schema" in summary.render()
    report = json.loads((data / "propose_report.json").read_text())
    assert report["structured_output"] == "json_object+schema"


def test_request_carries_the_schema_restricted_to_the_dataset_fields(tmp_path):
    data = _data_dir(tmp_path)
    with ScriptedOpenAIServer(lambda body: Reply(content=json.dumps([GOOD]))) as server:
        _run(data, server)
    schema = server.requests[0]["response_format"]["json_schema"]["schema"]
    item = schema["properties"]["tasks"]["items"]["properties"]["output_field"]["items"]
    assert item["enum"] == ["review", "label"]


def test_second_run_makes_zero_calls_and_writes_the_same_tasks(tmp_path):
    data = _data_dir(tmp_path, names=("org/a", "org/b", "org/c"))
    with ScriptedOpenAIServer(lambda body: Reply(content=json.dumps([GOOD]))) as server:
        first = _run(data, server, modes=("aware", "unaware"))
        before = (data / "tasks.jsonl").read_bytes()
        second = _run(data, server, modes=("aware", "unaware"))
        assert server.calls == 6
    assert (first.engine_calls, first.cache_hits) == (6, 0)
    assert (second.engine_calls, second.cache_hits) == (0, 6)
    assert (data / "tasks.jsonl").read_bytes() == before


def test_budget_stops_cleanly_keeping_tasks_and_a_rerun_finishes(tmp_path):
    names = tuple(f"org/d{i}" for i in range(6))
    data = _data_dir(tmp_path, names=names)
    reply = Reply(content=json.dumps([GOOD]), prompt_tokens=2000, completion_tokens=100)
    with ScriptedOpenAIServer(lambda body: reply) as server:
        summary = _run(data, server, concurrency=1, budget_usd=0.0015)
        first_calls = server.calls
        assert 1 <= first_calls < len(names)
        assert summary.stopped and "budget" in summary.stopped
        assert summary.cost_usd <= 0.0015
        kept = _tasks(data)
        assert [t["task_name"] for t in kept] == list(names[:first_calls])
        assert all(t["valid"] for t in kept)
        report = json.loads((data / "propose_report.json").read_text())
        assert report["stopped"] and report["not_asked"] == len(names) - first_calls

        _run(data, server, concurrency=1, budget_usd=1.0)
        assert server.calls == len(names)  # only the missing calls
    assert [t["task_name"] for t in _tasks(data)] == list(names)


def test_local_model_without_a_price_costs_nothing_and_no_key_is_stored(tmp_path):
    data = _data_dir(tmp_path)
    with ScriptedOpenAIServer(lambda body: Reply(content=json.dumps([GOOD]))) as server:
        summary = _run(data, server, model="llama-3.1-8b-instruct")
        assert server.requests[0]["_headers"]["authorization"] == "Bearer sk-test"
    # served on 127.0.0.1, listed nowhere: $0, and the summary says why
    assert summary.cost_usd == 0.0 and summary.cost_local and "cost $0 (local)" in summary.render()
    assert json.loads((data / "propose_report.json").read_text())["cost_local"] is True
    assert _tasks(data)[0]["model"] == "llama-3.1-8b-instruct"
    for path in data.iterdir():
        assert b"sk-test" not in path.read_bytes(), path.name


def _cli(data, server, *extra: str) -> int:
    from dynosaur.cli import main

    return main(
        [
            "propose",
            "--data-dir",
            str(data),
            "--engine",
            "openai",
            "--base-url",
            server.base_url,
            "--max-retries",
            "0",
            "--modes",
            "aware",
            "--no-progress",
            *extra,
        ]
    )


def test_exit_code_says_whether_answers_are_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    data = _data_dir(tmp_path, names=("org/good", "org/broken"))

    def some_fail(body):
        return Reply(status=500) if _dataset_of(body) == "org/broken" else json.dumps({"tasks": [GOOD]})

    with ScriptedOpenAIServer(some_fail) as server:
        assert _cli(data, server) == 3  # some answers missing: a rerun asks only for those
    assert {t["task_name"] for t in _tasks(data)} == {"org/good"}
    with ScriptedOpenAIServer(lambda body: Reply(status=500)) as server:
        (tmp_path / "other").mkdir()
        other = _data_dir(tmp_path / "other", names=("org/broken",))
        assert _cli(other, server) == 1  # nothing came back at all
    with ScriptedOpenAIServer(lambda body: json.dumps({"tasks": [GOOD]})) as server:
        assert _cli(data, server) == 0  # the rerun fills the gap
        assert server.calls == 1


def test_openai_engine_without_a_key_or_a_server_is_refused_up_front(tmp_path, monkeypatch, capsys):
    from dynosaur.cli import main

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    data = _data_dir(tmp_path)
    assert (
        main(["propose", "--data-dir", str(data), "--engine", "openai", "--base-url", "", "--no-progress"])
        == 2
    )
    assert "OPENAI_API_KEY" in capsys.readouterr().err
    assert not (data / "tasks.jsonl").exists()


def _in_flight_counter():
    """A responder that answers slowly and records the most requests it ever held at once."""
    lock, state = threading.Lock(), {"now": 0, "most": 0}

    def respond(body):
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(0.05)
        with lock:
            state["now"] -= 1
        return json.dumps({"tasks": [GOOD]})

    return respond, state


def test_a_local_server_gets_one_request_at_a_time_and_the_run_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    data = _data_dir(tmp_path, names=("org/a", "org/b", "org/c", "org/d"))
    respond, state = _in_flight_counter()
    with ScriptedOpenAIServer(respond) as server:
        assert _cli(data, server) == 0
    assert state["most"] == 1
    assert "is on this machine: 1 request at a time (--concurrency N to change)" in capsys.readouterr().err
    (tmp_path / "again").mkdir()
    again = _data_dir(tmp_path / "again", names=("org/a", "org/b", "org/c", "org/d"))
    respond, state = _in_flight_counter()
    with ScriptedOpenAIServer(respond) as server:
        assert _cli(again, server, "--concurrency", "4") == 0  # an explicit setting wins
    assert state["most"] > 1
    assert "request at a time" not in capsys.readouterr().err


def test_the_report_gives_the_seconds_lost_to_timeouts_and_retries(tmp_path):
    data = _data_dir(tmp_path)
    answer = json.dumps({"tasks": [GOOD]})
    replies = _script_replies(Reply(content=answer, delay=0.5), Reply(content=answer))
    with ScriptedOpenAIServer(replies) as server:
        summary = _run(data, server, timeout=0.15)
    server_report = summary.to_json()["server"]
    assert server_report["timeouts"] == 1 and server_report["retries"] == 1
    assert server_report["timeout_seconds"] >= 0.15 and server_report["failed_calls"] == 0
    assert summary.failures == [] and summary.valid["aware"] == 1
    assert "server: 1 timed out (" in summary.render()
    assert json.loads((data / "propose_report.json").read_text())["server"] == server_report


def _script_replies(*replies: Reply):
    queue = list(replies)
    return lambda body: queue.pop(0) if len(queue) > 1 else queue[0]


def test_a_remote_model_without_a_price_has_an_unknown_cost_and_a_listed_local_one_its_price():
    remote = create_engine("openai", model="llama-3.1-8b-instruct", base_url="https://llm.example.com/v1")
    assert remote.price is None and not remote.price_local
    listed = create_engine("openai", model="gpt-4o-mini", base_url="http://127.0.0.1:9/v1")
    assert listed.price is not None and listed.price.input > 0 and not listed.price_local
    unknown = ProposeSummary(engine="openai", model="llama-3.1-8b-instruct", cost_usd=None)
    assert "cost unknown (no price for this model)" in unknown.render()
    priced = ProposeSummary(engine="openai", model="gpt-4o-mini", cost_usd=0.0123)
    assert "cost $0.0123" in priced.render()
