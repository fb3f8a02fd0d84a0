"""The report spec of each generator: which records file, how its lines read, which stage
reports hold its rejections. Only the command layer knows every stage's file names."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from dynosaur.contracts.artifacts import (
    CRAWL_REPORT_FILE,
    DECONTAMINATION_REPORT_FILE,
    DOCUMENTS_INSTRUCTIONS_FILE,
    DOCUMENTS_REPORT_FILE,
    JUDGE_SCORES_FILE,
    ORGANIZE_REPORT_FILE,
    RECORDS_FILE,
    REJECTED_FILE,
    REPORT_HTML_FILE,
    SELF_INSTRUCT_RECORDS_FILE,
    SELF_INSTRUCT_REJECTED_FILE,
)
from dynosaur.quality.report import RecordFields, ReportResult, ReportSpec, write_report


def hub_spec(data_dir: Path, title: str = "Dynosaur instructions") -> ReportSpec:
    """The Hub chain's report: ``dynosaur-full.jsonl`` and the crawl, filter, organize and
    decontamination reports of ``data_dir``."""
    return ReportSpec(
        title=title,
        records=data_dir / RECORDS_FILE,
        output=data_dir / REPORT_HTML_FILE,
        rejections=(
            ("crawl", data_dir / CRAWL_REPORT_FILE),
            ("filter", data_dir / REJECTED_FILE),
            ("organize", data_dir / ORGANIZE_REPORT_FILE),
            ("decontamination", data_dir / DECONTAMINATION_REPORT_FILE),
        ),
        scores=data_dir / JUDGE_SCORES_FILE,
    )


def self_instruct_spec(output_dir: Path) -> ReportSpec:
    return ReportSpec(
        title="Self-Instruct",
        records=output_dir / SELF_INSTRUCT_RECORDS_FILE,
        output=output_dir / REPORT_HTML_FILE,
        fields=RecordFields(source=None, license=None, source_default="self-instruct"),
        rejections=(("self-instruct", output_dir / SELF_INSTRUCT_REJECTED_FILE),),
    )


def documents_spec(output_dir: Path) -> ReportSpec:
    return ReportSpec(
        title="Instructions from documents",
        records=output_dir / DOCUMENTS_INSTRUCTIONS_FILE,
        output=output_dir / REPORT_HTML_FILE,
        fields=RecordFields(source="source_file", license=None, source_default="self-instruct"),
        rejections=(("documents", output_dir / DOCUMENTS_REPORT_FILE),),
    )


def dino_spec(dataset: Path, summary: Path, task_name: str, *, pairs: bool) -> ReportSpec:
    """A DINO dataset: each label is a task; its output is the generated text (``text_b`` for
    text pairs, whose input is the given ``text_a``; else ``text_a``)."""
    fields = (
        RecordFields(instruction="label", input="text_a", output="text_b", source=None, license=None)
        if pairs
        else RecordFields(instruction="label", input=None, output="text_a", source=None, license=None)
    )
    return ReportSpec(
        title=f"DINO: {task_name}",
        records=dataset,
        output=dataset.with_name(dataset.name.removesuffix("-dataset.jsonl") + "-" + REPORT_HTML_FILE),
        fields=replace(fields, source_default=task_name),
        rejections=(("dino", summary),),
    )


def write(
    spec: ReportSpec, *, progress: bool = False, timed: bool = True, relative_to: Path | None = None
) -> str:
    """Write the report; a line for the run's summary (a failure is reported, never raised).

    ``timed=False`` leaves the duration out; ``relative_to`` names the page relative to that folder.
    """
    try:
        result: ReportResult = write_report(spec, progress=progress)
    except (OSError, ValueError) as exc:
        return f"report: not written ({exc})"
    return result.render(timed=timed, relative_to=relative_to)
