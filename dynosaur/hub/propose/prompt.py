"""The task-proposal request: chat messages, JSON schema and context for one metadata line.

Messages are the mode's system prompt, then the demonstrations as earlier user/assistant turns
(the fixed prefix, reused by servers with prefix caching), then the dataset itself. Templates and
demonstrations live in ``prompts/``; nothing here needs to change when they do.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from dynosaur.contracts.task_checks import MODES, SYSTEM_TEMPLATE, prompt_sentences
from dynosaur.core import prompts
from dynosaur.core.engines.base import ChatRequest, GenerationParams
from dynosaur.hub.propose.metadata_view import compact_view, prompt_fields

__all__ = ["MODES", "SYSTEM_TEMPLATE", "prompt_sentences"]

USER_TEMPLATES = {"aware": "propose_aware.jinja", "unaware": "propose_unaware.jinja"}
DEMONSTRATIONS = "propose_demonstrations.yaml"
MAX_TOKENS = 1024


def tasks_schema(field_names: list[str] | None = None) -> dict[str, Any]:
    """The JSON schema of an answer: ``{"tasks": [{instruction, input_fields, output_field}]}``.

    With ``field_names`` the field lists are restricted to them, so a server that enforces the
    schema cannot name any other field. (The root is an object because OpenAI's structured
    output and ``json_object`` modes require one; bare lists are still accepted when parsing.)
    """
    name: dict[str, Any] = {"type": "string"}
    if field_names:
        name = {"type": "string", "enum": list(field_names)}
    task = {
        "type": "object",
        "properties": {
            "instruction": {"type": "string"},
            "input_fields": {"type": "array", "items": name},
            "output_field": {"type": "array", "items": name},
        },
        "required": ["instruction", "input_fields", "output_field"],
        "additionalProperties": False,
    }
    return {
        "name": "dataset_tasks",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {"tasks": {"type": "array", "items": task}},
            "required": ["tasks"],
            "additionalProperties": False,
        },
    }


def system_prompt(mode: str, max_tasks: int, directory: str | Path | None = None) -> str:
    """The mode's system message."""
    _check_mode(mode)
    return prompts.render(SYSTEM_TEMPLATE, directory, mode=mode, max_tasks=max_tasks)


def user_prompt(
    metadata: dict[str, Any], mode: str, max_tasks: int, directory: str | Path | None = None
) -> str:
    """The user message that presents one metadata line."""
    _check_mode(mode)
    return prompts.render(USER_TEMPLATES[mode], directory, d=compact_view(metadata), max_tasks=max_tasks)


@lru_cache(maxsize=16)
def _demonstrations(directory: str | None) -> tuple[tuple[dict[str, Any], str], ...]:
    demos = prompts.load_data(DEMONSTRATIONS, directory)
    if not isinstance(demos, list):
        raise prompts.PromptError(f"{DEMONSTRATIONS} must hold a list of {{metadata, tasks}}")
    shots = []
    for demo in demos:
        if not isinstance(demo, dict) or "metadata" not in demo or "tasks" not in demo:
            raise prompts.PromptError(f"{DEMONSTRATIONS}: each entry needs 'metadata' and 'tasks'")
        answer = json.dumps({"tasks": demo["tasks"]}, ensure_ascii=False)
        shots.append((demo["metadata"], answer))
    return tuple(shots)


def build_messages(
    metadata: dict[str, Any], mode: str, max_tasks: int, directory: str | Path | None = None
) -> list[dict[str, str]]:
    """System prompt, demonstrations, then the dataset."""
    shots = [
        (user_prompt(demo, mode, max_tasks, directory), answer)
        for demo, answer in _demonstrations(str(directory) if directory else None)
    ]
    return prompts.chat(
        system_prompt(mode, max_tasks, directory), shots, user_prompt(metadata, mode, max_tasks, directory)
    )


def build_request(
    metadata: dict[str, Any],
    mode: str,
    max_tasks: int = 3,
    *,
    with_context: bool = False,
    max_tokens: int = MAX_TOKENS,
    directory: str | Path | None = None,
) -> ChatRequest:
    """The request for one metadata line and mode; ``with_context`` adds the structured subject
    for engines that read it (the rules engine) instead of the prose."""
    names = [field.name for field in prompt_fields(metadata)]
    params = GenerationParams(temperature=0.0, max_tokens=max_tokens, json_schema=tasks_schema(names))
    context = None
    if with_context:
        context = {"kind": "propose", "mode": mode, "metadata": metadata, "max_tasks": max_tasks}
    return ChatRequest.of(build_messages(metadata, mode, max_tasks, directory), params, context)


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; modes are {', '.join(MODES)}")
