"""Task proposal: ask an engine for tasks for every dataset-config, in each mode.

Reads ``huggingface_metadata.jsonl``, sends one request per (dataset-config, mode) through the
response cache, parses and validates each answer, and rebuilds ``tasks.jsonl`` atomically, in a
fixed order, from everything answered so far, also when the run stops early (budget, Ctrl-C).
Answers are committed to the cache as they arrive, so a killed run loses nothing paid for and a
rerun makes only the missing calls.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from tqdm import tqdm

from dynosaur.contracts.artifacts import METADATA_FILE, PROPOSE_REPORT_FILE, TASKS_FILE, reason_kind
from dynosaur.contracts.metadata import load_metadata
from dynosaur.contracts.task_checks import demonstration_index, judge, parse_answer
from dynosaur.contracts.tasks import SOURCE_BY_MODE, Task
from dynosaur.core import checks
from dynosaur.core.engines.base import (
    Completion,
    Engine,
    describe_strain,
    server_strain,
    structured_output_mode,
)
from dynosaur.core.errors import ConfigError
from dynosaur.core.fanout import Outcome, ask_many
from dynosaur.core.io import atomic_write_json, atomic_write_jsonl
from dynosaur.core.prompt_style import StyleChoice, check_style, choose_prompt_style
from dynosaur.core.prompts import prompts_version
from dynosaur.hub.propose.prompt import MAX_TOKENS, MODES, build_request, prompt_sentences


@dataclass
class ProposeOptions:
    """What to ask for."""

    modes: tuple[str, ...] = MODES
    max_tasks: int = 3
    max_tokens: int = MAX_TOKENS
    prompts_dir: Path | None = None
    progress: bool = True
    # full, compact or auto (compact for a context window below 4,096 tokens); see core.prompt_style
    prompt_style: str = "auto"
    context_window: int | None = None  # tokens; when the server does not report its own

    def __post_init__(self) -> None:
        checks.members("modes", self.modes, MODES)
        checks.at_least("max_tasks", self.max_tasks, 1)
        checks.at_least("max_tokens", self.max_tokens, 1)
        check_style(self.prompt_style)
        if self.context_window is not None:
            checks.at_least("context_window", self.context_window, 1)


@dataclass
class ProposeSummary:
    """What a run did; printed at the end and written to ``propose_report.json``."""

    # fields the rendered text names (quoted), which a command spells as its flags
    mentions: ClassVar[tuple[str, ...]] = ("batch_results", "context_window")
    engine: str = ""
    model: str = ""
    prompts_version: str = ""
    configs: int = 0
    requests: int = 0
    engine_calls: int = 0
    cache_hits: int = 0
    prompt_chars: int = 0
    prompt_chars_sent: int = 0
    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = 0.0
    cost_local: bool = False  # priced at nothing: a model on this machine that no price lists
    structured_output: str | None = None
    prompt_style: StyleChoice | None = None
    modes: tuple[str, ...] = ()
    batch: dict[str, Any] | None = None
    server: dict[str, Any] | None = None  # timeouts, retries and their seconds; the concurrency limit
    proposed: Counter = field(default_factory=Counter)
    valid: Counter = field(default_factory=Counter)
    rejected: Counter = field(default_factory=Counter)
    # proposals of a mode that only repeat a mapping already proposed (validation drops them)
    repeats: Counter = field(default_factory=Counter)
    skipped_lines: list[dict[str, Any]] = field(default_factory=list)
    # answered, but with no task to judge (e.g. the rules engine finds none for a config)
    skipped_requests: list[dict[str, Any]] = field(default_factory=list)
    # no answer came back (network, server error): only these make a run incomplete
    failures: list[dict[str, Any]] = field(default_factory=list)
    not_asked: int = 0
    stopped: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "model": self.model,
            "prompts_version": self.prompts_version,
            "configs": self.configs,
            "requests": self.requests,
            "engine_calls": self.engine_calls,
            "cache_hits": self.cache_hits,
            "prompt_chars": self.prompt_chars,
            "prompt_chars_sent": self.prompt_chars_sent,
            "prompt_tokens": self.prompt_tokens,
            "cached_tokens": self.cached_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": None if self.cost_usd is None else round(self.cost_usd, 6),
            "cost_local": self.cost_local,
            "structured_output": self.structured_output,
            "prompt_style": self.prompt_style.to_json() if self.prompt_style else None,
            "batch": self.batch,
            "server": self.server,
            "proposed_by_mode": dict(sorted(self.proposed.items())),
            "valid_by_mode": dict(sorted(self.valid.items())),
            # every valid task is a mapping no earlier task of its dataset-config had
            "mappings_added_by_mode": {mode: self.valid[mode] for mode in self.modes},
            "rejected_by_reason": dict(sorted(self.rejected.items())),
            "skipped_lines": self.skipped_lines,
            "skipped_requests": self.skipped_requests,
            "failures": self.failures,
            "not_asked": self.not_asked,
            "stopped": self.stopped,
        }

    def render(self) -> str:
        """A one-screen summary."""
        if self.cost_usd is None:
            cost = "unknown (no price for this model)"
        else:
            cost = "$0 (local)" if self.cost_local else f"${self.cost_usd:.4f}"
        lines = [
            f"propose: {self.configs} dataset-configs, {self.requests} requests "
            f"(engine {self.engine}, model {self.model}, prompts {self.prompts_version})",
            f"  engine calls {self.engine_calls}, cache hits {self.cache_hits}, "
            f"answered without a task {len(self.skipped_requests)}, failed {len(self.failures)}"
            + (f"; structured output {self.structured_output}" if self.structured_output else "")
            + (f"; prompt style {self.prompt_style.describe()}" if self.prompt_style else ""),
            f"  prompt characters {self.prompt_chars:,} (sent to the engine {self.prompt_chars_sent:,}); "
            f"tokens {self.prompt_tokens:,} in"
            + (f" ({self.cached_tokens:,} from the server's prompt cache)" if self.cached_tokens else "")
            + f" / {self.completion_tokens:,} out; cost {cost}",
        ]
        if self.server:
            lines.append("  " + describe_strain(self.server))
        if self.batch:
            b = self.batch
            lines.append(
                f"  batch API: {b['batch_calls']} answers at the batch rate, {b['batches_submitted']} "
                f"batches submitted, {b['batches_resumed']} resumed, "
                f"{b['retried_as_normal_calls']} retried as normal calls"
            )
            for path in b["files_written"]:
                lines.append(f"  wrote {path}: run it, then rerun with `batch_results` FILE")
        modes = sorted(self.proposed)
        if modes:
            lines.append(
                "  tasks proposed: "
                + ", ".join(f"{mode} {self.proposed[mode]} ({self.valid[mode]} valid)" for mode in modes)
            )
        else:
            lines.append("  tasks proposed: none")
        for mode in self.modes:
            if self.proposed[mode] and not self.valid[mode]:
                why = (
                    "its proposals repeat mappings already proposed"
                    if self.repeats[mode] == self.proposed[mode]
                    else "none of its proposals is valid"
                )
                lines.append(f"  {mode} mode added no mapping: {why}")
        if self.rejected:
            lines.append("  rejected: " + ", ".join(f"{n} {k}" for k, n in self.rejected.most_common()))
        for item in self.skipped_lines[:5]:
            lines.append(f"  skipped {item['where']}: {item['reason']}")
        for item in self.skipped_requests[:5]:
            lines.append(f"  skipped {item['task_name']} [{item['mode']}]: {item['reason']}")
        for item in self.failures[:5]:
            lines.append(f"  failed {item['task_name']} [{item['mode']}]: {item['reason']}")
        hidden = sum(
            max(0, len(items) - 5) for items in (self.skipped_lines, self.skipped_requests, self.failures)
        )
        if hidden:
            lines.append(f"  ... {hidden} more in {PROPOSE_REPORT_FILE}")
        if self.stopped:
            lines.append(f"  stopped early ({self.not_asked} requests not made): {self.stopped}")
            lines.append("  rerun to continue: answers already received come from the cache")
        return "\n".join(lines)


def _source(engine: Engine, mode: str) -> str:
    return "rules" if engine.name == "rules" else SOURCE_BY_MODE.get(mode, mode)


def tasks_from_completion(
    completion: Completion, metadata: dict[str, Any], mode: str, engine: Engine, max_tasks: int, version: str
) -> list[Task]:
    """The proposals of one answer, with provenance (not yet judged)."""
    return [
        Task(
            task_name=metadata["task_name"],
            instruction=p.instruction,
            input_fields=p.input_fields,
            output_field=p.output_field,
            source=_source(engine, mode),
            mode=mode,
            engine=engine.name,
            model=completion.model or engine.model,
            cache_key=completion.cache_key,
            prompts_version=version,
            reason=p.reason,
        )
        for p in parse_answer(completion.text, completion.finish_reason, max_tasks)
    ]


async def _ask_all(
    units: list[tuple[dict[str, Any], str]],
    engine: Engine,
    options: ProposeOptions,
    answers: dict[int, Completion],
    summary: ProposeSummary,
) -> None:
    with_context = "context" in engine.capabilities
    style = summary.prompt_style.style if summary.prompt_style else "full"
    bar = tqdm(total=len(units), desc="propose", unit="req", disable=not options.progress)

    async def ask(index: int) -> Completion:
        metadata, mode = units[index]
        request = build_request(
            metadata,
            mode,
            options.max_tasks,
            with_context=with_context,
            max_tokens=options.max_tokens,
            directory=options.prompts_dir,
            style=style,
        )
        completion = await engine.complete(request)
        summary.prompt_chars += request.prompt_chars()
        if not completion.cached:
            summary.prompt_chars_sent += request.prompt_chars()
        return completion

    def settled(outcome: Outcome[int, Completion]) -> None:
        # kept as they arrive: an interrupted run writes what it has
        metadata, mode = units[outcome.index]
        if outcome.done and outcome.value is not None:
            answers[outcome.index] = outcome.value
        elif outcome.failed:
            summary.failures.append(
                {"task_name": metadata["task_name"], "mode": mode, "reason": outcome.reason}
            )
        elif outcome.error is not None:  # the call the budget refused
            summary.stopped = outcome.reason
        if not outcome.skipped:
            bar.update(1)

    try:
        await ask_many(range(len(units)), ask, limit=engine.concurrency, on_outcome=settled)
    finally:
        bar.close()
        await engine.aclose()


def propose(data_dir: str | Path, engine: Engine, options: ProposeOptions | None = None) -> ProposeSummary:
    """Propose tasks for every dataset-config in ``data_dir``; writes tasks.jsonl and the report.

    ``engine`` should be wrapped in ``dynosaur.core.cache.CachedEngine``. Returns the run's summary.
    """
    options = options or ProposeOptions()
    data_dir = Path(data_dir)
    for mode in options.modes:
        if mode not in MODES:
            raise ConfigError(f"unknown mode {mode!r}; modes are {', '.join(MODES)}")
    if not ({"chat", "context"} & set(engine.capabilities)):
        raise ConfigError(f"engine {engine.name!r} can neither chat nor read a request's context")
    check_style(options.prompt_style)
    lines, skipped = load_metadata(data_dir / METADATA_FILE)
    version = prompts_version(options.prompts_dir)
    summary = ProposeSummary(
        engine=engine.name,
        model=engine.model,
        prompts_version=version,
        configs=len(lines),
        skipped_lines=skipped,
        modes=tuple(options.modes),
    )
    units = [(line, mode) for line in lines for mode in options.modes]
    summary.requests = len(units)
    if units:
        summary.prompt_style = choose_prompt_style(
            options.prompt_style, engine, context_window=options.context_window
        )
        # a broken template fails here, before any call and before any file is touched
        build_request(
            *units[0],
            options.max_tasks,
            max_tokens=options.max_tokens,
            directory=options.prompts_dir,
            style=summary.prompt_style.style,
        )
    answers: dict[int, Completion] = {}
    try:
        asyncio.run(_ask_all(units, engine, options, answers, summary))
    except KeyboardInterrupt:
        summary.stopped = "interrupted"
        # keep what arrived (the cache holds it too, so a rerun resumes from here)
        _finish(data_dir, engine, options, units, answers, lines, summary, version)
        raise
    _finish(data_dir, engine, options, units, answers, lines, summary, version)
    return summary


def _finish(
    data_dir: Path,
    engine: Engine,
    options: ProposeOptions,
    units: list[tuple[dict[str, Any], str]],
    answers: dict[int, Completion],
    lines: list[dict[str, Any]],
    summary: ProposeSummary,
    version: str,
) -> None:
    """Judge everything answered so far; write tasks.jsonl and the report (each atomically)."""
    tasks: list[Task] = []
    for index in sorted(answers):
        metadata, mode = units[index]
        found = tasks_from_completion(answers[index], metadata, mode, engine, options.max_tasks, version)
        if not found:  # an answer all the same: a rerun would get the same one from the cache
            summary.skipped_requests.append(
                {
                    "task_name": metadata["task_name"],
                    "mode": mode,
                    "reason": "no task proposed: the answer was an empty list",
                }
            )
        tasks.extend(found)
    judged = judge(
        tasks,
        {line["task_name"]: line for line in lines},
        prompt_sentences(options.max_tasks, options.prompts_dir),
        demonstration_index(options.prompts_dir),
    )
    for task in judged:
        summary.proposed[task.mode] += 1
        if task.valid:
            summary.valid[task.mode] += 1
        else:
            summary.rejected[reason_kind(task.reason)] += 1
            if reason_kind(task.reason) in ("duplicate task", "duplicate mapping"):
                summary.repeats[task.mode] += 1
    summary.skipped_requests.sort(key=lambda f: (f["task_name"], f["mode"]))
    summary.failures.sort(key=lambda f: (f["task_name"], f["mode"]))
    summary.not_asked = len(units) - len(answers) - len(summary.failures)
    summary.structured_output = structured_output_mode(engine)
    summary.server = server_strain(engine)
    batch_report = getattr(engine, "batch_report", None)  # only the Batch API runner has one
    summary.batch = batch_report() if batch_report is not None else None
    stats = engine.stats
    if stats is not None:
        summary.engine_calls, summary.cache_hits = stats.misses, stats.hits
    usage = engine.usage
    if usage is not None:
        summary.prompt_tokens, summary.completion_tokens = usage.prompt_tokens, usage.completion_tokens
        summary.cached_tokens = getattr(usage, "cached_tokens", 0)
        priced = getattr(engine, "price", None) is not None
        summary.cost_local = not priced and bool(getattr(engine, "price_local", False))
        summary.cost_usd = usage.cost_usd if priced or summary.cost_local else None
    # a run stopped before any answer leaves an earlier tasks.jsonl as it was
    if answers or not summary.stopped:
        atomic_write_jsonl(data_dir / TASKS_FILE, (task.to_json() for task in judged))
    atomic_write_json(data_dir / PROPOSE_REPORT_FILE, summary.to_json())
