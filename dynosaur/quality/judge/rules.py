"""The offline judge: the task checks of the validation rules, then checks on each record's text.

A task a check of ``dynosaur.contracts.task_checks`` rejects (an id, URL or offset output, an input
that is only a bool or a number, labels that miss the rows' outputs, ...) scores 1 with that
check's reason on every record; more checks can be passed in (the command layer adds the
organizer's). Then each record is read as a person would:

- 1: an empty output; an output that is not one of the labels its instruction lists (the same
  label-list reading as the validation rules, on this record); a bare number, URL or id under an
  instruction that asks for no number (nor for one of numbered options); an output that is a question where the instruction asks
  for an answer, or a long text where it asks for a label or a short answer (input and output
  swapped);
- 2: an output that repeats the input; an input that is only a number or true/false value when
  the instruction asks to write something from it; a condensed output (summary, title) longer
  than its input;
- 5: the output is a label the instruction lists, or an extractive answer found in the input;
- 4: no check found a flaw (nothing confirms a free-text output either).

Deterministic, no model, no network: the same tasks and records always get the same scores.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from dynosaur.contracts.judge_scores import RecordScore
from dynosaur.contracts.label_lists import coverage_reason, listed_labels, normalize
from dynosaur.contracts.task_checks import DatasetFields, first_reason
from dynosaur.contracts.tasks import Task

VERSION = "rules-judge-1"
# A task-level check beyond the validation rules: (task, metadata line) -> reason or None.
TaskCheck = Callable[[dict[str, Any], dict[str, Any]], "str | None"]

_NUMBER = re.compile(r"^[-+]?(\d+([.,]\d+)*|\d*\.\d+)(e[-+]?\d+)?%?$", re.IGNORECASE)
_URL = re.compile(r"^(https?://|www\.)\S+$", re.IGNORECASE)
_HEX_ID = re.compile(r"^[0-9a-f]{8,}(-[0-9a-f]{4,})*$", re.IGNORECASE)
_BOOL = frozenset({"true", "false"})
_RENDERED_FIELD = re.compile(r"^([\w.-]+) is '(.*)'\.$", re.DOTALL)
_ASKS_NUMBER = re.compile(
    r"\b(score|scores|rate|rating|ratings|number|numbers|how many|how much|count|year|years|age|date|"
    r"price|percent|percentage|similar|similarity|grade|stars?|value|amount|quantity|sum|calculate|"
    r"compute|digits?|solve|math|arithmetic|index|position|offset|id|total|estimate|regression|"
    r"numeric|numerical|integer|probability|degree|level|scale)\b",
    re.IGNORECASE,
)
_ASKS_LABEL = re.compile(
    r"\b(classify|categori[sz]e|label|which category|is it|is this|is the|are the|does the|do the|"
    r"determine whether|decide whether|tell whether|whether|true or false|yes or no|choose|select|pick)\b",
    re.IGNORECASE,
)
# "choose the best option": the number of the option chosen is an answer
_ASKS_OPTION = re.compile(
    r"\b(choose|pick|select)\b.*\b(option|options|choice|choices|answer|answers)\b", re.IGNORECASE
)
_ASKS_ANSWER = re.compile(r"\b(answer|extract|find|identify|what is|which|who|when|where)\b", re.IGNORECASE)
_ASKS_QUESTION = re.compile(
    r"\b(write|generate|ask|create|compose|formulate|pose) (a |an |the )?(\w+ )?questions?\b", re.IGNORECASE
)
_ASKS_WRITING = re.compile(r"^\s*(please\s+)?(write|generate|compose|create|produce|draft)\b", re.IGNORECASE)
# the output is the shorter text: a summary, or a title / headline written for the input
_CONDENSES = re.compile(
    r"\b(summar\w*|shorten|condense|tl;?dr|gist)\b|"
    r"\b(write|generate|give|create|suggest|propose) (a |an |the )?(short |brief |good )?(title|headline)\b",
    re.IGNORECASE,
)
_SHORT_ANSWER_WORDS = 12


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def input_values(text: str) -> list[str]:
    """The values of a rendered input: one per ``field is 'value'.`` line, or the whole text."""
    lines = [line for line in text.splitlines() if line.strip()]
    values = [m.group(2) for m in (_RENDERED_FIELD.match(line.strip()) for line in lines) if m]
    return values if values and len(values) == len(lines) else [text]


def _bare_value(text: str) -> str | None:
    value = text.strip().strip("'\"")
    if not value:
        return None
    if _NUMBER.match(value):
        return "a bare number"
    if _URL.match(value):
        return "a URL"
    if _HEX_ID.match(value) and any(c.isdigit() for c in value):
        return "an id"
    if value.lower() in _BOOL:
        return "a true/false value"
    return None


def _task_object(task: dict[str, Any]) -> Task:
    output = task.get("output_field") or ()
    return Task(
        task_name=str(task.get("task_name") or ""),
        instruction=str(task.get("instruction") or "").strip(),
        input_fields=tuple(str(f) for f in task.get("input_fields") or ()),
        output_field=(output,) if isinstance(output, str) else tuple(str(f) for f in output),
        source="",
    )


class _Record:
    """One record's text, with what the checks read from it."""

    def __init__(self, instruction: str, text_input: str, output: str) -> None:
        self.instruction = instruction
        self.input = text_input
        self.output = output.strip()
        self.out_words = len(_words(self.output))
        self.in_words = len(_words(text_input))
        self.writes = bool(_ASKS_WRITING.search(instruction))
        self.asks_question = bool(_ASKS_QUESTION.search(instruction))
        self.asks_short = not self.writes and bool(
            _ASKS_LABEL.search(instruction) or _ASKS_ANSWER.search(instruction)
        )


Flaw = tuple[int, str]


def _empty(r: _Record) -> Flaw | None:
    return None if r.output else (1, "empty output: the record answers nothing")


def _labels_miss(r: _Record) -> Flaw | None:
    reason = coverage_reason(r.instruction, [r.output])
    return (1, reason) if reason else None


def _bare_output(r: _Record) -> Flaw | None:
    bare = _bare_value(r.output)
    asks_index = bare == "a bare number" and _ASKS_OPTION.search(r.instruction)
    if bare and bare != "a true/false value" and not _ASKS_NUMBER.search(r.instruction) and not asks_index:
        return 1, f"bare output: the output is {bare}, and the instruction asks for no number or link"
    return None


def _question_for_answer(r: _Record) -> Flaw | None:
    asks_answer = _ASKS_ANSWER.search(r.instruction) and not r.asks_question
    if asks_answer and r.output.endswith("?") and r.input.strip() and not r.input.rstrip().endswith("?"):
        return 1, "swapped: the output is a question where the instruction asks for an answer"
    return None


def _long_for_short(r: _Record) -> Flaw | None:
    longer = r.out_words > max(2 * r.in_words, _SHORT_ANSWER_WORDS + r.in_words // 2)
    if r.asks_short and longer and r.out_words > _SHORT_ANSWER_WORDS:
        return 1, (
            f"swapped: a {r.out_words}-word output answers an instruction that asks for a label or a "
            f"short answer about a {r.in_words}-word input"
        )
    return None


def _answer_for_question(r: _Record) -> Flaw | None:
    if r.asks_question and not r.output.endswith("?") and r.input.rstrip().endswith("?"):
        return 1, "swapped: the instruction asks for a question, and the question is the input"
    return None


def _copy(r: _Record) -> Flaw | None:
    same = r.out_words > 0 and _words(r.output) == _words(r.input)
    return (2, "copy: the output repeats the input") if same else None


def _bare_input(r: _Record) -> Flaw | None:
    values = input_values(r.input)
    if r.writes and values and all(_bare_value(v) for v in values):
        return 2, "bare input: the input is only a number or true/false value to write from"
    return None


def _longer_condensed(r: _Record) -> Flaw | None:
    if _CONDENSES.search(r.instruction) and 0 < r.in_words < 40 and r.out_words > 1.5 * r.in_words:
        return 2, f"swapped: a {r.out_words}-word output condenses a {r.in_words}-word input"
    return None


def _confirmed(r: _Record) -> Flaw | None:
    listed = listed_labels(r.instruction, [r.output])
    if listed and normalize(r.output) in {normalize(label) for label in listed}:
        return 5, "the output is one of the labels the instruction lists"
    extractive = 0 < r.out_words <= _SHORT_ANSWER_WORDS and not r.writes
    if extractive and normalize(r.output) in normalize(r.input):
        return 5, "the output is an answer found in the input"
    return None


RECORD_CHECKS: tuple[Callable[[_Record], Flaw | None], ...] = (
    _empty,
    _labels_miss,
    _bare_output,
    _question_for_answer,
    _long_for_short,
    _answer_for_question,
    _copy,
    _bare_input,
    _longer_condensed,
    _confirmed,
)


def record_flaw(instruction: str, text_input: str, output: str) -> Flaw:
    """The score and reason of one record's text: the first check that speaks, else 4."""
    record = _Record(instruction, text_input, output)
    for check in RECORD_CHECKS:
        found = check(record)
        if found:
            return found
    return 4, "no check found a flaw"


class RulesJudge:
    """The offline judge over a task's checks and its records' text."""

    name = "rules"
    model = VERSION

    def __init__(self, extra_checks: Sequence[TaskCheck] = ()) -> None:
        self.extra_checks = tuple(extra_checks)

    def task_reason(self, task: dict[str, Any], metadata: dict[str, Any] | None) -> str | None:
        """The first task-level check that rejects ``task`` over its dataset-config, or None."""
        if metadata is None:
            return None
        reason = first_reason(_task_object(task), DatasetFields.of(metadata))
        if reason:
            return reason
        for check in self.extra_checks:
            reason = check(task, metadata)
            if reason:
                return reason
        return None

    def judge(
        self, task: dict[str, Any], metadata: dict[str, Any] | None, records: list[dict[str, str]]
    ) -> list[RecordScore]:
        """One score per record (one score for a task with no records whose checks fail)."""
        reason = self.task_reason(task, metadata)
        if reason:
            return [RecordScore(1, reason) for _ in records] or [RecordScore(1, reason)]
        return [
            RecordScore(*record_flaw(r.get("instruction", ""), r.get("input", ""), r.get("output", "")))
            for r in records
        ]
