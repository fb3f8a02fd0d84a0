"""Organize: materialize every valid task over its dataset's rows as instruction records.

Reads ``huggingface_data.jsonl`` one line (one dataset-config) at a time, so memory holds one
config's rows, never the whole file. Writes ``dynosaur-full.jsonl`` and ``dynosaur-full.parquet``
atomically and ``organize_report.json`` (tasks kept and dropped with reasons, rows skipped by
reason, records per task and per license).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tqdm import tqdm

from dynosaur.contracts.artifacts import (
    DATA_FILE,
    INSTRUCTIONS_FILE,
    JUDGE_SCORES_FILE,
    LICENSE_FILE,
    ORGANIZE_REPORT_FILE,
    RECORDS_FILE,
    reason_kind,
)
from dynosaur.contracts.judge_scores import TaskScore, read_scores
from dynosaur.contracts.records import Record, RecordWriter
from dynosaur.core.errors import BadArtifact, MissingArtifact
from dynosaur.core.io import atomic_write_json
from dynosaur.hub.organize.render import (
    EmptyCell,
    NotRenderable,
    SeveralItems,
    lookup,
    render_input,
    render_outputs,
)
from dynosaur.hub.organize.rules import (
    OrganizeConfig,
    Task,
    feature_of,
    feature_types,
    first_reason,
    imbalanced,
    label_space,
    label_suffix,
    labels_cover,
    value_dtype,
)


def report_path(output_path: Path) -> Path:
    """Where the report of ``output_path`` goes: ``organize_report.json`` beside the default
    output, ``<stem>_report.json`` beside any other, so that organizing into a side file never
    replaces the report that describes ``dynosaur-full.jsonl`` (and that publish reads)."""
    if output_path.name == RECORDS_FILE:
        return output_path.parent / ORGANIZE_REPORT_FILE
    return output_path.with_name(f"{output_path.stem}_report.json")


@dataclass
class OrganizeReport:
    """What organize did, as written to ``organize_report.json``."""

    records: int = 0
    tasks: list[dict[str, Any]] = field(default_factory=list)
    rows_skipped: Counter = field(default_factory=Counter)
    lines_skipped: list[dict[str, Any]] = field(default_factory=list)
    duplicates_removed: int = 0
    cells_truncated: int = 0
    records_per_task: Counter = field(default_factory=Counter)
    records_per_license: Counter = field(default_factory=Counter)
    config: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    crawled_at: str = ""

    def add_task(
        self,
        task_name: str,
        instruction: str,
        reason: str | None = None,
        records: int = 0,
        rows_skipped: Counter | None = None,
    ) -> None:
        entry: dict[str, Any] = {
            "task_name": task_name,
            "instruction": instruction,
            "status": "dropped" if reason else "kept",
            "reason": reason,
            "records": records,
        }
        entry["rows_skipped"] = dict(sorted((rows_skipped or Counter()).items()))
        self.tasks.append(entry)

    @property
    def kept(self) -> list[dict[str, Any]]:
        return [t for t in self.tasks if t["status"] == "kept"]

    @property
    def dropped(self) -> list[dict[str, Any]]:
        return [t for t in self.tasks if t["status"] == "dropped"]

    def to_json(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "tasks_kept": len(self.kept),
            "tasks_dropped": len(self.dropped),
            "tasks_dropped_by_reason": dict(
                sorted(Counter(reason_kind(t["reason"]) for t in self.dropped).items())
            ),
            "rows_skipped_by_reason": dict(sorted(self.rows_skipped.items())),
            "lines_skipped": self.lines_skipped,
            "duplicates_removed": self.duplicates_removed,
            "cells_truncated": self.cells_truncated,
            "records_per_task": dict(sorted(self.records_per_task.items())),
            "records_per_license": dict(sorted(self.records_per_license.items())),
            "config": self.config,
            "crawled_at": self.crawled_at,
            "sources": dict(sorted(self.sources.items())),
            "tasks": self.tasks,
        }

    def render(self) -> str:
        """A short end-of-run summary."""
        lines = [
            f"organize: {self.records} records from {len(self.kept)} tasks "
            f"({len(self.dropped)} task{'' if len(self.dropped) == 1 else 's'} dropped, {self.duplicates_removed} duplicates removed, "
            f"{self.cells_truncated} cells truncated)"
        ]
        for kind, count in sorted(Counter(reason_kind(t["reason"]) for t in self.dropped).items()):
            lines.append(f"  dropped  {count:6d}  {kind}")
        for reason, count in sorted(self.rows_skipped.items()):
            lines.append(f"  skipped  {count:6d}  rows: {reason}")
        if self.lines_skipped:
            lines.append(f"  skipped  {len(self.lines_skipped):6d}  lines of the data file")
        for license_, count in sorted(self.records_per_license.items()):
            lines.append(f"  license  {count:6d}  {license_}")
        return "\n".join(lines)


def load_tasks(path: Path, report: OrganizeReport) -> dict[str, list[Task]]:
    """Valid tasks grouped by task_name (file order kept); malformed ones go to the report."""
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MissingArtifact(f"{path} not found: run `dynosaur filter` first") from None
    except json.JSONDecodeError as exc:
        raise BadArtifact(f"{path} is not valid JSON: {exc.msg} (line {exc.lineno})") from None
    if not isinstance(items, list):
        raise BadArtifact(f"{path} must hold a JSON list of tasks")
    grouped: dict[str, list[Task]] = {}
    for item in items:
        try:
            task = Task.from_json(item)
        except ValueError as exc:
            name = item.get("task_name") if isinstance(item, dict) else None
            instruction = item.get("instruction") if isinstance(item, dict) else None
            report.add_task(str(name or ""), str(instruction or ""), str(exc))
            continue
        grouped.setdefault(task.task_name, []).append(task)
    return grouped


def load_license_info(path: Path) -> dict[str, dict[str, Any]]:
    """``{task_name: {license, website}}``; an absent file means the data file's own values."""
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}


def iter_data_lines(path: Path, report: OrganizeReport, progress: bool) -> Iterator[dict[str, Any]]:
    """Stream the data file's objects; lines that are not a dataset-config object are reported."""
    if not path.is_file():
        raise MissingArtifact(f"{path} not found: run `dynosaur crawl` first")
    with (
        open(path, "rb") as handle,
        tqdm(
            total=path.stat().st_size, unit="B", unit_scale=True, desc="organize", disable=not progress
        ) as bar,
    ):
        for number, raw in enumerate(handle, start=1):
            bar.update(len(raw))
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                report.lines_skipped.append({"line": number, "reason": f"invalid JSON: {exc}"})
                continue
            if not isinstance(obj, dict) or not isinstance(obj.get("task_name"), str):
                report.lines_skipped.append({"line": number, "reason": "not a dataset-config object"})
                continue
            if not isinstance(obj.get("selected_data", []), list):
                report.lines_skipped.append({"line": number, "reason": "selected_data is not a list"})
                continue
            yield obj


class _TaskRun:
    """Materialize one task over one dataset-config's rows."""

    def __init__(
        self, task: Task, line: dict[str, Any], meta: dict[str, Any], config: OrganizeConfig
    ) -> None:
        self.task = task
        self.config = config
        self.license = str(meta.get("license") or line.get("license") or "").strip()
        dataset = line.get("dataset") or task.task_name
        self.website = str(
            meta.get("website") or line.get("website") or f"https://huggingface.co/datasets/{dataset}"
        )
        self.features = feature_types(line.get("features"))
        self.split = str(line.get("split") or "")
        selected = line.get("selected_data") or []
        indices = line.get("row_indices")
        if not isinstance(indices, list) or len(indices) != len(selected):
            indices = [None] * len(selected)  # a data file from before rows carried their index
        self.row_indices = [
            index if isinstance(index, int) and not isinstance(index, bool) else None
            for row, index in zip(selected, indices, strict=True)
            if isinstance(row, dict)
        ]
        self.rows = [row for row in selected if isinstance(row, dict)]
        self.rows_skipped: Counter = Counter()
        self.rows_skipped["row is not an object"] = len(line.get("selected_data") or []) - len(self.rows)
        self.truncated = 0
        self.duplicates = 0

    def pairs(self) -> tuple[list[tuple[str, str, Any, int | None]], str | None]:
        """``(input, output, raw output, row index)`` of every renderable row (skipped rows are counted; a
        row whose output lists alternatives gives one pair per alternative), or the reason the task
        is dropped: an output that is not text, or a list of parts, drops the whole task."""
        limit = self.config.max_cell_chars
        dtypes = {name: value_dtype(feature_of(self.features, name)) for name in self.task.input_fields}
        out_dtype = value_dtype(feature_of(self.features, self.task.output_field))
        kept = []
        for row, row_idx in zip(self.rows, self.row_indices, strict=True):
            try:
                outputs = render_outputs(self.task.output_field, row, limit, out_dtype)
            except EmptyCell:
                self.rows_skipped["empty output"] += 1
                continue
            except SeveralItems as exc:
                return [], f"list output: {self.task.output_field!r} holds {exc}"
            except NotRenderable as exc:
                return [], f"output not text: {self.task.output_field!r} holds {exc}"
            try:
                input_ = render_input(list(self.task.input_fields), row, limit, dtypes)
            except EmptyCell:
                self.rows_skipped["empty input"] += 1
                continue
            except NotRenderable as exc:
                self.rows_skipped[f"input not renderable ({exc})"] += 1
                continue
            raw = lookup(row, self.task.output_field)
            for output in outputs:
                self.truncated += int(input_.truncated) + int(output.truncated)
                kept.append((input_.text, output.text, raw if len(outputs) == 1 else output.text, row_idx))
        return kept, None

    def records(self) -> tuple[list[Record], str | None]:
        """The task's records, or the reason it is dropped."""
        if not self.license:
            return [], "no license: the source dataset has no license"
        reason = first_reason(self.task, self.features, self.rows)
        if reason:
            return [], reason
        pairs, reason = self.pairs()
        if reason:
            self.rows_skipped.clear()
            return [], reason
        # Duplicate rows would skew the label shares; they are never written twice anyway.
        seen: set[tuple[str, str]] = set()
        unique = []
        for pair in pairs:
            if pair[:2] not in seen:
                seen.add(pair[:2])
                unique.append(pair)
        self.duplicates = len(pairs) - len(unique)
        pairs = unique
        if not pairs:
            return [], "no usable rows: every row was skipped"
        outputs = [pair[1] for pair in pairs]
        reason = labels_cover(self.task.instruction, outputs)
        if reason:
            return [], reason
        labels = label_space(
            outputs,
            [pair[2] for pair in pairs],
            feature_of(self.features, self.task.output_field),
            self.config,
        )
        instruction = self.task.instruction
        if labels:
            reason = imbalanced(outputs, labels, self.config)
            if reason:
                return [], reason
            suffix = label_suffix(labels, self.config, instruction)
            if suffix:
                instruction = f"{instruction} {suffix}"
        return [
            Record(
                instruction,
                input_,
                output,
                self.license,
                self.website,
                self.task.task_name,
                self.split,
                row_idx,
            )
            for input_, output, _, row_idx in pairs
        ], None


def source_entry(line: dict[str, Any], run: _TaskRun, tasks: int, records: int) -> dict[str, Any]:
    """What the dataset card says about one source dataset-config."""
    languages = line.get("languages")
    return {
        "dataset": str(line.get("dataset") or line["task_name"]),
        "config": str(line.get("config") or ""),
        "revision": str(line.get("revision") or ""),
        "license": run.license,
        "website": run.website,
        "languages": [str(x) for x in languages] if isinstance(languages, list) else [],
        "task_category": line.get("task_category") or [],
        "tasks": tasks,
        "records": records,
    }


def _modified(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def judge_scores(data_dir: Path) -> dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], TaskScore]:
    """The judge's scores by task; ``MissingArtifact`` when the judge has not run."""
    path = data_dir / JUDGE_SCORES_FILE
    if not path.is_file():
        raise MissingArtifact(f"min_judge_score needs {path}: run `dynosaur judge` first")
    return {score.key(): score for score in read_scores(path)}


def judge_reason(
    task: Task, scores: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], TaskScore], minimum: int
) -> str | None:
    """``judge score: ...`` when the task scored below ``minimum`` or was not judged."""
    score = scores.get((task.task_name, task.instruction, task.input_fields, (task.output_field,)))
    if score is None:
        return "judge score: the task has no score in judge_scores.jsonl (rerun `dynosaur judge`)"
    if score.score < minimum:
        return f"judge score: {score.score} is below {minimum} ({score.judge}: {score.reason})"
    return None


def organize(
    data_dir: str | Path,
    *,
    config: OrganizeConfig | None = None,
    data_path: str | Path | None = None,
    instructions_path: str | Path | None = None,
    output_path: str | Path | None = None,
    exclude: Iterable[str] = (),
    progress: bool = True,
    crawled_at: str | None = None,
) -> OrganizeReport:
    """Organize ``instructions-full.json`` over ``huggingface_data.jsonl`` into records.

    Records come in data-file order, then task order, then row order; exact duplicates (same
    six fields) are written once. Tasks of the datasets in ``exclude`` (e.g. the published
    collection itself, which a crawl of the Hub finds too) are dropped. Returns the report, also
    written to ``organize_report.json`` (``<stem>_report.json`` for another ``output_path``).
    ``crawled_at`` is when the Hub was crawled (default: when the data file was last written).
    """
    config = config or OrganizeConfig()
    data_dir = Path(data_dir)
    data_path = Path(data_path) if data_path else data_dir / DATA_FILE
    output_path = Path(output_path) if output_path else data_dir / RECORDS_FILE
    report = OrganizeReport(config=config.to_json())
    tasks = load_tasks(Path(instructions_path) if instructions_path else data_dir / INSTRUCTIONS_FILE, report)
    license_info = load_license_info(data_dir / LICENSE_FILE)
    seen_configs: set[str] = set()
    excluded = set(exclude)
    judged = judge_scores(data_dir) if config.min_judge_score else None
    if crawled_at is not None:
        report.crawled_at = crawled_at
    elif data_path.is_file():
        report.crawled_at = _modified(data_path)
    with RecordWriter(output_path, output_path.with_suffix(".parquet"), config.row_group_size) as writer:
        for line in iter_data_lines(data_path, report, progress):
            name = line["task_name"]
            if name in seen_configs:
                report.lines_skipped.append({"task_name": name, "reason": "duplicate task_name line"})
                continue
            seen_configs.add(name)
            # License, website and taskname are one config's own, so records of one config are
            # equal when these three fields are, and records of two configs never are.
            seen: set[tuple[str, str, str]] = set()
            config_tasks = tasks.pop(name, [])
            if line.get("dataset") in excluded:
                for task in config_tasks:
                    report.add_task(
                        name, task.instruction, f"excluded: {line['dataset']} is excluded from organize"
                    )
                continue
            kept_before, records_before = len(report.kept), report.records
            mappings: dict[tuple[frozenset[str], str], str] = {}
            for task in config_tasks:
                run = _TaskRun(task, line, license_info.get(name, {}), config)
                mapping = (frozenset(task.input_fields), task.output_field)
                records: list[Record]
                reason: str | None
                verdict = judge_reason(task, judged, config.min_judge_score) if judged is not None else None
                if verdict:
                    records, reason = [], verdict
                elif mapping in mappings:
                    records, reason = (
                        [],
                        (
                            "duplicate mapping: the same input and output fields already make the task "
                            f"{mappings[mapping]!r}"
                        ),
                    )
                else:
                    records, reason = run.records()
                    mappings[mapping] = task.instruction
                written = 0
                for record in records:
                    key = (record.instruction, record.input, record.output)
                    if key in seen:
                        report.duplicates_removed += 1
                        continue
                    seen.add(key)
                    writer.write(record)
                    written += 1
                    report.records_per_license[record.license] += 1
                skipped = +run.rows_skipped
                report.rows_skipped.update(skipped)
                report.cells_truncated += run.truncated
                report.duplicates_removed += run.duplicates
                report.records += written
                if written:
                    report.records_per_task[name] += written
                report.add_task(name, task.instruction, reason, written, skipped)
            if config_tasks:
                report.sources[name] = source_entry(
                    line, run, len(report.kept) - kept_before, report.records - records_before
                )
    for name, orphans in tasks.items():
        for task in orphans:
            report.add_task(
                name,
                task.instruction,
                "dataset-config vanished: not in the data file (removed from the Hub or its license denied)",
            )
    atomic_write_json(report_path(output_path), report.to_json())
    return report
