"""``dynosaur organize``: turn the valid tasks into instruction/input/output records."""

from __future__ import annotations

import argparse

from dynosaur.commands._option_types import (
    float_between,
    fraction,
    int_between,
    non_negative_int,
    positive_int,
)
from dynosaur.core.config import DEFAULT_DATA_DIR
from dynosaur.hub.organize.rules import OrganizeConfig
from dynosaur.hub.organize.run import organize

NAME = "organize"
HELP = "Materialize the valid tasks over their rows into dynosaur-full.jsonl (+ Parquet and a report)."


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """The organizer's thresholds (shared with ``grow``)."""
    defaults = OrganizeConfig()
    group = parser.add_argument_group("organize thresholds")
    group.add_argument(
        "--max-labels",
        type=positive_int,
        default=defaults.max_labels,
        help="at most this many distinct outputs make a classification task (default %(default)s)",
    )
    group.add_argument(
        "--binary-majority",
        type=float_between(0.5, 1.0),
        default=defaults.binary_majority,
        help="drop a two-label task when one label exceeds this share of rows (default %(default)s)",
    )
    group.add_argument(
        "--multi-majority",
        type=fraction,
        default=defaults.multi_majority,
        help="drop a task of 3+ labels when one exceeds this share of rows (default %(default)s)",
    )
    group.add_argument(
        "--max-label-chars",
        type=non_negative_int,
        default=defaults.max_label_chars,
        help="leave the label space out when a label is longer (default %(default)s)",
    )
    group.add_argument(
        "--max-cell-chars",
        type=non_negative_int,
        default=defaults.max_cell_chars,
        help="cut every rendered cell to this many characters, 0 for no limit (default %(default)s)",
    )
    group.add_argument(
        "--min-judge-score",
        type=int_between(0, 5),
        default=defaults.min_judge_score,
        metavar="N",
        help="drop tasks that `dynosaur judge` scored below N (1-5; default 0: keep every score)",
    )
    group.add_argument(
        "--row-group-size",
        type=positive_int,
        default=defaults.row_group_size,
        help="Parquet row group size (default %(default)s)",
    )


def config_from_args(args: argparse.Namespace) -> OrganizeConfig:
    return OrganizeConfig(
        max_labels=args.max_labels,
        binary_majority=args.binary_majority,
        multi_majority=args.multi_majority,
        max_label_chars=args.max_label_chars,
        max_cell_chars=args.max_cell_chars,
        row_group_size=args.row_group_size,
        min_judge_score=args.min_judge_score,
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR, help="artifact folder (default %(default)s)")
    parser.add_argument("--data-file", help="rows file (default DATA_DIR/huggingface_data.jsonl)")
    parser.add_argument("--instructions", help="tasks file (default DATA_DIR/instructions-full.json)")
    parser.add_argument(
        "--output",
        help="records file (default DATA_DIR/dynosaur-full.jsonl); another name writes its Parquet "
        "and report beside it as NAME.parquet and NAME_report.json",
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="DATASET",
        help="drop the tasks of this dataset, repeatable (e.g. your own published collection)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_config_arguments(parser)


def run(args: argparse.Namespace) -> int:
    report = organize(
        args.data_dir,
        config=config_from_args(args),
        data_path=args.data_file,
        instructions_path=args.instructions,
        output_path=args.output,
        exclude=args.exclude,
        progress=not args.no_progress,
    )
    print(report.render())
    return 0
