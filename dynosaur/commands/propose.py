"""``dynosaur propose``: ask an engine for tasks for every crawled dataset-config."""

from __future__ import annotations

import argparse
from pathlib import Path

from dynosaur.commands._engine import add_engine_arguments, engine_options
from dynosaur.commands._option_types import csv_of, positive_int
from dynosaur.core import config
from dynosaur.core.engines.opening import open_engine
from dynosaur.core.errors import cli_flag, spell_fields
from dynosaur.core.prompt_style import PROMPT_STYLES, SMALL_CONTEXT_TOKENS
from dynosaur.hub.propose.prompt import MAX_TOKENS, MODES
from dynosaur.hub.propose.run import ProposeOptions, propose

NAME = "propose"
HELP = "Propose instruction tasks for each dataset-config in huggingface_metadata.jsonl (writes tasks.jsonl)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        default=config.DEFAULT_DATA_DIR,
        help="folder with huggingface_metadata.jsonl; tasks.jsonl is written there (default %(default)s)",
    )
    add_engine_arguments(parser, default_engine="rules")
    parser.add_argument(
        "--modes",
        type=csv_of(MODES),
        default=",".join(MODES),
        help="comma-separated: aware (reads the card's description), unaware (fields and rows only) "
        "(default %(default)s)",
    )
    parser.add_argument(
        "--max-tasks", type=positive_int, default=3, help="tasks asked for per request (default %(default)s)"
    )
    parser.add_argument(
        "--max-tokens",
        type=positive_int,
        default=MAX_TOKENS,
        help="answer length limit per request (default %(default)s)",
    )
    parser.add_argument("--cache", default=None, help="response cache (default DATA_DIR/llm_cache.sqlite)")
    parser.add_argument(
        "--prompts-dir", default=None, help="use templates from this folder instead of prompts/"
    )
    add_prompt_style_arguments(parser)
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def add_prompt_style_arguments(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup, *, styles: str | None = None
) -> None:
    """``--prompt-style`` and ``--context-window`` (shared with the commands that propose, and
    self-instruct); ``styles`` says what full and compact mean for the command."""
    styles = styles or (
        "full (every rule, the card, all worked examples), compact (for small models: one worked "
        "example, the field names as the only allowed names)"
    )
    parser.add_argument(
        "--prompt-style",
        choices=PROMPT_STYLES,
        default="auto",
        help=f"{styles} or auto: compact when the model's context window is below "
        f"{SMALL_CONTEXT_TOKENS} tokens (default %(default)s)",
    )
    parser.add_argument(
        "--context-window",
        type=positive_int,
        default=None,
        metavar="TOKENS",
        help="the model's context window, for --prompt-style auto where the server does not report "
        "it (llama-server and vLLM do; llama-cpp-python and OpenAI do not)",
    )


def run(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir)
    options = ProposeOptions(
        modes=args.modes,
        max_tasks=args.max_tasks,
        max_tokens=args.max_tokens,
        prompts_dir=Path(args.prompts_dir) if args.prompts_dir else None,
        progress=not args.no_progress,
        prompt_style=args.prompt_style,
        context_window=args.context_window,
    )
    with open_engine(engine_options(args), data_dir) as engine:
        summary = propose(data_dir, engine, options)
    print(spell_fields(summary.render(), summary.mentions, cli_flag))
    if summary.failures:
        # 3: some answers are missing (a rerun asks only for those); 1: no answer came back at all
        return 3 if summary.requests > len(summary.failures) else 1
    return 0
