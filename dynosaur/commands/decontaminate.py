"""``dynosaur decontaminate``: drop the records that overlap evaluation benchmarks."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from crawl.benchmarks import DEFAULT_BENCHMARKS, Benchmark, parse_benchmark
from crawl.options import CrawlOptions
from crawl.transport import RetryPolicy
from dynosaur.commands._option_types import positive_float, positive_int
from dynosaur.core import config
from dynosaur.quality.decontaminate import DEFAULT_MAX_ROWS, DecontaminateOptions, run_decontamination

NAME = "decontaminate"
HELP = (
    "Drop the records of dynosaur-full.jsonl whose n-grams overlap evaluation benchmarks read from the Hub "
    "(removed records and reasons in decontaminated_records.jsonl)."
)


def add_options_arguments(parser: argparse.ArgumentParser, *, chain: bool = False) -> None:
    """n, threshold and row bound (shared with ``run``, ``grow`` and ``demo``, which can skip the step)."""
    defaults = DecontaminateOptions()
    group = parser.add_argument_group("decontamination")
    group.add_argument(
        "--ngram", type=positive_int, default=defaults.n, help="words per n-gram (default %(default)s)"
    )
    group.add_argument(
        "--threshold",
        type=positive_int,
        default=defaults.threshold,
        help="a record is dropped when at least this many of its n-grams are in a benchmark (default %(default)s)",
    )
    group.add_argument(
        "--max-benchmark-rows",
        type=positive_int,
        default=DEFAULT_MAX_ROWS,
        help="rows read per benchmark split (default %(default)s)",
    )
    if chain:
        group.add_argument("--no-decontaminate", action="store_true", help="skip the decontamination step")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir", default=config.DEFAULT_DATA_DIR, help="artifact folder (default %(default)s)"
    )
    parser.add_argument(
        "--against",
        action="append",
        default=[],
        metavar="ID[:CONFIG[:SPLIT]]",
        help="a benchmark to check against, repeatable (default: "
        + ", ".join(b.id for b in DEFAULT_BENCHMARKS)
        + ")",
    )
    parser.add_argument(
        "--hub-endpoint", default=None, help="Hub URL (default: $HF_ENDPOINT or huggingface.co)"
    )
    parser.add_argument(
        "--viewer-endpoint", default=None, help="dataset viewer URL (default: the public viewer)"
    )
    parser.add_argument(
        "--token", default=None, help="Hub token (default: $HF_TOKEN; never written anywhere)"
    )
    parser.add_argument(
        "--timeout", type=positive_float, default=30.0, help="seconds per request (default %(default)s)"
    )
    add_options_arguments(parser)


def benchmarks_from(against: list[str]) -> list[Benchmark]:
    """The ``--against`` benchmarks, or the default list when none is named."""
    return [parse_benchmark(spec) for spec in against] or list(DEFAULT_BENCHMARKS)


def options_from_args(args: argparse.Namespace) -> DecontaminateOptions:
    return DecontaminateOptions(n=args.ngram, threshold=args.threshold)


def run(args: argparse.Namespace) -> int:
    try:
        benchmarks = benchmarks_from(args.against)
        options = options_from_args(args)
        fetch = CrawlOptions(
            hub_endpoint=(args.hub_endpoint or config.hub_endpoint()).rstrip("/"),
            viewer_endpoint=(args.viewer_endpoint or config.viewer_endpoint()).rstrip("/"),
            data_dir=Path(args.data_dir),
            token=args.token or config.hf_token(),
            timeout=args.timeout,
            retry=RetryPolicy(),
        )
    except ValueError as exc:
        print(f"decontaminate: {exc}", file=sys.stderr)
        return 2
    try:
        report = run_decontamination(args.data_dir, benchmarks, fetch, options, args.max_benchmark_rows)
    except (OSError, ValueError) as exc:
        print(f"decontaminate: {exc}", file=sys.stderr)
        return 1
    print(report.render())
    return 0
