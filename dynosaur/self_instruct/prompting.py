"""Chat requests for the three Self-Instruct steps, rendered from ``prompts/self_instruct_*.jinja``.

Demonstrations are drawn with the caller's seeded RNG, so the same run builds the same requests
(and the response cache answers a rerun) while different rounds see different demonstrations.

Two prompt styles (``dynosaur.core.prompt_style``): ``full`` is the paper's prompts; ``compact``
(``prompts/self_instruct_compact_*.jinja``, for small models with small context windows) words
every prompt more briefly and shows one seed task per answer when classifying and one seed task
with two of its instances when asking for instances. It keeps the bootstrap's demonstration count:
with four instructions instead of eight, SmolLM2-135M copied the first one in every answer.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from dynosaur.contracts.seed_tasks import SeedTask
from dynosaur.core import checks, prompts
from dynosaur.core.engines import ChatRequest, GenerationParams
from dynosaur.core.errors import OptionError
from dynosaur.core.prompt_style import check_style

CLASSIFY_SHOTS_PER_SIDE = 3  # few-shot examples per answer (Yes / No) when deciding classification
INSTANCE_SHOTS = 3  # seed tasks shown with their instances when asking for instances
# the compact style's shots: per answer when classifying, seed tasks when asking for instances
COMPACT_CLASSIFY_SHOTS_PER_SIDE = 1
COMPACT_INSTANCE_SHOTS = 1


@dataclass(frozen=True)
class Sampling:
    """Sampling settings of the bootstrap requests."""

    temperature: float = 0.7
    top_p: float = 0.5
    max_tokens: int = 1024

    def __post_init__(self) -> None:
        checks.non_negative("temperature", self.temperature)
        checks.between("top_p", self.top_p, 0.0, 1.0, low_included=False)
        checks.at_least("max_tokens", self.max_tokens, 1)


def _system() -> str:
    return prompts.render("self_instruct_system.jinja")


def _template(step: str, style: str) -> str:
    """The template of ``step`` (``bootstrap``, ``classify``, ``instances_input_first``...) in ``style``."""
    if check_style(style) == "auto":
        raise OptionError("prompt_style", "must be chosen (full or compact) before requests are built")
    return f"self_instruct_{'compact_' if style == 'compact' else ''}{step}.jinja"


def round_seed(seed: int, round_number: int) -> int:
    """A per-round sampling seed: part of the request, so every round has its own cache key."""
    return zlib.crc32(f"self-instruct:{seed}:{round_number}".encode())


def sample_demonstrations(
    rng: random.Random,
    seed_instructions: Sequence[str],
    generated: Sequence[str],
    total: int,
    from_seeds: int,
) -> list[str]:
    """Up to ``total - from_seeds`` generated instructions, the rest seeds, shuffled."""
    picked = rng.sample(list(generated), min(total - from_seeds, len(generated)))
    picked += rng.sample(list(seed_instructions), min(total - len(picked), len(seed_instructions)))
    rng.shuffle(picked)
    return picked


def bootstrap_request(
    demonstrations: list[str], classification_only: bool, sampling: Sampling, seed: int, style: str = "full"
) -> ChatRequest:
    """Ask the model to continue a numbered list of instructions."""
    user = prompts.render(
        _template("bootstrap", style),
        instructions=[" ".join(text.split()) for text in demonstrations],
        classification_only=classification_only,
    )
    params = GenerationParams(
        temperature=sampling.temperature, top_p=sampling.top_p, max_tokens=sampling.max_tokens, seed=seed
    )
    return ChatRequest.of(
        [{"role": "system", "content": _system()}, {"role": "user", "content": user}], params
    )


def classify_request(
    instruction: str, seeds: Sequence[SeedTask], rng: random.Random, style: str = "full"
) -> ChatRequest:
    """Ask whether ``instruction`` is a classification task, with seed tasks as examples."""
    per_side = COMPACT_CLASSIFY_SHOTS_PER_SIDE if style == "compact" else CLASSIFY_SHOTS_PER_SIDE
    yes = [task for task in seeds if task.is_classification]
    no = [task for task in seeds if not task.is_classification]
    shots = rng.sample(yes, min(per_side, len(yes)))
    shots += rng.sample(no, min(per_side, len(no)))
    rng.shuffle(shots)
    user = prompts.render(_template("classify", style), shots=shots, instruction=instruction)
    params = GenerationParams(temperature=0.0, max_tokens=16)
    return ChatRequest.of(
        [{"role": "system", "content": _system()}, {"role": "user", "content": user}], params
    )


def instances_request(
    instruction: str,
    is_classification: bool,
    seeds: Sequence[SeedTask],
    rng: random.Random,
    max_tokens: int,
    style: str = "full",
) -> ChatRequest:
    """Ask for instances: class label first for classification tasks, input first otherwise."""
    pool = [task for task in seeds if task.is_classification == is_classification] or list(seeds)
    shots = rng.sample(pool, min(COMPACT_INSTANCE_SHOTS if style == "compact" else INSTANCE_SHOTS, len(pool)))
    step = "instances_output_first" if is_classification else "instances_input_first"
    user = prompts.render(_template(step, style), shots=shots, instruction=instruction)
    params = GenerationParams(temperature=0.0, max_tokens=max_tokens)
    return ChatRequest.of(
        [{"role": "system", "content": _system()}, {"role": "user", "content": user}], params
    )
