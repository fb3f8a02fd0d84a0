"""A commit's operations: parsed from the ndjson payload, checked as a whole against the repo's
tree, then applied. A commit that cannot apply entirely is refused before anything is written.

Operations are ``("file", path, content)``, ``("deletedFile", path, b"")`` and
``("deletedFolder", path, b"")``, in payload order (a later one sees what the earlier ones did).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from pathlib import Path
from typing import Any

from crawl.safe_paths import check_no_links
from crawl.snapshot import Snapshot
from hubmirror.routing import HttpError, check_filename, hub_error

Operation = tuple[str, str, bytes]
# Entries of the repo's ``files/`` folder as the commit sees them: "file", "dir", or "link"
# (a symbolic link or anything else no commit may write through, replace or delete).
_FILE, _DIR, _LINK = "file", "dir", "link"


def parse_commit(body: bytes) -> tuple[dict[str, Any], list[Operation]]:
    """The header and the operations of an ndjson commit payload; 400 for a malformed line."""
    header: dict[str, Any] | None = None
    operations: list[Operation] = []
    for number, line in enumerate(body.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            key, value = item["key"], item["value"]
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError):
            raise hub_error(400, f"Invalid commit payload at line {number}") from None
        if key == "header":
            header = value
            continue
        if key == "lfsFile":
            raise hub_error(400, "LFS uploads are not supported by the mirror (preupload answers 'regular')")
        if key not in ("file", "deletedFile", "deletedFolder"):
            raise hub_error(400, f"Unknown commit operation {key!r} at line {number}")
        if not isinstance(value, dict):
            raise hub_error(400, f"Invalid commit payload at line {number}: 'value' must be an object")
        path = value.get("path")
        if key == "file":
            if value.get("encoding") != "base64":
                raise hub_error(400, f"Unsupported file encoding at line {number}")
            try:
                content = base64.b64decode(value.get("content") or "", validate=True)
            except (binascii.Error, ValueError, TypeError):
                raise hub_error(400, f"Invalid base64 content at line {number}") from None
            operations.append(("file", check_filename(path), content))
        else:
            operations.append((key, check_filename(path.rstrip("/") if isinstance(path, str) else path), b""))
    if not isinstance(header, dict) or not str(header.get("summary") or "").strip():
        raise hub_error(400, "Invalid commit payload: a header with a summary is required")
    return header, operations


def _tree(files_dir: Path) -> dict[str, str]:
    """Every entry under ``files_dir`` by ``/``-joined path, links not followed."""
    tree: dict[str, str] = {}
    for current, dirs, files in os.walk(files_dir):
        for name in dirs + files:
            path = Path(current) / name
            key = path.relative_to(files_dir).as_posix()
            if path.is_symlink() or not (path.is_dir() or path.is_file()):
                tree[key] = _LINK
            else:
                tree[key] = _DIR if path.is_dir() else _FILE
    return tree


def _link_refusal(path: str) -> HttpError:
    message = f"{path} is a symbolic link (or no regular file) in the mirror's snapshot; commits do not write through it"
    return hub_error(403, message)


def _prune(tree: dict[str, str], path: str) -> None:
    """Drop the folders above ``path`` that its removal left empty (as ``Snapshot`` does on disk)."""
    parts = path.split("/")[:-1]
    while parts:
        folder = "/".join(parts)
        if tree.get(folder) != _DIR or any(key.startswith(folder + "/") for key in tree):
            return
        del tree[folder]
        parts.pop()


def _add_file(tree: dict[str, str], path: str) -> None:
    parts = path.split("/")
    for level in range(1, len(parts)):
        folder = "/".join(parts[:level])
        kind = tree.setdefault(folder, _DIR)
        if kind == _FILE:
            raise hub_error(
                409, f"Cannot add {path}: {folder} is a file (in the repo or earlier in this commit)"
            )
        if kind == _LINK:
            raise _link_refusal(folder)
    kind = tree.get(path, _FILE)
    if kind == _DIR:
        raise hub_error(
            409, f"Cannot add {path}: a folder with this name exists (in the repo or earlier in this commit)"
        )
    if kind == _LINK:
        raise _link_refusal(path)
    tree[path] = _FILE


def _delete(tree: dict[str, str], kind: str, path: str) -> None:
    parts = path.split("/")
    for level in range(1, len(parts) + 1):
        if tree.get("/".join(parts[:level])) == _LINK:
            raise _link_refusal("/".join(parts[:level]))
    found = tree.get(path)
    if kind == "deletedFile":
        if found != _FILE:
            raise hub_error(404, f"A file with this name doesn't exist: {path}", "EntryNotFound")
        del tree[path]
    else:
        if found != _DIR:
            raise hub_error(404, f"A folder with this name doesn't exist: {path}", "EntryNotFound")
        for key in [key for key in tree if key == path or key.startswith(path + "/")]:
            del tree[key]
    _prune(tree, path)


def check_operations(snapshot: Snapshot, repo_id: str, operations: list[Operation]) -> None:
    """Refuse the commit (an ``HttpError``) unless every operation applies, in order, to the
    repo's files: no file where a folder is needed or the other way round, nothing to delete that
    is missing, no link to write through. Reads only."""
    folder = snapshot.dataset_dir(repo_id)
    for entry in ("files", "api.json", "blobs", "commits"):
        check_no_links(snapshot.root, folder / entry)
    files_dir = folder / "files"
    tree = _tree(files_dir) if files_dir.is_dir() else {}
    for kind, path, _ in operations:
        if kind == "file":
            _add_file(tree, path)
        else:
            _delete(tree, kind, path)


def apply_operations(snapshot: Snapshot, repo_id: str, operations: list[Operation]) -> None:
    """Write the operations that :func:`check_operations` accepted."""
    for kind, path, content in operations:
        if kind == "file":
            snapshot.write_file(repo_id, path, content)
        elif kind == "deletedFile":
            snapshot.delete_file(repo_id, path)
        else:
            snapshot.delete_folder(repo_id, path)
