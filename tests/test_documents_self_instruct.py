"""``--self-instruct``: grounded pairs seed a Self-Instruct run that widens the set."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dynosaur.cli import main
from dynosaur.commands.documents import documents_with_self_instruct
from dynosaur.core.engines import create_engine
from dynosaur.documents.widen import seed_tasks
from tests.support.openai_server import ScriptedOpenAIServer, user_text

ORCHARD = (
    "Apple trees are pruned in late winter, while they are dormant. Pruning removes crossing "
    "branches and opens the crown so that sunlight reaches the fruit.\n\n"
    "Pears ripen best off the tree: they are picked hard and kept in a cool room for a week. "
    "Plums, in contrast, are picked ripe and keep only a few days."
)
NEW_TASKS = [
    "Write a short poem about a quiet orchard at dawn.",
    "Suggest three names for a family-run cider farm.",
    "Explain to a child why bees matter for fruit trees.",
    "Compose a friendly reminder to water newly planted saplings.",
]


def responder(body: dict) -> str:
    text = user_text(body)
    if "Continue the list with new tasks" in text:
        start = int(re.search(r"starting at Task (\d+)", text).group(1))
        return "\n".join(f"Task {start + k}: {task}" for k, task in enumerate(NEW_TASKS))
    if "Is it classification?" in text:
        return "No"
    if "Answer in the same format" in text:
        topic = text.rsplit("Task:", 1)[1].split("\n")[0].strip()
        return f"Example 1\nInput: <noinput>\nOutput: A worked answer for: {topic}"
    return json.dumps(
        {
            "pairs": [
                {
                    "instruction": "When are apple trees pruned?",
                    "input": "",
                    "output": "In late winter, while dormant.",
                },
                {
                    "instruction": "How are pears ripened?",
                    "input": "",
                    "output": "Picked hard, then kept a week in a cool room.",
                },
            ]
        }
    )


def test_self_instruct_adds_new_records_beside_the_grounded_ones(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "orchard.md").write_text(ORCHARD, encoding="utf-8")
    with ScriptedOpenAIServer(responder) as server:
        engine = create_engine(
            "openai", model="gpt-4o-mini", base_url=server.base_url, api_key="k", max_retries=0
        )
        summary = documents_with_self_instruct(
            docs,
            tmp_path / "out",
            engine,
            self_instruct_count=3,
            progress=False,
            min_chunk_chars=50,
            min_content_words=5,
            samples_per_chunk=2,
        )
    records = [
        json.loads(line)
        for line in (tmp_path / "out" / "documents_instructions.jsonl")
        .read_text(encoding="utf-8")
        .splitlines()
    ]
    grounded = [r for r in records if r["source_file"] is not None]
    widened = [r for r in records if r["source_file"] is None]
    assert [r["instruction"] for r in grounded] == ["When are apple trees pruned?", "How are pears ripened?"]
    assert [r["instruction"] for r in widened] == NEW_TASKS[:3]
    assert all(r["output"] == f"A worked answer for: {r['instruction']}" for r in widened)
    assert all(r["chunk_index"] is None and r["char_start"] is None for r in widened)
    assert (summary.records, summary.self_instruct_records) == (2, 3)
    assert (tmp_path / "out" / "self_instruct" / "self_instruct_tasks.jsonl").is_file()
    assert "self-instruct records: 3" in summary.render()


def test_self_instruct_with_nothing_grounded_is_skipped_with_a_reason(tmp_path, capsys):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "orchard.md").write_text(ORCHARD, encoding="utf-8")

    def nothing(body: dict) -> str:
        return '{"pairs": []}'

    with ScriptedOpenAIServer(nothing) as server:
        code = main(
            [
                "documents",
                "--input-dir",
                str(docs),
                "--output-dir",
                str(tmp_path / "out"),
                "--base-url",
                server.base_url,
                "--self-instruct",
                "--min-chunk-chars",
                "50",
                "--no-progress",
            ]
        )
        assert server.calls == 1
    assert code == 0
    assert "no grounded instructions to seed from: 1" in capsys.readouterr().out
    assert not (tmp_path / "out" / "self_instruct").exists()


def test_grounded_records_become_seed_tasks_with_their_example():
    tasks = seed_tasks(
        [
            {
                "instruction": "Sort these.",
                "input": "b, a",
                "output": "a, b",
                "source_file": "x.md",
                "chunk_index": 0,
                "char_start": 0,
                "char_end": 9,
            }
        ]
    )
    assert [t.to_json() for t in tasks] == [
        {
            "id": "document_task_0001",
            "name": "document_task_0001",
            "instruction": "Sort these.",
            "instances": [{"input": "b, a", "output": "a, b"}],
            "is_classification": False,
        }
    ]


def test_self_instruct_count_below_one_is_refused(tmp_path, capsys):
    argv = ["documents", "--input-dir", str(Path(__file__).parent), "--output-dir", str(tmp_path),
            "--self-instruct", "--self-instruct-count", "0", "--base-url", "http://127.0.0.1:9/v1"]  # fmt: skip
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert "argument --self-instruct-count: must be at least 1" in capsys.readouterr().err
