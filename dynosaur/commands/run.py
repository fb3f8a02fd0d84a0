"""``dynosaur run``: the whole chain in one command — crawl → propose → filter → organize."""

from __future__ import annotations

import argparse
import sys

from dynosaur.commands._chain import STEP_ERRORS, Chain, add_chain_arguments, options_from_args
from dynosaur.contracts.artifacts import RUN_REPORT_FILE
from dynosaur.hub.publish.grow import run_steps

NAME = "run"
HELP = "Run the whole chain: crawl, propose, filter and organize (run_report.json says how far it got)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_chain_arguments(parser)


def run(args: argparse.Namespace) -> int:
    try:
        chain = Chain(options_from_args(args))
    except ValueError as exc:
        print(f"run: {exc}", file=sys.stderr)
        return 2
    report = run_steps(
        chain.steps(release=False),
        chain.data_dir,
        STEP_ERRORS,
        echo=lambda line: print(line, file=sys.stderr),
        report_file=RUN_REPORT_FILE,
    )
    print(report.render())
    return 0 if report.ok else 1
