"""Temp files that a killed run left beside its artifacts, and their removal on the next run.

``atomic_open`` and ``temp_path_beside`` write to ``.<name>.<8 random characters>.tmp`` beside the
artifact and rename it into place; a run killed before the rename (SIGKILL, power loss) leaves
that file behind for good. The next run of the stage that writes ``<name>`` removes such files
when they are stale. No stage locks its folder, so a temp file may belong to a run still going
on: a live writer touches its temp file as it writes, so only one that nobody has written for
``STALE_AFTER_S`` is removed. Nothing else is touched: not another artifact's temp files, not a
name that merely ends in ``.tmp``, not a symlink or a folder.
"""

from __future__ import annotations

import os
import re
import stat
import time
from collections.abc import Iterable
from pathlib import Path

# tempfile.mkstemp names: the prefix, 8 characters of this alphabet, the suffix
_RANDOM_PART = r"[a-z0-9_]{8}"
STALE_AFTER_S = 10 * 60


def temp_pattern(name: str) -> re.Pattern[str]:
    """The names of the temp files written for the artifact ``name`` (see ``atomic_open``)."""
    return re.compile(re.escape(f".{name}.") + _RANDOM_PART + re.escape(".tmp"))


def stale_temps(path: str | os.PathLike, *, older_than: float = STALE_AFTER_S) -> list[Path]:
    """The temp files of the artifact ``path`` that no write has touched for ``older_than`` seconds."""
    path = Path(path)
    pattern = temp_pattern(path.name)
    now = time.time()
    found = []
    try:
        entries = list(os.scandir(path.parent))
    except OSError:  # no folder yet (a first run), or one that cannot be listed
        return []
    for entry in entries:
        if not pattern.fullmatch(entry.name):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode) and now - info.st_mtime >= older_than:
            found.append(Path(entry.path))
    return sorted(found)


def remove_stale_temps(paths: Iterable[str | os.PathLike], *, older_than: float = STALE_AFTER_S) -> int:
    """Remove the stale temp files of every artifact in ``paths``; how many were removed."""
    removed = 0
    for path in paths:
        for temp in stale_temps(path, older_than=older_than):
            try:
                temp.unlink()
            except OSError:  # gone meanwhile, or a folder that cannot be written: leave it be
                continue
            removed += 1
    return removed
