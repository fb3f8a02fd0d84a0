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
from dynosaur.contracts.metadata_shape import metadata_problem
from dynosaur.contracts.records import RecordWriter
from dynosaur.contracts.task_checks import DatasetFields
from dynosaur.core.errors import BadArtifact, MissingArtifact
from dynosaur.core.io import atomic_write_json, remove_stale_temps
from dynosaur.hub.organize.render import EmptyCell, NotRenderable, SeveralItems, TaskRenderer
from dynosaur.hub.organize.rules import (
    OrganizeConfig,
    Task,
    dataset_fields,
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
    stale_temp_files_removed: int = 0  # left beside the outputs by an interrupted earlier run
    records_per_task: Counter = field(default_factory=Counter)
    records_per_license: Counter = field(default_factory=Counter)
    config: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    crawled_at: str = ""
    tasks_kept: int = 0  # len(self.kept), counted as tasks are added

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
        self.tasks_kept += not reason

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
            "stale_temp_files_removed": self.stale_temp_files_removed,
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
        if self.stale_temp_files_removed:
            lines.append(
                f"  removed  {self.stale_temp_files_removed:6d}  temp files left by an interrupted run"
            )
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
            problem = metadata_problem(obj)
            if problem:
                report.lines_skipped.append({"line": number, "reason": problem})
                continue
            yield obj


class _Source:
    """One dataset-config line as its tasks read it: rows, row indices, features, license."""

    __slots__ = (
        "line", "license", "website", "features", "split", "rows", "row_indices", "not_objects", "_fields"
    )  # fmt: skip

    def __init__(self, line: dict[str, Any], meta: dict[str, Any]) -> None:
        self.line = line
        self.license = str(meta.get("license") or line.get("license") or "").strip()
        dataset = line.get("dataset") or line.get("task_name")
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
        self.not_objects = len(selected) - len(self.rows)
        self._fields: DatasetFields | None = None

    @property
    def fields(self) -> DatasetFields:
        """The config's fields as the content rules read them, made once for all its tasks."""
        if self._fields is None:
            self._fields = dataset_fields(self.features, self.rows)
        return self._fields


@dataclass
class TaskRecords:
    """The records one task makes: its instruction (with the label space, if any) and one input,
    output and row index per record."""

    instruction: str
    inputs: list[str]
    outputs: list[str]
    row_indices: list[int | None]


class _TaskRun:
    """Materialize one task over one dataset-config's rows."""

    def __init__(self, task: Task, source: _Source, config: OrganizeConfig) -> None:
        self.task = task
        self.config = config
        self.source = source
        self.license = source.license
        self.website = source.website
        self.features = source.features
        self.split = source.split
        self.rows = source.rows
        self.rows_skipped: Counter = Counter()
        self.rows_skipped["row is not an object"] = source.not_objects
        self.truncated = 0
        self.duplicates = 0

    def _renderer(self) -> TaskRenderer:
        task = self.task
        return TaskRenderer(
            task.input_fields,
            task.output_field,
            self.config.max_cell_chars,
            {name: value_dtype(feature_of(self.features, name)) for name in task.input_fields},
            value_dtype(feature_of(self.features, task.output_field)),
        )

    def pairs(self) -> tuple[list[tuple[str, str, Any, int | None]], str | None]:
        """``(input, output, raw output, row index)`` of every renderable row (skipped rows are counted; a
        row whose output lists alternatives gives one pair per alternative), or the reason the task
        is dropped: an output that is not text, or a list of parts, drops the whole task."""
        columns, reason = self._columns(dedup=False)
        return list(zip(*columns, strict=True)) if columns else [], reason

    def _columns(
        self, dedup: bool = True
    ) -> tuple[tuple[list[str], list[str], list[Any], list[int | None]] | None, str | None]:
        """:meth:`pairs` as four lists (inputs, outputs, raw outputs, row indices); with ``dedup``,
        a pair whose input and output an earlier pair has is left out and counted."""
        render = self._renderer()
        output_value, render_outputs, render_input = render.output_value, render.outputs, render.input
        field, plain, limit = self.task.output_field, render.plain_output, render.limit
        inputs: list[str] = []
        outputs: list[str] = []
        raws: list[Any] = []
        indices: list[int | None] = []
        truncated = duplicates = 0
        skipped = self.rows_skipped
        for row, row_idx in zip(self.rows, self.source.row_indices, strict=True):
            raw: Any = row.get(field) if plain else output_value(row)
            cells = None  # None: the output is ``raw`` itself, a plain string within the limit
            if type(raw) is not str or not raw or raw.isspace() or (limit and len(raw) > limit):
                try:
                    cells = render_outputs(raw)
                except EmptyCell:
                    skipped["empty output"] += 1
                    continue
                except SeveralItems as exc:
                    self.truncated += truncated
                    return None, f"list output: {field!r} holds {exc}"
                except NotRenderable as exc:
                    self.truncated += truncated
                    return None, f"output not text: {field!r} holds {exc}"
            try:
                input_, input_cut = render_input(row)
            except EmptyCell:
                skipped["empty input"] += 1
                continue
            except NotRenderable as exc:
                skipped[f"input not renderable ({exc})"] += 1
                continue
            if cells is None:
                truncated += input_cut
                inputs.append(input_)
                outputs.append(raw)
                raws.append(raw)
                indices.append(row_idx)
                continue
            several = len(cells) > 1
            for output, output_cut in cells:
                truncated += input_cut + output_cut
                inputs.append(input_)
                outputs.append(output)
                raws.append(output if several else raw)
                indices.append(row_idx)
        if dedup and len(set(zip(inputs, outputs, strict=True))) < len(inputs):
            seen: set[tuple[str, str]] = set()
            keep = []
            for i, pair in enumerate(zip(inputs, outputs, strict=True)):
                if pair not in seen:
                    seen.add(pair)
                    keep.append(i)
            duplicates = len(inputs) - len(keep)
            inputs = [inputs[i] for i in keep]
            outputs = [outputs[i] for i in keep]
            raws = [raws[i] for i in keep]
            indices = [indices[i] for i in keep]
        self.truncated += truncated
        self.duplicates = duplicates
        return (inputs, outputs, raws, indices), None

    def records(self) -> tuple[TaskRecords | None, str | None]:
        """The task's records, or the reason it is dropped."""
        if not self.license:
            return None, "no license: the source dataset has no license"
        reason = first_reason(self.task, self.features, self.rows, self.source.fields)
        if reason:
            return None, reason
        # Duplicate rows would skew the label shares; they are never written twice anyway.
        columns, reason = self._columns()
        if columns is None:
            self.rows_skipped.clear()
            return None, reason
        inputs, outputs, raws, indices = columns
        if not outputs:
            return None, "no usable rows: every row was skipped"
        reason = labels_cover(self.task.instruction, list(dict.fromkeys(outputs)))
        if reason:
            return None, reason
        labels = label_space(outputs, raws, feature_of(self.features, self.task.output_field), self.config)
        instruction = self.task.instruction
        if labels:
            reason = imbalanced(outputs, labels, self.config)
            if reason:
                return None, reason
            suffix = label_suffix(labels, self.config, instruction)
            if suffix:
                instruction = f"{instruction} {suffix}"
        return TaskRecords(instruction, inputs, outputs, indices), None


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


def _organize_config(
    line: dict[str, Any],
    config_tasks: list[Task],
    meta: dict[str, Any],
    config: OrganizeConfig,
    judged: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], TaskScore] | None,
    report: OrganizeReport,
    writer: RecordWriter,
) -> None:
    """Organize the tasks of one dataset-config line, writing their records as each task ends."""
    name = line["task_name"]
    source = _Source(line, meta)
    # License, website and taskname are one config's own, so records of one config are equal
    # when instruction, input and output are, and records of two configs never are.
    seen: dict[str, set[tuple[str, str]]] = {}
    kept_before, records_before = report.tasks_kept, report.records
    mappings: dict[tuple[frozenset[str], str], str] = {}
    for task in config_tasks:
        run = _TaskRun(task, source, config)
        mapping = (frozenset(task.input_fields), task.output_field)
        made: TaskRecords | None = None
        reason = judge_reason(task, judged, config.min_judge_score) if judged is not None else None
        if reason:
            pass
        elif mapping in mappings:
            reason = (
                "duplicate mapping: the same input and output fields already make the task "
                f"{mappings[mapping]!r}"
            )
        else:
            made, reason = run.records()
            mappings[mapping] = task.instruction
        written = 0
        if made is not None:
            pairs = seen.setdefault(made.instruction, set())
            inputs, outputs, indices = made.inputs, made.outputs, made.row_indices
            if pairs:
                keep = [i for i, pair in enumerate(zip(inputs, outputs, strict=True)) if pair not in pairs]
                if len(keep) < len(inputs):
                    report.duplicates_removed += len(inputs) - len(keep)
                    inputs = [inputs[i] for i in keep]
                    outputs = [outputs[i] for i in keep]
                    indices = [indices[i] for i in keep]
            pairs.update(zip(inputs, outputs, strict=True))
            if inputs:
                writer.write_task(
                    made.instruction, run.license, run.website, name, run.split, inputs, outputs, indices
                )
            written = len(inputs)
            if written:
                report.records_per_license[run.license] += written
        skipped = +run.rows_skipped
        report.rows_skipped.update(skipped)
        report.cells_truncated += run.truncated
        report.duplicates_removed += run.duplicates
        report.records += written
        if written:
            report.records_per_task[name] += written
        report.add_task(name, task.instruction, reason, written, skipped)
    report.sources[name] = source_entry(
        line, run, report.tasks_kept - kept_before, report.records - records_before
    )


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
    outputs = (output_path, output_path.with_suffix(".parquet"), report_path(output_path))
    report.stale_temp_files_removed = remove_stale_temps(outputs)
    with RecordWriter(outputs[0], outputs[1], config.row_group_size) as writer:
        for line in iter_data_lines(data_path, report, progress):
            name = line["task_name"]
            if name in seen_configs:
                report.lines_skipped.append({"task_name": name, "reason": "duplicate task_name line"})
                continue
            seen_configs.add(name)
            config_tasks = tasks.pop(name, [])
            if line.get("dataset") in excluded:
                for task in config_tasks:
                    report.add_task(
                        name, task.instruction, f"excluded: {line['dataset']} is excluded from organize"
                    )
                continue
            if config_tasks:
                _organize_config(
                    line, config_tasks, license_info.get(name, {}), config, judged, report, writer
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
