"""``dynosaur judge``: a 1-5 score and a one-line reason for every valid task, on a few records.

``--engine rules`` (the default) is the offline judge: the validation rules' task checks, the
organizer's, then checks on each record's text. ``--engine openai`` asks any OpenAI-compatible
server, through the response cache. Scores go to ``judge_scores.jsonl`` and ``judge_report.json``;
``organize --min-judge-score N`` then drops the tasks scored below N.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from dynosaur.commands._engine import add_engine_arguments, engine_options
from dynosaur.commands._option_types import positive_int, whole_number
from dynosaur.contracts.artifacts import INSTRUCTIONS_FILE, METADATA_FILE, RECORDS_FILE
from dynosaur.core import config
from dynosaur.core.engines import EngineError, EngineOptions
from dynosaur.core.engines.opening import open_engine
from dynosaur.core.prompts import PromptError
from dynosaur.hub.organize.rules import Task as OrganizeTask
from dynosaur.hub.organize.rules import feature_types
from dynosaur.hub.organize.rules import first_reason as organize_reason
from dynosaur.quality.judge import (
    EngineJudge,
    JudgeInputs,
    JudgeOptions,
    JudgeSummary,
    RulesJudge,
    judge_tasks,
    measured_agreement,
)

NAME = "judge"
HELP = "Score every valid task 1-5 on a few of its records (judge_scores.jsonl), offline or with an LLM."


def add_judge_arguments(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """How many records per task are judged, and with which seed they are drawn."""
    parser.add_argument(
        "--records-per-task",
        type=positive_int,
        default=3,
        help="records judged per task (default %(default)s)",
    )
    parser.add_argument(
        "--judge-seed", type=whole_number, default=0, help="seed that draws the records (default 0)"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir", default=config.DEFAULT_DATA_DIR, help="artifact folder (default %(default)s)"
    )
    add_judge_arguments(parser)
    add_engine_arguments(parser, default_engine="rules")
    parser.add_argument("--cache", default=None, help="response cache (default DATA_DIR/llm_cache.sqlite)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def organizer_check(task: dict[str, Any], metadata: dict[str, Any]) -> str | None:
    """The organizer's task rules (rows, vanished fields, media) as a judge check."""
    try:
        parsed = OrganizeTask.from_json(task)
    except ValueError as exc:
        return str(exc)
    rows = [row for row in metadata.get("selected_data") or [] if isinstance(row, dict)]
    return organize_reason(parsed, feature_types(metadata.get("features")), rows)


def inputs_for(data_dir: Path) -> JudgeInputs:
    return JudgeInputs(
        tasks=data_dir / INSTRUCTIONS_FILE,
        metadata=data_dir / METADATA_FILE,
        records=data_dir / RECORDS_FILE,
        output_dir=data_dir,
    )


def run_judge(data_dir: Path, options: JudgeOptions, engine: EngineOptions | None = None) -> JudgeSummary:
    """Judge ``data_dir``'s tasks: offline with the rules judge, or with the engine ``engine`` names
    (shared with the chain commands)."""
    if engine is None:
        judge = RulesJudge(extra_checks=(organizer_check,))
        return judge_tasks(inputs_for(data_dir), judge, options, measured_agreement(judge.name, judge.model))
    with open_engine(engine, data_dir) as opened:
        llm = EngineJudge(opened)
        return judge_tasks(inputs_for(data_dir), llm, options, measured_agreement(llm.name, llm.model))


def run(args: argparse.Namespace) -> int:
    try:
        options = JudgeOptions(
            records_per_task=args.records_per_task, seed=args.judge_seed, progress=not args.no_progress
        )
        engine = None if args.engine == "rules" else engine_options(args)
        summary = run_judge(Path(args.data_dir), options, engine)
    except (ValueError, OSError, EngineError, PromptError) as exc:
        print(f"judge: {exc}", file=sys.stderr)
        return 2
    print(summary.render())
    if summary.stopped:
        return 3
    return 0 if summary.scores or not summary.tasks else 1
