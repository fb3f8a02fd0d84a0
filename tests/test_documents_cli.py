"""``dynosaur documents`` end to end on the bundled example documents."""

from __future__ import annotations

import json
import re

import pytest

from dynosaur.cli import main
from dynosaur.documents import EXAMPLES_DIR
from tests.support.openai_server import ScriptedOpenAIServer, user_text

EXAMPLES = EXAMPLES_DIR
SECRET = "sk-never-written-anywhere"


def restating_responder(body: dict) -> str:
    """Pairs that restate the passage's first sentences (always grounded, never duplicates)."""
    passage = re.search(r'"""\n(.*)\n"""', user_text(body), re.DOTALL).group(1)
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", passage) if len(s.split()) >= 4]
    count = int(re.search(r"Write (\d+) instruction", user_text(body)).group(1))
    return json.dumps(
        {
            "pairs": [
                {"instruction": f"Restate in other words: {s}", "input": "", "output": s}
                for s in sentences[:count]
            ]
        }
    )


def test_documents_command_turns_every_example_file_into_records(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    out = tmp_path / "out"
    argv = [
        "documents",
        "--input-dir",
        str(EXAMPLES),
        "--output-dir",
        str(out),
        "--samples-per-chunk",
        "3",
        "--no-progress",
    ]
    with ScriptedOpenAIServer(restating_responder) as server:
        assert main([*argv, "--base-url", server.base_url]) == 0
        first_calls = server.calls
        first = (out / "documents_instructions.jsonl").read_bytes()
        assert main([*argv, "--base-url", server.base_url]) == 0
        assert server.calls == first_calls == 5
        assert all(r["_headers"]["authorization"] == f"Bearer {SECRET}" for r in server.requests)
    records = [json.loads(line) for line in first.decode().splitlines()]
    assert (out / "documents_instructions.jsonl").read_bytes() == first
    assert sorted({r["source_file"] for r in records}) == [
        "community-garden-rules.txt",
        "kitchen/sourdough-starter.md",
        "library-faq.json",
        "tide-pool-animals.csv",
        "workshop/bicycle-chain.html",
    ]
    assert len(records) == 15
    printed = capsys.readouterr().out
    assert "workshop/bicycle-chain.html" in printed and "records: 15" in printed
    assert "cache hits: 5" in printed
    page = (out / "report.html").read_text(encoding="utf-8")  # the run's own report
    assert 'data-key="records">15<' in page and "<td>tide-pool-animals.csv</td>" in page
    for path in out.iterdir():
        assert SECRET.encode() not in path.read_bytes(), path


def test_missing_input_folder_is_a_clear_error(tmp_path, capsys):
    code = main(
        [
            "documents",
            "--input-dir",
            str(tmp_path / "nope"),
            "--output-dir",
            str(tmp_path / "out"),
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--no-progress",
        ]
    )
    assert code == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "out" / "documents_instructions.jsonl").exists()


def test_invalid_option_values_are_refused_before_any_work(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        main(
            [
                "documents",
                "--input-dir",
                str(EXAMPLES),
                "--output-dir",
                str(tmp_path),
                "--samples-per-chunk",
                "0",
                "--base-url",
                "http://127.0.0.1:9/v1",
                "--no-progress",
            ]
        )
    assert exited.value.code == 2
    assert "argument --samples-per-chunk: must be at least 1" in capsys.readouterr().err


def test_max_tokens_reaches_every_request_and_a_bad_value_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-documents")
    argv = [
        "documents",
        "--input-dir",
        str(EXAMPLES_DIR),
        "--output-dir",
        str(tmp_path / "out"),
        "--no-progress",
    ]
    with ScriptedOpenAIServer(restating_responder) as server:
        assert main([*argv, "--base-url", server.base_url, "--max-tokens", "300"]) == 0
        assert server.requests and all(body["max_tokens"] == 300 for body in server.requests)
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--base-url", "http://127.0.0.1:9/v1", "--max-tokens", "0"])
    assert exited.value.code == 2
    assert "argument --max-tokens: must be at least 1" in capsys.readouterr().err
