"""Seed task files: clear errors with line numbers, and a format that round-trips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dynosaur.contracts.seed_tasks import Instance, SeedTask, SeedTaskError, load_seed_tasks, write_seed_tasks

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def task(id_: str = "seed_task_0", **changes) -> dict:
    record = {
        "id": id_,
        "name": "antonyms",
        "instruction": "Give the antonym of the word.",
        "instances": [{"input": "hot", "output": "cold"}],
        "is_classification": False,
    }
    record.update(changes)
    return record


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_valid_file_loads_in_order_and_round_trips(tmp_path):
    path = write_lines(
        tmp_path / "seeds.jsonl",
        [json.dumps(task("a")), "", json.dumps(task("b", is_classification=True, instances=[
            {"input": "", "output": "yes"}, {"input": "x", "output": "no"}]))],
    )  # fmt: skip
    tasks = load_seed_tasks(path)
    assert [t.id for t in tasks] == ["a", "b"]
    assert tasks[1].instances == (Instance("", "yes"), Instance("x", "no")) and tasks[1].is_classification
    write_seed_tasks(tmp_path / "copy.jsonl", tasks)
    assert load_seed_tasks(tmp_path / "copy.jsonl") == tasks
    first = json.loads((tmp_path / "copy.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert list(first) == ["id", "name", "instruction", "instances", "is_classification"]


def test_malformed_line_is_reported_with_its_number(tmp_path):
    path = write_lines(
        tmp_path / "seeds.jsonl", [json.dumps(task("a")), '{"id": "b", "name": ', json.dumps(task("c"))]
    )
    with pytest.raises(SeedTaskError, match=r"line 2: not valid JSON"):
        load_seed_tasks(path)


def test_missing_fields_are_named(tmp_path):
    record = task()
    del record["instances"], record["is_classification"]
    path = write_lines(tmp_path / "seeds.jsonl", [json.dumps(record)])
    with pytest.raises(SeedTaskError, match=r"line 1: missing fields instances, is_classification"):
        load_seed_tasks(path)


def test_empty_instances_and_wrong_types_are_reported_together(tmp_path):
    path = write_lines(
        tmp_path / "seeds.jsonl",
        [
            json.dumps(task("a", instances=[])),
            json.dumps(task("b", is_classification="yes")),
            json.dumps(task("c", instances=[{"input": "x"}])),
            json.dumps(task("d", instruction="  ")),
            json.dumps(["not", "an", "object"]),
        ],
    )
    with pytest.raises(SeedTaskError) as caught:
        load_seed_tasks(path)
    message = str(caught.value)
    assert "5 problem(s)" in message
    assert "line 1: 'instances' is empty" in message
    assert "line 2: 'is_classification' must be true or false, got 'yes'" in message
    assert "line 3: instance 1 must be an object with string 'input' and 'output'" in message
    assert "line 4: 'instruction' is empty" in message
    assert "line 5: expected a JSON object, got list" in message


def test_duplicate_ids_point_at_the_first_occurrence(tmp_path):
    path = write_lines(
        tmp_path / "seeds.jsonl", [json.dumps(task("a")), json.dumps(task("b")), json.dumps(task("a"))]
    )
    with pytest.raises(SeedTaskError, match=r"line 3: duplicate id 'a' \(first on line 1\)"):
        load_seed_tasks(path)


def test_missing_or_empty_file_is_a_clear_error(tmp_path):
    with pytest.raises(SeedTaskError, match="not found"):
        load_seed_tasks(tmp_path / "absent.jsonl")
    with pytest.raises(SeedTaskError, match="no seed tasks"):
        load_seed_tasks(write_lines(tmp_path / "empty.jsonl", [""]))


def test_many_problems_are_summarized(tmp_path):
    path = write_lines(tmp_path / "seeds.jsonl", ["{"] * 14)
    with pytest.raises(SeedTaskError) as caught:
        load_seed_tasks(path)
    message = str(caught.value)
    assert "14 problem(s)" in message and "line 10:" in message and "line 11:" not in message
    assert message.endswith("... and 4 more")


@pytest.mark.skipif(
    not (CORPUS / "self_instruct_seed_tasks.jsonl").exists(), reason="shared corpus not present"
)
def test_published_self_instruct_seed_file_loads():
    tasks = load_seed_tasks(CORPUS / "self_instruct_seed_tasks.jsonl")
    assert len(tasks) == 175
    assert sum(t.is_classification for t in tasks) == 26
    assert all(isinstance(t, SeedTask) and t.instances for t in tasks)
