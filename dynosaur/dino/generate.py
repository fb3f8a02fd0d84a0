"""Generation: the batch plan and the two ways of asking an engine for quoted texts.

Each instruction ends with an opening quotation mark, and a generated text is what comes before
the closing one. Texts that never close are reported as ``no_closing_quote``.

- ``ScoringGenerator`` (engines with "next_token_scores", e.g. ``transformers``): raw prompts are
  continued with top-k / top-p sampling until the closing quote or ``max_output_length`` tokens.
  With counter labels, each main prompt travels with its counter prompts in one group and the
  self-debiasing processor steers every step (``dynosaur.core.engines.debias``).
- ``ChatGenerator`` (engines with "chat", e.g. ``openai``): one chat request per entry, asking
  for the quoted text only. A chat answer that ends on its own counts as closed; one cut by the
  token limit without a closing quote does not. Counter labels cannot be honoured here.

Seeds are derived from ``--seed`` and the batch (or entry) identity, so a batch's texts do not
depend on which batches ran before it: a resumed run equals an uninterrupted one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from dynosaur.core import checks
from dynosaur.core.engines.base import (
    BudgetExceeded,
    ChatRequest,
    ContinuationRequest,
    Engine,
    GenerationParams,
    ScoringEngine,
)
from dynosaur.core.fanout import ask_many
from dynosaur.dino.spec import QUOTE, TaskSpec

CHAT_SYSTEM_PROMPT = (
    "Continue the user's text exactly where it stops. It ends with an opening quotation mark: "
    'write only the words that belong inside the quotation marks, then close them with ".'
)


@dataclass(frozen=True)
class GenerationOptions:
    """What shapes the generated texts (all of it is part of a run's identity)."""

    num_entries: int
    top_p: float = 0.9
    top_k: int = 5
    max_output_length: int = 40
    decay_constant: float = 100.0
    batch_size: int = 8
    seed: int = 42
    min_num_tokens: int = 0
    keep_outputs_without_eos: bool = False
    ignore_counter_labels: bool = False

    def __post_init__(self) -> None:
        checks.at_least("num_entries", self.num_entries, 1)
        checks.between("top_p", self.top_p, 0.0, 1.0, low_included=False)
        checks.at_least("top_k", self.top_k, 0)
        checks.at_least("max_output_length", self.max_output_length, 1)
        checks.non_negative("decay_constant", self.decay_constant)
        checks.at_least("batch_size", self.batch_size, 1)
        checks.whole("seed", self.seed)
        checks.at_least("min_num_tokens", self.min_num_tokens, 0)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Batch:
    """Entries of one label generated together; ``items`` are (input index or None, entry index)."""

    batch_id: str
    label: str
    items: tuple[tuple[int | None, int], ...]


def derive_seed(seed: int, *parts: Any) -> int:
    """A stable 31-bit seed for one batch or entry."""
    blob = json.dumps([seed, *parts], ensure_ascii=False)
    return int(hashlib.sha256(blob.encode("utf-8")).hexdigest()[:8], 16) & 0x7FFFFFFF


def plan_batches(spec: TaskSpec, num_inputs: int | None, options: GenerationOptions) -> list[Batch]:
    """Every batch of the run, label by label in spec order, inputs in file order."""
    batches: list[Batch] = []
    for label in spec.labels:
        if num_inputs is None:
            items: list[tuple[int | None, int]] = [(None, e) for e in range(options.num_entries)]
        else:
            items = [(i, e) for i in range(num_inputs) for e in range(options.num_entries)]
        for start in range(0, len(items), options.batch_size):
            chunk = tuple(items[start : start + options.batch_size])
            batches.append(Batch(f"{label}/{start // options.batch_size}", label, chunk))
    return batches


def cut_at_closing_quote(text: str) -> tuple[str, bool]:
    """The text before the first closing quote, and whether there was one."""
    if QUOTE in text:
        return text.split(QUOTE, 1)[0].strip(), True
    return text.strip(), False


def _output(input_index: int | None, text: str, closed: bool) -> dict[str, Any]:
    return {"input_index": input_index, "text": text, "closed": closed}


class ScoringGenerator:
    """Quoted texts from a next-token-scores engine, steered by counter labels when asked."""

    def __init__(
        self,
        engine: ScoringEngine,
        spec: TaskSpec,
        inputs: list[str] | None,
        options: GenerationOptions,
        use_counter_labels: bool,
    ) -> None:
        self.engine = engine
        self.spec = spec
        self.inputs = inputs
        self.options = options
        self.use_counter_labels = use_counter_labels

    def _group(self, label: str, input_index: int | None) -> list[str]:
        text = None if input_index is None or self.inputs is None else self.inputs[input_index]
        spec_label = self.spec.labels[label]
        counters = spec_label.counter_labels if self.use_counter_labels else ()
        return [spec_label.prompt(text)] + [self.spec.labels[c].prompt(text) for c in counters]

    async def run_batch(self, batch: Batch) -> list[dict[str, Any]]:
        groups = [self._group(batch.label, input_index) for input_index, _ in batch.items]
        group_size = len(groups[0])
        steer = None
        if group_size > 1:
            from dynosaur.core.engines.debias import SelfDebiasingLogitsProcessor  # needs torch

            steer = SelfDebiasingLogitsProcessor(group_size, self.options.decay_constant)
        params = GenerationParams(
            temperature=1.0,
            top_p=self.options.top_p,
            max_tokens=self.options.max_output_length,
            seed=derive_seed(self.options.seed, batch.batch_id),
            stop=(QUOTE,),
        )
        request = ContinuationRequest(
            prompts=tuple(p for group in groups for p in group),
            params=params,
            top_k=self.options.top_k,
            group_size=group_size,
            min_new_tokens=self.options.min_num_tokens,
        )
        continuations = await self.engine.continue_prompts(request, steer)
        return [
            _output(input_index, c.text.strip(), c.finish_reason == "stop")
            for (input_index, _), c in zip(batch.items, continuations, strict=True)
        ]


class ChatGenerator:
    """Quoted texts from a chat engine, one request per entry (no counter labels)."""

    def __init__(
        self, engine: Engine, spec: TaskSpec, inputs: list[str] | None, options: GenerationOptions
    ) -> None:
        self.engine = engine
        self.spec = spec
        self.inputs = inputs
        self.options = options

    async def _one(self, label: str, input_index: int | None, entry_index: int) -> dict[str, Any]:
        text = None if input_index is None or self.inputs is None else self.inputs[input_index]
        params = GenerationParams(
            temperature=1.0,
            top_p=self.options.top_p,
            max_tokens=self.options.max_output_length,
            seed=derive_seed(self.options.seed, label, input_index, entry_index),
        )
        request = ChatRequest.of(
            [
                {"role": "system", "content": CHAT_SYSTEM_PROMPT},
                {"role": "user", "content": self.spec.labels[label].prompt(text)},
            ],
            params,
        )
        completion = await self.engine.complete(request)
        answer = completion.text.strip()
        if answer.startswith(QUOTE):  # the model repeated the opening quote
            answer = answer[1:]
        cut, closed = cut_at_closing_quote(answer)
        return _output(input_index, cut, closed or completion.finish_reason == "stop")

    async def run_batch(self, batch: Batch) -> list[dict[str, Any]]:
        asked = await ask_many(
            batch.items,
            lambda item: self._one(batch.label, *item),
            limit=self.engine.concurrency,
            failures=(Exception,),
        )
        for outcome in asked.outcomes:  # every started request has finished (and is cached); then fail
            if outcome.error is not None:
                raise outcome.error
        if asked.stopped:
            raise BudgetExceeded(asked.stopped)
        return asked.values()
