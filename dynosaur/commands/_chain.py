"""The Hub chain as named steps: crawl → propose → filter → organize (→ release).

Shared by ``run``, ``grow`` and ``demo``: the command layer is the only place that knows every
stage, so the wiring lives here and the stages stay unaware of each other. A chain run is told
everything by one ``ChainOptions`` (the stages' own typed options side by side): ``run`` and
``grow`` read it from their flags once (:func:`options_from_args`), ``demo`` builds it directly.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field, replace
from pathlib import Path

from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

from crawl.benchmarks import DEFAULT_BENCHMARKS, Benchmark
from crawl.crawler import run_crawl
from crawl.options import CrawlOptions
from crawl.state import StateError
from crawl.summary import format_summary
from crawl.telemetry import hub_telemetry_off
from dynosaur.commands import _report
from dynosaur.commands._engine import add_engine_arguments, engine_options
from dynosaur.commands._option_types import csv_of
from dynosaur.commands.crawl import add_arguments as add_crawl_arguments
from dynosaur.commands.crawl import options_from_args as crawl_options
from dynosaur.commands.decontaminate import add_options_arguments as add_decontaminate_arguments
from dynosaur.commands.decontaminate import benchmarks_from
from dynosaur.commands.decontaminate import options_from_args as decontaminate_options
from dynosaur.commands.judge import add_judge_arguments, run_judge
from dynosaur.commands.organize import add_config_arguments, config_from_args
from dynosaur.commands.propose import add_prompt_style_arguments
from dynosaur.core import checks
from dynosaur.core.engines import EngineError, EngineOptions
from dynosaur.core.engines.opening import open_engine
from dynosaur.core.errors import OptionError, cli_flag, spell_fields
from dynosaur.core.prompt_style import check_style
from dynosaur.core.prompts import PromptError
from dynosaur.hub.filter.run import filter_tasks
from dynosaur.hub.organize.rules import OrganizeConfig
from dynosaur.hub.organize.run import organize
from dynosaur.hub.propose.prompt import MODES
from dynosaur.hub.propose.run import ProposeOptions, propose
from dynosaur.hub.publish import run as publishing
from dynosaur.hub.publish.grow import Outcome, Step
from dynosaur.hub.publish.run import PublishError, ReleaseOptions
from dynosaur.quality.decontaminate import DEFAULT_MAX_ROWS, DecontaminateOptions, run_decontamination
from dynosaur.quality.judge import JudgeOptions

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

JUDGE_ENGINES = ("rules", "openai", "none")


def add_chain_arguments(parser: argparse.ArgumentParser) -> None:
    """Every crawl option, the task engine's options and the organizer's thresholds."""
    add_crawl_arguments(parser)
    llm = parser.add_argument_group("tasks")
    add_engine_arguments(llm, default_engine="rules", prefix="llm-")
    llm.add_argument(
        "--modes", type=csv_of(MODES), default=",".join(MODES), help="proposal modes (default %(default)s)"
    )
    llm.add_argument("--cache", default=None, help="response cache (default DATA_DIR/llm_cache.sqlite)")
    add_prompt_style_arguments(llm)
    add_config_arguments(parser)
    add_decontaminate_arguments(parser, chain=True)
    judge = parser.add_argument_group("judge")
    judge.add_argument(
        "--judge-engine",
        choices=JUDGE_ENGINES,
        default="rules",
        help="who scores the tasks after organize: the offline rules judge, the openai engine of the "
        "tasks options (--model, --base-url), or none (default %(default)s)",
    )
    add_judge_arguments(judge)


@dataclass(frozen=True)
class ChainOptions:
    """Everything one chain run is told: each stage's settings, as that stage takes them."""

    crawl: CrawlOptions  # also the data folder, the Hub token and whether progress is shown
    engine: EngineOptions = field(default_factory=EngineOptions)  # proposes (and judges, for openai)
    modes: tuple[str, ...] = MODES
    prompt_style: str = "auto"  # full, compact or auto (see dynosaur.core.prompt_style)
    context_window: int | None = None
    organize: OrganizeConfig = field(default_factory=OrganizeConfig)
    decontaminate: DecontaminateOptions | None = field(default_factory=DecontaminateOptions)  # None: skip
    benchmarks: tuple[Benchmark, ...] = DEFAULT_BENCHMARKS
    max_benchmark_rows: int = DEFAULT_MAX_ROWS
    judge_engine: str = "rules"  # rules, openai (the engine above) or none
    records_per_task: int = 3
    judge_seed: int = 0
    repo_id: str | None = None  # where a release is uploaded; None: only DATA_DIR/releases/
    release: ReleaseOptions = field(default_factory=ReleaseOptions)

    def __post_init__(self) -> None:
        checks.members("modes", self.modes, MODES)
        check_style(self.prompt_style)
        checks.at_least("max_benchmark_rows", self.max_benchmark_rows, 1)
        checks.at_least("records_per_task", self.records_per_task, 1)
        checks.whole("judge_seed", self.judge_seed)
        if self.context_window is not None and self.context_window < 1:
            raise OptionError(
                "context_window", f"must be a positive number of tokens, got {self.context_window}"
            )
        if self.judge_engine not in JUDGE_ENGINES:
            raise OptionError(
                "judge_engine", f"must be one of {', '.join(JUDGE_ENGINES)}, got {self.judge_engine!r}"
            )

    @property
    def data_dir(self) -> Path:
        return self.crawl.data_dir

    @property
    def progress(self) -> bool:
        return self.crawl.progress


def options_from_args(args: argparse.Namespace) -> ChainOptions:
    """The ``ChainOptions`` that ``add_chain_arguments``' flags name (a bad value: ValueError).

    The release settings are ``grow``'s own flags: it adds them with ``replace``.
    """
    decontaminate = decontaminate_options(args)  # checked even when the step is skipped
    return ChainOptions(
        crawl=crawl_options(args),
        engine=engine_options(args, prefix="llm-"),
        modes=args.modes,
        prompt_style=args.prompt_style,
        context_window=args.context_window,
        organize=config_from_args(args),
        decontaminate=None if args.no_decontaminate else decontaminate,
        benchmarks=tuple(benchmarks_from(args.against)),
        max_benchmark_rows=args.max_benchmark_rows,
        judge_engine=args.judge_engine,
        records_per_task=args.records_per_task,
        judge_seed=args.judge_seed,
    )


class Chain:
    """The steps of one chain run."""

    def __init__(
        self, options: ChainOptions, *, reproducible: bool = False, crawled_at: str | None = None
    ) -> None:
        """``reproducible``: summaries leave out durations and name files relative to the data
        dir; ``crawled_at`` dates the crawl (default: when the data file was written). Both make
        a run over a fixed Hub write the same bytes wherever and whenever it runs."""
        self.options = options
        self.reproducible = reproducible
        self.crawled_at = crawled_at
        self.repo_id = options.repo_id
        self.data_dir = options.data_dir
        self.token = options.crawl.token
        self.api = HfApi(endpoint=options.crawl.hub_endpoint, token=self.token) if self.repo_id else None
        self.progress = options.progress

    def steps(self, *, release: bool) -> list[Step]:
        steps = [
            Step("crawl", self.crawl),
            Step("propose", self.propose),
            Step("filter", self.filter),
            Step("organize", self.organize),
        ]
        if self.options.decontaminate is not None:
            steps.append(Step("decontaminate", self.decontaminate))
        steps.append(Step("judge", self.judge))
        steps.append(Step("report", self.report))
        return [*steps, Step("release", self.release)] if release else steps

    def crawl(self) -> Outcome:
        result = run_crawl(self.options.crawl)
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
        options = ProposeOptions(
            modes=self.options.modes,
            progress=self.progress,
            prompt_style=self.options.prompt_style,
            context_window=self.options.context_window,
        )
        with open_engine(self.options.engine, self.data_dir) as engine:
            summary = propose(self.data_dir, engine, options)
        text = spell_fields(summary.render(), summary.mentions, cli_flag)
        return Outcome(True, text, {"engine_calls": summary.engine_calls, "cache_hits": summary.cache_hits})

    def filter(self) -> Outcome:
        summary = filter_tasks(self.data_dir)
        return Outcome(True, summary.render(), {"valid": summary.valid})

    def organize(self, *, judged: bool = False) -> Outcome:
        # The judge scores organized records, so the judge filter applies on a second pass.
        config = self.options.organize
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
            self.options.benchmarks,
            self.options.crawl,
            self.options.decontaminate,
            self.options.max_benchmark_rows,
        )
        skipped = {o.benchmark: o.reason for o in report.benchmarks if o.status == "skipped"}
        detail = {
            "removed": report.records_removed,
            "kept": report.records_kept,
            "benchmarks_skipped": skipped,
        }
        return Outcome(True, report.render(), detail)

    def judge(self) -> Outcome:
        judge_engine = self.options.judge_engine
        if judge_engine == "none":
            return Outcome(True, "judge: skipped (--judge-engine none)", {"tasks_scored": 0})
        options = JudgeOptions(self.options.records_per_task, self.options.judge_seed, self.progress)
        engine = None if judge_engine == "rules" else replace(self.options.engine, engine=judge_engine)
        summary = run_judge(self.data_dir, options, engine)
        detail = summary.to_json()
        lines = [summary.render()]
        min_score = self.options.organize.min_judge_score
        if min_score and summary.stopped is None:
            lines.append(f"organize again without the tasks scored below {min_score}:")
            lines.append(self.organize(judged=True).summary)
            if self.options.decontaminate is not None:
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
        report = publishing.make_release(
            self.data_dir, self.api, self.repo_id, self.options.release, skip_unchanged=True
        )
        return Outcome(report.ok, report.render(), report.to_json())
