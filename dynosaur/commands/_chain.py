"""The Hub chain as named steps: crawl → propose → filter → organize (→ release).

Shared by ``run``, ``grow`` and ``demo``: the command layer is the only place that knows every
stage, so the wiring lives here and the stages stay unaware of each other.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

from crawl.crawler import run_crawl
from crawl.state import StateError
from crawl.summary import format_summary
from crawl.telemetry import hub_telemetry_off
from dynosaur.commands import _report
from dynosaur.commands._engine import add_engine_arguments, engine_options
from dynosaur.commands.crawl import add_arguments as add_crawl_arguments
from dynosaur.commands.crawl import options_from_args as crawl_options
from dynosaur.commands.decontaminate import add_options_arguments as add_decontaminate_arguments
from dynosaur.commands.decontaminate import benchmarks_from
from dynosaur.commands.decontaminate import options_from_args as decontaminate_options
from dynosaur.commands.judge import add_judge_arguments, run_judge
from dynosaur.commands.organize import add_config_arguments, config_from_args
from dynosaur.core.engines import EngineError
from dynosaur.core.engines.opening import open_engine
from dynosaur.core.errors import cli_flag, spell_fields
from dynosaur.core.prompts import PromptError
from dynosaur.hub.filter.run import filter_tasks
from dynosaur.hub.organize.run import organize
from dynosaur.hub.propose.prompt import MODES
from dynosaur.hub.propose.run import ProposeOptions, propose
from dynosaur.hub.publish import run as publishing
from dynosaur.hub.publish.grow import Outcome, Step
from dynosaur.hub.publish.run import PublishError, ReleaseOptions
from dynosaur.quality.decontaminate import run_decontamination

# What a step may raise and still be reported as that step's failure (not a traceback).
STEP_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    ValueError,
    StateError,
    EngineError,
    PromptError,
    PublishError,
    HfHubHTTPError,
)


def add_chain_arguments(parser: argparse.ArgumentParser) -> None:
    """Every crawl option, the task engine's options and the organizer's thresholds."""
    add_crawl_arguments(parser)
    llm = parser.add_argument_group("tasks")
    add_engine_arguments(llm, default_engine="rules", prefix="llm-")
    llm.add_argument("--modes", default=",".join(MODES), help="proposal modes (default %(default)s)")
    llm.add_argument("--cache", default=None, help="response cache (default DATA_DIR/llm_cache.sqlite)")
    add_config_arguments(parser)
    add_decontaminate_arguments(parser, chain=True)
    judge = parser.add_argument_group("judge")
    judge.add_argument(
        "--judge-engine",
        choices=("rules", "openai", "none"),
        default="rules",
        help="who scores the tasks after organize: the offline rules judge, the openai engine of the "
        "tasks options (--model, --base-url), or none (default %(default)s)",
    )
    add_judge_arguments(judge)


class Chain:
    """The steps of one chain run over parsed arguments."""

    def __init__(
        self, args: argparse.Namespace, *, reproducible: bool = False, crawled_at: str | None = None
    ) -> None:
        """``reproducible``: summaries leave out durations and name files relative to the data
        dir; ``crawled_at`` dates the crawl (default: when the data file was written). Both make
        a run over a fixed Hub write the same bytes wherever and whenever it runs."""
        self.args = args
        self.reproducible = reproducible
        self.crawled_at = crawled_at
        self.repo_id: str | None = getattr(args, "repo_id", None)
        self.data_dir = Path(args.data_dir)
        self.crawl_options = crawl_options(args)
        self.token = self.crawl_options.token
        self.api = HfApi(endpoint=self.crawl_options.hub_endpoint, token=self.token) if self.repo_id else None
        self.progress = not args.no_progress
        self.benchmarks = benchmarks_from(args.against)
        self.decontaminate_options = decontaminate_options(args)

    def steps(self, *, release: bool) -> list[Step]:
        steps = [
            Step("crawl", self.crawl),
            Step("propose", self.propose),
            Step("filter", self.filter),
            Step("organize", self.organize),
        ]
        if not self.args.no_decontaminate:
            steps.append(Step("decontaminate", self.decontaminate))
        steps.append(Step("judge", self.judge))
        steps.append(Step("report", self.report))
        return [*steps, Step("release", self.release)] if release else steps

    def crawl(self) -> Outcome:
        result = run_crawl(self.crawl_options)
        detail = {
            "listed": result.listed,
            "crawled": result.crawled,
            "unchanged": result.unchanged,
            "removed": sorted(result.removed),
            "statuses": dict(sorted(result.statuses.items())),
        }
        # A failed listing says nothing about what vanished: going on would drop datasets.
        return Outcome(result.exit_code != 1, format_summary(result, timed=not self.reproducible), detail)

    def propose(self) -> Outcome:
        modes = tuple(m.strip() for m in self.args.modes.split(",") if m.strip())
        with open_engine(engine_options(self.args, prefix="llm-"), self.data_dir) as engine:
            summary = propose(self.data_dir, engine, ProposeOptions(modes=modes, progress=self.progress))
        text = spell_fields(summary.render(), summary.mentions, cli_flag)
        return Outcome(True, text, {"engine_calls": summary.engine_calls, "cache_hits": summary.cache_hits})

    def filter(self) -> Outcome:
        summary = filter_tasks(self.data_dir)
        return Outcome(True, summary.render(), {"valid": summary.valid})

    def organize(self, *, judged: bool = False) -> Outcome:
        # The judge scores organized records, so the judge filter applies on a second pass.
        config = config_from_args(self.args)
        config = config if judged else replace(config, min_judge_score=0)
        exclude = [self.repo_id] if self.repo_id else []
        report = organize(
            self.data_dir,
            config=config,
            exclude=exclude,
            progress=self.progress,
            crawled_at=self.crawled_at,
        )
        return Outcome(True, report.render(), {"records": report.records, "tasks_kept": len(report.kept)})

    def decontaminate(self) -> Outcome:
        report = run_decontamination(
            self.data_dir,
            self.benchmarks,
            self.crawl_options,
            self.decontaminate_options,
            self.args.max_benchmark_rows,
        )
        skipped = {o.benchmark: o.reason for o in report.benchmarks if o.status == "skipped"}
        detail = {
            "removed": report.records_removed,
            "kept": report.records_kept,
            "benchmarks_skipped": skipped,
        }
        return Outcome(True, report.render(), detail)

    def judge(self) -> Outcome:
        if self.args.judge_engine == "none":
            return Outcome(True, "judge: skipped (--judge-engine none)", {"tasks_scored": 0})
        summary = run_judge(
            self.data_dir,
            self.args,
            engine_name=self.args.judge_engine,
            engine_prefix="llm-",
            progress=self.progress,
        )
        detail = summary.to_json()
        lines = [summary.render()]
        if self.args.min_judge_score and summary.stopped is None:
            lines.append(f"organize again without the tasks scored below {self.args.min_judge_score}:")
            lines.append(self.organize(judged=True).summary)
            if not self.args.no_decontaminate:
                lines.append(self.decontaminate().summary)
        return Outcome(
            summary.stopped is None,
            "\n".join(lines),
            {"tasks_scored": detail["tasks_scored"], "score_distribution": detail["score_distribution"]},
        )

    def report(self) -> Outcome:
        spec = _report.hub_spec(self.data_dir)
        if self.reproducible and spec.output.is_relative_to(self.data_dir):
            summary = _report.write(spec, progress=self.progress, timed=False, relative_to=self.data_dir)
            return Outcome(True, summary, {"path": spec.output.relative_to(self.data_dir).as_posix()})
        return Outcome(True, _report.write(spec, progress=self.progress), {"path": str(spec.output)})

    def release(self) -> Outcome:
        with hub_telemetry_off():
            return self._release()

    def _release(self) -> Outcome:
        options = ReleaseOptions(
            version=self.args.release_version,
            shard_rows=self.args.shard_rows,
            pretty_name=self.args.pretty_name,
            private=self.args.private,
        )
        report = publishing.make_release(self.data_dir, self.api, self.repo_id, options, skip_unchanged=True)
        return Outcome(report.ok, report.render(), report.to_json())
