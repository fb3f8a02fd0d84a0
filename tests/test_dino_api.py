"""``dynosaur dino`` on the openai engine against a loopback OpenAI-compatible server."""

from __future__ import annotations

import json

from dynosaur.commands.dino import main as dino_main
from tests.support.openai_server import Reply, ScriptedOpenAIServer, user_text

SECRET = "sk-dino-test-secret-key"
SPEC = {
    "task_name": "imdb",
    "labels": {
        "0": {"instruction": 'Task: Write a review for a bad movie.\nMovie: "', "counter_labels": ["1"]},
        "1": {"instruction": 'Task: Write a review for a good movie.\nMovie: "', "counter_labels": ["0"]},
    },
}


def _answer(body):
    text = user_text(body)
    seed = body.get("seed", 0)
    if "bad movie" in text:
        if seed % 2:
            return Reply(content="A never ending story without", finish_reason="length")  # cut, never closed
        return f'The Dull Night {seed}" and more'
    return Reply(content=f"A Bright Day {seed}", finish_reason="stop")  # ended on its own: closed


def _dino(server, tmp_path, out, *args):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SPEC), encoding="utf-8")
    return dino_main(
        [
            "--engine",
            "openai",
            "--model",
            "scripted-model",
            "--base-url",
            server.base_url,
            "--max-retries",
            "0",
            "--task-file",
            str(spec),
            "--num-entries-per-label",
            "6",
            "--no-progress",
            "--output-dir",
            str(out),
            *args,
        ]
    )


def test_counter_labels_on_an_api_engine_are_refused_before_any_call(tmp_path, capsys):
    with ScriptedOpenAIServer(_answer) as server:
        assert _dino(server, tmp_path, tmp_path / "out") == 2
        assert server.calls == 0
    err = capsys.readouterr().err
    assert "counter labels" in err and "--ignore-counter-labels" in err and "'openai'" in err


def test_ignored_counter_labels_generate_and_are_recorded_in_the_summary(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    out = tmp_path / "out"
    with ScriptedOpenAIServer(_answer) as server:
        assert _dino(server, tmp_path, out, "--ignore-counter-labels") == 0
        assert server.calls == 12
        seeds = [body["seed"] for body in server.requests]
        assert len(set(seeds)) == 12  # every entry is its own request, and its own cache entry
        assert all(body["top_p"] == 0.9 and body["max_tokens"] == 40 for body in server.requests)
        assert server.requests[0]["_headers"]["authorization"] == f"Bearer {SECRET}"
    summary = json.loads((out / "imdb-summary.json").read_text())
    assert summary["engine"] == "openai" and summary["model"] == "scripted-model"
    assert summary["counter_labels"] == {"in_spec": True, "honoured": False, "ignored": True, "method": None}
    dataset = [json.loads(line) for line in (out / "imdb-dataset.jsonl").read_text().splitlines()]
    odd = sum(
        1
        for seed, body in zip(seeds, server.requests, strict=True)
        if seed % 2 and "bad movie" in user_text(body)
    )
    assert summary["labels"]["0"]["removed"]["no_closing_quote"] == odd
    assert summary["labels"]["0"]["kept"] == 6 - odd
    assert summary["labels"]["1"]["kept"] == 6
    bad = [e["text_a"] for e in dataset if e["label"] == "0"]
    good = [e["text_a"] for e in dataset if e["label"] == "1"]
    assert all(text.startswith("The Dull Night ") and '"' not in text for text in bad)
    assert all(text.startswith("A Bright Day ") for text in good)
    page = (out / "imdb-report.html").read_text(encoding="utf-8")  # the run's own report
    assert f'data-key="records">{len(dataset)}<' in page and 'data-key="tasks">2<' in page
    assert f'<td>removed: no_closing_quote</td><td class="n">{odd}</td>' in page
    for path in out.iterdir():  # the API key reaches no artifact and no cache
        assert SECRET.encode() not in path.read_bytes()


def test_a_rerun_is_served_by_the_response_cache(tmp_path):
    with ScriptedOpenAIServer(_answer) as server:
        assert (
            _dino(
                server,
                tmp_path,
                tmp_path / "first",
                "--ignore-counter-labels",
                "--cache",
                str(tmp_path / "cache.sqlite"),
            )
            == 0
        )
        calls = server.calls
        assert (
            _dino(
                server,
                tmp_path,
                tmp_path / "second",
                "--ignore-counter-labels",
                "--cache",
                str(tmp_path / "cache.sqlite"),
            )
            == 0
        )
        assert server.calls == calls
    first = (tmp_path / "first" / "imdb-dataset.jsonl").read_bytes()
    assert first == (tmp_path / "second" / "imdb-dataset.jsonl").read_bytes()


def test_failed_requests_leave_their_batch_for_a_rerun(tmp_path):
    out = tmp_path / "out"
    with ScriptedOpenAIServer(lambda body: Reply(status=500)) as server:
        assert _dino(server, tmp_path, out, "--ignore-counter-labels", "--no-cache") == 1
    summary = json.loads((out / "imdb-summary.json").read_text())
    assert summary["batches"]["failed"] == 2 and summary["total"]["generated"] == 0
    assert "500" in summary["stopped"]
    with ScriptedOpenAIServer(_answer) as server:
        assert _dino(server, tmp_path, out, "--ignore-counter-labels", "--no-cache") == 0
    summary = json.loads((out / "imdb-summary.json").read_text())
    assert summary["batches"]["generated_now"] == 2 and summary["stopped"] is None


def test_batch_mode_sends_each_group_of_entries_as_one_batch_and_reruns_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    batch = ("--ignore-counter-labels", "--batch", "--batch-poll-seconds", "0.05", "--batch-size", "6")
    with ScriptedOpenAIServer(_answer) as server:
        assert _dino(server, tmp_path, tmp_path / "batched", *batch) == 0
        # two labels x 6 entries: one batch of 6 requests per label, no normal call
        assert server.calls == 0 and server.batches.created == 2 and len(server.batch_requests) == 12
        assert _dino(server, tmp_path, tmp_path / "batched", *batch) == 0  # rerun: all cached
        assert server.calls == 0 and server.batches.created == 2
        assert (
            _dino(server, tmp_path, tmp_path / "normal", "--ignore-counter-labels", "--batch-size", "6") == 0
        )
        assert server.calls == 12
    summary = json.loads((tmp_path / "batched" / "imdb-summary.json").read_text())
    assert summary["total"]["generated"] == 12
    # the same requests, so the same answers and the same dataset as normal calls
    batched = (tmp_path / "batched" / "imdb-dataset.jsonl").read_bytes()
    assert batched == (tmp_path / "normal" / "imdb-dataset.jsonl").read_bytes()


def test_batch_files_are_written_without_upload_and_read_back(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    files = tmp_path / "batch-files"
    with ScriptedOpenAIServer(_answer) as server:
        assert (
            _dino(
                server, tmp_path, tmp_path / "out", "--ignore-counter-labels", "--batch-file-only", str(files)
            )
            == 1
        )
        assert server.calls == 0 and server.batches.uploads == 0
        lines = [
            json.loads(line)
            for path in sorted(files.glob("*.jsonl"))
            for line in path.read_text().splitlines()
        ]
        assert len(lines) == 12 and all(line["url"] == "/v1/chat/completions" for line in lines)
        results = tmp_path / "results.jsonl"
        with open(results, "w") as handle:  # what an offline batch runner writes back
            for line in lines:
                status, payload, _ = server.answer(line["body"])
                answer = {
                    "custom_id": line["custom_id"],
                    "response": {"status_code": status, "body": payload},
                }
                handle.write(json.dumps({**answer, "error": None}) + "\n")
        code = _dino(
            server, tmp_path, tmp_path / "out", "--ignore-counter-labels", "--batch-results", str(results)
        )
        assert code == 0 and server.calls == 0
    dataset = (tmp_path / "out" / "imdb-dataset.jsonl").read_text().splitlines()
    assert dataset and all(json.loads(line)["label"] in ("0", "1") for line in dataset)
