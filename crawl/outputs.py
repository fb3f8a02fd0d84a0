"""The crawl's artifacts, brought up to date from the state at the end of a run that changed it.

The files hold what a full rewrite from the state would hold (sorted, fixed key order), but a run
encodes only what changed: the state keeps each line's byte length in file order, so the bytes
of unchanged lines are copied from the current files (in the kernel, ``copy_file_range``) and
only new, changed or removed lines cost work. A file whose content does not change is not
touched. Each new file goes through a temp file and an atomic rename; the renames due are
committed to the state first, so a run killed between them finishes them next time.

The data file is the only copy of a written line's content: when it is missing or was changed
outside the crawl (and does not match the state line for line), the datasets it held are crawled
again (:func:`check_outputs`, at the start of a crawl).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crawl.artifact_errors import writing
from crawl.artifacts import atomic_write_bytes, dumps_line, temp_path_beside
from crawl.licenses import PRESET_DESCRIPTIONS, PRESETS
from crawl.policy import PolicyOptions
from crawl.records import metadata_line
from crawl.state import CrawlState, StateError

METADATA_FILE = "huggingface_metadata.jsonl"
DATA_FILE = "huggingface_data.jsonl"
LICENSE_FILE = "license_info.json"
REPORT_FILE = "crawl_report.jsonl"
POLICY_FILE = "crawl_policy.json"
OUTPUT_FILES = (DATA_FILE, METADATA_FILE, LICENSE_FILE, REPORT_FILE)

_FLUSH = 1 << 16  # encoded bytes buffered before a write()


@dataclass
class OutputCounts:
    """What the artifacts hold, and what bringing them up to date cost."""

    lines: int = 0
    datasets: int = 0
    collisions: dict[str, list[str]] = field(default_factory=dict)  # task_name -> datasets left out
    files_replaced: list[str] = field(default_factory=list)
    # per file: bytes encoded and written by the process, and unchanged bytes copied from the
    # previous version (in the kernel, or shared extents where the filesystem can)
    bytes_written: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTPUT_FILES, 0))
    bytes_copied: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTPUT_FILES, 0))


def policy_summary(policy: PolicyOptions, splits: tuple[str, ...]) -> dict[str, Any]:
    """crawl_policy.json: what the crawl kept, for the release card (the license policy by name)."""
    return {
        "license_policy": {
            "name": policy.license_policy,
            "description": PRESET_DESCRIPTIONS[policy.license_policy],
            "classes": sorted(PRESETS[policy.license_policy]),
            "allow_licenses": sorted(policy.allow_licenses),
            "deny_licenses": sorted(policy.deny_licenses),
        },
        "splits": list(splits),
        "rules": policy.as_dict(),
    }


def _write_if_changed(path: Path, data: bytes) -> None:
    if not path.is_file() or path.read_bytes() != data:
        atomic_write_bytes(path, data)


def _license_entry(name: str, entry: dict[str, str]) -> str:
    """One ``license_info.json`` member, as ``json.dumps(..., indent=2)`` writes it inside the object."""
    return json.dumps({name: entry}, ensure_ascii=False, indent=2)[2:-2]


def _identity(path: Path) -> list[int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return [stat.st_size, stat.st_mtime_ns, stat.st_ino]


def _copy_range(src: int, dst: int, offset: int, length: int) -> None:
    """Append ``length`` bytes of ``src`` from ``offset`` to ``dst`` (at its position)."""
    while length > 0:
        try:
            done = os.copy_file_range(src, dst, length, offset)
        except OSError:  # a filesystem without it (or across devices): through user space
            done = os.write(dst, os.pread(src, min(length, _FLUSH), offset))
        if done <= 0:
            raise StateError("an output file is shorter than the crawl state says; rerun to rebuild it")
        offset += done
        length -= done


class _Splice:
    """A new version of one output file, made of byte ranges of its current version and new bytes.

    Nothing is written while the result is still the current file (``finish`` then returns None).
    """

    def __init__(self, path: Path, trusted: bool) -> None:
        self.path = path
        self.trusted = trusted
        self.old = os.open(path, os.O_RDONLY) if trusted else -1
        self.old_size = os.fstat(self.old).st_size if trusted else 0
        self.same = trusted  # the result so far is the current file's first ``pos`` bytes
        self.pos = 0
        self.tmp: Path | None = None
        self.fd = -1
        self.buffer: list[bytes] = []
        self.buffered = 0
        self.run: tuple[int, int] | None = None  # a copy not yet done: (offset, length)
        self.written = 0
        self.copied = 0

    def copy(self, offset: int, length: int) -> None:
        """Append the current file's bytes ``offset .. offset + length``."""
        if self.same and offset == self.pos:
            self.pos += length
            return
        self._diverge()
        self._flush_buffer()
        if self.run is not None and sum(self.run) == offset:
            self.run = (self.run[0], self.run[1] + length)
        else:
            self._flush_run()
            self.run = (offset, length)
        self.pos += length

    def write(self, data: bytes) -> None:
        """Append new bytes (nothing is written while they equal the current file's)."""
        if self.same and os.pread(self.old, len(data), self.pos) == data:
            self.pos += len(data)
            return
        self._diverge()
        self._flush_run()
        self.buffer.append(data)
        self.buffered += len(data)
        self.pos += len(data)
        if self.buffered >= _FLUSH:
            self._flush_buffer()

    def read(self, offset: int, length: int) -> bytes:
        """Bytes of the current file (only for a trusted one)."""
        return os.pread(self.old, length, offset)

    def finish(self) -> Path | None:
        """The synced temp file holding the new version, or None when it equals the current one."""
        if self.same and self.pos == self.old_size:
            self.close()
            return None
        self._diverge()
        self._flush_run()
        self._flush_buffer()
        with writing(self.path):
            os.fsync(self.fd)
        os.close(self.fd)
        self.fd = -1
        self.close()
        return self.tmp

    def close(self) -> None:
        if self.old >= 0:
            os.close(self.old)
            self.old = -1
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def discard(self) -> None:
        self.close()
        if self.tmp is not None:
            self.tmp.unlink(missing_ok=True)

    def _diverge(self) -> None:
        if self.fd >= 0:
            return
        self.tmp = temp_path_beside(self.path)
        with writing(self.path):
            self.fd = os.open(self.tmp, os.O_WRONLY | os.O_TRUNC)
        if self.same and self.pos:
            self.run = (0, self.pos)
        self.same = False

    def _flush_run(self) -> None:
        if self.run is not None:
            with writing(self.path):
                _copy_range(self.old, self.fd, *self.run)
            self.copied += self.run[1]
            self.run = None

    def _flush_buffer(self) -> None:
        if self.buffer:
            data = b"".join(self.buffer)
            view = memoryview(data)
            with writing(self.path):
                while view:
                    view = view[os.write(self.fd, view) :]
            self.written += len(data)
            self.buffer, self.buffered = [], 0


def _recover(state: CrawlState, data_dir: Path) -> None:
    """Finish the renames of a committed write that a killed run left undone."""
    renames = state.pending_renames()
    for tmp, name in renames:
        if Path(tmp).exists():
            with writing(data_dir / name):
                os.replace(tmp, data_dir / name)
    if renames:
        _sync_dir(data_dir)
        state.renames_done()


def _sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _data_file_matches(state: CrawlState, path: Path) -> bool:
    """The data file holds the state's layout line for line (read whole: only when its identity changed)."""
    if not path.is_file():
        return False
    with open(path, "rb") as handle:
        for task_name, dataset, data_len, _, _, data_hash in state.layout():
            raw = handle.readline()
            if len(raw) != data_len + 1 or not raw.endswith(b"\n") or _hash(raw[:-1]) != data_hash:
                return False
            try:
                line = json.loads(raw)
            except ValueError:
                return False
            if not isinstance(line, dict) or (line.get("task_name"), line.get("dataset")) != (
                task_name,
                dataset,
            ):
                return False
        return handle.read(1) == b""


def check_outputs(state: CrawlState, data_dir: str | Path) -> int:
    """Make sure the data file is the one the state describes; returns how many datasets must be
    crawled again because it is not (missing, or changed outside the crawl)."""
    data_dir = Path(data_dir)
    _recover(state, data_dir)
    path = data_dir / DATA_FILE
    identity, known = _identity(path), state.file_identities().get(DATA_FILE)
    if identity is not None and identity == known:
        return 0
    if next(state.layout(), None) is None:
        return 0  # the files hold no line yet: nothing to lose
    if identity is not None and _data_file_matches(state, path):
        state.adopt_file(DATA_FILE, identity)
        return 0
    return state.forget_files()


def _trusted(state: CrawlState, data_dir: Path) -> dict[str, bool]:
    known = state.file_identities()
    found = {name: _identity(data_dir / name) for name in OUTPUT_FILES}
    return {name: found[name] is not None and found[name] == known.get(name) for name in OUTPUT_FILES}


class _Lines:
    """The three per-line files, built in one merge of the current layout with the lines due."""

    def __init__(self, state: CrawlState, data_dir: Path, trusted: dict[str, bool]) -> None:
        self.state = state
        self.data = _Splice(data_dir / DATA_FILE, trusted[DATA_FILE])
        self.meta = _Splice(data_dir / METADATA_FILE, trusted[METADATA_FILE])
        self.license = _Splice(data_dir / LICENSE_FILE, trusted[LICENSE_FILE])
        self.lines = 0

    def splices(self) -> list[_Splice]:
        return [self.data, self.meta, self.license]

    def build(self) -> None:
        old = _OldLines(self.state.layout())
        self.license.write(b"{")
        for task_name, dataset, body in self.state.winners():
            key = (task_name, dataset)
            while old.key is not None and old.key < key:
                self._drop(old)
                old.advance()
            if old.key == key and body is None:
                self._keep(old)
            else:
                if body is None:
                    raise StateError(f"{task_name}: the crawl state lost this line; move the state away")
                self._encode(task_name, dataset, body)
            if old.key == key:
                old.advance()
            self.lines += 1
        while old.key is not None:
            self._drop(old)
            old.advance()
        self.license.write(b"\n}\n" if self.lines else b"}\n")

    def _keep(self, old: _OldLines) -> None:
        """An unchanged line: copied where the file can be trusted, encoded from the data file elsewhere."""
        body: dict[str, Any] | None = None
        self.data.copy(old.data_off, old.data_len + 1)
        if self.meta.trusted:
            self.meta.copy(old.meta_off, old.meta_len + 1)
        else:
            body = json.loads(self.data.read(old.data_off, old.data_len))
            self.meta.write(_metadata_bytes(body))
        if not self.license.trusted:
            body = body or json.loads(self.data.read(old.data_off, old.data_len))
            self.license.write(b"," * bool(self.lines) + _license_bytes(body))
        elif old.index and self.lines:
            self.license.copy(old.license_off, old.license_len + 2)
        elif old.index:
            self.license.copy(old.license_off + 1, old.license_len + 1)
        else:
            if self.lines:
                self.license.write(b",")
            self.license.copy(old.license_off, old.license_len + 1)

    def _encode(self, task_name: str, dataset: str, body: str) -> None:
        line = json.loads(body)
        data = body.encode("utf-8")
        meta = _metadata_bytes(line)
        license_core = _license_bytes(line)
        self.data.write(data + b"\n")
        self.meta.write(meta)
        self.license.write(b"," * bool(self.lines) + license_core)
        self.state.line_written(
            task_name, dataset, (len(data), len(meta) - 1, len(license_core) - 1, _hash(data))
        )

    def _drop(self, old: _OldLines) -> None:
        assert old.key is not None
        task_name, dataset = old.key
        held, has_body = self.state.held_line(task_name, dataset)
        keep = None
        if held and not has_body:  # left out by a collision now: the state keeps its content
            keep = self.data.read(old.data_off, old.data_len).decode("utf-8")
        self.state.line_dropped(task_name, dataset, keep)


class _OldLines:
    """A walk over the current layout, with each line's offsets in the current files."""

    def __init__(self, rows: Iterator[tuple[str, str, int, int, int, int]]) -> None:
        self.rows = rows
        self.index = -1
        self.key: tuple[str, str] | None = None
        self.data_off = self.meta_off = 0
        self.license_off = 1  # after "{"
        self.data_len = self.meta_len = self.license_len = 0
        self.advance()

    def advance(self) -> None:
        if self.index >= 0:
            self.data_off += self.data_len + 1
            self.meta_off += self.meta_len + 1
            self.license_off += self.license_len + 1 + bool(self.index)
        row = next(self.rows, None)
        self.index += 1
        if row is None:
            self.key = None
            return
        task_name, dataset, self.data_len, self.meta_len, self.license_len, _ = row
        self.key = (task_name, dataset)


def _hash(data: bytes) -> int:
    """A data line's 63-bit hash (an SQLite integer)."""
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big") >> 1


def _metadata_bytes(line: dict[str, Any]) -> bytes:
    return (dumps_line(metadata_line(line)) + "\n").encode("utf-8")


def _license_bytes(line: dict[str, Any]) -> bytes:
    entry = {"license": line["license"], "website": line["website"]}
    return ("\n" + _license_entry(line["task_name"], entry)).encode("utf-8")


def _build_reports(state: CrawlState, splice: _Splice, left_out: dict[str, str]) -> int:
    """The report file: one line per dataset by id; copied unless its line or its collision note changed."""
    old = state.report_layout()
    row = next(old, None)
    offset = count = 0
    for dataset, written, collision in state.report_entries():
        while row is not None and row[0] < dataset:
            state.report_written(row[0], None)
            offset += row[1] + 1
            row = next(old, None)
        note = left_out.get(dataset)
        if row is not None and row[0] == dataset and written and collision == note and splice.trusted:
            splice.copy(offset, row[1] + 1)
        else:
            report = state.report(dataset)
            if note is not None:
                report["notes"] = [*report["notes"], f"task_name_collision: {note}"]
            data = (dumps_line(report) + "\n").encode("utf-8")
            splice.write(data)
            state.report_written(dataset, len(data) - 1, note)
        if row is not None and row[0] == dataset:
            offset += row[1] + 1
            row = next(old, None)
        count += 1
    while row is not None:
        state.report_written(row[0], None)
        row = next(old, None)
    return count


def write_outputs(
    state: CrawlState, data_dir: str | Path, policy: dict[str, Any] | None = None
) -> OutputCounts:
    """Bring huggingface_data/metadata.jsonl, license_info.json, crawl_report.jsonl and (given the
    crawl's :func:`policy_summary`) crawl_policy.json up to date with the state.

    Nothing is written when the state has not changed since the last write and the files are as
    written then; otherwise only what changed is encoded (see the module docstring).
    """
    data_dir = Path(data_dir)
    counts = OutputCounts()
    names, counts.collisions = state.output_counts()
    if policy is not None:
        _write_if_changed(data_dir / POLICY_FILE, _policy_bytes(policy))
    check_outputs(state, data_dir)
    trusted = _trusted(state, data_dir)
    if all(trusted.values()) and state.outputs_current():
        counts.lines, counts.datasets = names, state.dataset_count()
        return counts
    left_out = {dataset: name for name, datasets in counts.collisions.items() for dataset in datasets}
    state.begin_output_write()
    lines = _Lines(state, data_dir, trusted)
    report = _Splice(data_dir / REPORT_FILE, trusted[REPORT_FILE])
    splices = [*lines.splices(), report]
    try:
        lines.build()
        counts.datasets = _build_reports(state, report, left_out)
        temps = [(splice.finish(), splice.path) for splice in splices]
    except BaseException:
        for splice in splices:
            splice.discard()
        state.abort_output_write()
        raise
    counts.lines = lines.lines
    renames = [(str(tmp), path.name) for tmp, path in temps if tmp is not None]
    identities = {path.name: _identity(tmp or path) for tmp, path in temps}
    state.commit_output_write({name: ident for name, ident in identities.items() if ident}, renames)
    for tmp, name in renames:
        with writing(data_dir / name):
            os.replace(tmp, data_dir / name)
    if renames:
        _sync_dir(data_dir)
        state.renames_done()
    counts.files_replaced = [name for _, name in renames]
    counts.bytes_written = {splice.path.name: splice.written for splice in splices}
    counts.bytes_copied = {splice.path.name: splice.copied for splice in splices}
    return counts


def _policy_bytes(policy: dict[str, Any]) -> bytes:
    return (json.dumps(policy, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
