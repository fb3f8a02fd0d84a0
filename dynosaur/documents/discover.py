"""Finding the documents under an input folder: a sorted walk, so every run sees the same order."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FoundFile:
    """A file under the input folder; ``skip`` is a reason when it is not to be read."""

    relpath: str  # POSIX path relative to the input folder: the records' ``source_file``
    path: Path
    skip: str | None = None


def find_documents(input_dir: str | Path, exclude: tuple[Path, ...] = ()) -> list[FoundFile]:
    """Every file below ``input_dir`` in sorted path order.

    Hidden files and folders (a leading dot) and symlinked folders are listed with a skip
    reason rather than read. Paths in ``exclude`` (the run's own output folder and cache, when
    they sit inside the input folder) are left out entirely.
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
            found.append(FoundFile(_rel(path, root), path, "hidden file" if name.startswith(".") else None))
    return sorted(found, key=lambda item: item.relpath)


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()
