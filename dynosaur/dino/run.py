"""A DINO run: plan, generate (resumable), post-process, write the dataset and its summary.

Files in the output directory (``STEM`` is the spec's task name made file-safe):

- ``STEM-generated.jsonl``: append-only, one line per finished batch with every raw output
  (closed or not) and the identity of the run that made it; a rerun with the same settings skips
  the batches already there, so an interrupted run resumes without duplicates.
- ``STEM-dataset.jsonl``: the labelled dataset ``{text_a, text_b?, label}``, written atomically.
- ``STEM-summary.json``: engine, model, seed, settings, whether counter labels were honoured, and
  per label the entries generated, removed by each step and kept.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from dynosaur.contracts.artifacts import dino_dataset_file, dino_summary_file
from dynosaur.core.engines.base import (
    BudgetExceeded,
    Engine,
    EngineError,
    ScoringEngine,
    UnsupportedRequest,
    describe_strain,
    require_capability,
    server_strain,
)
from dynosaur.core.io import (
    append_jsonl,
    atomic_write_json,
    atomic_write_jsonl,
    read_jsonl,
    repair_jsonl_tail,
)
from dynosaur.dino.generate import (
    Batch,
    ChatGenerator,
    GenerationOptions,
    ScoringGenerator,
    plan_batches,
)
from dynosaur.dino.inputs import Inputs
from dynosaur.dino.postprocess import STEPS, PostprocessOptions, postprocess
from dynosaur.dino.spec import TaskSpec, check_mode


@dataclass
class DinoJob:
    """Everything a run needs besides the engine."""

    spec: TaskSpec
    output_dir: Path
    options: GenerationOptions
    postprocess: PostprocessOptions = field(default_factory=PostprocessOptions)
    inputs: Inputs | None = None
    input_info: dict[str, Any] | None = None  # {"file", "type", "text_field"} for the summary
    task_file: str = ""
    progress: bool = True


@dataclass
class DinoResult:
    summary: dict[str, Any]
    dataset_path: Path
    summary_path: Path
    generated_path: Path

    def to_json(self) -> dict[str, Any]:
        return self.summary

    def render(self) -> str:
        """A one-screen summary of a run."""
        summary = self.summary
        counters = summary["counter_labels"]
        state = (
            "honoured (self-debiasing)"
            if counters["honoured"]
            else "ignored"
            if counters["ignored"]
            else "none in spec"
        )
        lines = [
            f"dino {summary['task_name']} ({summary['mode']}): engine {summary['engine']}, model {summary['model']}, "
            f"seed {summary['seed']}; counter labels {state}"
        ]
        for label, row in summary["labels"].items():
            removed = ", ".join(f"{step} {n}" for step, n in row["removed"].items() if n) or "none"
            lines.append(
                f"  label {label!r}: generated {row['generated']}, kept {row['kept']} (removed: {removed})"
            )
        total = summary["total"]
        batches = summary["batches"]
        lines.append(
            f"  total: generated {total['generated']}, kept {total['kept']}; batches {batches['generated_now']} "
            f"new, {batches['from_earlier_runs']} from earlier runs, {batches['failed']} failed"
        )
        if summary.get("server"):
            lines.append("  " + describe_strain(summary["server"]))
        if summary["stopped"]:
            lines.append(f"  stopped early: {summary['stopped']} (rerun to resume)")
        lines.append(f"  dataset: {self.dataset_path}")
        lines.append(f"  summary: {self.summary_path}")
        return "\n".join(lines)


def _is_scoring(engine: Engine) -> bool:
    return "next_token_scores" in engine.capabilities and isinstance(engine, ScoringEngine)


def check_engine(spec: TaskSpec, engine: Engine, options: GenerationOptions) -> bool:
    """Raise a clear UnsupportedRequest when ``engine`` cannot serve this run; True = counter labels on."""
    use_counters = spec.has_counter_labels and not options.ignore_counter_labels
    if _is_scoring(engine):
        return use_counters
    offers = ", ".join(sorted(engine.capabilities)) or "nothing"
    if use_counters:
        raise UnsupportedRequest(
            f"spec {spec.task_name!r} has counter labels, which need an engine that exposes next-token "
            f"scores (e.g. the transformers engine); engine {engine.name!r} offers {offers}. Rerun with "
            f"ignore_counter_labels to generate without them (the summary then records that).",
            mentions=("ignore_counter_labels",),
        )
    if options.min_num_tokens:
        raise UnsupportedRequest(
            f"min_num_tokens needs an engine that exposes next-token scores; "
            f"engine {engine.name!r} offers {offers}",
            mentions=("min_num_tokens",),
        )
    require_capability(engine, "chat", "DINO generation")
    return False


def run_fingerprint(job: DinoJob, engine: Engine, use_counters: bool) -> str:
    """The identity of everything that shapes the raw outputs."""
    payload = {
        "engine": engine.name,
        "model": engine.model,
        "spec": job.spec.fingerprint(),
        "inputs": job.inputs.fingerprint() if job.inputs else None,
        "options": job.options.to_json(),
        "counter_labels": use_counters,
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def _entries(
    job: DinoJob, batches: list[Batch], done: dict[str, dict[str, Any]]
) -> tuple[list[dict[str, Any]], Counter[str], Counter[str]]:
    """Dataset entries in plan order, plus per label how many were generated and left unclosed."""
    entries: list[dict[str, Any]] = []
    generated: Counter[str] = Counter()
    unclosed: Counter[str] = Counter()
    for batch in batches:
        record = done.get(batch.batch_id)
        if record is None:
            continue
        for output in record["outputs"]:
            generated[batch.label] += 1
            if not output["closed"] and not job.options.keep_outputs_without_eos:
                unclosed[batch.label] += 1
                continue
            if job.inputs is None:
                entries.append({"text_a": output["text"], "label": batch.label})
            else:
                entries.append(
                    {
                        "text_a": job.inputs.texts[output["input_index"]],
                        "text_b": output["text"],
                        "label": batch.label,
                    }
                )
    return entries, generated, unclosed


def _summary(
    job: DinoJob,
    engine: Engine,
    use_counters: bool,
    entries_kept: list[dict[str, Any]],
    generated: Counter[str],
    unclosed: Counter[str],
    removed: dict[str, Counter[str]],
    batch_counts: dict[str, int],
    stopped: str | None,
    dataset_name: str,
) -> dict[str, Any]:
    kept = Counter(entry["label"] for entry in entries_kept)
    labels: dict[str, dict[str, Any]] = {}
    for label in job.spec.labels:
        steps = {
            "no_closing_quote": unclosed[label],
            **{step: removed.get(label, Counter())[step] for step in STEPS},
        }
        labels[label] = {"generated": generated[label], "removed": steps, "kept": kept[label]}
    return {
        "task_name": job.spec.task_name,
        "task_file": job.task_file,
        "mode": "pair" if job.spec.is_pair else "single",
        "engine": engine.name,
        "model": engine.model,
        "seed": job.options.seed,
        "counter_labels": {
            "in_spec": job.spec.has_counter_labels,
            "honoured": use_counters,
            "ignored": job.spec.has_counter_labels and not use_counters,
            "method": "self-debiasing" if use_counters else None,
        },
        "generation": job.options.to_json(),
        "postprocessing": asdict(job.postprocess),
        "inputs": None
        if job.inputs is None
        else {
            **(job.input_info or {}),
            "texts": len(job.inputs.texts),
            "skipped": dict(sorted(job.inputs.skipped.items())),
        },
        "labels": labels,
        "total": {
            "generated": sum(generated.values()),
            "removed": sum(sum(v["removed"].values()) for v in labels.values()),
            "kept": len(entries_kept),
        },
        "batches": batch_counts,
        "stopped": stopped,
        "dataset": dataset_name,
        "server": server_strain(engine),
    }


async def _generate(
    job: DinoJob,
    engine: Engine,
    use_counters: bool,
    batches: list[Batch],
    done: dict[str, dict[str, Any]],
    fingerprint: str,
    path: Path,
) -> tuple[int, int, str | None]:
    """Run the missing batches, appending each as it finishes; (ran, failed, stop reason)."""
    texts = job.inputs.texts if job.inputs else None
    generator: ScoringGenerator | ChatGenerator
    if _is_scoring(engine):
        generator = ScoringGenerator(engine, job.spec, texts, job.options, use_counters)  # type: ignore[arg-type]
    else:
        generator = ChatGenerator(engine, job.spec, texts, job.options)
    todo = [batch for batch in batches if batch.batch_id not in done]
    ran = failed = 0
    first_error: str | None = None
    with tqdm(
        total=len(todo), desc=f"dino {job.spec.task_name}", unit="batch", disable=not job.progress
    ) as bar:
        for batch in todo:
            try:
                outputs = await generator.run_batch(batch)
            except BudgetExceeded as exc:
                return ran, failed, f"budget: {exc}"
            except EngineError as exc:
                failed += 1
                first_error = first_error or f"batch {batch.batch_id}: {exc}"
                bar.update(1)
                continue
            record = {"run": fingerprint, "batch": batch.batch_id, "label": batch.label, "outputs": outputs}
            append_jsonl(path, record)
            done[batch.batch_id] = record
            ran += 1
            bar.update(1)
    return ran, failed, (f"{failed} batch(es) failed; first: {first_error}" if failed else None)


def run_dino(job: DinoJob, engine: Engine, *, close_engine: bool = False) -> DinoResult:
    """Generate, post-process and write the dataset and summary of one spec.

    ``close_engine`` hands the engine's resources back at the end, inside the run's event loop.
    """
    check_mode(job.spec, job.inputs is not None)
    use_counters = check_engine(job.spec, engine, job.options)
    stem = job.spec.file_stem
    generated_path = job.output_dir / f"{stem}-generated.jsonl"
    dataset_path = job.output_dir / dino_dataset_file(stem)
    summary_path = job.output_dir / dino_summary_file(stem)
    job.output_dir.mkdir(parents=True, exist_ok=True)

    fingerprint = run_fingerprint(job, engine, use_counters)
    batches = plan_batches(job.spec, len(job.inputs.texts) if job.inputs else None, job.options)
    repair_jsonl_tail(generated_path)
    planned = {batch.batch_id for batch in batches}
    done = {
        record["batch"]: record
        for record in read_jsonl(generated_path)
        if record.get("run") == fingerprint and record.get("batch") in planned
    }
    earlier = len(done)

    async def generate() -> tuple[int, int, str | None]:
        try:
            return await _generate(job, engine, use_counters, batches, done, fingerprint, generated_path)
        finally:
            if close_engine:
                await engine.aclose()

    ran, failed, stopped = asyncio.run(generate())

    entries, generated, unclosed = _entries(job, batches, done)
    kept, removed = postprocess(entries, job.postprocess)
    atomic_write_jsonl(dataset_path, kept)
    batch_counts = {
        "planned": len(batches),
        "from_earlier_runs": earlier,
        "generated_now": ran,
        "failed": failed,
    }
    summary = _summary(
        job,
        engine,
        use_counters,
        kept,
        generated,
        unclosed,
        removed,
        batch_counts,
        stopped,
        dataset_path.name,
    )
    atomic_write_json(summary_path, summary)
    return DinoResult(summary, dataset_path, summary_path, generated_path)
