"""``dynosaur dedup``: drop JSONL lines whose instruction is a ROUGE-L near-duplicate of an earlier one."""

from __future__ import annotations

import argparse
import sys

from dynosaur.commands._option_types import positive_int, share, workers
from dynosaur.core.errors import cli_flag, spell_fields
from dynosaur.dedup import DEFAULT_MAX_TOKENS, DEFAULT_THRESHOLD, dedup_file

NAME = "dedup"
HELP = "Keep the first of every group of near-duplicate instructions (ROUGE-L F1 above a threshold)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="input JSONL file")
    parser.add_argument("--output", required=True, help="kept lines, unchanged and in order")
    parser.add_argument(
        "--threshold",
        type=share,
        default=DEFAULT_THRESHOLD,
        help="drop a line whose ROUGE-L F1 with a kept line exceeds this (default %(default)s)",
    )
    parser.add_argument(
        "--field", default="instruction", help="the text field compared (default %(default)s)"
    )
    parser.add_argument(
        "--max-tokens",
        type=positive_int,
        default=DEFAULT_MAX_TOKENS,
        help="compare only the first this many tokens of each text; longer lines are listed in the "
        "summary (default %(default)s)",
    )
    parser.add_argument("--removed", help="also write every removed line number with its reason here (JSONL)")
    parser.add_argument(
        "--workers",
        type=workers,
        default=-1,
        help="threads for the comparisons, -1 for all cores (default %(default)s)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def run(args: argparse.Namespace) -> int:
    try:
        result = dedup_file(
            args.file,
            args.output,
            field=args.field,
            threshold=args.threshold,
            workers=args.workers,
            max_tokens=args.max_tokens,
            removed_output=args.removed,
            progress=not args.no_progress,
        )
    except (OSError, ValueError) as exc:
        print(f"dedup: {exc}", file=sys.stderr)
        return 2
    print(spell_fields(result.render(args.threshold), ("max_tokens",), cli_flag))
    return 0
