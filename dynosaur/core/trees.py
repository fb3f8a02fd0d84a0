"""Removing a folder tree only where the project put it.

Every ``rmtree`` of a release goes through :func:`remove_tree`, which refuses a path that does not
resolve to somewhere strictly inside the folder it belongs to, and a symlink (removing one would
follow it, or remove a link the project never made).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from dynosaur.core.errors import DynosaurError


class UnsafeRemoval(DynosaurError, ValueError):
    """A folder removal that would reach outside the folder it must stay in."""


def check_inside(path: Path, root: Path) -> Path:
    """``path`` resolved, if it is strictly inside ``root`` (resolved) and not a symlink itself."""
    if path.is_symlink():
        raise UnsafeRemoval(f"refusing to remove {path}: it is a symbolic link")
    resolved, base = path.resolve(), root.resolve()
    if resolved == base or not resolved.is_relative_to(base):
        raise UnsafeRemoval(f"refusing to remove {path}: it is not inside {root}")
    return resolved


def remove_tree(path: Path, root: Path, *, missing_ok: bool = True) -> None:
    """Remove the folder ``path``, which must lie strictly inside ``root`` (see :func:`check_inside`).

    A missing ``path`` is fine when ``missing_ok``; a file or symlink there is refused, not removed.
    """
    if not path.exists() and not path.is_symlink():
        if missing_ok:
            return
        raise UnsafeRemoval(f"refusing to remove {path}: it does not exist")
    resolved = check_inside(path, root)
    if not resolved.is_dir():
        raise UnsafeRemoval(f"refusing to remove {path}: it is not a folder")
    shutil.rmtree(resolved)
