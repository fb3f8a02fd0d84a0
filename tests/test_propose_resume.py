"""A `dynosaur propose` run killed mid-way resumes with only the missing calls."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from dynosaur.core.cache import ResponseCache
from tests.support.openai_server import Reply, ScriptedOpenAIServer

STRING = {"dtype": "string", "_type": "Value"}
ANSWER = json.dumps(
    {
        "tasks": [
            {
                "instruction": "Write a headline for the news story.",
                "input_fields": ["story"],
                "output_field": ["headline"],
            }
        ]
    }
)


def _write_metadata(data, count):
    with open(data / "huggingface_metadata.jsonl", "w") as handle:
        for i in range(count):
            line = {
                "task_name": f"org/news-{i:02d}",
                "dataset": f"org/news-{i:02d}",
                "config": "default",
                "split": "train",
                "revision": "r",
                "license": "cc-by-4.0",
                "website": "",
                "languages": ["en"],
                "multilinguality": "english",
                "summary": "",
                "supported_task": "",
                "data_fields": "",
                "task_category": [],
                "task_ids": [],
                "features": {"story": STRING, "headline": STRING},
                "selected_data": [
                    {"story": f"Story number {i} about the harbour.", "headline": f"Harbour {i}"}
                ],
            }
            handle.write(json.dumps(line) + "\n")


def _command(data, base_url):
    return [
        sys.executable,
        "-m",
        "dynosaur.cli",
        "propose",
        "--data-dir",
        str(data),
        "--engine",
        "openai",
        "--base-url",
        base_url,
        "--modes",
        "aware",
        "--concurrency",
        "1",
        "--no-progress",
    ]


def _env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env["OPENAI_API_KEY"] = "sk-test-resume"
    return env


def test_killed_run_resumes_with_only_the_missing_calls(tmp_path):
    total = 8
    data = tmp_path / "data"
    data.mkdir()
    _write_metadata(data, total)
    with ScriptedOpenAIServer(lambda body: Reply(content=ANSWER, delay=0.15)) as server:
        process = subprocess.Popen(
            _command(data, server.base_url), env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 30
        while server.calls < 4 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.02)
        process.kill()
        process.wait()
        served_before_kill = server.calls
        cache = ResponseCache(data / "llm_cache.sqlite")
        saved = len(cache)
        cache.close()
        assert 2 <= saved < total  # killed part-way, with answers already kept

        rerun = subprocess.run(
            _command(data, server.base_url), env=_env(), capture_output=True, text=True, timeout=60
        )
        assert rerun.returncode == 0, rerun.stderr
        assert server.calls - served_before_kill == total - saved
    assert f"engine calls {total - saved}, cache hits {saved}" in rerun.stdout
    names = [json.loads(line)["task_name"] for line in (data / "tasks.jsonl").read_text().splitlines()]
    assert names == [f"org/news-{i:02d}" for i in range(total)]
