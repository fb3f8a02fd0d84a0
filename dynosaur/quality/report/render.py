"""The report as one self-contained HTML file: tables, inline SVG figures, no scripts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2
import numpy as np

from dynosaur.contracts.judge_scores import score_distribution
from dynosaur.quality.report import plots
from dynosaur.quality.report.collect import ReportData
from dynosaur.quality.report.licenses import policy_class

TEMPLATE = Path(__file__).with_name("report.html.jinja")
SECTIONS = (
    ("summary", "Summary"),
    ("sources", "Sources"),
    ("licenses", "Licenses"),
    ("task-types", "Task types"),
    ("verb-noun", "Verbs and nouns"),
    ("lengths", "Lengths"),
    ("rejections", "Rejections"),
    ("judge", "Judge"),
    ("tasks", "Tasks"),
    ("samples", "Samples"),
)
MAX_SAMPLE_TASKS = 200
LOWEST_SHOWN = 15


def _length_row(values: Any) -> dict[str, int]:
    array = np.asarray(values, dtype=np.int64)
    if not array.size:
        return {"median": 0, "p90": 0, "max": 0, "empty": 0}
    return {
        "median": int(np.median(array)),
        "p90": int(np.percentile(array, 90)),
        "max": int(array.max()),
        "empty": int((array == 0).sum()),
    }


def figures(data: ReportData) -> dict[str, str]:
    """Every figure of the report, as SVG markup."""
    found = {
        "sources": plots.bars(data.per_source, "Records per source", xlabel="records"),
        "licenses": plots.bars(data.per_license, "Records per license", xlabel="records"),
        "policies": plots.bars(data.per_policy, "Records per policy class", xlabel="records"),
        "task_types": plots.bars(data.task_types, "Tasks per type", xlabel="tasks"),
        "verb_noun": plots.verb_noun_rings(data.verb_nouns),
    }
    for part in ("instruction", "input", "output"):
        found[f"{part}_lengths"] = plots.histogram(data.lengths.get(part, ()), f"{part} length", "words")
    for stage, counts in data.rejections.items():
        if counts:
            found[f"rejections:{stage}"] = plots.bars(counts, f"{stage}: rejected by reason", xlabel="count")
    if data.scores:
        found["scores"] = plots.bars(
            Counter({f"score {k}": v for k, v in score_distribution(data.scores).items()}),
            "Tasks per judge score",
            xlabel="tasks",
        )
    return found


def render_html(
    data: ReportData, missing_stages: Sequence[tuple[str, str]] = (), samples_per_task: int = 3
) -> str:
    """The report's HTML."""
    environment = jinja2.Environment(
        autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True
    )
    template = environment.from_string(TEMPLATE.read_text(encoding="utf-8"))
    verb_pairs = sorted(data.verb_nouns.items(), key=lambda item: (-item[1], str(item[0])))[:30]
    return template.render(
        data=data,
        sections=SECTIONS,
        figures=figures(data),
        policy_class=policy_class,
        verb_pairs=verb_pairs,
        distinct_verbs=len({verb for verb, _ in data.verb_nouns if verb}),
        length_rows=[
            (part, _length_row(data.lengths.get(part, ()))) for part in ("instruction", "input", "output")
        ],
        distribution=score_distribution(data.scores),
        lowest=sorted(data.scores, key=lambda s: (s.score, s.task_name, s.instruction))[:LOWEST_SHOWN],
        shown_tasks=data.tasks[:MAX_SAMPLE_TASKS],
        hidden_tasks=max(0, len(data.tasks) - MAX_SAMPLE_TASKS),
        samples_per_task=samples_per_task,
        missing_stages=list(missing_stages),
    )
