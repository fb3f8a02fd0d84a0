"""The engine options every LLM command shares, read into the ``EngineOptions`` that
``dynosaur.core.engines.opening.open_engine`` opens.

The API key is read by the engine itself (through ``dynosaur.core.config``); it never travels
through argparse, so it cannot show up in a ``--help`` default or an options dump.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from dynosaur.commands._option_types import (
    non_negative_float,
    non_negative_int,
    positive_float,
    positive_int,
)
from dynosaur.core import config
from dynosaur.core.engines import BatchOptions, EngineOptions, engine_names
from dynosaur.core.engines.servers import is_local_server, server_defaults


def add_engine_arguments(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup,
    *,
    default_engine: str,
    concurrency: int = 8,
    prefix: str = "",
    engines: Sequence[str] | None = None,
    engine_help: str | None = None,
    model_help: str | None = None,
) -> None:
    """The engine options every LLM command shares.

    ``prefix`` names the concurrency and timeout flags (``--llm-concurrency``) where a command has
    its own ``--concurrency`` already (the chain commands carry the crawler's). ``engines`` narrows
    the ``--engine`` choices (default: every registered engine); ``engine_help`` and ``model_help``
    replace the generic help of ``--engine`` and ``--model``.
    """
    dest = prefix.replace("-", "_")
    parser.add_argument(
        "--engine",
        default=default_engine,
        choices=list(engines) if engines is not None else engine_names(),
        help=engine_help
        or "rules (offline, no model), openai (any OpenAI-compatible server) or transformers "
        "(a local model) (default %(default)s)",
    )
    parser.add_argument(
        "--model", default=None, help=model_help or "model name (default $OPENAI_MODEL, else gpt-4o-mini)"
    )
    parser.add_argument(
        "--base-url",
        default=config.openai_base_url(),
        help="OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1 for vLLM "
        "(default $OPENAI_BASE_URL, else api.openai.com)",
    )
    parser.add_argument(
        f"--{prefix}concurrency",
        dest=f"{dest}concurrency",
        type=positive_int,
        default=None,
        help=f"most LLM requests in flight at once (default {concurrency}; 1 for a server on this "
        "machine, 127.0.0.1 or localhost, which usually answers one request at a time); the limit "
        "halves when calls time out or slow down and grows back by one",
    )
    remote_timeout = server_defaults(None)[1]
    local_timeout = server_defaults("http://127.0.0.1")[1]
    parser.add_argument(
        f"--{prefix}timeout",
        dest=f"{dest}timeout",
        type=positive_float,
        default=None,
        help=f"seconds per LLM request (default {remote_timeout:g}; {local_timeout:g} for a server on "
        "this machine or a private network, long enough for CPU inference); a timed-out request is "
        "retried once",
    )
    parser.add_argument(
        "--batch",
        action="store_true",
        help="send the uncached requests through the OpenAI Batch API (half the price, answers within "
        "24 h); a killed run resumes the same batch (ids kept in llm_batches.json beside the cache)",
    )
    parser.add_argument(
        "--batch-file-only",
        metavar="DIR",
        default=None,
        help="write the uncached requests as Batch API JSONL files into DIR without uploading them "
        "(vLLM's offline batch runner reads the same format), then read the answers back with "
        "--batch-results",
    )
    parser.add_argument(
        "--batch-results",
        metavar="FILE",
        action="append",
        default=[],
        help="answer requests from this Batch API (or vLLM) output file; may be repeated; requests "
        "it does not answer are made as normal calls (or batched, with --batch)",
    )
    parser.add_argument(
        "--batch-poll-seconds",
        type=positive_float,
        default=5.0,
        help="first wait between polls of a batch; it grows 1.5x per poll up to 60 s (default %(default)s)",
    )
    parser.set_defaults(_engine_prefix=prefix, _engine_concurrency_default=concurrency)
    parser.add_argument(
        "--max-retries",
        type=non_negative_int,
        default=5,
        help="retries on rate limits, timeouts, connection errors and 5xx (default %(default)s)",
    )
    parser.add_argument(
        "--budget-usd",
        type=non_negative_float,
        default=None,
        help="stop cleanly before a call could take spending past this many dollars",
    )
    parser.add_argument(
        "--prices",
        default=None,
        help='JSON file of extra prices, {"model": {"input": USD_PER_1M, "output": USD_PER_1M}}',
    )


def settle_engine_defaults(args: argparse.Namespace) -> None:
    """Fill in the concurrency and timeout left unset, from where the server is; says so on stderr
    when a local server gets one request at a time. Does nothing for commands without engine
    options, or once settled."""
    prefix = getattr(args, "_engine_prefix", None)
    if prefix is None:
        return
    dest = prefix.replace("-", "_")
    local = args.engine == "openai" and is_local_server(args.base_url)
    # a private network's server gets the long timeout too, and the command's own concurrency
    concurrency_default, timeout_default = server_defaults(args.base_url if args.engine == "openai" else None)
    if not local:
        concurrency_default = args._engine_concurrency_default
    batch = _batch_mode(args) and args._engine_concurrency_default > 1
    if batch:
        from dynosaur.core.engines.batch import MAX_REQUESTS_PER_FILE  # loads the openai client

        concurrency_default = MAX_REQUESTS_PER_FILE  # a batch takes every request at once
    if getattr(args, f"{dest}concurrency") is None:
        setattr(args, f"{dest}concurrency", concurrency_default)
        if local and not batch and concurrency_default < args._engine_concurrency_default:
            print(
                f"{args.base_url} is on this machine: {concurrency_default} request at a time "
                f"(--{prefix}concurrency N to change)",
                file=sys.stderr,
            )
    if getattr(args, f"{dest}timeout") is None:
        setattr(args, f"{dest}timeout", timeout_default)


def _batch_mode(args: argparse.Namespace) -> bool:
    return bool(
        getattr(args, "batch", False)
        or getattr(args, "batch_file_only", None)
        or getattr(args, "batch_results", [])
    )


def batch_options(args: argparse.Namespace) -> BatchOptions | None:
    """The batch mode the ``--batch*`` options ask for; ``None`` for normal calls."""
    if not _batch_mode(args):
        return None
    return BatchOptions(
        submit=bool(args.batch),
        file_only=args.batch_file_only,
        results=tuple(args.batch_results),
        poll_seconds=args.batch_poll_seconds,
        progress=not getattr(args, "no_progress", False),
    )


def engine_options(
    args: argparse.Namespace, *, prefix: str = "", engine: str | None = None, cache: bool = True
) -> EngineOptions:
    """The ``EngineOptions`` that ``add_engine_arguments``' options (and ``--cache``) name, for
    ``open_engine``; ``engine`` overrides ``--engine``, ``cache`` off opens no response cache."""
    dest = prefix.replace("-", "_")
    settle_engine_defaults(args)
    concurrency = getattr(args, f"{dest}concurrency")
    if _batch_mode(args):  # the stage fans out for the batch; normal calls keep the usual limit
        local_limit = server_defaults(args.base_url)[0] if is_local_server(args.base_url) else concurrency
        concurrency = min(concurrency, args._engine_concurrency_default, local_limit)
    cache_file = getattr(args, "cache", None)
    return EngineOptions(
        engine=engine or args.engine,
        model=args.model,
        base_url=args.base_url,
        concurrency=concurrency,
        timeout=getattr(args, f"{dest}timeout"),
        max_retries=args.max_retries,
        budget_usd=args.budget_usd,
        prices=args.prices,
        batch=batch_options(args),
        cache=Path(cache_file) if cache_file else None,
        use_cache=cache and not getattr(args, "no_cache", False),
    )
