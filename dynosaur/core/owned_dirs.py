"""Folders a command may empty because it made them.

A command that starts each run from a clean folder (``demo``) must never empty a folder the user
pointed it at by mistake. It claims the folder first: a missing or empty folder gets a marker file
(written atomically, so a half-written marker never exists); a folder that already carries the
command's marker is its own from an earlier run. Any other folder is refused, untouched.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Collection
from pathlib import Path

from dynosaur.core.errors import OptionError
from dynosaur.core.io import atomic_write_json

MARKER_FILE = ".dynosaur-folder.json"


def _marker(owner: str) -> dict[str, str]:
    return {"made_by": owner, "note": "this folder is emptied and rewritten on every run"}


def carries_marker(folder: Path, owner: str) -> bool:
    """Whether ``folder`` holds ``owner``'s marker (a regular file, not a link, that says so)."""
    marker = folder / MARKER_FILE
    if marker.is_symlink() or not marker.is_file():
        return False
    try:
        return json.loads(marker.read_text(encoding="utf-8")) == _marker(owner)
    except (OSError, ValueError):
        return False


def claim_folder(folder: Path, owner: str, *, field: str) -> Path:
    """Make ``folder`` ``owner``'s: create it (or take it while empty) and mark it; a folder that
    carries the marker already is taken as it is. Anything else raises an ``OptionError`` on
    ``field`` and is left as it was. Returns the folder."""
    if folder.exists() and not folder.is_dir():
        raise OptionError(field, f"{folder} is not a folder")
    if folder.is_dir():
        if carries_marker(folder, owner):
            return folder
        if any(folder.iterdir()):
            raise OptionError(
                field,
                f"{folder} is not empty and was not made by {owner}, which empties its folder on "
                f"every run: choose a new or empty folder (or remove this one yourself)",
            )
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_json(folder / MARKER_FILE, _marker(owner))
    return folder


def clear_folder(folder: Path, owner: str, *, keep: Collection[str] = ()) -> None:
    """Remove everything in ``folder`` but its marker and the entries named in ``keep``.

    Only a folder that carries ``owner``'s marker is cleared (see :func:`claim_folder`); links in
    it are removed, never followed.
    """
    if not carries_marker(folder, owner):
        raise OptionError("folder", f"{folder} does not carry the marker of {owner}: not cleared")
    for child in folder.iterdir():
        if child.name == MARKER_FILE or child.name in keep:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
