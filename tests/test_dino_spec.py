"""Task specs and input files: usable ones load, unusable ones fail with a reason a user can act on."""

from __future__ import annotations

import json

import pytest

from dynosaur.dino.inputs import InputError, read_inputs
from dynosaur.dino.spec import SpecError, check_mode, load_spec

PAIR = {
    "task_name": "sts",
    "labels": {
        "1": {"instruction": 'Sentence 1: "<X1>"\nSentence 2: "', "counter_labels": []},
        "0": {"instruction": 'Sentence 1: "<X1>"\nOther sentence: "', "counter_labels": ["1"]},
    },
}
SINGLE = {
    "task_name": "org/movies v1",
    "labels": {"0": {"instruction": 'A bad movie: "'}, "1": {"instruction": 'A good movie: "'}},
}


def _write(tmp_path, data, name="spec.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_pair_spec_loads_with_labels_in_file_order(tmp_path):
    spec = load_spec(_write(tmp_path, PAIR))
    assert spec.is_pair and spec.has_counter_labels
    assert list(spec.labels) == ["1", "0"]
    assert spec.labels["0"].counter_labels == ("1",)
    assert spec.labels["1"].prompt("a dog runs") == 'Sentence 1: "a dog runs"\nSentence 2: "'


def test_single_spec_without_counter_labels_gets_a_file_safe_name(tmp_path):
    spec = load_spec(_write(tmp_path, SINGLE))
    assert not spec.is_pair and not spec.has_counter_labels
    assert spec.file_stem == "org_movies_v1"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("{not json", "not valid JSON"),
        ([1, 2], "JSON object"),
        ({"labels": SINGLE["labels"]}, "task_name"),
        ({"task_name": "t"}, "'labels' must be a non-empty object"),
        ({"task_name": "t", "labels": {}}, "'labels' must be a non-empty object"),
        ({"task_name": "t", "labels": {"a": {"counter_labels": []}}}, "needs an 'instruction'"),
        (
            {"task_name": "t", "labels": {"a": {"instruction": "no quote at the end"}}},
            "opening quotation mark",
        ),
        (
            {"task_name": "t", "labels": {"a": {"instruction": 'x "', "counter_labels": ["b"]}}},
            "counter label 'b' of label 'a' is not a label",
        ),
        (
            {"task_name": "t", "labels": {"a": {"instruction": 'x "', "counter_labels": ["a"]}}},
            "lists itself",
        ),
        (
            {"task_name": "t", "labels": {"a": {"instruction": 'x "', "counter_labels": "b"}}},
            "must be a list",
        ),
        (
            {
                "task_name": "t",
                "labels": {"a": {"instruction": '"<X1>" then "'}, "b": {"instruction": 'y "'}},
            },
            "labels 'b' have no <X1>",
        ),
    ],
)
def test_unusable_specs_fail_with_the_reason(tmp_path, data, message):
    with pytest.raises(SpecError, match=message):
        load_spec(_write(tmp_path, data))


def test_missing_spec_file_is_a_spec_error(tmp_path):
    with pytest.raises(SpecError, match="cannot read task spec"):
        load_spec(tmp_path / "absent.json")


def test_pair_spec_needs_an_input_file_and_single_spec_refuses_one(tmp_path):
    pair = load_spec(_write(tmp_path, PAIR, "pair.json"))
    single = load_spec(_write(tmp_path, SINGLE, "single.json"))
    with pytest.raises(SpecError, match="text-pair spec.*input_file"):
        check_mode(pair, has_input_file=False)
    with pytest.raises(SpecError, match="single-text spec.*takes no input_file"):
        check_mode(single, has_input_file=True)
    check_mode(pair, has_input_file=True)
    check_mode(single, has_input_file=False)


def test_plain_inputs_are_stripped_deduplicated_and_blank_lines_skipped(tmp_path):
    path = _write(tmp_path, "a dog runs\n\n  a cat sits \na dog runs\n", "in.txt")
    inputs = read_inputs(path, "plain")
    assert inputs.texts == ["a dog runs", "a cat sits"]
    assert inputs.skipped == {"duplicate input text": 1}


def test_jsonl_inputs_read_the_named_field_and_count_unusable_lines(tmp_path):
    lines = [
        '{"text_a": "first", "label": "1"}',
        "not json",
        '{"text_b": "x"}',
        '{"text_a": "second"}',
        '{"sentence": "third"}',
    ]
    path = _write(tmp_path, "\n".join(lines) + "\n", "in.jsonl")
    inputs = read_inputs(path, "jsonl")
    assert inputs.texts == ["first", "second"]
    assert inputs.skipped == {"not a JSON line": 1, "no text in field 'text_a'": 2}
    assert read_inputs(path, "jsonl", text_field="sentence").texts == ["third"]


def test_stsb_inputs_take_both_sentence_columns(tmp_path):
    rows = [
        "index\tgenre\tsentence1\tsentence2\tscore",
        "0\tmain\tA plane takes off.\tAn air plane is taking off.\t5.0",
        "1\tmain\tA man plays a flute.\tA plane takes off.\t0.2",
        "2\tbroken",
    ]
    inputs = read_inputs(_write(tmp_path, "\n".join(rows) + "\n", "train.tsv"), "stsb")
    assert inputs.texts == ["A plane takes off.", "An air plane is taking off.", "A man plays a flute."]
    assert inputs.skipped == {"row with too few columns": 1, "duplicate input text": 1}


def test_input_files_without_usable_text_are_errors(tmp_path):
    with pytest.raises(InputError, match="no usable text.*not a JSON line: 1"):
        read_inputs(_write(tmp_path, "oops\n", "bad.jsonl"), "jsonl")
    with pytest.raises(InputError, match="header row"):
        read_inputs(_write(tmp_path, "a\tb\n", "bad.tsv"), "stsb")
    with pytest.raises(InputError, match="cannot read input file"):
        read_inputs(tmp_path / "absent.txt", "plain")
    with pytest.raises(InputError, match="unknown input file type"):
        read_inputs(_write(tmp_path, "x\n", "x.txt"), "csv")
