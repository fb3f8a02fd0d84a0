"""``dynosaur publish``: upload the organized records as a dataset repo with its card, tagged with the version."""

from __future__ import annotations

import argparse
import sys

from huggingface_hub.errors import HfHubHTTPError

from crawl.telemetry import hub_telemetry_off
from dynosaur.commands._option_types import positive_int
from dynosaur.contracts.versions import version_problem
from dynosaur.core import config
from dynosaur.hub.publish.run import DEFAULT_SHARD_ROWS, ReleaseOptions, ReleaseReport, publish

NAME = "publish"
HELP = "Upload dynosaur-full as Parquet shards with a dataset card (licenses, sources, version)."


def release_version(text: str) -> str:
    """``--version``'s value, if it can name a release folder and tag (see ``check_version``)."""
    problem = version_problem(text)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return text


def add_publish_arguments(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup, *, repo_required: bool, endpoint: bool = True
) -> None:
    """Options shared with ``grow``: where and how to publish."""
    parser.add_argument("--repo-id", required=repo_required, help="dataset repo to publish to, ORG/NAME")
    parser.add_argument("--private", action="store_true", help="create the repo as private")
    if endpoint:
        parser.add_argument(
            "--hub-endpoint", default=None, help="Hub URL (default: $HF_ENDPOINT or huggingface.co)"
        )
        parser.add_argument("--token", default=None, help="Hub token with write access (default: $HF_TOKEN)")
    parser.add_argument(
        "--shard-rows",
        type=positive_int,
        default=DEFAULT_SHARD_ROWS,
        help="rows per Parquet shard (default %(default)s)",
    )
    parser.add_argument(
        "--version",
        dest="release_version",
        type=release_version,
        help="release version, also its git tag (default: the date, YYYY.MM.DD, .2 for a second one that day)",
    )
    parser.add_argument("--pretty-name", help="the dataset's display name in the card")


def release_options_from_args(args: argparse.Namespace) -> ReleaseOptions:
    """The ``ReleaseOptions`` that ``add_publish_arguments``' flags name."""
    return ReleaseOptions(
        version=args.release_version,
        shard_rows=args.shard_rows,
        pretty_name=args.pretty_name,
        private=args.private,
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir", default=config.DEFAULT_DATA_DIR, help="artifact folder (default %(default)s)"
    )
    parser.add_argument(
        "--dry-run", metavar="DIR", help="write the folder that would be uploaded to DIR; upload nothing"
    )
    add_publish_arguments(parser, repo_required=True)


def run(args: argparse.Namespace) -> int:
    try:
        with hub_telemetry_off():
            release, result = publish(
                args.data_dir,
                args.repo_id,
                release_options_from_args(args),
                endpoint=args.hub_endpoint or config.hub_endpoint(),
                token=args.token or config.hf_token(),
                dry_run=args.dry_run,
            )
    except (HfHubHTTPError, ValueError) as exc:
        print(f"publish: {exc}", file=sys.stderr)
        return 2
    print(ReleaseReport(release, result).render())
    if result is not None and not result.tags_ok:
        print("publish: the release is uploaded but not tagged (see above)", file=sys.stderr)
        return 1
    return 0
