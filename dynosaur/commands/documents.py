"""``dynosaur documents``: instruction records grounded in a folder of the user's own documents."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dynosaur import config
from dynosaur.documents import DocumentsOptions, run_documents
from dynosaur.engines import Engine, EngineError, create_engine, engine_names

NAME = "documents"
HELP = "Generate instruction/input/output records grounded in your own documents (txt, md, html, json, csv, pdf, docx)."
DEFAULT_MODEL = "gpt-4o-mini"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = DocumentsOptions()
    parser.add_argument("--input-dir", required=True, help="folder of documents, searched with its subfolders")
    parser.add_argument("--output-dir", default=config.DEFAULT_DATA_DIR,
                        help="where documents_instructions.jsonl and documents_report.jsonl go (default %(default)s)")
    group = parser.add_argument_group("chunking")
    group.add_argument("--chunk-size", type=int, default=defaults.chunk_size,
                       help="largest chunk, in characters (default %(default)s)")
    group.add_argument("--chunk-overlap", type=int, default=None,
                       help="characters of whole sentences repeated between chunks (default: size/10, at most 200)")
    group.add_argument("--min-chunk-chars", type=int, default=defaults.min_chunk_chars,
                       help="skip chunks shorter than this (default %(default)s)")
    group = parser.add_argument_group("generation")
    group.add_argument("--samples-per-chunk", type=int, default=defaults.samples_per_chunk,
                       help="instruction/answer pairs asked for per chunk (default %(default)s)")
    group.add_argument("--self-instruct", action="store_true",
                       help="seed a Self-Instruct run with the generated instructions to widen the set "
                            "(its files go to OUTPUT_DIR/self_instruct/)")
    group.add_argument("--self-instruct-count", type=int, default=None,
                       help="new instructions Self-Instruct adds (default: as many as grounded records)")
    group.add_argument("--temperature", type=float, default=defaults.temperature,
                       help="sampling temperature (default %(default)s)")
    group.add_argument("--seed", type=int, default=defaults.seed, help="sampling seed (default %(default)s)")
    group = parser.add_argument_group("engine")
    group.add_argument("--engine", default="openai", choices=engine_names(), help="engine (default %(default)s)")
    group.add_argument("--model", default=DEFAULT_MODEL, help="model name (default %(default)s)")
    group.add_argument("--base-url", default=config.openai_base_url(),
                       help="OpenAI-compatible server URL (default $OPENAI_BASE_URL, else OpenAI)")
    group.add_argument("--concurrency", type=int, default=defaults.concurrency,
                       help="requests in flight at once (default %(default)s)")
    group.add_argument("--budget-usd", type=float, default=None, help="stop asking once this is spent")
    group.add_argument("--cache", default=None, help="response cache (default OUTPUT_DIR/llm_cache.sqlite)")
    group.add_argument("--no-cache", action="store_true", help="do not use the response cache")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def run(args: argparse.Namespace) -> int:
    output_dir = Path(args.output_dir)
    cache = None if args.no_cache else Path(args.cache) if args.cache else output_dir / "llm_cache.sqlite"
    options = DocumentsOptions(
        chunk_size=args.chunk_size,
        chunk_overlap=args.chunk_overlap,
        min_chunk_chars=args.min_chunk_chars,
        samples_per_chunk=args.samples_per_chunk,
        concurrency=args.concurrency,
        temperature=args.temperature,
        seed=args.seed,
        self_instruct_count=args.self_instruct_count,
    )
    try:
        options.check()
        engine = _engine(args)
        summary = run_documents(args.input_dir, output_dir, engine, options=options, cache=cache,
                                self_instruct=args.self_instruct, progress=not args.no_progress)
    except (FileNotFoundError, NotADirectoryError, ValueError, EngineError) as exc:
        print(f"documents: {exc}", file=sys.stderr)
        return 2
    print(summary.format())
    return 0


def _engine(args: argparse.Namespace) -> Engine:
    if args.engine == "openai":
        return create_engine("openai", model=args.model, base_url=args.base_url,
                             api_key=config.openai_api_key(), concurrency=args.concurrency,
                             budget_usd=args.budget_usd)
    try:
        return create_engine(args.engine, model=args.model)
    except (ImportError, TypeError) as exc:
        raise ValueError(f"engine {args.engine!r} cannot be started here: {exc}") from exc
