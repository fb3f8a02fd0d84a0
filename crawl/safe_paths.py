"""Paths that stay inside their folder: reads that resolve inside it, writes that follow no link.

A snapshot directory can come from anywhere; a symbolic link in it must not make the mirror serve
``/etc/passwd`` or write (or delete) outside the snapshot.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


class UnsafePath(ValueError):
    """A path that would write or delete through a symbolic link."""


def resolves_inside(path: Path, base: Path) -> bool:
    """Whether ``path``, every link followed, is ``base`` or inside it (``base`` resolved too)."""
    return resolves_nested([base, path])


def resolves_nested(chain: list[Path]) -> bool:
    """Whether each path of ``chain``, every link followed, is the one before it or inside it.

    Each path is resolved once (a snapshot read checks root, dataset folder and file: three
    resolutions, not a pair of them per step). A link loop is never inside anything.
    """
    try:
        real = [_resolved(path) for path in chain]
    except OSError:  # a link loop
        return False
    return all(_is_within(inner, outer) for outer, inner in zip(real, real[1:], strict=False))


def _resolved(path: Path) -> str:
    """``path`` with every link followed, as ``Path.resolve`` gives it; a link loop raises."""
    real = os.path.realpath(path)
    try:
        os.stat(real)  # realpath leaves a loop unresolved; only stat notices it
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise
    return real


def _is_within(path: str, base: str) -> bool:
    return path == base or path.startswith(base if base.endswith(os.sep) else base + os.sep)


def check_no_links(root: Path, path: Path) -> None:
    """Raise :class:`UnsafePath` if an entry between ``root`` (not included) and ``path``
    (included) is a symbolic link; ``path`` lies lexically under ``root``."""
    current = root
    for part in path.relative_to(root).parts:
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except (FileNotFoundError, NotADirectoryError):
            return  # nothing below exists yet: the write creates real folders
        if stat.S_ISLNK(mode):
            where = current.relative_to(root)
            raise UnsafePath(
                f"{where} is a symbolic link in the snapshot; the mirror does not write through links"
            )


def regular_files(folder: Path) -> list[str]:
    """The files under ``folder`` (``/``-joined, sorted) that resolve inside it to regular files;
    linked folders are not entered."""
    names: list[str] = []
    for current, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(current) / name
            if resolves_inside(path, folder) and path.is_file():
                names.append(path.relative_to(folder).as_posix())
    return sorted(names)
