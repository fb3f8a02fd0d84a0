"""Output paths that would overwrite an input, or each other.

Every command that takes file or folder paths checks them with :func:`check_paths` before it
writes anything. Paths are compared resolved (``./a.jsonl`` and ``a.jsonl``, a symlink and its
target are one file) and, where both exist, by device and inode (hard links are one file too).
The names are how the caller's user knows each path: a command passes its options
(``--removed``), a library its fields.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from dynosaur.core.errors import DynosaurError

PathLike = str | os.PathLike[str]
Named = Mapping[str, PathLike | None]


class PathClash(DynosaurError, ValueError):
    """Two paths of one run that must differ name the same file (or one folder holds the other)."""

    def __init__(self, first: str, second: str, message: str) -> None:
        self.names = (first, second)
        super().__init__(message)


def _resolved(path: PathLike) -> Path:
    return Path(path).expanduser().resolve()


def same_file(a: PathLike, b: PathLike) -> bool:
    """Whether ``a`` and ``b`` name one file: equal once resolved, or hard links to one inode."""
    if _resolved(a) == _resolved(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return False


def inside(path: PathLike, folder: PathLike) -> bool:
    """Whether ``path`` is ``folder`` or lies somewhere under it (both resolved)."""
    return _resolved(path).is_relative_to(_resolved(folder))


def _given(named: Named | None) -> list[tuple[str, PathLike]]:
    return [(name, path) for name, path in (named or {}).items() if path is not None and str(path) != ""]


def _pairs(items: list[tuple[str, PathLike]]) -> Iterable[tuple[tuple[str, PathLike], tuple[str, PathLike]]]:
    for i, first in enumerate(items):
        for second in items[i + 1 :]:
            yield first, second


def check_paths(
    *,
    inputs: Named | None = None,
    outputs: Named | None = None,
    input_dirs: Named | None = None,
    output_dirs: Named | None = None,
) -> None:
    """Refuse, with a ``PathClash`` naming both paths, a run whose outputs would overwrite what it
    reads or each other; nothing is written or created here.

    ``inputs``: files read; ``outputs``: files written; ``input_dirs``: folders read with all they
    hold (no output may land in one); ``output_dirs``: folders a run fills and clears on its own
    (none may hold an input, or be, hold or lie in another of these or in an input folder).
    ``None`` paths are skipped.
    """
    ins, outs = _given(inputs), _given(outputs)
    in_dirs, out_dirs = _given(input_dirs), _given(output_dirs)
    for (first, first_path), (second, _) in _pairs(outs):
        if same_file(first_path, _):
            raise PathClash(
                first,
                second,
                f"{first} and {second} are the same file ({first_path}): each output needs its own",
            )
    for out_name, out_path in outs:
        for in_name, in_path in ins:
            if same_file(out_path, in_path):
                raise PathClash(
                    out_name,
                    in_name,
                    f"{out_name} is the same file as {in_name} ({in_path}): writing it would overwrite "
                    "what the run reads; choose another path",
                )
        for dir_name, dir_path in in_dirs:
            if inside(out_path, dir_path):
                raise PathClash(
                    out_name,
                    dir_name,
                    f"{out_name} ({out_path}) is inside {dir_name} ({dir_path}), which the run reads: "
                    "choose a path outside it",
                )
    for dir_name, dir_path in out_dirs:
        for in_name, in_path in ins:
            if inside(in_path, dir_path):
                raise PathClash(
                    dir_name,
                    in_name,
                    f"{dir_name} ({dir_path}) holds {in_name} ({in_path}), which the run reads: "
                    "choose a folder that does not hold it",
                )
    for (first, first_path), (second, second_path) in _pairs([*out_dirs, *in_dirs]):
        if (first, first_path) in in_dirs and (second, second_path) in in_dirs:
            continue  # two folders that are only read may overlap
        if inside(first_path, second_path) or inside(second_path, first_path):
            raise PathClash(
                first,
                second,
                f"{first} ({first_path}) and {second} ({second_path}) must be separate folders, "
                "neither inside the other",
            )
