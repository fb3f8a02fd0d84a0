"""The task-proposal request: chat messages, JSON schema and context for one metadata line.

Messages are the mode's system prompt, then the demonstrations as earlier user/assistant turns
(the fixed prefix, reused by servers with prefix caching), then the dataset itself. Templates and
demonstrations live in ``prompts/``; nothing here needs to change when they do.

Two styles (``dynosaur.core.prompt_style``): ``full`` shows every rule, the card's sections, two
example rows and all demonstrations; ``compact``, for small models, shows a few rules, a short
description, one example row, ``COMPACT_DEMONSTRATIONS`` demonstration and the dataset's field names
as the list of allowed names, and its schema also bounds the lists (one output field, at least one
input field) for servers that turn the schema into a grammar.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from dynosaur.contracts.task_checks import COMPACT_SYSTEM_TEMPLATE, MODES, SYSTEM_TEMPLATE, prompt_sentences
from dynosaur.core import prompts
from dynosaur.core.engines.base import ChatRequest, GenerationParams
from dynosaur.core.prompt_style import check_style
from dynosaur.hub.propose.metadata_view import RenderLimits, compact_view, prompt_fields

__all__ = ["COMPACT_SYSTEM_TEMPLATE", "MODES", "SYSTEM_TEMPLATE", "STYLES", "prompt_sentences"]

STYLES = ("full", "compact")
USER_TEMPLATES = {"aware": "propose_aware.jinja", "unaware": "propose_unaware.jinja"}
COMPACT_USER_TEMPLATE = "propose_compact_user.jinja"
DEMONSTRATIONS = "propose_demonstrations.yaml"
COMPACT_DEMONSTRATIONS = 1  # the first entry of the demonstrations file
COMPACT_LIMITS = RenderLimits(
    cell=120,
    list_items=3,
    nested=150,
    examples=1,
    sections={"summary": 300, "supported_task": 0, "data_fields": 0},
)
MAX_TOKENS = 1024


def tasks_schema(
    field_names: list[str] | None = None, *, bounded: bool = False, max_tasks: int | None = None
) -> dict[str, Any]:
    """The JSON schema of an answer: ``{"tasks": [{instruction, input_fields, output_field}]}``.

    With ``field_names`` the field lists are restricted to them, so a server that enforces the
    schema cannot name any other field. ``bounded`` also asks for exactly one output field, at
    least one input field and a non-empty instruction (the compact style's schema). (The root is an
    object because OpenAI's structured output and ``json_object`` modes require one; bare lists
    are still accepted when parsing.)
    """
    name: dict[str, Any] = {"type": "string"}
    if field_names:
        name = {"type": "string", "enum": list(field_names)}
    instruction: dict[str, Any] = {"type": "string"}
    inputs: dict[str, Any] = {"type": "array", "items": name}
    output: dict[str, Any] = {"type": "array", "items": name}
    if bounded:
        instruction["minLength"] = 1
        inputs["minItems"] = 1
        output.update(minItems=1, maxItems=1)
    task = {
        "type": "object",
        "properties": {"instruction": instruction, "input_fields": inputs, "output_field": output},
        "required": ["instruction", "input_fields", "output_field"],
        "additionalProperties": False,
    }
    tasks: dict[str, Any] = {"type": "array", "items": task}
    if bounded and max_tasks:
        tasks["maxItems"] = max_tasks
    return {
        "name": "dataset_tasks",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {"tasks": tasks},
            "required": ["tasks"],
            "additionalProperties": False,
        },
    }


def system_prompt(
    mode: str, max_tasks: int, directory: str | Path | None = None, *, style: str = "full"
) -> str:
    """The mode's system message in ``style``."""
    _check_mode(mode)
    template = COMPACT_SYSTEM_TEMPLATE if _style(style) == "compact" else SYSTEM_TEMPLATE
    return prompts.render(template, directory, mode=mode, max_tasks=max_tasks)


def user_prompt(
    metadata: dict[str, Any],
    mode: str,
    max_tasks: int,
    directory: str | Path | None = None,
    *,
    style: str = "full",
) -> str:
    """The user message that presents one metadata line in ``style``."""
    _check_mode(mode)
    if _style(style) == "compact":
        view = compact_view(metadata, COMPACT_LIMITS)
        return prompts.render(COMPACT_USER_TEMPLATE, directory, d=view, mode=mode, max_tasks=max_tasks)
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
    metadata: dict[str, Any],
    mode: str,
    max_tasks: int,
    directory: str | Path | None = None,
    *,
    style: str = "full",
) -> list[dict[str, str]]:
    """System prompt, demonstrations (all of them, or ``COMPACT_DEMONSTRATIONS``), then the dataset."""
    demos = _demonstrations(str(directory) if directory else None)
    if _style(style) == "compact":
        demos = demos[:COMPACT_DEMONSTRATIONS]
    shots = [(user_prompt(demo, mode, max_tasks, directory, style=style), answer) for demo, answer in demos]
    return prompts.chat(
        system_prompt(mode, max_tasks, directory, style=style),
        shots,
        user_prompt(metadata, mode, max_tasks, directory, style=style),
    )


def build_request(
    metadata: dict[str, Any],
    mode: str,
    max_tasks: int = 3,
    *,
    with_context: bool = False,
    max_tokens: int = MAX_TOKENS,
    directory: str | Path | None = None,
    style: str = "full",
) -> ChatRequest:
    """The request for one metadata line and mode in ``style``; ``with_context`` adds the
    structured subject for engines that read it (the rules engine) instead of the prose."""
    compact = _style(style) == "compact"
    names = [field.name for field in prompt_fields(metadata)]
    schema = tasks_schema(names, bounded=compact, max_tasks=max_tasks)
    params = GenerationParams(temperature=0.0, max_tokens=max_tokens, json_schema=schema)
    context = None
    if with_context:
        context = {"kind": "propose", "mode": mode, "metadata": metadata, "max_tasks": max_tasks}
    return ChatRequest.of(build_messages(metadata, mode, max_tasks, directory, style=style), params, context)


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; modes are {', '.join(MODES)}")


def _style(style: str) -> str:
    if style not in STYLES:  # "auto" is settled before a request is built
        check_style(style)
        raise ValueError(f"prompt style {style!r} must be settled to one of {', '.join(STYLES)} first")
    return style
