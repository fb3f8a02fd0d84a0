"""``dynosaur documents``: instruction records grounded in a folder of the user's own documents.

With ``--self-instruct`` the documents stage runs first; its grounded records then seed a
Self-Instruct run (files in ``OUTPUT_DIR/self_instruct/``) whose records join
``documents_instructions.jsonl``, and one summary covers both.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from dynosaur.commands import _report
from dynosaur.commands._engine import add_engine_arguments, engine_options
from dynosaur.commands._option_types import (
    non_negative_float,
    non_negative_int,
    positive_int,
    whole_number,
)
from dynosaur.contracts.artifacts import (
    DOCUMENTS_INSTRUCTIONS_FILE,
    DOCUMENTS_SELF_INSTRUCT_DIR,
    SELF_INSTRUCT_RECORDS_FILE,
)
from dynosaur.core import config
from dynosaur.core.cache import CachedEngine
from dynosaur.core.engines import Engine
from dynosaur.core.engines.opening import cached, open_engine
from dynosaur.core.errors import OptionError, cli_flag, spell_fields
from dynosaur.core.io import atomic_write_jsonl, read_jsonl
from dynosaur.documents import DocumentsOptions, DocumentsSummary, run_documents
from dynosaur.documents.pipeline import run_documents_async
from dynosaur.documents.widen import seed_tasks, widened_record
from dynosaur.self_instruct import BootstrapConfig, self_instruct

NAME = "documents"
HELP = "Generate instruction/input/output records grounded in your own documents (txt, md, html, json, csv, pdf, docx)."
NOTHING_TO_SEED = "no grounded instructions to seed from"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = DocumentsOptions()
    parser.add_argument(
        "--input-dir", required=True, help="folder of documents, searched with its subfolders"
    )
    parser.add_argument(
        "--output-dir",
        default=config.DEFAULT_DATA_DIR,
        help="where documents_instructions.jsonl and documents_report.jsonl go (default %(default)s)",
    )
    group = parser.add_argument_group("chunking")
    group.add_argument(
        "--chunk-size",
        type=positive_int,
        default=defaults.chunk_size,
        help="largest chunk, in characters (default %(default)s)",
    )
    group.add_argument(
        "--chunk-overlap",
        type=non_negative_int,
        default=None,
        help="characters of whole sentences repeated between chunks (default: size/10, at most 200)",
    )
    group.add_argument(
        "--min-chunk-chars",
        type=non_negative_int,
        default=defaults.min_chunk_chars,
        help="skip chunks shorter than this (default %(default)s)",
    )
    group.add_argument(
        "--max-file-bytes",
        type=positive_int,
        default=defaults.max_file_bytes,
        help="skip documents larger than this many bytes, unread (default %(default)s: 50 MiB)",
    )
    group = parser.add_argument_group("generation")
    group.add_argument(
        "--samples-per-chunk",
        type=positive_int,
        default=defaults.samples_per_chunk,
        help="instruction/answer pairs asked for per chunk (default %(default)s)",
    )
    group.add_argument(
        "--self-instruct",
        action="store_true",
        help="seed a Self-Instruct run with the generated instructions to widen the set "
        "(its files go to OUTPUT_DIR/self_instruct/)",
    )
    group.add_argument(
        "--self-instruct-count",
        type=positive_int,
        default=None,
        help="new instructions Self-Instruct adds (default: as many as grounded records)",
    )
    group.add_argument(
        "--temperature",
        type=non_negative_float,
        default=defaults.temperature,
        help="sampling temperature (default %(default)s)",
    )
    group.add_argument(
        "--seed", type=whole_number, default=defaults.seed, help="sampling seed (default %(default)s)"
    )
    group.add_argument(
        "--max-tokens",
        type=positive_int,
        default=defaults.max_tokens,
        help="answer length limit per chunk (default %(default)s; a small local model answers "
        "faster with a few hundred)",
    )
    group = parser.add_argument_group("engine")
    add_engine_arguments(group, default_engine="openai", concurrency=defaults.concurrency)
    group.add_argument("--cache", default=None, help="response cache (default OUTPUT_DIR/llm_cache.sqlite)")
    group.add_argument("--no-cache", action="store_true", help="do not use the response cache")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def run(args: argparse.Namespace) -> int:
    output_dir = Path(args.output_dir)
    options = DocumentsOptions(
        chunk_size=args.chunk_size,
        chunk_overlap=args.chunk_overlap,
        min_chunk_chars=args.min_chunk_chars,
        samples_per_chunk=args.samples_per_chunk,
        concurrency=args.concurrency,
        temperature=args.temperature,
        seed=args.seed,
        max_tokens=args.max_tokens,
        max_file_bytes=args.max_file_bytes,
    )
    try:
        options.check()
        _check_count(args.self_instruct_count)
        with open_engine(engine_options(args), output_dir) as engine:
            if args.self_instruct:
                summary = documents_with_self_instruct(
                    args.input_dir,
                    output_dir,
                    engine,
                    options=options,
                    self_instruct_count=args.self_instruct_count,
                    progress=not args.no_progress,
                )
            else:
                summary = run_documents(
                    args.input_dir, output_dir, engine, options=options, progress=not args.no_progress
                )
    except (FileNotFoundError, NotADirectoryError) as exc:
        print(f"documents: {exc}", file=sys.stderr)
        return 2
    print(spell_fields(summary.render(), summary.mentions, cli_flag))
    print(_report.write(_report.documents_spec(output_dir)))
    return 0


def _check_count(count: int | None) -> None:
    if count is not None and count < 1:
        raise OptionError("self_instruct_count", f"must be at least 1, got {count}")


def documents_with_self_instruct(
    input_dir: str | Path,
    output_dir: str | Path,
    engine: Engine,
    *,
    options: DocumentsOptions | None = None,
    cache: str | Path | None = None,
    self_instruct_count: int | None = None,
    progress: bool = True,
    **overrides: Any,
) -> DocumentsSummary:
    """``run_documents``, then Self-Instruct seeded with its grounded records to widen the set.

    Self-Instruct bootstraps up to ``self_instruct_count`` new instructions (default: one per
    grounded record) into ``output_dir/self_instruct/``; its records are appended to
    ``documents_instructions.jsonl``. Closes the engine and returns the combined summary.
    """
    _check_count(self_instruct_count)
    options = replace(options or DocumentsOptions(), **overrides)

    async def main() -> DocumentsSummary:
        try:
            summary = await run_documents_async(
                input_dir, output_dir, engine, options=options, cache=cache, progress=progress
            )
            await _widen(summary, Path(output_dir), engine, options, cache, self_instruct_count, progress)
            return summary
        finally:
            await engine.aclose()

    return asyncio.run(main())


async def _widen(
    summary: DocumentsSummary,
    output_dir: Path,
    engine: Engine,
    options: DocumentsOptions,
    cache: str | Path | None,
    count: int | None,
    progress: bool,
) -> None:
    """Seed Self-Instruct with the written records; add its records to the file and the summary."""
    path = output_dir / DOCUMENTS_INSTRUCTIONS_FILE
    grounded = list(read_jsonl(path))
    if not grounded:
        summary.self_instruct_dropped = Counter({NOTHING_TO_SEED: 1})
        return
    folder = output_dir / DOCUMENTS_SELF_INSTRUCT_DIR
    bootstrap = BootstrapConfig(
        num_instructions=count or len(grounded), concurrency=options.concurrency, seed=options.seed
    )
    with cached(engine, cache) as asked:
        report = await self_instruct(asked, seed_tasks(grounded), bootstrap, folder, progress=progress)
    widened = [widened_record(record) for record in read_jsonl(folder / SELF_INSTRUCT_RECORDS_FILE)]
    atomic_write_jsonl(path, [*grounded, *widened])
    summary.self_instruct_records = len(widened)
    summary.self_instruct_summary = report.render()
    summary.self_instruct_dropped.update(report.data["bootstrap"]["rejected"])
    summary.self_instruct_dropped.update(report.data["tasks_dropped"])
    if isinstance(asked, CachedEngine):  # one count for both stages, as the cache saw them
        if asked is engine:
            summary.engine_calls, summary.cache_hits = asked.stats.misses, asked.stats.hits
        else:
            summary.engine_calls += asked.stats.misses
            summary.cache_hits += asked.stats.hits
