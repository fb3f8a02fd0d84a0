"""Self-Instruct bootstrapping: grow a pool of instructions from seed tasks.

Each round shows the model a numbered list of instructions (by default 6 seeds and 2 generated so
far, drawn with a seeded RNG) and asks it to continue the list. Every parsed candidate goes through
the cheap filters, then the near-duplicate filter against the whole pool (seeds included); the
survivors join the pool. The run stops at the requested count, after a bounded number of
consecutive rounds that add nothing, or when the budget is spent. Rounds may be in flight together
(``concurrency``); their answers are processed in round order, so a run is reproducible and a
rerun is answered by the response cache.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from tqdm import tqdm

from dynosaur.contracts.seed_tasks import SeedTask
from dynosaur.core import checks
from dynosaur.core.engines import BudgetExceeded, ChatRequest, Completion, Engine, EngineError
from dynosaur.core.errors import OptionError
from dynosaur.core.fanout import Outcome, ask_many
from dynosaur.core.near_duplicates import NearDuplicateFilter
from dynosaur.core.prompt_style import check_style, choose_prompt_style
from dynosaur.self_instruct.filters import DEFAULT_BLOCKLIST, first_problem, instruction_filters
from dynosaur.self_instruct.parsing import parse_numbered_list
from dynosaur.self_instruct.prompting import Sampling, bootstrap_request, round_seed, sample_demonstrations

STOP_REACHED = "reached the requested number of instructions"
STOP_BUDGET = "the budget is spent"


@dataclass(frozen=True)
class BootstrapConfig:
    """What the bootstrap loop needs to know."""

    num_instructions: int
    num_prompt_instructions: int = 8
    num_prompt_seed: int = 6
    classification_only: bool = False
    blocklist: tuple[str, ...] = DEFAULT_BLOCKLIST
    max_unproductive_rounds: int = 10
    similarity_threshold: float = 0.7
    concurrency: int = 1
    seed: int = 0
    sampling: Sampling = field(default_factory=Sampling)
    # full, compact or auto (compact for a context window below 4,096 tokens); see core.prompt_style
    prompt_style: str = "full"
    context_window: int | None = None  # tokens; when the server does not report its own

    def check(self) -> None:
        """Raise ``OptionError`` (a ``ValueError``) for settings that cannot work."""
        check_style(self.prompt_style)
        if self.num_instructions < 1:
            raise OptionError("num_instructions", "must be at least 1")
        if self.num_prompt_instructions < 1:
            raise OptionError("num_prompt_instructions", "must be at least 1")
        if not 0 <= self.num_prompt_seed <= self.num_prompt_instructions:
            raise OptionError(
                "num_prompt_seed",
                "must be between 0 and num_prompt_instructions",
                mentions=("num_prompt_instructions",),
            )
        if self.max_unproductive_rounds < 1:
            raise OptionError("max_unproductive_rounds", "must be at least 1")
        if self.concurrency < 1:
            raise OptionError("concurrency", "must be at least 1")
        if not 0.0 <= self.similarity_threshold <= 1.0:
            raise OptionError(
                "similarity_threshold", f"must be between 0 and 1, got {self.similarity_threshold}"
            )
        checks.whole("seed", self.seed)
        if self.context_window is not None:
            checks.at_least("context_window", self.context_window, 1)
        if not all(isinstance(word, str) and word.strip() for word in self.blocklist):
            # a blank word is in every text: it would reject every instruction
            raise OptionError("blocklist", f"must not hold a blank word, got {list(self.blocklist)!r}")


@dataclass(frozen=True)
class GeneratedInstruction:
    """A new instruction with where it came from."""

    id: str
    instruction: str
    round: int
    model: str
    cache_key: str


@dataclass
class BootstrapResult:
    """The new instructions, every rejected candidate with its reason, and how the run went."""

    instructions: list[GeneratedInstruction] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)
    rounds: int = 0
    productive_rounds: int = 0
    candidates: int = 0
    truncated_answers: int = 0
    failed_rounds: int = 0
    errors: list[str] = field(default_factory=list)
    requests: int = 0
    cache_hits: int = 0
    stop_reason: str = ""


def task_id(number: int) -> str:
    """Ids of generated tasks: gen_task_0001, gen_task_0002, ..."""
    return f"gen_task_{number:04d}"


def _answer(outcome: Outcome[ChatRequest, Completion]) -> Completion | EngineError | BudgetExceeded:
    """A round's answer, or what stopped it (a refused or never-started call reads as the budget)."""
    if outcome.value is not None:
        return outcome.value
    if isinstance(outcome.error, (EngineError, BudgetExceeded)):
        return outcome.error
    return BudgetExceeded(outcome.reason)


class _Bootstrap:
    def __init__(self, engine: Engine, seeds: list[SeedTask], config: BootstrapConfig) -> None:
        config.check()
        if config.prompt_style == "auto":
            choice = choose_prompt_style("auto", engine, context_window=config.context_window)
            config = replace(config, prompt_style=choice.style)
        self.engine = engine
        self.config = config
        self.prompt_seeds = [
            t.instruction for t in seeds if t.is_classification or not config.classification_only
        ]
        if not self.prompt_seeds:
            raise OptionError(
                "classification_only", "needs seed tasks with is_classification true; there are none"
            )
        self.rng = random.Random(config.seed)
        self.filters = instruction_filters(config.blocklist)
        self.pool = NearDuplicateFilter(config.similarity_threshold)
        for task in seeds:
            self.pool.add(task.instruction)
        self.result = BootstrapResult()
        self.unproductive = 0

    def _request(self, round_number: int) -> tuple[ChatRequest, int]:
        """The round's request, and the number its first new item should carry."""
        generated = [g.instruction for g in self.result.instructions]
        demonstrations = sample_demonstrations(
            self.rng,
            self.prompt_seeds,
            generated,
            self.config.num_prompt_instructions,
            self.config.num_prompt_seed,
        )
        request = bootstrap_request(
            demonstrations,
            self.config.classification_only,
            self.config.sampling,
            round_seed(self.config.seed, round_number),
            self.config.prompt_style,
        )
        return request, len(demonstrations) + 1

    def _reject(self, round_number: int, instruction: str, reason: str, **detail: Any) -> None:
        self.result.reasons[reason] += 1
        self.result.rejected.append(
            {
                "stage": "instruction",
                "round": round_number,
                "instruction": instruction,
                "reason": reason,
                **detail,
            }
        )

    def _take(self, round_number: int, answer: Completion, next_number: int) -> int:
        """Filter one answer's candidates into the pool; returns how many were kept."""
        result = self.result
        truncated = answer.finish_reason == "length"
        result.truncated_answers += truncated
        candidates = parse_numbered_list(answer.text, truncated=truncated, first_number=next_number)
        reasons = [first_problem(candidate, self.filters) for candidate in candidates]
        # One batch through the pool: the same decisions as one by one, in a single comparison pass.
        # Candidates past the requested count join the pool too, harmlessly: the run ends there.
        matches = iter(self.pool.add_many([c for c, r in zip(candidates, reasons, strict=True) if r is None]))
        kept = 0
        for candidate, reason in zip(candidates, reasons, strict=True):
            if len(result.instructions) >= self.config.num_instructions:
                break
            result.candidates += 1
            if reason is not None:
                self._reject(round_number, candidate, reason)
                continue
            match = next(matches)
            if match is not None:
                self._reject(
                    round_number,
                    candidate,
                    f"near-duplicate (ROUGE-L > {self.config.similarity_threshold:g})",
                    most_similar=self.pool.texts[match.kept_index],
                    rouge_l=round(match.score, 4),
                )
                continue
            number = len(result.instructions) + 1
            result.instructions.append(
                GeneratedInstruction(task_id(number), candidate, round_number, answer.model, answer.cache_key)
            )
            kept += 1
        return kept

    async def run(self, progress: bool) -> BootstrapResult:
        config, result = self.config, self.result
        bar = tqdm(
            total=config.num_instructions, desc="self-instruct", unit="instr", disable=not progress or None
        )
        while not result.stop_reason:
            first = result.rounds + 1
            requests = [self._request(first + k) for k in range(config.concurrency)]
            # every round of the batch is in flight at once; answers are read in round order
            asked = await ask_many([r for r, _ in requests], self.engine.complete, limit=len(requests))
            answers = [_answer(o) for o in asked.outcomes]
            for offset, (answer, (_, next_number)) in enumerate(zip(answers, requests, strict=True)):
                self._finish_round(first + offset, answer, next_number, bar)
                if result.stop_reason:
                    break
        bar.close()
        return result

    def _finish_round(
        self,
        round_number: int,
        answer: Completion | EngineError | BudgetExceeded,
        next_number: int,
        bar: tqdm,
    ) -> None:
        result, config = self.result, self.config
        if isinstance(answer, BudgetExceeded):
            result.stop_reason = STOP_BUDGET
            return
        result.rounds = round_number
        result.requests += 1
        if isinstance(answer, EngineError):
            result.failed_rounds += 1
            if len(result.errors) < 5:
                result.errors.append(f"round {round_number}: {answer}")
            kept = 0
        else:
            result.cache_hits += answer.cached
            kept = self._take(round_number, answer, next_number)
        bar.update(kept)
        if kept:
            result.productive_rounds += 1
            self.unproductive = 0
        else:
            self.unproductive += 1
        if len(result.instructions) >= config.num_instructions:
            result.stop_reason = STOP_REACHED
        elif self.unproductive >= config.max_unproductive_rounds:
            result.stop_reason = (
                f"stopped after {self.unproductive} consecutive rounds without a new instruction "
                f"(the model repeats itself, or every candidate is filtered out); "
                f"kept {len(result.instructions)} of {config.num_instructions}"
            )


async def bootstrap(
    engine: Engine, seeds: list[SeedTask], config: BootstrapConfig, progress: bool = False
) -> BootstrapResult:
    """Generate up to ``config.num_instructions`` new instructions from ``seeds``."""
    return await _Bootstrap(engine, seeds, config).run(progress)
