"""Atomic and append-only artifact writes, shared by every stage.

Every artifact is either written whole through a temporary file and an atomic rename, or appended
one complete line at a time, so a killed run never leaves a half-written file behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from crawl.artifact_errors import UnreadableLine, WriteFailed, decode_line, is_environment_error, writing


def dumps_line(record: Any) -> str:
    """One deterministic JSON line (keys in insertion order, UTF-8 kept readable)."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


ARTIFACT_MODE = 0o644  # mkstemp creates 0600 files; artifacts are meant to be shared


def _temp_beside(path: Path) -> tuple[int, str]:
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, ARTIFACT_MODE)
    except BaseException:
        os.close(fd)
        Path(tmp).unlink(missing_ok=True)
        raise
    return fd, tmp


def temp_path_beside(path: str | os.PathLike) -> Path:
    """An empty temp file next to ``path`` (same filesystem), for writers that rename it into place."""
    fd, tmp = _temp_beside(Path(path))
    os.close(fd)
    return Path(tmp)


@contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO[Any]]:
    """Open a temp file beside ``path``; on a clean exit it is synced and renamed onto ``path``,
    on an error it is removed and ``path`` keeps its old content.

    A full disk or a read-only folder raises :class:`WriteFailed` naming ``path``.
    """
    path = Path(path)
    fd, tmp = _temp_beside(path)
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8") as handle:
            try:
                yield handle
            except OSError as exc:
                # a write to ``handle`` that the disk refused carries no file name: name ``path``
                if exc.filename is None and is_environment_error(exc):
                    raise WriteFailed(path, exc) from exc
                raise
            with writing(path):
                handle.flush()
                os.fsync(handle.fileno())
        with writing(path):
            os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temp file in the same folder and an atomic rename."""
    with atomic_open(path, "wb") as handle:
        handle.write(data)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Atomically write UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, obj: Any, indent: int | None = 2) -> None:
    """Atomically write a JSON document (UTF-8, trailing newline)."""
    atomic_write_text(path, json.dumps(obj, ensure_ascii=False, indent=indent) + "\n")


def atomic_write_jsonl(path: str | os.PathLike, records: Iterable[Any]) -> int:
    """Atomically write records as JSON lines; returns the number of lines written."""
    count = 0
    with atomic_open(path, "w") as handle:
        for record in records:
            handle.write(dumps_line(record) + "\n")
            count += 1
    return count


def append_jsonl(path: str | os.PathLike, record: Any) -> None:
    """Append one complete JSON line and flush it to disk."""
    path = Path(path)
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(dumps_line(record) + "\n")
            handle.flush()
            os.fsync(handle.fileno())


def read_jsonl(path: str | os.PathLike, *, skip_torn_tail: bool = True) -> Iterator[Any]:
    """Yield the JSON objects of a JSONL file.

    A last line without its newline is what a killed append leaves; it is skipped when
    ``skip_torn_tail`` is set (the writer will append it again), otherwise it raises. A line that
    cannot be read (not UTF-8, not JSON) raises :class:`UnreadableLine` naming the file and line.
    """
    path = Path(path)
    if not path.exists():
        return
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.endswith(b"\n"):
                if skip_torn_tail:
                    return
                raise UnreadableLine(f"{path}:{number}: line is not terminated")
            line = decode_line(raw, path, number)
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                if skip_torn_tail and not handle.readline():
                    return
                raise UnreadableLine(f"{path}:{number}: invalid JSON: {exc.msg}") from exc


def repair_jsonl_tail(path: str | os.PathLike) -> None:
    """Cut a torn last line (no newline) off an append-only file before appending again."""
    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        return
    with open(path, "rb+") as handle:
        data = handle.read()
        if data.endswith(b"\n"):
            return
        cut = data.rfind(b"\n") + 1
        handle.truncate(cut)
