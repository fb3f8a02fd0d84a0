"""``dynosaur grow``: crawl what changed, propose, filter, organize, and release a new version.

Takes every ``dynosaur crawl`` option (the crawl is incremental through its state), the engine
options of ``propose`` (the response cache makes unchanged datasets free), the organize
thresholds, and where to publish. Without ``--repo-id`` the new version is only written to
``DATA_DIR/releases/<version>/``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

from crawl.crawler import run_crawl
from crawl.state import StateError
from crawl.summary import format_summary
from dynosaur import config
from dynosaur.cache import CachedEngine, ResponseCache
from dynosaur.commands.crawl import add_arguments as add_crawl_arguments
from dynosaur.commands.crawl import options_from_args as crawl_options
from dynosaur.commands.organize import add_config_arguments, config_from_args
from dynosaur.commands.publish import add_publish_arguments, describe
from dynosaur.engines import Engine, EngineError, create_engine, engine_names
from dynosaur.grow import Outcome, Step, nothing_new, run_steps
from dynosaur.manifest import Manifest
from dynosaur.organize import organize
from dynosaur.prompts import PromptError
from dynosaur.propose import ProposeOptions, propose
from dynosaur.propose_prompt import MODES
from dynosaur.publish import PublishError, latest_release, remote_manifest, stage_release, upload_release
from dynosaur.validate import filter_tasks

NAME = "grow"
HELP = (
    "Grow the collection: crawl what is new or changed, propose, filter, organize, and release a new version."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_crawl_arguments(parser)
    llm = parser.add_argument_group("tasks")
    llm.add_argument(
        "--engine", default="rules", choices=engine_names(), help="task engine (default %(default)s)"
    )
    llm.add_argument("--model", default=None, help="model name (default $OPENAI_MODEL, else gpt-4o-mini)")
    llm.add_argument(
        "--base-url",
        default=config.openai_base_url(),
        help="OpenAI-compatible server (default $OPENAI_BASE_URL)",
    )
    llm.add_argument("--modes", default=",".join(MODES), help="proposal modes (default %(default)s)")
    llm.add_argument(
        "--llm-concurrency", type=int, default=8, help="LLM requests in flight (default %(default)s)"
    )
    llm.add_argument(
        "--llm-timeout", type=float, default=60.0, help="seconds per LLM request (default %(default)s)"
    )
    llm.add_argument("--max-retries", type=int, default=5, help="LLM retries (default %(default)s)")
    llm.add_argument(
        "--budget-usd", type=float, default=None, help="stop proposing before spending past this"
    )
    llm.add_argument("--cache", default=None, help="response cache (default DATA_DIR/llm_cache.sqlite)")
    add_config_arguments(parser)
    release = parser.add_argument_group("release")
    add_publish_arguments(release, repo_required=False, endpoint=False)


def _engine(args: argparse.Namespace) -> Engine:
    if args.engine == "openai":
        return create_engine(
            "openai",
            model=args.model or config.openai_model(),
            base_url=args.base_url,
            api_key=config.openai_api_key(),
            concurrency=args.llm_concurrency,
            timeout=args.llm_timeout,
            max_retries=args.max_retries,
            budget_usd=args.budget_usd,
        )
    if args.engine == "rules":
        return create_engine("rules")
    return create_engine(args.engine, model=args.model or config.openai_model())


class _Grow:
    """The steps of one grow run over parsed arguments."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.data_dir = Path(args.data_dir)
        self.crawl_options = crawl_options(args)
        self.token = self.crawl_options.token
        self.api = HfApi(endpoint=self.crawl_options.hub_endpoint, token=self.token) if args.repo_id else None
        self.progress = not args.no_progress

    def crawl(self) -> Outcome:
        result = run_crawl(self.crawl_options)
        detail = {
            "listed": result.listed,
            "crawled": result.crawled,
            "unchanged": result.unchanged,
            "removed": sorted(result.removed),
            "statuses": dict(sorted(result.statuses.items())),
        }
        # A failed listing says nothing about what vanished: releasing now would drop datasets.
        return Outcome(result.exit_code != 1, format_summary(result), detail)

    def propose(self) -> Outcome:
        modes = tuple(m.strip() for m in self.args.modes.split(",") if m.strip())
        cache = ResponseCache(
            Path(self.args.cache) if self.args.cache else self.data_dir / "llm_cache.sqlite"
        )
        try:
            summary = propose(
                self.data_dir,
                CachedEngine(_engine(self.args), cache),
                ProposeOptions(modes=modes, progress=self.progress),
            )
        finally:
            cache.close()
        return Outcome(
            True, summary.render(), {"engine_calls": summary.engine_calls, "cache_hits": summary.cache_hits}
        )

    def filter(self) -> Outcome:
        summary = filter_tasks(self.data_dir)
        return Outcome(True, summary.render(), {"valid": summary.valid})

    def organize(self) -> Outcome:
        exclude = [self.args.repo_id] if self.args.repo_id else []
        report = organize(
            self.data_dir, config=config_from_args(self.args), exclude=exclude, progress=self.progress
        )
        return Outcome(True, report.summary(), {"records": report.records, "tasks_kept": len(report.kept)})

    def release(self) -> Outcome:
        previous: Manifest | None = (
            remote_manifest(self.api, self.args.repo_id) if self.api else latest_release(self.data_dir)
        )
        release = stage_release(
            self.data_dir,
            repo_id=self.args.repo_id or "",
            previous=previous,
            version=self.args.release_version,
            shard_rows=self.args.shard_rows,
            pretty_name=self.args.pretty_name,
        )
        if nothing_new(release.manifest, previous):
            assert previous is not None
            if release.folder.name != previous.version:
                shutil.rmtree(release.folder, ignore_errors=True)
            return Outcome(
                True,
                f"nothing new since {previous.version}: no release made",
                {"version": None, "previous": previous.version},
            )
        result = (
            upload_release(self.api, release, self.args.repo_id, private=self.args.private)
            if self.api
            else None
        )
        detail = {
            "version": release.manifest.version,
            "folder": str(release.folder),
            "changes": release.manifest.changelog[0],
            "commit": result.commit_oid if result else None,
        }
        return Outcome(True, describe(release, result), detail)


def run(args: argparse.Namespace) -> int:
    try:
        grow = _Grow(args)
    except ValueError as exc:
        print(f"grow: {exc}", file=sys.stderr)
        return 2
    if args.repo_id and not grow.token:
        print(
            "grow: publishing needs a token with write access: pass --token or set HF_TOKEN", file=sys.stderr
        )
        return 2
    steps = [
        Step("crawl", grow.crawl),
        Step("propose", grow.propose),
        Step("filter", grow.filter),
        Step("organize", grow.organize),
        Step("release", grow.release),
    ]
    errors = (OSError, ValueError, StateError, EngineError, PromptError, PublishError, HfHubHTTPError)
    report = run_steps(steps, grow.data_dir, errors, echo=lambda line: print(line, file=sys.stderr))
    print(report.render())
    return 0 if report.ok else 1
