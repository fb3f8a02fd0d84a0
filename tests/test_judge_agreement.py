"""The judge's measured agreement: the labelled fixture is as the benchmark describes it, and the
figures recorded in agreement.json (which judge reports and release cards quote) are what the
offline judge gets on it today."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path

from dynosaur.quality.judge import AGREEMENT_FILE, RulesJudge, measured_agreement

ROOT = Path(__file__).resolve().parents[1]
KINDS = {"id/offset output", "label-only input", "score worded as a label", "labels miss outputs", "swapped"}


def _bench():
    spec = importlib.util.spec_from_file_location("bench_judge", ROOT / "bench" / "judge.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_fixture_holds_300_labelled_tasks_of_every_kind_on_real_schemas() -> None:
    tasks, metadata = _bench().load_fixture()
    kinds = Counter(t["kind"] for t in tasks)
    assert len(tasks) >= 300
    assert set(kinds) == KINDS | {"promptsource"} and min(kinds.values()) >= 30
    assert all((t["label"] == "good") == (t["kind"] == "promptsource") for t in tasks)
    assert all(t["task"]["task_name"] in metadata and 1 <= len(t["records"]) <= 3 for t in tasks)
    assert len({t["task"]["task_name"] for t in tasks}) >= 20


def test_recorded_agreement_is_what_the_offline_judge_measures_now() -> None:
    bench = _bench()
    tasks, metadata = bench.load_fixture()
    flagged = [score < bench.THRESHOLD for score in bench.rules_scores(tasks, metadata)]
    measured = bench.agreement([t["label"] == "bad" for t in tasks], flagged)
    recorded = json.loads(AGREEMENT_FILE.read_text(encoding="utf-8"))[RulesJudge.model]
    assert measured == recorded, "rerun `python bench/judge.py --write` after changing the judge"
    assert measured_agreement("rules", RulesJudge.model) == recorded
    assert measured_agreement("openai", "never-measured") is None


def test_agreement_figures_are_computed_as_defined() -> None:
    figures = _bench().agreement([True, True, False, False], [True, False, True, False])
    assert (figures["precision"], figures["recall"], figures["kappa"]) == (0.5, 0.5, 0.0)
    perfect = _bench().agreement([True, False, True], [True, False, True])
    assert perfect["kappa"] == 1.0 and perfect["false_positives"] == 0
