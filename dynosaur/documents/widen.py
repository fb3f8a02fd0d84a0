"""Widening the set with Self-Instruct: the grounded pairs seed one Self-Instruct run.

Each grounded record becomes a seed task (its instruction, with its input/output as the one
instance); Self-Instruct bootstraps new instructions from them — never near-duplicates of a seed —
and gives each new instruction its own examples. Its files go to ``OUTPUT_DIR/self_instruct/``; its
records join ``documents_instructions.jsonl`` with ``source_file``, ``chunk_index``,
``char_start`` and ``char_end`` null, since they are not drawn from a chunk.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dynosaur.engines import Engine
from dynosaur.io import read_jsonl
from dynosaur.seed_tasks import Instance, SeedTask
from dynosaur.self_instruct import BootstrapConfig, self_instruct
from dynosaur.self_instruct.run import RECORDS_FILE

SELF_INSTRUCT_DIR = "self_instruct"


@dataclass
class Widening:
    """The new records, the reasons candidates and tasks were dropped, and Self-Instruct's summary."""

    records: list[dict[str, Any]] = field(default_factory=list)
    dropped: Counter[str] = field(default_factory=Counter)
    summary: str = ""


def seed_tasks(records: list[dict[str, Any]]) -> list[SeedTask]:
    """Grounded records as Self-Instruct seed tasks, in record order."""
    return [SeedTask(f"document_task_{number:04d}", f"document_task_{number:04d}", r["instruction"],
                     (Instance(r["input"], r["output"]),), False)
            for number, r in enumerate(records, start=1)]


async def widen_with_self_instruct(engine: Engine, records: list[dict[str, Any]], output_dir: Path, *,
                                   count: int, concurrency: int, seed: int, progress: bool) -> Widening:
    """Run Self-Instruct seeded with ``records`` for up to ``count`` new instructions."""
    if not records:
        return Widening(dropped=Counter({"no grounded instructions to seed from": 1}))
    folder = Path(output_dir) / SELF_INSTRUCT_DIR
    config = BootstrapConfig(num_instructions=count, concurrency=concurrency, seed=seed)
    report = await self_instruct(engine, seed_tasks(records), config, folder, progress=progress)
    widening = Widening(summary=report.summary())
    widening.dropped.update(report.data["bootstrap"]["rejected"])
    widening.dropped.update(report.data["tasks_dropped"])
    for record in read_jsonl(folder / RECORDS_FILE):
        widening.records.append({"instruction": record["instruction"], "input": record["input"],
                                 "output": record["output"], "source_file": None, "chunk_index": None,
                                 "char_start": None, "char_end": None})
    return widening
