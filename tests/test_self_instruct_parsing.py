"""Model answers in the shapes they really come in: lists, Yes/No, instances; and the post-filters."""

from __future__ import annotations

import pytest

from dynosaur.contracts.seed_tasks import Instance
from dynosaur.self_instruct.filters import first_problem, instance_problem, instruction_filters
from dynosaur.self_instruct.parsing import parse_instances, parse_numbered_list, parse_yes_no


@pytest.mark.parametrize(
    "answer",
    [
        "9. Write a limerick about a cat.\n10. Name the largest ocean on Earth.",
        "9) Write a limerick about a cat.\n10) Name the largest ocean on Earth.",
        "Task 9: Write a limerick about a cat.\n\nTask 10: Name the largest ocean on Earth.\n",
        "**Task 9:** Write a limerick about a cat.\n**Task 10:** Name the largest ocean on Earth.",
        "Sure! Here are more tasks:\n\n9. Write a limerick about a cat.\n\n10. Name the largest ocean on Earth.",
        "Instruction: Write a limerick about a cat.\nInstruction: Name the largest ocean on Earth.",
        "Task 9\nInstruction: Write a limerick about a cat.\nTask 10\nInstruction: Name the largest ocean on Earth.",
        "- Write a limerick about a cat.\n- Name the largest ocean on Earth.",
        "9. Write a limerick\n   about a cat.\n10. Name the largest ocean on Earth.",
        "9. Write a limerick about a cat.\nInput: <noinput>\nOutput: There once was...\n10. Name the largest ocean on Earth.",
        "Write a limerick about a cat.\nTask 10: Name the largest ocean on Earth.",
    ],
)
def test_numbered_lists_in_every_shape_give_the_same_instructions(answer):
    assert parse_numbered_list(answer, first_number=9) == [
        "Write a limerick about a cat.",
        "Name the largest ocean on Earth.",
    ]


def test_truncated_answer_loses_its_last_item():
    answer = "9. Write a limerick about a cat.\n10. Name the largest ocean\n"
    assert parse_numbered_list(answer, truncated=True) == ["Write a limerick about a cat."]
    assert parse_numbered_list("9. Only one, and cut", truncated=True) == []


def test_preamble_and_numbers_inside_text_are_not_items():
    answer = "Here you go:\n9. Convert 3.5 km to miles.\n10. What is 2.5 times 4?"
    assert parse_numbered_list(answer, first_number=9) == ["Convert 3.5 km to miles.", "What is 2.5 times 4?"]
    assert parse_numbered_list("", truncated=True) == []


@pytest.mark.parametrize(
    ("answer", "expected"),
    [("Yes", True), ("No.", False), ("**Yes**", True), ("Is it classification? No", False),
     ("yes, it has finite labels", True), ("True", True), ("Answer: false", False),
     ("I cannot tell", None), ("", None), ("Nope", None)],
)  # fmt: skip
def test_yes_no_answers_are_read_leniently(answer, expected):
    assert parse_yes_no(answer) is expected


def test_input_first_examples_with_headers_multiline_and_no_input():
    answer = (
        "Example 1\nInput: The food was cold.\nOutput: negative\n\n"
        "Example 2\nInput: <noinput>\nOutput: Roses are red,\nviolets are blue.\n\n"
        "Example 3:\nInput: None\nOutput: A third."
    )
    assert parse_instances(answer) == [
        Instance("The food was cold.", "negative"),
        Instance("", "Roses are red,\nviolets are blue."),
        Instance("", "A third."),
    ]


def test_output_first_examples_and_a_following_task_line():
    answer = "Class label: positive\nInput: I loved it.\n\nClass label: negative\nInput: I hated it.\n\nTask: Next task"
    assert parse_instances(answer) == [
        Instance("I loved it.", "positive"),
        Instance("I hated it.", "negative"),
    ]


def test_examples_without_headers_and_with_markdown():
    answer = "**Input:** 2 + 2\n**Output:** 4\n**Input:** 3 + 5\n**Output:** 8"
    assert parse_instances(answer) == [Instance("2 + 2", "4"), Instance("3 + 5", "8")]


def test_malformed_instance_answers_yield_what_can_be_used():
    assert parse_instances("I'm sorry, I can't help with that.") == []
    assert parse_instances("Input: only an input") == [Instance("only an input", "")]
    cut = "Example 1\nInput: a\nOutput: b\nExample 2\nInput: c\nOutput: d is long and"
    assert parse_instances(cut, truncated=True) == [Instance("a", "b")]


@pytest.mark.parametrize(
    ("instruction", "reason"),
    [
        ("Write a poem.", "too short (at most 3 words)"),
        ("word " * 151, "too long (more than 150 words)"),
        ("...and then summarize the text again.", "starts with punctuation"),
        ("¿Puedes traducir esta frase al inglés?", "starts with a non-ASCII character"),
        ("Draw a cat using ASCII characters only.", "blocked keyword 'draw'"),
        ("Describe the Image in one sentence please.", "blocked keyword 'image'"),
        ("Give directions to go to the station.", "blocked keyword 'go to'"),
        ("   ", "empty"),
        ("Explain the mapping between keys and values.", None),  # 'map' only as a whole word
        ("Write a short story about a brave knight.", None),
    ],
)
def test_instruction_filters_give_reasons(instruction, reason):
    assert first_problem(instruction, instruction_filters()) == reason


def test_custom_blocklist_replaces_the_default():
    filters = instruction_filters(["poem"])
    assert first_problem("Write a poem about the sea.", filters) == "blocked keyword 'poem'"
    assert first_problem("Describe the image in one sentence.", filters) is None


def test_instance_problems():
    seen = {Instance("a", "b")}
    assert instance_problem(Instance("", ""), seen) == "empty instance"
    assert instance_problem(Instance("x", " "), seen) == "empty output"
    assert instance_problem(Instance("a", "b"), seen) == "duplicate instance"
    assert instance_problem(Instance("same", "same"), seen) == "output repeats the input"
    assert instance_problem(Instance("", "an answer"), seen) is None
