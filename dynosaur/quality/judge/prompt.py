"""The LLM judge's request: one record, a 1-5 score and a one-line reason as JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dynosaur.contracts.judge_scores import MAX_SCORE, MIN_SCORE
from dynosaur.core import prompts
from dynosaur.core.engines.base import ChatRequest, GenerationParams
from dynosaur.core.jsonparse import JSONParseError, parse_json_value

SYSTEM_TEMPLATE = "judge_system.jinja"
USER_TEMPLATE = "judge_user.jinja"
MAX_TOKENS = 200
MAX_FIELD_CHARS = 3000  # a long input is cut: the judge needs its gist, not every character
BLOCKS = ("instruction", "input", "output")  # the tags USER_TEMPLATE wraps the record's parts in
SCHEMA: dict[str, Any] = {
    "name": "judgement",
    "strict": True,
    "schema": {
        "type": "object",
        "properties": {
            "score": {"type": "integer", "minimum": MIN_SCORE, "maximum": MAX_SCORE},
            "reason": {"type": "string"},
        },
        "required": ["score", "reason"],
        "additionalProperties": False,
    },
}


def _cut(text: str) -> str:
    text = text if len(text) <= MAX_FIELD_CHARS else text[:MAX_FIELD_CHARS] + " [...]"
    return _inert(text)


def _inert(text: Any) -> str:
    """A record's text or a name, unable to close or open one of the prompt's blocks."""
    return prompts.defuse_tags(str(text), BLOCKS)


def build_request(
    task: dict[str, Any], record: dict[str, str], directory: str | Path | None = None
) -> ChatRequest:
    """The request that asks for one record's score (temperature 0, so the cache key is the record).

    The record's parts go into ``<instruction>``, ``<input>`` and ``<output>`` blocks; every tag of
    those names inside the data (and in the dataset's or fields' names) is made inert first.
    """
    system = prompts.render(SYSTEM_TEMPLATE, directory)
    user = prompts.render(
        USER_TEMPLATE,
        directory,
        task_name=_inert(task.get("task_name", "")),
        input_fields=[_inert(name) for name in task.get("input_fields") or ()],
        output_field=[_inert(name) for name in task.get("output_field") or ()],
        instruction=_cut(record.get("instruction", "")),
        input=_cut(record.get("input", "")),
        output=_cut(record.get("output", "")),
    )
    params = GenerationParams(temperature=0.0, max_tokens=MAX_TOKENS, json_schema=SCHEMA)
    return ChatRequest.of(prompts.chat(system, [], user), params)


class JudgementError(ValueError):
    """An answer that holds no usable score."""


def parse_judgement(text: str) -> tuple[int, str]:
    """``(score, reason)`` from an answer: JSON (fenced, or in prose, as propose parses), with the
    score an integer from 1 to 5 (``"4"`` and ``4.0`` are read as 4)."""
    try:
        value = parse_json_value(text, dict)
    except JSONParseError as exc:
        raise JudgementError(f"unparseable judgement: {exc}") from None
    score = value.get("score")
    if isinstance(score, str) and score.strip().isdigit():
        score = int(score.strip())
    if isinstance(score, float) and score.is_integer():
        score = int(score)
    if isinstance(score, bool) or not isinstance(score, int) or not MIN_SCORE <= score <= MAX_SCORE:
        raise JudgementError(f"judgement without a score from {MIN_SCORE} to {MAX_SCORE}: {score!r}")
    reason = " ".join(str(value.get("reason") or "").split()) or "no reason given"
    return score, reason
