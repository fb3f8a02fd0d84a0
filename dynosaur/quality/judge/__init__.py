"""The task-quality judge: a 1-5 score and a one-line reason for whether each valid task's output
follows from its instruction and input, from the offline rules judge or any chat engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dynosaur.quality.judge.engine import EngineJudge
from dynosaur.quality.judge.rules import RulesJudge
from dynosaur.quality.judge.run import JudgeInputs, JudgeOptions, JudgeSummary, judge_tasks

AGREEMENT_FILE = Path(__file__).with_name("agreement.json")


def measured_agreement(judge: str, model: str) -> dict[str, Any] | None:
    """The agreement ``bench/judge.py`` measured for this judge on the labelled tasks, if any."""
    try:
        table = json.loads(AGREEMENT_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    entry = table.get(model if judge == "rules" else f"{judge}:{model}")
    return entry if isinstance(entry, dict) else None


__all__ = [
    "EngineJudge",
    "JudgeInputs",
    "JudgeOptions",
    "JudgeSummary",
    "RulesJudge",
    "judge_tasks",
    "measured_agreement",
]
