"""``dynosaur filter``: validate proposed tasks and write instructions-full.json."""

from __future__ import annotations

import argparse
from pathlib import Path

from dynosaur.core import config
from dynosaur.hub.filter.run import filter_tasks

NAME = "filter"
HELP = "Validate tasks.jsonl against the datasets' fields; write instructions-full.json and rejected_tasks.jsonl."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        default=config.DEFAULT_DATA_DIR,
        help="folder with tasks.jsonl and huggingface_metadata.jsonl (default %(default)s)",
    )
    parser.add_argument(
        "--prompts-dir", default=None, help="templates the tasks were proposed with, if not prompts/"
    )


def run(args: argparse.Namespace) -> int:
    summary = filter_tasks(Path(args.data_dir), prompts_dir=args.prompts_dir)
    print(summary.render())
    return 0
