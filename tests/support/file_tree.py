"""Every file under a folder with its digest, to show a refused run changed nothing."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def tree_digest(root: Path) -> dict[str, str]:
    """``{relative path: sha256}`` of every file under ``root``; a symlink maps to its target and a
    folder to ``"dir"``, so a removed empty folder or a re-pointed link shows too. Links are not
    followed."""
    digests: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            key = str(path.relative_to(root))
            if path.is_symlink():
                digests[key] = f"link:{os.readlink(path)}"
            elif path.is_dir():
                digests[key] = "dir"
            else:
                digests[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests
