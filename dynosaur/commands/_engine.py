"""Building the engine a command's options name — one place for every command.

The API key is read here (through ``dynosaur.core.config``) and handed to the engine; it never travels
through argparse, so it cannot show up in a ``--help`` default or an options dump.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from dynosaur.core import config
from dynosaur.core.engines import Engine, create_engine, engine_names


def build_engine(
    name: str,
    *,
    model: str | None = None,
    base_url: str | None = None,
    concurrency: int = 8,
    timeout: float = 60.0,
    max_retries: int = 5,
    budget_usd: float | None = None,
    prices: str | Path | None = None,
) -> Engine:
    """The engine registered as ``name``; a clear ``ValueError`` when it cannot be started here."""
    if name == "openai":
        if not base_url and not config.openai_api_key():
            raise ValueError(
                "the openai engine needs OPENAI_API_KEY for api.openai.com, or --base-url "
                "(OPENAI_BASE_URL) for a local OpenAI-compatible server"
            )
        return create_engine(
            "openai",
            model=model or config.openai_model(),
            base_url=base_url,
            api_key=config.openai_api_key(),
            concurrency=concurrency,
            timeout=timeout,
            max_retries=max_retries,
            budget_usd=budget_usd,
            prices=prices,
        )
    if name == "rules":
        return create_engine("rules")
    if name == "transformers" and not model:
        raise ValueError("--engine transformers needs --model (a local path or a model id in the HF cache)")
    try:
        return create_engine(name, model=model or config.openai_model())
    except (ImportError, TypeError) as exc:
        raise ValueError(f"engine {name!r} cannot be started here: {exc}") from exc


def add_engine_arguments(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup,
    *,
    default_engine: str,
    concurrency: int = 8,
    prefix: str = "",
) -> None:
    """The engine options every LLM command shares.

    ``prefix`` names the concurrency and timeout flags (``--llm-concurrency``) where a command has
    its own ``--concurrency`` already (the chain commands carry the crawler's).
    """
    dest = prefix.replace("-", "_")
    parser.add_argument(
        "--engine",
        default=default_engine,
        choices=engine_names(),
        help="rules (offline, no model), openai (any OpenAI-compatible server) or transformers "
        "(a local model) (default %(default)s)",
    )
    parser.add_argument("--model", default=None, help="model name (default $OPENAI_MODEL, else gpt-4o-mini)")
    parser.add_argument(
        "--base-url",
        default=config.openai_base_url(),
        help="OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1 for vLLM "
        "(default $OPENAI_BASE_URL, else api.openai.com)",
    )
    parser.add_argument(
        f"--{prefix}concurrency",
        dest=f"{dest}concurrency",
        type=int,
        default=concurrency,
        help="LLM requests in flight at once (default %(default)s)",
    )
    parser.add_argument(
        f"--{prefix}timeout",
        dest=f"{dest}timeout",
        type=float,
        default=60.0,
        help="seconds per LLM request (default %(default)s)",
    )
    parser.add_argument(
        "--max-retries",
        type=int,
        default=5,
        help="retries on rate limits, timeouts, connection errors and 5xx (default %(default)s)",
    )
    parser.add_argument(
        "--budget-usd",
        type=float,
        default=None,
        help="stop cleanly before a call could take spending past this many dollars",
    )
    parser.add_argument(
        "--prices",
        default=None,
        help='JSON file of extra prices, {"model": {"input": USD_PER_1M, "output": USD_PER_1M}}',
    )


def engine_from_args(args: argparse.Namespace, *, prefix: str = "") -> Engine:
    """The engine that ``add_engine_arguments``' options name."""
    dest = prefix.replace("-", "_")
    return build_engine(
        args.engine,
        model=args.model,
        base_url=args.base_url,
        concurrency=getattr(args, f"{dest}concurrency"),
        timeout=getattr(args, f"{dest}timeout"),
        max_retries=args.max_retries,
        budget_usd=args.budget_usd,
        prices=args.prices,
    )
