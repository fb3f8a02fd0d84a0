"""Dynosaur's published record and its writer (JSONL and Parquet side by side, both atomic)."""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from crawl.artifact_errors import writing
from dynosaur.core.errors import DynosaurError
from dynosaur.core.io import temp_path_beside

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.parquet as pq

# Dynosaur's published record shape comes first, unchanged; where in its source a record came
# from follows: the split and the row's index in it.
DYNOSAUR_KEYS = ("instruction", "input", "output", "license", "website", "taskname")
PROVENANCE_KEYS = ("split", "row_idx")
RECORD_KEYS = (*DYNOSAUR_KEYS, *PROVENANCE_KEYS)


@functools.cache
def record_schema() -> pa.Schema:
    """The records' Parquet schema: Dynosaur's keys as strings, then the split and the row index."""
    # pyarrow is imported on first use, so a command that writes no Parquet never loads it
    import pyarrow as pa

    return pa.schema(
        [*((key, pa.string()) for key in DYNOSAUR_KEYS), ("split", pa.string()), ("row_idx", pa.int64())]
    )


class MissingLicense(DynosaurError, ValueError):
    """A record without the license of its source dataset; such a record is never written."""


@dataclass(frozen=True)
class Record:
    """One instruction-tuning record: ``{instruction, input, output, license, website, taskname}``
    (Dynosaur's shape), then ``split`` and ``row_idx``: the source split and row it was made from."""

    instruction: str
    input: str
    output: str
    license: str
    website: str
    taskname: str
    split: str = ""
    row_idx: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The record as a dict with the published key order (Dynosaur's six keys first)."""
        return {
            "instruction": self.instruction,
            "input": self.input,
            "output": self.output,
            "license": self.license,
            "website": self.website,
            "taskname": self.taskname,
            "split": self.split,
            "row_idx": self.row_idx,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Record:
        row_idx = obj.get("row_idx")
        return cls(
            **{key: str(obj.get(key) or "") for key in (*DYNOSAUR_KEYS, "split")},
            row_idx=row_idx if isinstance(row_idx, int) and not isinstance(row_idx, bool) else None,
        )


class RecordWriter:
    """Stream records into a JSONL file and, optionally, a Parquet file in row groups.

    Both files are written to temporary names and renamed into place only when the writer
    closes without an error, so a failed run leaves the previous files untouched.
    """

    def __init__(
        self, jsonl_path: str | Path, parquet_path: str | Path | None = None, row_group_size: int = 10_000
    ) -> None:
        self.jsonl_path = Path(jsonl_path)
        self.parquet_path = Path(parquet_path) if parquet_path else None
        self.row_group_size = max(1, row_group_size)
        self.count = 0
        self._jsonl_tmp = temp_path_beside(self.jsonl_path)
        self._jsonl = open(self._jsonl_tmp, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self._parquet_tmp = temp_path_beside(self.parquet_path) if self.parquet_path else None
        self._parquet: pq.ParquetWriter | None = None
        if self._parquet_tmp and self.parquet_path:
            import pyarrow.parquet as pq

            with writing(self.parquet_path, plain=True):
                self._parquet = pq.ParquetWriter(self._parquet_tmp, record_schema())
        self._columns: dict[str, list[Any]] = {key: [] for key in RECORD_KEYS}

    def write(self, record: Record) -> None:
        """Append one record; raises :class:`MissingLicense` when it has no license."""
        self.write_task(
            record.instruction,
            record.license,
            record.website,
            record.taskname,
            record.split,
            [record.input],
            [record.output],
            [record.row_idx],
        )

    def write_task(
        self,
        instruction: str,
        license_: str,
        website: str,
        taskname: str,
        split: str,
        inputs: Sequence[str],
        outputs: Sequence[str],
        row_indices: Sequence[int | None],
    ) -> None:
        """Append the records of one task: the same instruction and source, one input, output and
        row index each. Raises :class:`MissingLicense` when they have no license.

        Each line is the bytes of ``dumps_line(record.to_json())``: the fields every record of the
        task shares are encoded once, and each record adds its input and output, encoded as
        ``json.dumps`` encodes a string (``ensure_ascii=False``), and its row index.
        """
        if not license_ or not license_.strip():
            raise MissingLicense(f"record of task {taskname!r} has no license")
        if not len(inputs) == len(outputs) == len(row_indices):
            raise ValueError("inputs, outputs and row_indices must have one item per record")
        head = '{"instruction":' + encode_basestring(instruction) + ',"input":'
        tail = (
            f',"license":{encode_basestring(license_)},"website":{encode_basestring(website)}'
            f',"taskname":{encode_basestring(taskname)},"split":{encode_basestring(split)},"row_idx":'
        )
        with writing(self.jsonl_path):
            self._jsonl.write(
                "".join(
                    [
                        f'{head}{encode_basestring(input_)},"output":{encode_basestring(output)}{tail}'
                        f"{'null' if index is None else index}}}\n"
                        for input_, output, index in zip(inputs, outputs, row_indices, strict=True)
                    ]
                )
            )
        count = len(inputs)
        self.count += count
        if self._parquet is None:
            return
        columns = self._columns
        for key, values in (
            ("instruction", [instruction] * count),
            ("input", inputs),
            ("output", outputs),
            ("license", [license_] * count),
            ("website", [website] * count),
            ("taskname", [taskname] * count),
            ("split", [split] * count),
            ("row_idx", row_indices),
        ):
            columns[key].extend(values)
        while len(self._columns["instruction"]) >= self.row_group_size:
            self._flush_row_group(self.row_group_size)

    def _flush_row_group(self, size: int | None = None) -> None:
        """Write the first ``size`` buffered records (all of them by default) as a row group."""
        if self._parquet is None or self.parquet_path is None or not self._columns["instruction"]:
            return
        import pyarrow as pa

        group = {key: values[:size] for key, values in self._columns.items()}
        table = pa.Table.from_pydict(group, schema=record_schema())
        with writing(self.parquet_path, plain=True):  # pyarrow: an OSError with the errno
            self._parquet.write_table(table, row_group_size=self.row_group_size)
        self._columns = {key: values[size:] if size else [] for key, values in self._columns.items()}

    def close(self, commit: bool = True) -> None:
        """Finish both files and rename them into place (or discard them when not ``commit``).

        A failed finish (a full disk) discards them too: the previous files stay as they were.
        """
        try:
            try:
                if commit:
                    self._flush_row_group()
                    with writing(self.jsonl_path):
                        self._jsonl.flush()
                        os.fsync(self._jsonl.fileno())
            finally:
                try:
                    with writing(self.jsonl_path):
                        self._jsonl.close()
                finally:
                    if self._parquet is not None and self.parquet_path is not None:
                        with writing(self.parquet_path, plain=True):
                            self._parquet.close()
            if commit:
                with writing(self.jsonl_path):
                    os.replace(self._jsonl_tmp, self.jsonl_path)
                if self._parquet_tmp is not None and self.parquet_path is not None:
                    with writing(self.parquet_path):
                        os.replace(self._parquet_tmp, self.parquet_path)
        except BaseException:
            commit = False
            raise
        finally:
            if not commit:
                self._jsonl_tmp.unlink(missing_ok=True)
                if self._parquet_tmp is not None:
                    self._parquet_tmp.unlink(missing_ok=True)

    def __enter__(self) -> RecordWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close(commit=exc_type is None)
