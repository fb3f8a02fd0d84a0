"""Organize: tasks over rows become records, every drop and skip has a reason in the report."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from dynosaur.cli import main
from dynosaur.hub.organize.rules import OrganizeConfig
from dynosaur.hub.organize.run import organize

TEXT = {"dtype": "string", "_type": "Value"}


def config_line(
    task_name: str, rows: list, features: dict | None = None, license_: str = "mit", **extra
) -> dict:
    features = features if features is not None else {key: TEXT for key in (rows[0] if rows else {})}
    return {
        "task_name": task_name,
        "dataset": task_name,
        "config": "default",
        "split": "train",
        "revision": "a" * 40,
        "license": license_,
        "website": f"https://huggingface.co/datasets/{task_name}",
        "features": [{"feature_idx": i, "name": k, "type": v} for i, (k, v) in enumerate(features.items())],
        "selected_data": rows,
        **extra,
    }


def task(task_name: str, inputs: list[str], output: str, instruction: str = "Do the task.") -> dict:
    return {
        "task_name": task_name,
        "instruction": instruction,
        "input_fields": inputs,
        "output_field": [output],
    }


def arrange(tmp_path: Path, lines: list[dict], tasks: list[dict], license_info: dict | None = None) -> Path:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    (data / "huggingface_data.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    (data / "instructions-full.json").write_text(json.dumps(tasks))
    if license_info is not None:
        (data / "license_info.json").write_text(json.dumps(license_info))
    return data


def records(data: Path) -> list[dict]:
    return [json.loads(line) for line in (data / "dynosaur-full.jsonl").read_text().splitlines()]


def report(data: Path) -> dict:
    return json.loads((data / "organize_report.json").read_text())


def task_entry(data: Path, name: str) -> dict:
    return next(t for t in report(data)["tasks"] if t["task_name"] == name)


def labelled(labels: list, field: str = "label") -> list[dict]:
    return [{"text": f"sentence {i}", field: label} for i, label in enumerate(labels)]


def test_records_have_the_published_keys_first_then_the_split_and_row_they_came_from(tmp_path):
    rows = [
        {"question": "Who?", "answer": "Bob"},
        {"question": "Where?", "answer": ""},
        {"question": "When?", "answer": "Now"},
    ]
    data = arrange(
        tmp_path,
        [
            config_line("org/qa", rows, split="validation", row_indices=[4, 7, 9]),
            config_line("org/old", rows[:1]),  # a data file written before rows carried their index
        ],
        [
            task("org/qa", ["question"], "answer", "Answer the question."),
            task("org/old", ["question"], "answer"),
        ],
    )
    organize(data, progress=False)
    assert records(data) == [
        {
            "instruction": "Answer the question.",
            "input": "Who?",
            "output": "Bob",
            "license": "mit",
            "website": "https://huggingface.co/datasets/org/qa",
            "taskname": "org/qa",
            "split": "validation",
            "row_idx": 4,
        },
        {
            "instruction": "Answer the question.",
            "input": "When?",
            "output": "Now",
            "license": "mit",
            "website": "https://huggingface.co/datasets/org/qa",
            "taskname": "org/qa",
            "split": "validation",
            "row_idx": 9,
        },
        {
            "instruction": "Do the task.",
            "input": "Who?",
            "output": "Bob",
            "license": "mit",
            "website": "https://huggingface.co/datasets/org/old",
            "taskname": "org/old",
            "split": "train",
            "row_idx": None,
        },
    ]
    assert list(records(data)[0]) == [
        "instruction", "input", "output", "license", "website", "taskname", "split", "row_idx",
    ]  # fmt: skip
    table = pq.read_table(data / "dynosaur-full.parquet")
    assert table.column_names[:6] == ["instruction", "input", "output", "license", "website", "taskname"]
    assert table.column("row_idx").to_pylist() == [4, 9, None]


def test_classification_instruction_lists_labels_in_classlabel_order(tmp_path):
    features = {"text": TEXT, "label": {"names": ["pos", "neg", "neu"], "_type": "ClassLabel"}}
    rows = labelled(["neg", "pos", "neu", "pos", "neg", "neu"])
    data = arrange(
        tmp_path, [config_line("senti", rows, features)], [task("senti", ["text"], "label", "Classify.")]
    )
    organize(data, progress=False)
    out = records(data)
    assert len(out) == 6
    assert {r["instruction"] for r in out} == {"Classify. Answers must be one of pos, neg, neu."}


def test_label_space_is_not_repeated_when_the_instruction_names_every_label(tmp_path):
    features = {"text": TEXT, "label": {"names": ["pos", "neg", "neu"], "_type": "ClassLabel"}}
    rows = labelled(["neg", "pos", "neu", "pos", "neg", "neu"])
    named = "Is the review pos, neg or neu?"
    partly = "Is the review positive, negative or neutral?"  # "neutral" is not "neu"
    data = arrange(  # two configs: one config keeps one task per (inputs, output) mapping
        tmp_path,
        [config_line("senti", rows, features), config_line("senti2", rows, features)],
        [task("senti", ["text"], "label", named), task("senti2", ["text"], "label", partly)],
    )
    organize(data, progress=False)
    instructions = {r["instruction"] for r in records(data)}
    assert instructions == {named, f"{partly} Answers must be one of pos, neg, neu."}


def test_an_instruction_listing_labels_its_rows_do_not_answer_is_dropped(tmp_path):
    features = {"text": TEXT, "label": {"names": ["pos", "neg", "neu"], "_type": "ClassLabel"}}
    rows = labelled(["neg", "pos", "neu", "pos", "neg", "neu"])
    data = arrange(
        tmp_path,
        [config_line("senti", rows, features)],
        [task("senti", ["text"], "label", "Classify the review as pos or neg.")],
    )
    organize(data, progress=False)
    assert records(data) == []
    assert task_entry(data, "senti")["reason"] == (
        "labels miss outputs: the instruction lists pos, neg but rows answer 'neu'"
    )


def test_numeric_labels_sort_by_value_and_render_as_text(tmp_path):
    rows = labelled([10, 2, 1, 2, 10, 1])
    features = {"text": TEXT, "label": {"dtype": "int64", "_type": "Value"}}
    data = arrange(tmp_path, [config_line("stars", rows, features)], [task("stars", ["text"], "label")])
    organize(data, progress=False)
    out = records(data)
    assert out[0]["instruction"].endswith("Answers must be one of 1, 2, 10.")
    assert [r["output"] for r in out] == ["10", "2", "1", "2", "10", "1"]


def test_two_labels_with_one_above_70_percent_drop_the_task(tmp_path):
    rows = labelled(["yes"] * 8 + ["no"] * 2)
    balanced = labelled(["yes"] * 7 + ["no"] * 3)
    data = arrange(
        tmp_path,
        [config_line("skewed", rows), config_line("fine", balanced)],
        [task("skewed", ["text"], "label"), task("fine", ["text"], "label")],
    )
    organize(data, progress=False)
    assert task_entry(data, "skewed")["reason"] == "imbalanced labels: 'yes' is 80% of 10 rows (limit 70%)"
    assert task_entry(data, "fine")["status"] == "kept"
    assert {r["taskname"] for r in records(data)} == {"fine"}
    assert report(data)["tasks_dropped_by_reason"] == {"imbalanced labels": 1}


def test_three_labels_with_one_above_half_drop_the_task(tmp_path):
    rows = labelled(["a"] * 6 + ["b"] * 2 + ["c"] * 2)
    data = arrange(tmp_path, [config_line("multi", rows)], [task("multi", ["text"], "label")])
    organize(data, progress=False)
    assert task_entry(data, "multi")["reason"].startswith("imbalanced labels: 'a' is 60%")


def test_thresholds_are_configurable(tmp_path):
    rows = labelled(["yes"] * 8 + ["no"] * 2)
    data = arrange(tmp_path, [config_line("skewed", rows)], [task("skewed", ["text"], "label")])
    organize(data, config=OrganizeConfig(binary_majority=0.85), progress=False)
    assert len(records(data)) == 10
    organize(data, config=OrganizeConfig(max_labels=1), progress=False)
    assert records(data)[0]["instruction"] == "Do the task."  # two labels are no label space any more


def test_label_space_is_left_out_when_a_label_is_long(tmp_path):
    rows = labelled(["a rather long label text", "short"] * 3)
    data = arrange(tmp_path, [config_line("long", rows)], [task("long", ["text"], "label")])
    organize(data, progress=False)
    assert {r["instruction"] for r in records(data)} == {"Do the task."}


def test_distinct_free_text_outputs_are_not_a_label_space(tmp_path):
    rows = [{"doc": "long text one", "summary": "one"}, {"doc": "long text two", "summary": "two"}]
    data = arrange(tmp_path, [config_line("summ", rows)], [task("summ", ["doc"], "summary")])
    organize(data, progress=False)
    assert [r["instruction"] for r in records(data)] == ["Do the task.", "Do the task."]


def test_boolean_labels_render_as_true_false(tmp_path):
    rows = labelled([True, False, True, False])
    features = {"text": TEXT, "label": {"dtype": "bool", "_type": "Value"}}
    data = arrange(tmp_path, [config_line("bool", rows, features)], [task("bool", ["text"], "label")])
    organize(data, progress=False)
    assert [r["output"] for r in records(data)] == ["true", "false", "true", "false"]
    assert records(data)[0]["instruction"].endswith("Answers must be one of false, true.")


def test_output_holding_lists_of_dicts_drops_the_task_with_reason(tmp_path):
    rows = [{"text": "x", "spans": [{"start": 0, "end": 1}]}]
    struct = [{"text": "y", "meta": {"a": 1}}]
    data = arrange(
        tmp_path,
        [config_line("spans", rows), config_line("struct", struct)],
        [task("spans", ["text"], "spans"), task("struct", ["text"], "meta")],
    )
    organize(data, progress=False)
    assert task_entry(data, "spans")["reason"] == "output not text: 'spans' holds list of dict"
    assert task_entry(data, "struct")["reason"] == "output not text: 'meta' holds struct"
    assert not records(data)


def test_none_and_empty_cells_skip_rows_with_counted_reasons(tmp_path):
    rows = [
        {"q": "a", "a": "1"},
        {"q": None, "a": "2"},
        {"q": "c", "a": None},
        {"q": "  ", "a": "4"},
        {"q": "e", "a": ""},
        {"q": "f", "a": []},
    ]
    data = arrange(tmp_path, [config_line("holes", rows)], [task("holes", ["q"], "a")])
    organize(data, progress=False)
    assert [r["input"] for r in records(data)] == ["a"]
    assert report(data)["rows_skipped_by_reason"] == {"empty input": 2, "empty output": 3}
    assert task_entry(data, "holes")["rows_skipped"] == {"empty input": 2, "empty output": 3}


def test_unrenderable_input_value_skips_only_that_row(tmp_path):
    rows = [
        {"ctx": "plain", "y": "ok"},
        {"ctx": [{"nested": 1}], "y": "bad"},
        {"ctx": float("nan"), "y": "nan"},
    ]
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    # NaN is not JSON: write the line the way Python's json module does (NaN literal).
    (data_dir / "huggingface_data.jsonl").write_text(json.dumps(config_line("mixed", rows)) + "\n")
    (data_dir / "instructions-full.json").write_text(json.dumps([task("mixed", ["ctx"], "y")]))
    organize(data_dir, progress=False)
    assert [r["output"] for r in records(data_dir)] == ["ok"]
    assert report(data_dir)["rows_skipped_by_reason"] == {
        "input not renderable (list of dict)": 1,
        "input not renderable (non-finite number nan)": 1,
    }


def test_huge_cells_are_cut_to_the_configured_length(tmp_path):
    rows = [{"doc": "x" * 5000, "title": "t" * 3000}, {"doc": "short", "title": "t"}]
    data = arrange(tmp_path, [config_line("big", rows)], [task("big", ["doc"], "title")])
    organize(data, progress=False)
    out = records(data)
    assert (len(out[0]["input"]), len(out[0]["output"])) == (2000, 2000)
    assert report(data)["cells_truncated"] == 2
    organize(data, config=OrganizeConfig(max_cell_chars=100), progress=False)
    assert len(records(data)[0]["input"]) == 100


def test_task_whose_field_vanished_is_dropped_with_reason(tmp_path):
    rows = [{"question": "q", "answer": "a"}]
    data = arrange(
        tmp_path,
        [config_line("qa", rows)],
        [task("qa", ["question", "context"], "answer"), task("qa", ["question"], "answer")],
    )
    organize(data, progress=False)
    entries = [t for t in report(data)["tasks"] if t["task_name"] == "qa"]
    assert entries[0]["reason"] == "field vanished: 'context' is not in the dataset-config"
    assert entries[1]["status"] == "kept"


def test_task_whose_dataset_config_vanished_is_dropped_with_reason(tmp_path):
    data = arrange(
        tmp_path,
        [config_line("here", [{"a": "1", "b": "2"}])],
        [task("gone", ["a"], "b"), task("here", ["a"], "b")],
    )
    organize(data, progress=False)
    assert task_entry(data, "gone")["reason"].startswith("dataset-config vanished:")
    assert [r["taskname"] for r in records(data)] == ["here"]


def test_excluded_dataset_is_dropped_with_reason(tmp_path):
    data = arrange(
        tmp_path,
        [config_line("me/dyno", [{"a": "1", "b": "2"}]), config_line("x", [{"a": "1", "b": "2"}])],
        [task("me/dyno", ["a"], "b"), task("x", ["a"], "b")],
    )
    assert main(["organize", "--data-dir", str(data), "--exclude", "me/dyno", "--no-progress"]) == 0
    assert task_entry(data, "me/dyno")["reason"] == "excluded: me/dyno is excluded from organize"
    assert [r["taskname"] for r in records(data)] == ["x"]


def test_organizing_into_a_side_file_keeps_the_main_report(tmp_path):
    data = arrange(
        tmp_path,
        [config_line("me/dyno", [{"a": "1", "b": "2"}]), config_line("x", [{"a": "1", "b": "2"}])],
        [task("me/dyno", ["a"], "b"), task("x", ["a"], "b")],
    )
    organize(data, progress=False)
    side = data / "without-dyno.jsonl"
    argv = ["organize", "--data-dir", str(data), "--exclude", "me/dyno", "--output", str(side)]
    assert main([*argv, "--no-progress"]) == 0
    assert report(data)["records"] == len(records(data)) == 2
    side_report = json.loads((data / "without-dyno_report.json").read_text())
    assert side_report["records"] == len(side.read_text().splitlines()) == 1
    assert (data / "without-dyno.parquet").is_file()


def test_media_fields_drop_the_task(tmp_path):
    features = {"image": {"_type": "Image"}, "caption": TEXT}
    rows = [{"image": {"src": "http://x/1.png", "height": 1, "width": 1}, "caption": "a cat"}]
    data = arrange(tmp_path, [config_line("pics", rows, features)], [task("pics", ["image"], "caption")])
    organize(data, progress=False)
    assert task_entry(data, "pics")["reason"] == "media field: 'image' is Image"


def test_exact_duplicate_records_are_written_once(tmp_path):
    rows = [{"q": "same", "a": "same answer"}] * 3 + [{"q": "other", "a": "x"}]
    data = arrange(
        tmp_path, [config_line("dups", rows)], [task("dups", ["q"], "a"), task("dups", ["q"], "a")]
    )
    organize(data, progress=False)
    assert [r["input"] for r in records(data)] == ["same", "other"]
    # the second task maps the same fields, so it is dropped as a whole before making records
    assert report(data)["duplicates_removed"] == 2
    assert report(data)["tasks_dropped_by_reason"] == {"duplicate mapping": 1}


def test_task_without_license_is_dropped_not_written(tmp_path):
    data = arrange(
        tmp_path, [config_line("nolic", [{"a": "1", "b": "2"}], license_="")], [task("nolic", ["a"], "b")]
    )
    organize(data, progress=False)
    assert task_entry(data, "nolic")["reason"].startswith("no license:")
    assert records(data) == []


def test_license_info_file_sets_license_and_website(tmp_path):
    data = arrange(
        tmp_path,
        [config_line("ds", [{"a": "1", "b": "2"}], license_="")],
        [task("ds", ["a"], "b")],
        {"ds": {"license": "apache-2.0", "website": "https://example.org/ds"}},
    )
    organize(data, progress=False)
    assert (records(data)[0]["license"], records(data)[0]["website"]) == (
        "apache-2.0",
        "https://example.org/ds",
    )
    assert report(data)["records_per_license"] == {"apache-2.0": 1}


def test_two_runs_write_byte_identical_files(tmp_path):
    rows = [{"q": f"question {i}", "a": f"answer {i % 3}", "choices": ["x", "y"]} for i in range(30)]
    data = arrange(
        tmp_path,
        [config_line("ds1", rows), config_line("ds2", rows[:5])],
        [task("ds1", ["q", "choices"], "a"), task("ds2", ["q"], "a")],
    )
    organize(data, progress=False)
    first = [
        (data / name).read_bytes()
        for name in ("dynosaur-full.jsonl", "dynosaur-full.parquet", "organize_report.json")
    ]
    organize(data, progress=False)
    second = [
        (data / name).read_bytes()
        for name in ("dynosaur-full.jsonl", "dynosaur-full.parquet", "organize_report.json")
    ]
    assert first == second
    assert sorted(p.name for p in data.iterdir() if p.name.startswith(".")) == []  # no temp files left


def test_parquet_output_loads_with_datasets(tmp_path):
    rows = [{"q": f"q{i}", "a": f"a{i}"} for i in range(25)]
    data = arrange(tmp_path, [config_line("ds", rows)], [task("ds", ["q"], "a")])
    organize(data, config=OrganizeConfig(row_group_size=10), progress=False)
    import datasets
    import pyarrow.parquet as pq

    assert pq.ParquetFile(data / "dynosaur-full.parquet").metadata.num_row_groups == 3
    loaded = datasets.load_dataset(
        "parquet",
        data_files=str(data / "dynosaur-full.parquet"),
        split="train",
        cache_dir=str(tmp_path / "hf-cache"),
    )
    assert loaded.column_names == [
        "instruction", "input", "output", "license", "website", "taskname", "split", "row_idx",
    ]  # fmt: skip
    assert loaded[24] == records(data)[24]


def test_bad_lines_of_the_data_file_are_reported_and_the_rest_organized(tmp_path):
    data = arrange(tmp_path, [], [task("ok", ["a"], "b"), task("dup", ["a"], "b")])
    good = json.dumps(config_line("ok", [{"a": "1", "b": "2"}]))
    (data / "huggingface_data.jsonl").write_text(
        "{not json\n"
        + "[1, 2]\n"
        + good
        + "\n"
        + good
        + "\n"
        + json.dumps(config_line("dup", [{"a": "3", "b": "4"}]) | {"selected_data": "oops"})
        + "\n"
    )
    organize(data, progress=False)
    skipped = report(data)["lines_skipped"]
    assert [s.get("line") for s in skipped] == [1, 2, None, 5]
    assert skipped[2] == {"task_name": "ok", "reason": "duplicate task_name line"}
    assert records(data) == [records(data)[0]] and records(data)[0]["taskname"] == "ok"


def test_malformed_tasks_are_reported(tmp_path):
    data = arrange(
        tmp_path,
        [config_line("ds", [{"a": "1", "b": "2"}])],
        [
            {"task_name": "ds", "instruction": "x", "input_fields": ["a"], "output_field": ["b", "a"]},
            {"task_name": "ds", "instruction": " ", "input_fields": ["a"], "output_field": ["b"]},
            task("ds", [], "b"),
        ],
    )
    organize(data, progress=False)
    assert [t["reason"] for t in report(data)["tasks"]] == [
        "bad task: output_field is not one field name",
        "bad task: no instruction",
        "no input fields: the task names no input field",
    ]


def test_cli_prints_summary_and_fails_clearly_without_inputs(tmp_path, capsys):
    data = arrange(tmp_path, [config_line("ds", [{"a": "1", "b": "2"}])], [task("ds", ["a"], "b")])
    assert main(["organize", "--data-dir", str(data), "--no-progress", "--max-cell-chars", "50"]) == 0
    assert "organize: 1 records from 1 tasks" in capsys.readouterr().out
    assert report(data)["config"]["max_cell_chars"] == 50
    assert main(["organize", "--data-dir", str(tmp_path / "empty"), "--no-progress"]) == 2
    assert "run `dynosaur filter` first" in capsys.readouterr().err


@pytest.mark.parametrize("payload", ["{", '{"a": 1}'])
def test_unreadable_task_file_is_a_clear_error(tmp_path, payload):
    data = arrange(tmp_path, [], [])
    (data / "instructions-full.json").write_text(payload)
    with pytest.raises(ValueError, match="instructions-full.json"):
        organize(data, progress=False)


def test_alternatives_give_one_record_each_and_a_list_of_parts_drops_the_task(tmp_path):
    seq = {"feature": TEXT, "_type": "Sequence"}
    rows = [
        {"text": "The cat sat on the mat.", "references": ["A cat sat.", "The cat sat.", "A cat sat."],
         "tokens": ["The", "cat"]},
        {"text": "It rained all day.", "references": ["It rained."], "tokens": ["It"]},
    ]  # fmt: skip
    features = {"text": TEXT, "references": seq, "tokens": seq}
    data = arrange(
        tmp_path,
        [config_line("simple", rows, features)],
        [
            task("simple", ["text"], "references", "Simplify."),
            task("simple", ["text"], "tokens", "Tokenize."),
        ],
    )
    organize(data, progress=False)
    outputs = [r["output"] for r in records(data) if r["instruction"] == "Simplify."]
    assert outputs == ["A cat sat.", "The cat sat.", "It rained."]  # never "A cat sat., The cat sat."
    assert task_entry(data, "simple")["status"] == "kept"
    dropped = [t for t in report(data)["tasks"] if t["instruction"] == "Tokenize."]
    assert dropped[0]["reason"].startswith("list output: 'tokens' holds 2 items in one row")


def test_float32_cells_render_as_the_shortest_text_that_round_trips(tmp_path):
    f32 = {"dtype": "float32", "_type": "Value"}
    values = [0.30000001192092896, 2.109999895095825, 4.0]
    rows = [{"text": f"pair {i}", "score": v, "note": f"note {i}"} for i, v in enumerate(values)]
    features = {"text": TEXT, "score": f32, "note": TEXT}
    data = arrange(
        tmp_path,
        [config_line("sts", rows, features), config_line("inv", rows, features)],
        [
            task("sts", ["text"], "score", "Rate it as a number."),
            task("inv", ["score", "text"], "note", "Note?"),
        ],
    )
    organize(data, progress=False)
    assert [r["output"] for r in records(data) if r["taskname"] == "sts"] == ["0.3", "2.11", "4.0"]
    assert [r["input"].split("\n")[0] for r in records(data) if r["taskname"] == "inv"] == [
        "score is '0.3'.", "score is '2.11'.", "score is '4.0'."
    ]  # fmt: skip


def test_organize_drops_locator_outputs_and_bare_inputs_from_any_instructions_file(tmp_path):
    rows = [
        {"question": f"Question {i}?", "source_url": f"https://example.org/{i}", "flag": i % 2 == 0,
         "answer": f"answer {i}"}
        for i in range(4)
    ]  # fmt: skip
    features = {
        "question": TEXT,
        "source_url": TEXT,
        "flag": {"dtype": "bool", "_type": "Value"},
        "answer": TEXT,
    }
    data = arrange(
        tmp_path,
        [config_line("qa", rows, features)],
        [
            task("qa", ["question"], "source_url", "Find the page."),
            task("qa", ["flag"], "answer", "Write it."),
        ],
    )
    organize(data, progress=False)
    reasons = [t["reason"].split(":")[0] for t in report(data)["tasks"]]
    assert reasons == ["locator output", "bare input"]
    assert records(data) == []
