"""``dynosaur grow``: crawl what changed, propose, filter, organize, and release a new version.

Takes every ``dynosaur crawl`` option (the crawl is incremental through its state), the engine
options of ``propose`` (the response cache makes unchanged datasets free), the organize
thresholds, and where to publish. With ``--repo-id`` the release is uploaded in one commit and
tagged with its version (``YYYY.MM.DD``); without it the new version is only written to
``DATA_DIR/releases/<version>/``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from dynosaur.commands._chain import STEP_ERRORS, Chain, add_chain_arguments, options_from_args
from dynosaur.commands.publish import add_publish_arguments, release_options_from_args
from dynosaur.hub.publish.grow import run_steps

NAME = "grow"
HELP = (
    "Grow the collection: crawl what is new or changed, propose, filter, organize, and release a new version."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_chain_arguments(parser)
    release = parser.add_argument_group("release")
    add_publish_arguments(release, repo_required=False, endpoint=False)


def run(args: argparse.Namespace) -> int:
    try:
        options = options_from_args(args)
        chain = Chain(replace(options, repo_id=args.repo_id, release=release_options_from_args(args)))
    except ValueError as exc:
        print(f"grow: {exc}", file=sys.stderr)
        return 2
    if chain.repo_id and not chain.token:
        print(
            "grow: publishing needs a token with write access: pass --token or set HF_TOKEN", file=sys.stderr
        )
        return 2
    report = run_steps(
        chain.steps(release=True), chain.data_dir, STEP_ERRORS, echo=lambda line: print(line, file=sys.stderr)
    )
    print(report.render())
    return 0 if report.ok else 1
