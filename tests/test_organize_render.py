"""Rendering cells as record text, and the record writer's guarantees."""

from __future__ import annotations

import json

import pytest

from dynosaur.contracts.records import MissingLicense, Record, RecordWriter
from dynosaur.hub.organize.render import EmptyCell, NotRenderable, render_input, render_output


def test_one_input_field_is_its_text():
    assert render_input(["q"], {"q": "What is 2+2?"}, 2000).text == "What is 2+2?"


def test_several_fields_are_one_quoted_line_each():
    row = {"premise": "A dog runs.", "hypothesis": "An animal moves.", "idx": 3}
    text = render_input(["premise", "hypothesis", "idx"], row, 2000).text
    assert text == "premise is 'A dog runs.'.\nhypothesis is 'An animal moves.'.\nidx is '3'."


def test_choice_lists_become_lettered_options():
    row = {"question": "Sky colour?", "choices": ["blue", "green", "red"]}
    assert render_input(["choices"], row, 2000).text == "A. 'blue', B. 'green', C. 'red'"
    text = render_input(["question", "choices"], row, 2000).text
    assert text == "question is 'Sky colour?'.\nchoices are A. 'blue', B. 'green', C. 'red'."
    assert render_input(["endings"], {"endings": ["x", "y"]}, 2000).text == "A. 'x', B. 'y'"


def test_other_lists_of_strings_are_joined_with_spaces():
    assert (
        render_input(["tokens"], {"tokens": ["EU", "rejects", "German", "call"]}, 2000).text
        == "EU rejects German call"
    )


def test_answer_structs_read_as_text_lists_and_output_takes_the_first():
    row = {"answers": {"text": ["Denver Broncos", "Broncos"], "answer_start": [177, 190]}}
    assert render_output("answers", row, 2000).text == "Denver Broncos"
    assert render_input(["answers"], row, 2000).text == "Denver Broncos Broncos"  # not choices
    assert render_output("answers.text", row, 2000).text == "Denver Broncos"


def test_dotted_field_reaches_into_a_translation_struct():
    row = {"translation": {"en": "Hello", "de": "Hallo"}}
    assert render_input(["translation.en"], row, 2000).text == "Hello"
    assert render_output("translation.de", row, 2000).text == "Hallo"


def test_numbers_and_booleans_render_deterministically():
    row = {"i": 7, "f": 0.1, "b": False, "big": 1e21}
    assert [render_output(k, row, 2000).text for k in row] == ["7", "0.1", "false", "1e+21"]


@pytest.mark.parametrize("value", [[{"a": 1}], {"start": 1}, [["x"]], float("inf")])
def test_structures_without_a_text_form_are_not_renderable(value):
    with pytest.raises(NotRenderable):
        render_output("y", {"y": value}, 2000)
    with pytest.raises(NotRenderable):
        render_input(["y"], {"y": value}, 2000)


@pytest.mark.parametrize("row", [{}, {"y": None}, {"y": ""}, {"y": []}, {"y": {"text": []}}])
def test_missing_or_empty_cells_are_empty(row):
    with pytest.raises(EmptyCell):
        render_output("y", row, 2000)


def test_writer_refuses_a_record_without_license(tmp_path):
    with (
        pytest.raises(MissingLicense),
        RecordWriter(tmp_path / "out.jsonl", tmp_path / "out.parquet") as writer,
    ):
        writer.write(Record("i", "x", "y", "", "https://w", "task"))
    assert not (tmp_path / "out.jsonl").exists()
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_the_previous_files(tmp_path):
    good = Record("i", "x", "y", "mit", "https://w", "task")
    with RecordWriter(tmp_path / "out.jsonl", tmp_path / "out.parquet") as writer:
        writer.write(good)
    before = (tmp_path / "out.jsonl").read_bytes(), (tmp_path / "out.parquet").read_bytes()
    with (
        pytest.raises(RuntimeError),
        RecordWriter(tmp_path / "out.jsonl", tmp_path / "out.parquet") as writer,
    ):
        writer.write(good)
        writer.write(good)
        raise RuntimeError("killed")
    assert ((tmp_path / "out.jsonl").read_bytes(), (tmp_path / "out.parquet").read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl", "out.parquet"]
    assert json.loads(before[0]) == good.to_json()
