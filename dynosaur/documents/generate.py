"""Asking the engine for instruction/answer pairs grounded in one chunk, and reading its answer.

Requests ask for structured output (``GenerationParams.json_schema``); answers are parsed
leniently (fenced, wrapped in prose, Python literals, ``question``/``answer`` keys), and whatever
cannot be read is counted by reason, never raised.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dynosaur.core import prompts
from dynosaur.core.engines import ChatRequest, Completion, Engine, GenerationParams
from dynosaur.core.fanout import ask_many
from dynosaur.core.jsonparse import JSONParseError, parse_json_value
from dynosaur.documents.chunking import Chunk

SYSTEM_TEMPLATE = "documents_system.jinja"
USER_TEMPLATE = "documents_user.jinja"

PAIRS_SCHEMA: dict[str, Any] = {
    "name": "document_instructions",
    "strict": True,
    "schema": {
        "type": "object",
        "properties": {
            "pairs": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "instruction": {"type": "string"},
                        "input": {"type": "string"},
                        "output": {"type": "string"},
                    },
                    "required": ["instruction", "input", "output"],
                    "additionalProperties": False,
                },
            }
        },
        "required": ["pairs"],
        "additionalProperties": False,
    },
}

# Keys models use instead of the asked-for ones, read as the same field.
_ALIASES = {
    "instruction": ("instruction", "question", "prompt", "task"),
    "input": ("input", "context"),
    "output": ("output", "answer", "response"),
}


@dataclass(frozen=True)
class Pair:
    """One generated instruction with its (optional) input and its answer."""

    instruction: str
    input: str
    output: str


@dataclass
class ChunkAnswer:
    """The engine's answer for one chunk, or the reason there is none."""

    chunk: Chunk
    completion: Completion | None = None
    error: str | None = None  # "engine error" | "budget exhausted"
    detail: str = ""


@dataclass
class ParsedPairs:
    pairs: list[Pair] = field(default_factory=list)
    dropped: Counter[str] = field(default_factory=Counter)


def build_request(
    chunk: Chunk, samples: int, params: GenerationParams, prompts_dir: str | None = None
) -> ChatRequest:
    """The chat request asking for ``samples`` pairs grounded in ``chunk``."""
    system = prompts.render(SYSTEM_TEMPLATE, prompts_dir)
    user = prompts.render(USER_TEMPLATE, prompts_dir, passage=chunk.text, samples=samples)
    return ChatRequest.of(prompts.chat(system, [], user), params)


def generation_params(temperature: float = 0.7, seed: int = 0, max_tokens: int = 2048) -> GenerationParams:
    """Sampling settings for pair generation, asking for the pairs schema."""
    return GenerationParams(
        temperature=temperature, seed=seed, max_tokens=max_tokens, json_schema=PAIRS_SCHEMA
    )


def parse_pairs(text: str, limit: int) -> ParsedPairs:
    """The well-formed pairs of an answer (at most ``limit``); the rest counted by reason."""
    parsed = ParsedPairs()
    try:
        items = _items(parse_json_value(text, expect=(list, dict)))
    except JSONParseError as exc:
        parsed.dropped[f"malformed answer ({exc.kind})"] += 1
        return parsed
    for item in items:
        pair = _pair(item)
        if pair is None:
            parsed.dropped["malformed pair"] += 1
        elif len(parsed.pairs) >= limit:
            parsed.dropped["pair beyond samples_per_chunk"] += 1
        else:
            parsed.pairs.append(pair)
    if not items:
        parsed.dropped["answer without pairs"] += 1
    return parsed


def _items(value: list[Any] | dict[str, Any]) -> list[Any]:
    """The list of pairs: the answer itself, its "pairs" list, its only list, or one lone pair."""
    if isinstance(value, list):
        return value
    if isinstance(value.get("pairs"), list):
        return value["pairs"]
    lists = [v for v in value.values() if isinstance(v, list)]
    if len(lists) == 1:
        return lists[0]
    if any(key in value for keys in _ALIASES.values() for key in keys):
        return [value]
    raise JSONParseError("no_json", "the answer holds no list of pairs")


def _pair(item: Any) -> Pair | None:
    if not isinstance(item, dict):
        return None
    values = {}
    for name, keys in _ALIASES.items():
        value = next((item[key] for key in keys if key in item), None)
        if value is None:
            value = ""
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            return None
        values[name] = str(value).strip()
    if not values["instruction"] or not values["output"]:
        return None
    return Pair(**values)


async def ask_all(
    engine: Engine,
    requests: Sequence[tuple[Chunk, ChatRequest]],
    concurrency: int,
    on_done: Callable[[], object] | None = None,  # its return value is ignored
) -> list[ChunkAnswer]:
    """Send every request (at most ``concurrency`` at once); answers come back in request order.

    An engine failure is recorded on its chunk. Once the budget is exhausted no further request
    is sent, and the chunks left over are marked so.
    """

    async def ask(pair: tuple[Chunk, ChatRequest]) -> Completion:
        return await engine.complete(pair[1])

    def settled(_outcome: object) -> None:
        if on_done is not None:
            on_done()

    asked = await ask_many(requests, ask, limit=concurrency, on_outcome=settled)
    answers = []
    for outcome in asked.outcomes:
        chunk = outcome.item[0]
        if outcome.done:
            answers.append(ChunkAnswer(chunk, completion=outcome.value))
        elif outcome.failed:
            answers.append(ChunkAnswer(chunk, error="engine error", detail=outcome.reason))
        else:
            answers.append(ChunkAnswer(chunk, error="budget exhausted"))
    return answers
