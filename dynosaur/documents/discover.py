"""Finding the documents under an input folder: a sorted walk, so every run sees the same order."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FoundFile:
    """A file under the input folder; ``skip`` is a reason when it is not to be read."""

    relpath: str  # POSIX path relative to the input folder: the records' ``source_file``
    path: Path
    skip: str | None = None
    detail: str = ""


def find_documents(input_dir: str | Path, exclude: tuple[Path, ...] = ()) -> list[FoundFile]:
    """Every file below ``input_dir`` in sorted path order.

    Hidden files and folders (a leading dot), symlinked folders, anything that is not a regular
    file (a FIFO, a socket, a device) and symlinks that lead outside the folder, nowhere, or to
    something other than a regular file are listed with a skip reason rather than read; none of
    them is opened. Paths in ``exclude`` (the run's own output folder and cache, when they sit
    inside the input folder) are left out entirely.
    """
    root = Path(input_dir).resolve()
    excluded = {Path(p).resolve() for p in exclude}
    found: list[FoundFile] = []
    for current, dirnames, filenames in os.walk(root):
        base = Path(current)
        keep = []
        for name in sorted(dirnames):
            path = base / name
            if path in excluded:
                continue
            if name.startswith("."):
                found.append(FoundFile(_rel(path, root) + "/", path, "hidden folder"))
            elif path.is_symlink():
                found.append(FoundFile(_rel(path, root) + "/", path, "symlinked folder not followed"))
            else:
                keep.append(name)
        dirnames[:] = keep
        for name in filenames:
            path = base / name
            if path in excluded or path.resolve() in excluded:
                continue
            if name.startswith("."):
                found.append(FoundFile(_rel(path, root), path, "hidden file"))
                continue
            skip, detail = _entry_skip(path, root)
            found.append(FoundFile(_rel(path, root), path, skip, detail))
    return sorted(found, key=lambda item: item.relpath)


def _entry_skip(path: Path, root: Path) -> tuple[str | None, str]:
    """Why ``path`` is not to be read (reason, detail), or ``(None, "")``; found by ``lstat`` only."""
    try:
        mode = path.lstat().st_mode
    except OSError as exc:
        return "unreadable file", f"{type(exc).__name__}: {exc.strerror or exc}"
    if not stat.S_ISLNK(mode):
        return (None, "") if stat.S_ISREG(mode) else ("not a regular file", file_kind(mode))
    try:
        target = path.resolve(strict=True)
        target_mode = target.stat().st_mode
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop on older Pythons
        return "broken symlink", "its target does not exist"
    if not target.is_relative_to(root):
        return "symlink outside the input folder", "its target is not below the input folder"
    if not stat.S_ISREG(target_mode):
        return "not a regular file", f"symlink to a {file_kind(target_mode)}"
    return None, ""


def file_kind(mode: int) -> str:
    """What an ``st_mode`` that is not a regular file is, in words (``FIFO``, ``socket``, ...)."""
    kinds = (
        (stat.S_ISFIFO, "FIFO"),
        (stat.S_ISSOCK, "socket"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
        (stat.S_ISDIR, "folder"),
        (stat.S_ISLNK, "symlink"),
    )
    return next((word for test, word in kinds if test(mode)), "special file")


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()
