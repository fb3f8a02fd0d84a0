"""Validation rules and the `dynosaur filter` stage's artifacts."""

from __future__ import annotations

import json

import pytest

from dynosaur.cli import main
from dynosaur.contracts.task_checks import DatasetFields, first_reason, judge, parse_answer
from dynosaur.contracts.tasks import Task

STRING = {"dtype": "string", "_type": "Value"}
INT = {"dtype": "int64", "_type": "Value"}

QA = {
    "task_name": "org/qa",
    "dataset": "org/qa",
    "config": "default",
    "features": {
        "id": STRING,
        "context": STRING,
        "question": STRING,
        "answers": {
            "text": {"feature": STRING, "_type": "List"},
            "answer_start": {"feature": INT, "_type": "List"},
        },
        "entities": {"feature": {"start": INT, "end": INT, "type": STRING}, "_type": "List"},
        "meta": {"source": STRING, "year": INT},
        "photo": {"_type": "Image"},
    },
    "selected_data": [
        {
            "id": "a1",
            "context": "The bridge opened in 1932.",
            "question": "When did it open?",
            "answers": {"text": ["1932"], "answer_start": [22]},
            "entities": [{"start": 4, "end": 10, "type": "FAC"}],
            "meta": {"source": "wiki", "year": 2020},
            "photo": {"src": "x.jpg"},
        }
    ],
}


def _task(instruction="Answer the question.", inputs=("context", "question"), output=("answers",), **extra):
    return Task("org/qa", instruction, tuple(inputs), tuple(output), source="description-aware", **extra)


def _reason(task, metadata=QA):
    return first_reason(task, DatasetFields.of(metadata))


def test_a_good_task_passes():
    assert _reason(_task()) is None


@pytest.mark.parametrize(
    ("task", "kind"),
    [
        (_task(instruction="  "), "empty instruction"),
        (_task(output=()), "empty output"),
        (_task(output=("answers", "question")), "multi-field output"),
        (_task(inputs=()), "no input field"),
        (_task(inputs=("context", "secret")), "unknown field"),
        (_task(inputs=("id", "question")), "id field"),
        (_task(inputs=("photo",)), "media field"),
        (_task(inputs=("context", "answers")), "output used as input"),
        (_task(output=("entities",)), "output not text"),
        (_task(output=("meta",)), "output not text"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_each_rule_rejects_with_its_reason(task, kind):
    reason = _reason(task)
    assert reason is not None and reason.split(":")[0] == kind


def test_struct_member_can_be_named_with_a_dotted_path():
    assert _reason(_task(inputs=("context",), output=("meta.source",))) is None


def test_output_shape_is_judged_from_rows_when_features_are_missing():
    metadata = {
        "task_name": "org/qa",
        "features": {},
        "selected_data": [
            {"text": "x", "spans": [{"a": 1}], "tags": ["A", "B"], "references": ["A", "B"], "tag": ["A"]}
        ],
    }
    assert _reason(_task(inputs=("text",), output=("spans",)), metadata).startswith("output not text")
    # several tags per row are parts of one answer: no record can show them faithfully
    assert _reason(_task(inputs=("text",), output=("tags",)), metadata).startswith("list output")
    assert _reason(_task(inputs=("text",), output=("references",)), metadata) is None
    assert _reason(_task(inputs=("text",), output=("tag",)), metadata) is None


def test_identical_tasks_from_both_modes_keep_the_first():
    aware = _task(mode="aware")
    unaware = Task(
        "org/qa",
        "Answer the question!",
        ("context", "question"),
        ("answers",),
        source="description-unaware",
        mode="unaware",
    )
    judged = judge([aware, unaware], {"org/qa": QA})
    assert [t.valid for t in judged] == [True, False]
    assert judged[1].reason.startswith("duplicate task")


def test_instruction_repeated_with_other_fields_is_rejected():
    judged = judge([_task(), _task(inputs=("question",))], {"org/qa": QA})
    assert judged[1].reason.startswith("repeated instruction")


def test_task_of_a_dataset_without_metadata_is_rejected():
    (task,) = judge([Task("org/gone", "Do it.", ("a",), ("b",), source="rules")], {"org/qa": QA})
    assert task.reason.startswith("unknown dataset")


def test_unparseable_and_overlong_answers_become_rejections():
    (bad,) = parse_answer("I would rather not.")
    assert bad.reason.startswith("unparseable answer")
    (cut,) = parse_answer('[{"instruction": "Ans', finish_reason="length")
    assert cut.reason.startswith("truncated answer")
    many = parse_answer(
        json.dumps([{"instruction": str(i), "input_fields": ["a"], "output_field": ["b"]} for i in range(5)]),
        max_tasks=3,
    )
    assert [p.reason is None for p in many] == [True, True, True, False, False]
    assert many[3].reason.startswith("too many tasks")
    (odd,) = parse_answer('["just a string"]')
    assert odd.reason.startswith("not a task object")


def test_lenient_field_shapes_are_normalized():
    (p,) = parse_answer(
        '[{"instruction": "  Answer \\n it. ", "input_fields": "question", "output_field": "answers"}]'
    )
    assert (p.instruction, p.input_fields, p.output_field, p.reason) == (
        "Answer it.",
        ("question",),
        ("answers",),
        None,
    )


def _write(data, tasks, metadata=(QA,)):
    data.mkdir(exist_ok=True)
    (data / "huggingface_metadata.jsonl").write_text("".join(json.dumps(m) + "\n" for m in metadata))
    (data / "tasks.jsonl").write_text("".join(json.dumps(t) + "\n" for t in tasks))


def test_filter_writes_instructions_rejections_and_report(tmp_path, capsys):
    data = tmp_path / "data"
    good = _task(mode="aware").to_json()
    unknown = _task(inputs=("secret",), mode="aware").to_json()
    cut = {
        **_task(instruction="", inputs=(), output=(), mode="unaware").to_json(),
        "reason": "truncated answer: cut off",
        "valid": False,
    }
    _write(data, [good, unknown, cut])
    with open(data / "tasks.jsonl", "a") as handle:
        handle.write("{broken\n")
    assert main(["filter", "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out
    assert "1 valid tasks" in out and "1 unknown field" in out and "1 truncated answer" in out

    published = json.loads((data / "instructions-full.json").read_text())
    assert published == [
        {
            "task_name": "org/qa",
            "instruction": "Answer the question.",
            "input_fields": ["context", "question"],
            "output_field": ["answers"],
        }
    ]
    rejected = [json.loads(line) for line in (data / "rejected_tasks.jsonl").read_text().splitlines()]
    assert [r["reason"].split(":")[0] for r in rejected] == ["unknown field", "truncated answer"]
    report = json.loads((data / "filter_report.json").read_text())
    assert report["rejected_by_reason"] == {"truncated answer": 1, "unknown field": 1}
    assert report["skipped_lines"][0]["where"] == "tasks.jsonl:4"
    tasks = [json.loads(line) for line in (data / "tasks.jsonl").read_text().splitlines()]
    assert [t["valid"] for t in tasks] == [True, False, False]


def test_filter_twice_gives_identical_files(tmp_path):
    data = tmp_path / "data"
    _write(data, [_task(mode="aware").to_json(), _task(mode="unaware").to_json()])
    main(["filter", "--data-dir", str(data)])
    first = {p.name: p.read_bytes() for p in data.iterdir()}
    main(["filter", "--data-dir", str(data)])
    assert {p.name: p.read_bytes() for p in data.iterdir()} == first


def test_filter_without_tasks_file_says_what_to_run(tmp_path, capsys):
    assert main(["filter", "--data-dir", str(tmp_path)]) == 2
    assert "run `dynosaur propose` first" in capsys.readouterr().err
