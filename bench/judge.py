"""The judge's agreement with labels: precision, recall and Cohen's kappa on the labelled fixture.

tests/fixtures/judge_agreement/ holds sound tasks people wrote (PromptSource's original tasks) and
planted corruptions of them, on real dataset schemas, with three records each (written by
tests/support/make_judge_fixture.py). A judge flags a task when it scores it below 3; precision and
recall are those of "flawed" (a planted corruption), kappa compares flagged-or-not with the
labels beyond chance. The offline rules judge always runs; an ``openai`` judge runs too when
``OPENAI_BASE_URL`` is set (``OPENAI_MODEL``, ``OPENAI_API_KEY``), its answers cached in
``--cache``. ``--write`` records the figures in dynosaur/quality/judge/agreement.json, which
``dynosaur judge`` copies into judge_report.json and a release's card.

    python bench/judge.py [--write] [--cache judge_bench_cache.sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dynosaur.commands.judge import organizer_check  # noqa: E402
from dynosaur.contracts.judge_scores import RecordScore, TaskScore  # noqa: E402
from dynosaur.core import config  # noqa: E402
from dynosaur.quality.judge import AGREEMENT_FILE, EngineJudge, RulesJudge  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "judge_agreement"
THRESHOLD = 3  # a task scored below this is flagged as flawed


def load_fixture(folder: Path = FIXTURE) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """The labelled tasks and the metadata lines of their dataset-configs."""
    tasks = [json.loads(line) for line in (folder / "tasks.jsonl").read_text(encoding="utf-8").splitlines()]
    metadata = {}
    for line in (folder / "metadata.jsonl").read_text(encoding="utf-8").splitlines():
        meta = json.loads(line)
        metadata[meta["task_name"]] = meta
    return tasks, metadata


def agreement(labels: list[bool], flagged: list[bool]) -> dict[str, Any]:
    """Precision and recall of flagging the flawed tasks, and Cohen's kappa of flagged vs labels."""
    pairs = Counter(zip(labels, flagged, strict=True))
    tp, fp, fn, tn = pairs[True, True], pairs[False, True], pairs[True, False], pairs[False, False]
    n = len(labels)
    observed = (tp + tn) / n
    chance = ((tp + fn) * (tp + fp) + (tn + fp) * (tn + fn)) / (n * n)
    return {
        "tasks": n,
        "good": tn + fp,
        "bad": tp + fn,
        "threshold": THRESHOLD,
        "precision": round(tp / (tp + fp), 3) if tp + fp else 0.0,
        "recall": round(tp / (tp + fn), 3) if tp + fn else 0.0,
        "kappa": round((observed - chance) / (1 - chance), 3) if chance < 1 else 1.0,
        "true_positives": tp,
        "false_positives": fp,
        "false_negatives": fn,
        "true_negatives": tn,
    }


def rules_scores(tasks: list[dict[str, Any]], metadata: dict[str, dict[str, Any]]) -> list[int]:
    judge = RulesJudge(extra_checks=(organizer_check,))
    return [
        TaskScore.of(
            t["task"],
            judge.judge(t["task"], metadata.get(t["task"]["task_name"]), t["records"]),
            "rules",
            judge.model,
        ).score
        for t in tasks
    ]


def engine_scores(tasks: list[dict[str, Any]], cache_path: Path) -> tuple[list[int | None], str]:
    from dynosaur.core.engines import EngineOptions
    from dynosaur.core.engines.opening import open_engine

    options = EngineOptions(
        engine="openai", model=config.openai_model(), base_url=config.openai_base_url(), cache=cache_path
    )
    opened = open_engine(options)
    judge = EngineJudge(opened.engine)

    async def score_all() -> list[int | None]:
        semaphore = asyncio.Semaphore(8)

        async def one(task: dict[str, Any]) -> int | None:
            found: list[RecordScore] = []
            for record in task["records"]:
                async with semaphore:
                    try:
                        found.append(await judge.score(task["task"], record))
                    except Exception:  # noqa: BLE001 - an unscored record is counted, not fatal
                        continue
            return TaskScore.of(task["task"], found, judge.name, judge.model).score if found else None

        try:
            return list(await asyncio.gather(*(one(t) for t in tasks)))
        finally:
            await judge.aclose()

    try:
        return asyncio.run(score_all()), judge.model
    finally:
        opened.close()


def _print(name: str, figures: dict[str, Any], tasks: list[dict[str, Any]], flagged: list[bool]) -> None:
    print(
        f"{name}: precision {figures['precision']:.3f}, recall {figures['recall']:.3f}, "
        f"Cohen's kappa {figures['kappa']:.3f} on {figures['tasks']} tasks "
        f"({figures['good']} good, {figures['bad']} planted flaws; flagged below score {THRESHOLD})"
    )
    by_kind: dict[str, Counter] = {}
    for task, flag in zip(tasks, flagged, strict=True):
        by_kind.setdefault(task["kind"], Counter())[flag] += 1
    for kind, counts in sorted(by_kind.items()):
        total = counts[True] + counts[False]
        print(f"  {kind:26s} flagged {counts[True]:4d} of {total:4d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="record the figures in agreement.json")
    parser.add_argument("--cache", type=Path, default=ROOT / "judge_bench_cache.sqlite")
    args = parser.parse_args()
    tasks, metadata = load_fixture()
    labels = [t["label"] == "bad" for t in tasks]
    table: dict[str, Any] = (
        json.loads(AGREEMENT_FILE.read_text(encoding="utf-8")) if AGREEMENT_FILE.is_file() else {}
    )
    scores = rules_scores(tasks, metadata)
    flagged = [s < THRESHOLD for s in scores]
    figures = agreement(labels, flagged)
    _print(f"rules judge ({RulesJudge.model})", figures, tasks, flagged)
    table[RulesJudge.model] = figures
    if config.openai_base_url():
        answers, model = engine_scores(tasks, args.cache)
        scored = [(t, label, a) for t, label, a in zip(tasks, labels, answers, strict=True) if a is not None]
        llm_flags = [a < THRESHOLD for _, _, a in scored]
        llm = agreement([label for _, label, _ in scored], llm_flags)
        _print(
            f"openai judge ({model}; {len(tasks) - len(scored)} tasks unscored)",
            llm,
            [t for t, _, _ in scored],
            llm_flags,
        )
        table[f"openai:{model}"] = llm
    else:
        print("openai judge: skipped (set OPENAI_BASE_URL, OPENAI_MODEL and OPENAI_API_KEY to measure one)")
    if args.write:
        AGREEMENT_FILE.write_text(json.dumps(table, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {AGREEMENT_FILE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
