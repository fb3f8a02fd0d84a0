"""Grounded records as seed tasks, and records made from them in the documents' shape.

``dynosaur documents --self-instruct`` widens the set: each grounded record becomes a seed task
(its instruction, with its input/output as the one instance) for a Self-Instruct run, and the
records that run makes join ``documents_instructions.jsonl`` with ``source_file``,
``chunk_index``, ``char_start`` and ``char_end`` null, since they are not drawn from a chunk.
"""

from __future__ import annotations

from typing import Any

from dynosaur.contracts.seed_tasks import Instance, SeedTask


def seed_tasks(records: list[dict[str, Any]]) -> list[SeedTask]:
    """Grounded records as Self-Instruct seed tasks, in record order."""
    return [
        SeedTask(
            f"document_task_{number:04d}",
            f"document_task_{number:04d}",
            r["instruction"],
            (Instance(r["input"], r["output"]),),
            False,
        )
        for number, r in enumerate(records, start=1)
    ]


def widened_record(record: dict[str, Any]) -> dict[str, Any]:
    """An ``{instruction, input, output}`` record not drawn from a chunk, in the documents' shape."""
    return {
        "instruction": record["instruction"],
        "input": record["input"],
        "output": record["output"],
        "source_file": None,
        "chunk_index": None,
        "char_start": None,
        "char_end": None,
    }
