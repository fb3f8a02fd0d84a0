"""Lenient parsing of model answers: the JSON is found wherever the model put it."""

from __future__ import annotations

import pytest

from dynosaur.core.jsonparse import JSONParseError, parse_json_list, parse_json_value

TASKS = [{"instruction": "Classify the review.", "input_fields": ["text"], "output_field": ["label"]}]


def test_plain_json_list_is_read():
    assert (
        parse_json_value(
            '[{"instruction": "Classify the review.", "input_fields": ["text"], "output_field": ["label"]}]'
        )
        == TASKS
    )


def test_json_inside_a_fenced_block_with_prose_around_is_read():
    text = (
        'Sure! Here are the tasks:\n```json\n[{"instruction": "Classify the review.", '
        '"input_fields": ["text"], "output_field": ["label"]}]\n```\nLet me know if you need more.'
    )
    assert parse_json_value(text) == TASKS


def test_json_after_prose_without_fence_is_read():
    text = (
        'I think the dataset supports this task [see below]: [{"instruction": "Classify the review.", '
        '"input_fields": ["text"], "output_field": ["label"]}] Hope it helps, it\'s simple.'
    )
    assert parse_json_value(text, expect=list) == TASKS


def test_python_literal_with_single_quotes_and_none_is_read():
    text = "[{'instruction': 'Classify the review.', 'input_fields': ('text',), 'output_field': ['label'], 'x': None}]"
    value = parse_json_value(text)
    assert value[0]["input_fields"] == ["text"]
    assert value[0]["x"] is None


def test_trailing_commas_are_forgiven():
    assert parse_json_value('{"a": [1, 2,], "b": 3,}') == {"a": [1, 2], "b": 3}


def test_truncated_answer_raises_a_truncated_error():
    with pytest.raises(JSONParseError) as info:
        parse_json_value('[{"instruction": "Classify the review.", "input_fields": ["te')
    assert info.value.kind == "truncated"
    assert "cut off" in str(info.value)


def test_truncated_answer_inside_an_unclosed_fence_is_truncated():
    with pytest.raises(JSONParseError) as info:
        parse_json_value('Here you go:\n```json\n[{"instruction": "Summarize')
    assert info.value.kind == "truncated"


def test_prose_without_json_raises_no_json():
    with pytest.raises(JSONParseError) as info:
        parse_json_value("I cannot propose any task for this dataset.")
    assert info.value.kind == "no_json"


def test_empty_answer_raises_empty():
    with pytest.raises(JSONParseError) as info:
        parse_json_value("   \n")
    assert info.value.kind == "empty"


def test_expect_skips_values_of_the_wrong_type():
    assert parse_json_value('note {"k": 1} then [1, 2]', expect=list) == [1, 2]


def test_python_code_is_never_executed():
    with pytest.raises(JSONParseError):
        parse_json_value("[__import__('os').system('echo hacked')]")


def test_list_wrapped_in_an_object_is_unwrapped():
    assert parse_json_list('{"tasks": [{"a": 1}, {"b": 2}]}') == [{"a": 1}, {"b": 2}]


def test_a_lone_object_becomes_a_one_item_list():
    assert parse_json_list('{"instruction": "x", "input_fields": ["a"]}') == [
        {"instruction": "x", "input_fields": ["a"]}
    ]


def test_scalar_answer_is_not_a_list():
    with pytest.raises(JSONParseError):
        parse_json_list("42")
