"""Organize streams: the same bytes as before on a varied input, records written as lines are read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from dynosaur.contracts.records import Record, RecordWriter
from dynosaur.core.io import dumps_line
from dynosaur.hub.organize import run as organize_run
from dynosaur.hub.organize.render import EmptyCell, NotRenderable, TaskRenderer, render_input, render_outputs
from dynosaur.hub.organize.rules import OrganizeConfig
from tests.support.organize_varied import build, expected_records, expected_report, write_inputs


def test_a_varied_input_gives_the_pinned_records_and_report(tmp_path: Path) -> None:
    folder = write_inputs(tmp_path / "data")
    organize_run.organize(folder, progress=False, crawled_at="2026-01-01T00:00:00Z")
    written = (folder / "dynosaur-full.jsonl").read_bytes()
    assert written == expected_records()
    assert json.loads((folder / "organize_report.json").read_text(encoding="utf-8")) == expected_report()
    lines = [json.loads(line) for line in written.decode("utf-8").splitlines()]
    assert pq.read_table(folder / "dynosaur-full.parquet").to_pylist() == lines


def test_small_row_groups_split_tasks_across_groups_and_keep_every_record(tmp_path: Path) -> None:
    folder = write_inputs(tmp_path / "data")
    organize_run.organize(folder, config=OrganizeConfig(row_group_size=7), progress=False)
    written = (folder / "dynosaur-full.jsonl").read_bytes()
    assert written == expected_records()
    parquet = pq.ParquetFile(folder / "dynosaur-full.parquet")
    sizes = [parquet.metadata.row_group(i).num_rows for i in range(parquet.num_row_groups)]
    assert set(sizes[:-1]) == {7} and 1 <= sizes[-1] <= 7
    assert parquet.read().to_pylist() == [json.loads(line) for line in written.decode().splitlines()]


def _rendered(render: Any, *args: Any) -> Any:
    try:
        return render(*args)
    except (EmptyCell, NotRenderable) as exc:
        return type(exc), str(exc)


def test_a_compiled_task_renders_every_cell_as_the_general_functions_do() -> None:
    lines, tasks, _ = build()
    by_name = {line["task_name"]: line for line in lines if isinstance(line, dict)}
    checked = 0
    for task in tasks:
        if not isinstance(task, dict) or task["task_name"] not in by_name or not task["input_fields"]:
            continue
        rows = [row for row in by_name[task["task_name"]]["selected_data"] if isinstance(row, dict)]
        fields, output = task["input_fields"], task["output_field"][0]
        for limit in (0, 1, 3, 12, 2000):
            dtypes = {name: "float32" for name in fields}
            compiled = TaskRenderer(fields, output, limit, dtypes, "float32")
            for row in rows:
                general = _rendered(render_input, fields, row, limit, dtypes)
                fast = _rendered(compiled.input, row)
                assert fast == (general if isinstance(general, tuple) else tuple(general))
                general_out = _rendered(render_outputs, output, row, limit, "float32")
                assert _rendered(compiled.outputs, compiled.output_value(row)) == general_out
                checked += 1
    assert checked > 1000


@pytest.mark.parametrize(
    "record",
    [
        Record("i", "in", "out", "mit", "https://w", "t", "train", 3),
        Record('q"uote\\', "line\nbreak\ttab\x00\x1f\x7f", "東京 😀 \u2028", "mit", "w", "t/é", "", None),
        Record("", "", "", "x", "", "", "s", 0),
    ],
)
def test_record_lines_are_the_bytes_of_a_json_dump(tmp_path: Path, record: Record) -> None:
    with RecordWriter(tmp_path / "out.jsonl") as writer:
        writer.write(record)
        writer.write_task(
            record.instruction,
            record.license,
            record.website,
            record.taskname,
            record.split,
            [record.input, record.output],
            [record.output, record.input],
            [record.row_idx, 7],
        )
    swapped = Record(**{**record.to_json(), "input": record.output, "output": record.input, "row_idx": 7})
    expected = "".join(dumps_line(r.to_json()) + "\n" for r in (record, record, swapped))
    assert (tmp_path / "out.jsonl").read_text(encoding="utf-8") == expected


def test_organize_writes_each_configs_records_before_reading_the_next_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_inputs(tmp_path / "data")
    written: list[int] = []
    write_task = RecordWriter.write_task

    def counting(self: RecordWriter, *args: Any) -> None:
        write_task(self, *args)
        written.append(self.count)

    monkeypatch.setattr(RecordWriter, "write_task", counting)
    reads = organize_run.iter_data_lines
    pulled: list[tuple[str, int]] = []  # (line read, records written before it was read)

    def lazily(path: Path, report: Any, progress: bool) -> Iterator[dict[str, Any]]:
        for line in reads(path, report, progress):
            pulled.append((line["task_name"], written[-1] if written else 0))
            yield line

    monkeypatch.setattr(organize_run, "iter_data_lines", lazily)
    report = organize_run.organize(folder, progress=False)
    assert report.records == written[-1] > 0
    # the writer grew while lines were still being read: no line waits for the whole file
    before = [count for _, count in pulled]
    assert before == sorted(before) and 0 < before[len(before) // 2] < written[-1]
    assert len({count for count in before}) > len(before) // 2
