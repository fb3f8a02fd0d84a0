"""Generate instances for a new instruction: class label first for classification, input first otherwise."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from dynosaur.contracts.seed_tasks import Instance, SeedTask
from dynosaur.core.engines import Completion, Engine
from dynosaur.self_instruct.filters import instance_problem
from dynosaur.self_instruct.parsing import parse_instances
from dynosaur.self_instruct.prompting import instances_request

DEFAULT_MAX_TOKENS = 700


@dataclass
class Instances:
    """The instances kept for one task, those dropped with their reasons, and the answer."""

    kept: list[Instance] = field(default_factory=list)
    dropped: list[tuple[Instance, str]] = field(default_factory=list)
    answer: Completion | None = None


def filter_instances(parsed: list[Instance]) -> Instances:
    """Keep each instance unless it is empty, repeats an earlier one, or its output repeats its input."""
    result = Instances()
    seen: set[Instance] = set()
    for instance in parsed:
        reason = instance_problem(instance, seen)
        if reason is None:
            seen.add(instance)
            result.kept.append(instance)
        else:
            result.dropped.append((instance, reason))
    return result


async def generate_instances(
    engine: Engine,
    task_id: str,
    instruction: str,
    is_classification: bool,
    seeds: list[SeedTask],
    seed: int,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    style: str = "full",
) -> Instances:
    """Ask the engine for examples of ``instruction`` (in prompt ``style``) and filter them; raises
    like the engine does."""
    rng = random.Random(f"self-instruct:{seed}:{task_id}:instances")
    request = instances_request(instruction, is_classification, seeds, rng, max_tokens, style)
    answer = await engine.complete(request)
    result = filter_instances(parse_instances(answer.text, truncated=answer.finish_reason == "length"))
    result.answer = answer
    return result
