"""A whole Self-Instruct run: bootstrap instructions, classify them, generate instances, write files.

Files written in the output folder (each atomically, once the run ends; the response cache keeps
every answer as it arrives, so an interrupted run resumes for free):

- ``self_instruct_tasks.jsonl``: the new tasks in the seed format (ids ``gen_task_0001``...), so
  they can seed another run; only tasks with at least one usable instance.
- ``self_instruct_records.jsonl``: fine-tuning records ``{instruction, input, output}``.
- ``self_instruct_instructions.jsonl``: every bootstrapped instruction with its round, model,
  cache key, classification and instance count.
- ``self_instruct_rejected.jsonl``: every rejected candidate, dropped task and dropped instance
  with its reason.
- ``self_instruct_report.json``: counts by reason, rounds, calls, cache hits, usage, settings.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from tqdm import tqdm

from dynosaur.contracts.artifacts import (
    SELF_INSTRUCT_INSTRUCTIONS_FILE,
    SELF_INSTRUCT_RECORDS_FILE,
    SELF_INSTRUCT_REJECTED_FILE,
    SELF_INSTRUCT_REPORT_FILE,
    SELF_INSTRUCT_TASKS_FILE,
)
from dynosaur.contracts.seed_tasks import SeedTask, write_seed_tasks
from dynosaur.core import checks, prompts
from dynosaur.core.engines import (
    BudgetExceeded,
    Engine,
    EngineError,
    describe_strain,
    require_capability,
    server_strain,
    structured_output_mode,
)
from dynosaur.core.fanout import ask_many
from dynosaur.core.io import atomic_write_json, atomic_write_jsonl
from dynosaur.core.prompt_style import StyleChoice, choose_prompt_style
from dynosaur.self_instruct.bootstrap import (
    STOP_BUDGET,
    BootstrapConfig,
    BootstrapResult,
    GeneratedInstruction,
    bootstrap,
)
from dynosaur.self_instruct.classify import classify
from dynosaur.self_instruct.instances import DEFAULT_MAX_TOKENS, Instances, generate_instances

NOT_FINISHED = "not finished: " + STOP_BUDGET


@dataclass
class TaskOutcome:
    """What became of one bootstrapped instruction."""

    generated: GeneratedInstruction
    classified: bool = False
    is_classification: bool | None = None
    instances: Instances | None = None
    dropped_because: str | None = None
    requests: int = 0
    cache_hits: int = 0

    def task(self) -> SeedTask | None:
        if self.dropped_because is not None or self.instances is None:
            return None
        g = self.generated
        return SeedTask(
            g.id,
            _name(g.instruction),
            g.instruction,
            tuple(self.instances.kept),
            bool(self.is_classification),
        )


def _name(instruction: str) -> str:
    """A short snake_case name from the first words (seed tasks carry one)."""
    words = "".join(c.lower() if c.isalnum() else " " for c in instruction).split()
    return "_".join(words[:6])


async def _complete_task(
    engine: Engine,
    generated: GeneratedInstruction,
    seeds: list[SeedTask],
    seed: int,
    max_tokens: int,
    style: str = "full",
) -> TaskOutcome:
    outcome = TaskOutcome(generated)
    try:
        outcome.requests += 1
        verdict = await classify(engine, generated.id, generated.instruction, seeds, seed, style)
        outcome.cache_hits += verdict.answer.cached
        outcome.classified, outcome.is_classification = True, verdict.is_classification
        outcome.requests += 1
        outcome.instances = await generate_instances(
            engine,
            generated.id,
            generated.instruction,
            bool(verdict.is_classification),
            seeds,
            seed,
            max_tokens,
            style,
        )
        outcome.cache_hits += bool(outcome.instances.answer and outcome.instances.answer.cached)
    except BudgetExceeded:
        outcome.requests -= 1  # the refused call was never made
        outcome.dropped_because = NOT_FINISHED
        return outcome
    except EngineError as exc:
        outcome.dropped_because = f"engine error: {exc}"
        return outcome
    if not outcome.instances.kept:
        outcome.dropped_because = "no usable instances"
    return outcome


@dataclass
class SelfInstructReport:
    """Everything a user wants to know at the end of a run (also written as the report file)."""

    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return self.data

    def render(self) -> str:
        d = self.data
        boot, engine = d["bootstrap"], d["engine"]
        lines = [
            f"self-instruct: {d['instructions_generated']} new instructions of {d['requested']} requested "
            f"from {d['seed_tasks']} seed tasks in {boot['rounds']} round{'' if boot['rounds'] == 1 else 's'}; "
            f"{d['stop_reason']}",
            f"  wrote {d['tasks_written']} tasks and {d['records_written']} records to {d['output_dir']}",
            f"  candidates {boot['candidates']}: kept {boot['kept']}, rejected "
            + (", ".join(f"{n} {r}" for r, n in boot["rejected"].items()) or "none"),
            f"  classification: {d['classification']['yes']} yes, {d['classification']['no']} no, "
            f"{d['classification']['unparseable']} unparseable; instances kept {d['instances']['kept']}, dropped "
            + (", ".join(f"{n} {r}" for r, n in d["instances"]["dropped"].items()) or "none"),
            f"  engine {engine['name']} ({engine['model']}): {engine['calls']} calls, {engine['cache_hits']} cache hits"
            + (f"; prompt style {d['prompt_style']['style']}" if d.get("prompt_style") else ""),
        ]
        if d["tasks_dropped"]:
            lines.append("  tasks dropped: " + ", ".join(f"{n} {r}" for r, n in d["tasks_dropped"].items()))
        if engine.get("server"):
            lines.append("  " + describe_strain(engine["server"]))
        lines += [f"  {error}" for error in boot["errors"]]
        return "\n".join(lines)


def _counts(counter: Counter[str]) -> dict[str, int]:
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def _report(
    seeds: list[SeedTask],
    config: BootstrapConfig,
    engine: Engine,
    boot: BootstrapResult,
    outcomes: list[TaskOutcome],
    output_dir: Path,
    tasks: list[SeedTask],
    records: int,
    style: StyleChoice,
) -> SelfInstructReport:
    classified = Counter(
        "unparseable" if o.is_classification is None else ("yes" if o.is_classification else "no")
        for o in outcomes
        if o.classified
    )
    dropped = Counter(reason for o in outcomes if o.instances for _, reason in o.instances.dropped)
    requests = boot.requests + sum(o.requests for o in outcomes)
    hits = boot.cache_hits + sum(o.cache_hits for o in outcomes)
    usage = engine.usage
    stop = boot.stop_reason
    if any(o.dropped_because == NOT_FINISHED for o in outcomes):
        stop = STOP_BUDGET
    settings = asdict(config)
    settings["blocklist"] = list(config.blocklist)
    data = {
        "seed_tasks": len(seeds),
        "requested": config.num_instructions,
        "instructions_generated": len(boot.instructions),
        "tasks_written": len(tasks),
        "records_written": records,
        "stop_reason": stop,
        "output_dir": str(output_dir),
        "bootstrap": {
            "rounds": boot.rounds,
            "productive_rounds": boot.productive_rounds,
            "candidates": boot.candidates,
            "kept": len(boot.instructions),
            "rejected": _counts(boot.reasons),
            "truncated_answers": boot.truncated_answers,
            "failed_rounds": boot.failed_rounds,
            "errors": boot.errors,
        },
        "classification": {key: classified.get(key, 0) for key in ("yes", "no", "unparseable")},
        "instances": {
            "kept": sum(len(t.instances) for t in tasks),
            "dropped": _counts(dropped),
            "truncated_answers": sum(
                1
                for o in outcomes
                if o.instances and o.instances.answer and o.instances.answer.finish_reason == "length"
            ),
        },
        "tasks_dropped": _counts(Counter(o.dropped_because for o in outcomes if o.dropped_because)),
        "engine": {
            "name": engine.name,
            "model": engine.model,
            "requests": requests,
            "cache_hits": hits,
            "calls": requests - hits,
            "usage": usage.to_json() if usage is not None and hasattr(usage, "to_json") else None,
            "structured_output": structured_output_mode(engine),
            "server": server_strain(engine),
        },
        "prompts_version": prompts.prompts_version(),
        "prompt_style": style.to_json(),
        "settings": settings,
    }
    return SelfInstructReport(data)


def _rejected_lines(boot: BootstrapResult, outcomes: list[TaskOutcome]) -> list[dict[str, Any]]:
    lines = list(boot.rejected)
    for o in outcomes:
        g = o.generated
        if o.instances is not None:
            for instance, reason in o.instances.dropped:
                lines.append(
                    {
                        "stage": "instance",
                        "id": g.id,
                        "instruction": g.instruction,
                        "reason": reason,
                        "input": instance.input,
                        "output": instance.output,
                    }
                )
        if o.dropped_because:
            lines.append(
                {"stage": "task", "id": g.id, "instruction": g.instruction, "reason": o.dropped_because}
            )
    return lines


async def self_instruct(
    engine: Engine,
    seeds: list[SeedTask],
    config: BootstrapConfig,
    output_dir: str | os.PathLike,
    *,
    instance_max_tokens: int = DEFAULT_MAX_TOKENS,
    progress: bool = False,
) -> SelfInstructReport:
    """Run Self-Instruct with ``engine`` (which needs the "chat" capability) and write the files."""
    require_capability(engine, "chat", "Self-Instruct")
    config.check()
    checks.at_least("instance_max_tokens", instance_max_tokens, 1)
    style = choose_prompt_style(config.prompt_style, engine, context_window=config.context_window)
    config = replace(config, prompt_style=style.style)
    output_dir = Path(output_dir)
    boot = await bootstrap(engine, seeds, config, progress=progress)
    with tqdm(
        total=len(boot.instructions), desc="instances", unit="task", disable=not progress or None
    ) as bar:
        # outcomes come back in instruction order, with ``concurrency`` tasks in flight; once the
        # budget is spent (in the bootstrap already, or here) the tasks not started are not finished
        asked = await ask_many(
            boot.instructions,
            lambda g: _complete_task(engine, g, seeds, config.seed, instance_max_tokens, config.prompt_style),
            limit=config.concurrency,
            on_outcome=lambda _: bar.update(1),
            stop_if=lambda o: STOP_BUDGET if o.dropped_because == NOT_FINISHED else None,
            stopped=STOP_BUDGET if boot.stop_reason == STOP_BUDGET else None,
        )
    outcomes = [
        o.value if o.value is not None else TaskOutcome(o.item, dropped_because=NOT_FINISHED)
        for o in asked.outcomes
    ]

    tasks = [task for task in (o.task() for o in outcomes) if task is not None]
    records = [
        {"instruction": t.instruction, "input": i.input, "output": i.output}
        for t in tasks
        for i in t.instances
    ]
    write_seed_tasks(output_dir / SELF_INSTRUCT_TASKS_FILE, tasks)
    atomic_write_jsonl(output_dir / SELF_INSTRUCT_RECORDS_FILE, records)
    atomic_write_jsonl(
        output_dir / SELF_INSTRUCT_INSTRUCTIONS_FILE,
        (
            {
                "id": o.generated.id,
                "instruction": o.generated.instruction,
                "round": o.generated.round,
                "is_classification": o.is_classification,
                "instances": len(o.instances.kept) if o.instances else 0,
                "model": o.generated.model,
                "cache_key": o.generated.cache_key,
            }
            for o in outcomes
        ),
    )
    atomic_write_jsonl(output_dir / SELF_INSTRUCT_REJECTED_FILE, _rejected_lines(boot, outcomes))
    report = _report(seeds, config, engine, boot, outcomes, output_dir, tasks, len(records), style)
    atomic_write_json(output_dir / SELF_INSTRUCT_REPORT_FILE, report.data)
    return report
