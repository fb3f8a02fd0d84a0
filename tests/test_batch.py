"""Batch mode against the loopback server's Files and Batches endpoints."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import openai
import pytest

from dynosaur.core.cache import CachedEngine, ResponseCache, cache_key
from dynosaur.core.engines import ChatRequest, EngineError, GenerationParams, create_engine
from dynosaur.core.engines.batch import BatchEngine, BatchSettings, split_lines
from tests.support.openai_server import Reply, ScriptedOpenAIServer, user_text
from tests.test_propose_openai import GOOD, _data_dir, _tasks

ROOT = Path(__file__).resolve().parents[1]


def _request(text: str) -> ChatRequest:
    return ChatRequest.of([{"role": "user", "content": text}], GenerationParams(max_tokens=50))


def _batch_engine(server, tmp_path, model="gpt-4o-mini", **settings):
    settings.setdefault("poll_initial", 0.01)
    settings.setdefault("gather_window", 0.05)
    settings.setdefault("progress", False)
    settings.setdefault("log", lambda text: None)
    inner = create_engine(
        "openai", model=model, base_url=server.base_url, api_key="sk-batch", retry_wait_initial=0.01
    )
    cache = ResponseCache(tmp_path / "llm_cache.sqlite")
    return CachedEngine(BatchEngine(inner, BatchSettings(**settings)), cache), cache


def _ask(engine, texts):
    async def go():
        try:
            return await asyncio.gather(
                *(engine.complete(_request(t)) for t in texts), return_exceptions=True
            )
        finally:
            await engine.aclose()

    return asyncio.run(go())


def _echo(body):
    return Reply(content="answer to " + user_text(body), prompt_tokens=1000, completion_tokens=100)


def test_requests_go_out_as_one_batch_and_come_back_at_the_batch_price(tmp_path):
    texts = [f"question {i}" for i in range(5)]
    with ScriptedOpenAIServer(_echo) as server:
        engine, cache = _batch_engine(server, tmp_path)
        answers = _ask(engine, texts)
        uploaded = [f for f in server.batches.files.values() if f[1] == "batch"]
    assert [a.text for a in answers] == [f"answer to {t}" for t in texts]
    assert server.calls == 0 and server.batches.created == 1 and server.batches.uploads == 1
    lines = [json.loads(line) for line in uploaded[0][2].decode().splitlines()]
    keys = {cache_key("openai", "gpt-4o-mini", _request(t)) for t in texts}
    assert {line["custom_id"] for line in lines} == keys
    assert {line["url"] for line in lines} == {"/v1/chat/completions"}
    assert lines[0]["body"]["model"] == "gpt-4o-mini" and lines[0]["body"]["max_tokens"] == 50
    usage = engine.engine.usage
    assert usage.calls == usage.batch_calls == 5
    # gpt-4o-mini at the batch rate: $0.075 in, $0.30 out per 1M tokens
    assert usage.cost_usd == pytest.approx(5 * (1000 * 0.075 + 100 * 0.30) / 1e6)
    assert len(cache) == 5
    assert json.loads((tmp_path / "llm_batches.json").read_text()) == {"batches": []}  # consumed
    cache.close()


def test_lines_that_failed_in_the_batch_are_made_as_normal_calls(tmp_path):
    seen: dict[str, int] = {}

    def flaky(body):
        text = user_text(body)
        seen[text] = seen.get(text, 0) + 1
        if text.endswith(("1", "3")) and seen[text] == 1:
            return Reply(status=500)
        return _echo(body)

    with ScriptedOpenAIServer(flaky) as server:
        engine, cache = _batch_engine(server, tmp_path)
        answers = _ask(engine, [f"question {i}" for i in range(4)])
    assert [a.text for a in answers] == [f"answer to question {i}" for i in range(4)]
    assert len(server.batch_requests) == 4
    assert sorted(user_text(b) for b in server.requests) == ["question 1", "question 3"]
    assert engine.engine.retried_normally == 2 and engine.engine.usage.batch_calls == 2
    cache.close()


def test_an_expired_batch_falls_back_to_normal_calls(tmp_path):
    with ScriptedOpenAIServer(_echo) as server:
        server.batches.hold, server.batches.expire_after = True, 2
        engine, cache = _batch_engine(server, tmp_path)
        answers = _ask(engine, ["a", "b"])
    assert [a.text for a in answers] == ["answer to a", "answer to b"]
    assert server.calls == 2 and engine.engine.usage.batch_calls == 0
    cache.close()


def test_a_batch_cancelled_elsewhere_falls_back_to_normal_calls(tmp_path):
    with ScriptedOpenAIServer(_echo) as server:
        server.batches.hold = True
        engine, cache = _batch_engine(server, tmp_path, poll_initial=0.05)

        async def go():
            pending = asyncio.gather(*(engine.complete(_request(t)) for t in ("x", "y")))
            while not server.batches.batches:
                await asyncio.sleep(0.01)
            client = openai.AsyncOpenAI(api_key="sk-batch", base_url=server.base_url)
            cancelled = await client.batches.cancel(next(iter(server.batches.batches)))
            await client.close()
            answers = await pending
            await engine.aclose()
            return cancelled, answers

        cancelled, answers = asyncio.run(go())
    assert cancelled.status == "cancelled" and server.batches.cancels == 1
    assert [a.text for a in answers] == ["answer to x", "answer to y"] and server.calls == 2
    cache.close()


def test_files_are_split_beyond_the_request_limit():
    lines = [json.dumps({"n": i}) + "\n" for i in range(5)]
    assert [len(f) for f in split_lines(lines, 2, 10**6)] == [2, 2, 1]
    assert [len(f) for f in split_lines(lines, 100, 2 * len(lines[0]))] == [2, 2, 1]
    with pytest.raises(EngineError, match="over the"):
        split_lines(["x" * 50 + "\n"], 10, 20)


def test_more_requests_than_a_file_takes_become_several_batches(tmp_path):
    with ScriptedOpenAIServer(_echo) as server:
        engine, cache = _batch_engine(server, tmp_path, max_requests_per_file=2)
        answers = _ask(engine, [f"q{i}" for i in range(5)])
    assert [a.text for a in answers] == [f"answer to q{i}" for i in range(5)]
    assert server.batches.created == 3 and server.calls == 0
    cache.close()


def test_a_broken_state_file_is_a_clear_error(tmp_path):
    (tmp_path / "llm_batches.json").write_text("{not json")
    with ScriptedOpenAIServer(_echo) as server:
        engine, cache = _batch_engine(server, tmp_path)
        answers = _ask(engine, ["a"])
    assert isinstance(answers[0], EngineError) and "llm_batches.json is not valid JSON" in str(answers[0])
    assert server.batches.created == 0
    cache.close()


def _cli_args(data, server, *extra):
    return [
        "propose",
        "--data-dir",
        str(data),
        "--engine",
        "openai",
        "--base-url",
        server.base_url,
        "--model",
        "gpt-4o-mini",
        "--modes",
        "aware",
        "--no-progress",
        "--batch-poll-seconds",
        "0.05",
        *extra,
    ]


def _good(body):
    return Reply(content=json.dumps({"tasks": [GOOD]}), prompt_tokens=2000, completion_tokens=100)


def test_a_killed_run_resumes_its_batch_without_resubmitting(tmp_path):
    from dynosaur.cli import main

    data = _data_dir(tmp_path, names=("org/a", "org/b", "org/c"))
    with ScriptedOpenAIServer(_good) as server:
        server.batches.hold = True
        env = {**os.environ, "OPENAI_API_KEY": "sk-batch", "PYTHONPATH": str(ROOT)}
        child = subprocess.Popen(
            [sys.executable, "-m", "dynosaur.cli", *_cli_args(data, server, "--batch")],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        state = data / "llm_batches.json"
        deadline = time.monotonic() + 60
        while not (state.exists() and json.loads(state.read_text())["batches"]):
            assert child.poll() is None, child.stderr.read().decode()
            assert time.monotonic() < deadline, "the batch was never submitted"
            time.sleep(0.05)
        while server.batches.retrievals == 0:  # it is polling
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stderr.close()
        assert server.batches.created == 1 and not (data / "tasks.jsonl").exists()

        server.batches.hold = False
        os.environ["OPENAI_API_KEY"] = "sk-batch"
        try:
            assert main(_cli_args(data, server, "--batch")) == 0
            assert server.batches.created == 1 and server.batches.uploads == 1  # resumed, not resubmitted
            assert server.calls == 0
            assert [t["valid"] for t in _tasks(data)] == [True, True, True]
            report = json.loads((data / "propose_report.json").read_text())
            assert report["engine_calls"] == 3
            assert report["batch"]["batches_resumed"] == 1 and report["batch"]["batches_submitted"] == 0
            assert report["batch"]["batch_calls"] == 3
            # 3 answers of 2,000 + 100 tokens at gpt-4o-mini's batch rate
            assert report["cost_usd"] == pytest.approx(3 * (2000 * 0.075 + 100 * 0.30) / 1e6)
            assert json.loads(state.read_text()) == {"batches": []}
            polls = server.batches.retrievals
            assert main(_cli_args(data, server, "--batch")) == 0  # everything cached: nothing asked
            assert server.calls == 0 and server.batches.created == 1 and server.batches.retrievals == polls
        finally:
            del os.environ["OPENAI_API_KEY"]


def test_file_only_writes_the_requests_and_results_read_them_back(tmp_path, monkeypatch, capsys):
    from dynosaur.cli import main

    monkeypatch.setenv("OPENAI_API_KEY", "sk-batch")
    data = _data_dir(tmp_path, names=("org/a", "org/b"))
    out = tmp_path / "batch-files"
    with ScriptedOpenAIServer(_good) as server:
        assert main(_cli_args(data, server, "--batch-file-only", str(out))) == 1  # nothing answered yet
        assert server.calls == 0 and server.batches.uploads == 0
        printed = capsys.readouterr().out
        assert "wrote " in printed and "rerun with --batch-results FILE" in printed
        files = sorted(out.glob("*.jsonl"))
        lines = [json.loads(line) for line in files[0].read_text().splitlines()]
        assert len(files) == 1 and len(lines) == 2
        # an offline runner's output: the same custom_ids, each with a chat completion
        results = tmp_path / "results.jsonl"
        with open(results, "w") as handle:
            for line in lines:
                status, payload, _ = server.answer(line["body"])
                response = {"status_code": status, "body": payload}
                handle.write(
                    json.dumps({"custom_id": line["custom_id"], "response": response, "error": None})
                )
                handle.write("\n")
        assert main(_cli_args(data, server, "--batch-results", str(results))) == 0
        assert server.calls == 0
    assert [t["valid"] for t in _tasks(data)] == [True, True]


def test_batch_options_need_the_openai_engine(tmp_path, capsys):
    from dynosaur.cli import main

    data = _data_dir(tmp_path)
    assert main(["propose", "--data-dir", str(data), "--engine", "rules", "--batch", "--no-progress"]) == 2
    assert "need --engine openai" in capsys.readouterr().err
    missing = tmp_path / "nowhere.jsonl"
    code = main(
        ["propose", "--data-dir", str(data), "--engine", "openai", "--base-url", "http://127.0.0.1:9/v1"]
        + ["--batch-results", str(missing), "--no-progress"]
    )
    assert code == 2 and "nowhere.jsonl" in capsys.readouterr().err


def test_documents_run_in_batch_mode_as_one_batch(tmp_path, monkeypatch):
    from dynosaur.cli import main
    from dynosaur.documents import EXAMPLES_DIR
    from tests.test_documents_cli import restating_responder

    monkeypatch.setenv("OPENAI_API_KEY", "sk-batch")
    out = tmp_path / "out"
    argv = ["documents", "--input-dir", str(EXAMPLES_DIR), "--output-dir", str(out), "--no-progress"]
    argv += ["--samples-per-chunk", "3", "--batch", "--batch-poll-seconds", "0.05"]
    with ScriptedOpenAIServer(restating_responder) as server:
        assert main([*argv, "--base-url", server.base_url]) == 0
        assert server.calls == 0 and server.batches.created == 1 and len(server.batch_requests) == 5
        assert main([*argv, "--base-url", server.base_url]) == 0  # rerun: all cached
        assert server.calls == 0 and server.batches.created == 1
    records = (out / "documents_instructions.jsonl").read_text().splitlines()
    assert len(records) == 15


def test_judge_runs_in_batch_mode_as_one_batch(tmp_path, monkeypatch):
    from dynosaur.cli import main
    from tests.test_judge import BAD, _llm_answer, _scores
    from tests.test_judge import GOOD as JUDGED
    from tests.test_judge import _data_dir as _judge_data

    monkeypatch.setenv("OPENAI_API_KEY", "sk-batch")
    data = _judge_data(tmp_path, [JUDGED[0], BAD["locator output"], JUDGED[1]])
    argv = ["judge", "--data-dir", str(data), "--engine", "openai", "--model", "judge-model", "--no-progress"]
    argv += ["--batch", "--batch-poll-seconds", "0.05"]
    with ScriptedOpenAIServer(_llm_answer) as server:
        assert main([*argv, "--base-url", server.base_url]) == 0
        assert server.calls == 0 and server.batches.created == 1 and len(server.batch_requests) == 9
    assert _scores(data)[JUDGED[0]["instruction"]].score == 5
