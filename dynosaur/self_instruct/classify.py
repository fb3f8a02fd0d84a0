"""Decide whether a generated instruction is a classification task (few-shot from the seeds)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from dynosaur.contracts.seed_tasks import SeedTask
from dynosaur.core.engines import Completion, Engine
from dynosaur.self_instruct.parsing import parse_yes_no
from dynosaur.self_instruct.prompting import classify_request


@dataclass(frozen=True)
class Classification:
    """The model's verdict (None when its answer had neither Yes nor No) and the answer itself."""

    is_classification: bool | None
    answer: Completion


async def classify(
    engine: Engine,
    task_id: str,
    instruction: str,
    seeds: list[SeedTask],
    seed: int,
    style: str = "full",
) -> Classification:
    """Ask the engine (in prompt ``style``); raises EngineError / BudgetExceeded like the engine does."""
    rng = random.Random(f"self-instruct:{seed}:{task_id}:classify")
    answer = await engine.complete(classify_request(instruction, seeds, rng, style))
    return Classification(parse_yes_no(answer.text), answer)
