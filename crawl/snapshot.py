"""The snapshot directory: a Hub state on disk, served by the mirror and written by ``--record``.

Layout (one folder per dataset; ``org/name`` ids nest one level)::

    SNAPSHOT/
      hub.json        {"origin": "https://huggingface.co"}: the Hub the snapshot was taken from
                      (optional). A mirror serving the snapshot names it in the ``X-Hub-Origin``
                      header of every answer, so records link to that Hub's public pages
                      whatever address the mirror listens on.
      datasets/<repo id>/
        api.json      the Hub API item, as ``GET /api/datasets/{id}?full=true`` returns it
                      (id, _id, author, sha, createdAt, lastModified, private, gated, disabled,
                      downloads, likes, tags, cardData, siblings, description, citation)
        files/<name>  raw repository files at ``sha`` (README.md, ...), bytes as served
        viewer.json   the dataset viewer's view of the dataset:
                      {"is_valid": {"preview","viewer","search","filter","statistics"},
                       "error": null | {"status": 500, "code": "ResponseNotReady", "message": "...",
                                        "times": N (optional)},
                       "splits": [{"config", "split"}, ...],
                       "configs": {config: {split: {"features": [{"feature_idx","name","type"}],
                                                     "rows": [{field: value}, ...],
                                                     "num_rows_total": N,
                                                     "error": {...} (optional, same shape)}}}}

Reads follow a symbolic link only when it resolves inside its own folder (a dataset's ``files/``,
``blobs/``, ``commits/``; the dataset's folder inside the snapshot): any other link reads as
missing. Writes and deletions never go through a link (:class:`crawl.safe_paths.UnsafePath`).

A dataset without ``viewer.json`` has no viewer (the viewer answers 404). An ``error`` makes
every viewer route of the dataset (or, on a split, that split's rows) answer it, e.g. a permanent
``500 ConfigNamesError``; with ``times`` only the first N requests get it (a viewer that finishes
computing), then the view is served. The mirror pages the listing and the rows itself; the
snapshot stores whole objects only.

Commits made through the mirror and git tags add three optional entries beside ``api.json``
(absent in recorded snapshots; then only the current ``sha`` can be served)::

        refs.json            {"tags": {name: {"commit": sha, "message": str, "createdAt": str}}}
        commits/<sha>.json   one commit's state: {"parent": sha | null, "files": {name: blob id},
                             "item": {"sha", "lastModified", "siblings", "tags"[, "cardData"]}}
        blobs/<blob id>      file contents by git blob id, shared by every commit that holds them
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crawl.artifacts import atomic_write_bytes, atomic_write_json
from crawl.safe_paths import check_no_links, regular_files, resolves_inside, resolves_nested

ORIGIN_FILE = "hub.json"
# Sent by a mirror with every answer: the public Hub its snapshot was taken from.
ORIGIN_HEADER = "X-Hub-Origin"
# The Hub's repo id grammar: an optional namespace and a name, each [\w.-] without '..' or
# leading/trailing '.'/'-'; anything else (path tricks included) is refused before touching disk.
_PART = r"(?!.*\.\.)[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?"
# ``\Z``, not ``$``: ``$`` also matches before a trailing newline, and "name\n" is no Hub name.
REPO_ID_RE = re.compile(rf"^(?:{_PART}/)?{_PART}\Z")
# Segments of [\w.-] joined by single slashes; no "..", no "." segment, no leading or trailing "/".
_FILENAME_RE = re.compile(r"^(?!.*\.\.)(?!(?:.*/)?\.(?:/|\Z))[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)*\Z")
_OBJECT_ID_RE = re.compile(r"^[0-9a-f]{40}\Z")


class InvalidRepoId(ValueError):
    """A repo id that the Hub would not accept (``..``, extra slashes, odd characters)."""


def validate_repo_id(repo_id: str) -> str:
    """Return ``repo_id`` if it is a well-formed Hub id, else raise :class:`InvalidRepoId`."""
    if not isinstance(repo_id, str) or not REPO_ID_RE.match(repo_id):
        raise InvalidRepoId(f"invalid repo id: {repo_id!r}")
    return repo_id


def validate_filename(name: str) -> str:
    """Return a repository file path if it stays inside the repository, else raise ValueError."""
    if not isinstance(name, str) or len(name) > 255 or not _FILENAME_RE.match(name):
        raise ValueError(f"invalid file name: {name!r}")
    return name


def valid_origin(origin: object) -> str | None:
    """``origin`` without a trailing slash if it is an http(s) URL with a host, else None."""
    if not isinstance(origin, str) or not re.fullmatch(r"https?://[A-Za-z0-9.-]+(?::\d{1,5})?/?", origin):
        return None
    return origin.rstrip("/")


@dataclass
class SnapshotDataset:
    """One dataset of a snapshot: its API item, raw files and viewer view."""

    api: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    viewer: dict[str, Any] | None = None

    @property
    def repo_id(self) -> str:
        return self.api["id"]


class Snapshot:
    """Read and write a snapshot directory (see the module docstring for the layout)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def dataset_dir(self, repo_id: str) -> Path:
        return self.root / "datasets" / validate_repo_id(repo_id)

    def _read_path(self, repo_id: str, *parts: str) -> Path | None:
        """A dataset entry's path if it is a regular file that resolves inside its own folder
        (``files/``, ``blobs/``...; the dataset's folder inside the snapshot), else None."""
        folder = self.dataset_dir(repo_id)
        path = folder.joinpath(*parts)
        chain = [self.root, folder, *([folder / parts[0]] if len(parts) > 1 else []), path]
        if not resolves_nested(chain):
            return None
        return path if path.is_file() else None

    def _write_path(self, path: Path) -> Path:
        """``path`` once no entry on the way from the snapshot root to it is a link."""
        check_no_links(self.root, path)
        return path

    def repo_ids(self) -> list[str]:
        """Every dataset id in the snapshot, sorted."""
        base = self.root / "datasets"
        if not base.is_dir():
            return []
        ids: list[str] = []
        for namespace in _subfolders(base):
            if (namespace / "api.json").is_file():
                ids.append(namespace.name)  # an id without a namespace: its folders are its own
                continue
            ids.extend(
                f"{namespace.name}/{d.name}" for d in _subfolders(namespace) if (d / "api.json").is_file()
            )
        return sorted(i for i in ids if REPO_ID_RE.match(i))

    def load_api(self, repo_id: str) -> dict[str, Any] | None:
        path = self._read_path(repo_id, "api.json")
        return None if path is None else json.loads(path.read_text(encoding="utf-8"))

    def load_file(self, repo_id: str, filename: str) -> bytes | None:
        path = self._read_path(repo_id, "files", *validate_filename(filename).split("/"))
        return None if path is None else path.read_bytes()

    def file_names(self, repo_id: str) -> list[str]:
        """The dataset's repository files, sorted: every name :meth:`load_file` serves."""
        folder = self.dataset_dir(repo_id)
        files_dir = folder / "files"
        inside = resolves_nested([self.root, folder, files_dir])
        return regular_files(files_dir) if inside and files_dir.is_dir() else []

    def delete_file(self, repo_id: str, filename: str) -> None:
        """Remove a repository file (never through a link), and the folders it leaves empty."""
        files_dir = self.dataset_dir(repo_id) / "files"
        path = self._write_path(files_dir / validate_filename(filename))
        path.unlink()
        self._prune(files_dir, path.parent)

    def delete_folder(self, repo_id: str, folder: str) -> None:
        """Remove a folder of repository files (never through a link), and the folders it leaves empty."""
        files_dir = self.dataset_dir(repo_id) / "files"
        path = self._write_path(files_dir / validate_filename(folder))
        shutil.rmtree(path)  # rmtree unlinks the links it finds inside, never follows them
        self._prune(files_dir, path.parent)

    @staticmethod
    def _prune(files_dir: Path, folder: Path) -> None:
        # git keeps no empty folders; one left behind would block a later file of the same name
        while folder != files_dir and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent

    def load_viewer(self, repo_id: str) -> dict[str, Any] | None:
        path = self._read_path(repo_id, "viewer.json")
        return None if path is None else json.loads(path.read_text(encoding="utf-8"))

    def load_origin(self) -> str | None:
        """The Hub this snapshot was taken from (``https://huggingface.co``), or None if unrecorded."""
        path = self.root / ORIGIN_FILE
        if not (resolves_inside(path, self.root) and path.is_file()):
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            return None
        return valid_origin(data.get("origin")) if isinstance(data, dict) else None

    def write_origin(self, origin: str) -> None:
        atomic_write_json(self._write_path(self.root / ORIGIN_FILE), {"origin": origin.rstrip("/")})

    def load_refs(self, repo_id: str) -> dict[str, Any]:
        """The dataset's git refs beyond ``main``: ``{"tags": {...}}`` (empty when none were made)."""
        path = self._read_path(repo_id, "refs.json")
        refs = json.loads(path.read_text(encoding="utf-8")) if path is not None else {}
        return {"tags": dict(refs.get("tags") or {})}

    def write_refs(self, repo_id: str, refs: dict[str, Any]) -> None:
        atomic_write_json(self._write_path(self.dataset_dir(repo_id) / "refs.json"), refs)

    @staticmethod
    def _object_name(object_id: str, suffix: str = "") -> str:
        if not isinstance(object_id, str) or not _OBJECT_ID_RE.match(object_id):
            raise ValueError(f"invalid object id: {object_id!r}")
        return f"{object_id}{suffix}"

    def load_commit(self, repo_id: str, sha: str) -> dict[str, Any] | None:
        """A recorded commit's state (files by blob id, API item keys), or None."""
        try:
            path = self._read_path(repo_id, "commits", self._object_name(sha, ".json"))
        except ValueError:
            return None
        return json.loads(path.read_text(encoding="utf-8")) if path is not None else None

    def write_commit(self, repo_id: str, sha: str, record: dict[str, Any]) -> None:
        path = self.dataset_dir(repo_id) / "commits" / self._object_name(sha, ".json")
        atomic_write_json(self._write_path(path), record)

    def load_blob(self, repo_id: str, blob_id: str) -> bytes | None:
        path = self._read_path(repo_id, "blobs", self._object_name(blob_id))
        return path.read_bytes() if path is not None else None

    def write_blob(self, repo_id: str, blob_id: str, data: bytes) -> None:
        """Keep a file's contents under its blob id (once: blobs never change)."""
        path = self._write_path(self.dataset_dir(repo_id) / "blobs" / self._object_name(blob_id))
        if not path.is_file():
            atomic_write_bytes(path, data)

    def iter_datasets(self) -> Iterator[SnapshotDataset]:
        for repo_id in self.repo_ids():
            api = self.load_api(repo_id)
            if api is None:
                continue
            files_dir = self.dataset_dir(repo_id) / "files"
            files = {name: (files_dir / name).read_bytes() for name in self.file_names(repo_id)}
            yield SnapshotDataset(api=api, files=files, viewer=self.load_viewer(repo_id))

    def write_api(self, repo_id: str, api: dict[str, Any]) -> None:
        atomic_write_json(self._write_path(self.dataset_dir(repo_id) / "api.json"), api)

    def write_file(self, repo_id: str, filename: str, data: bytes) -> None:
        path = self.dataset_dir(repo_id) / "files" / validate_filename(filename)
        atomic_write_bytes(self._write_path(path), data)

    def write_viewer(self, repo_id: str, viewer: dict[str, Any]) -> None:
        atomic_write_json(self._write_path(self.dataset_dir(repo_id) / "viewer.json"), viewer)

    def write_dataset(self, dataset: SnapshotDataset) -> None:
        """Write a whole dataset (API item, files, viewer view)."""
        self.write_api(dataset.repo_id, dataset.api)
        for name, data in dataset.files.items():
            self.write_file(dataset.repo_id, name, data)
        if dataset.viewer is not None:
            self.write_viewer(dataset.repo_id, dataset.viewer)


def _subfolders(folder: Path) -> list[Path]:
    """The folders directly in ``folder`` (ids are one or two levels deep: no deeper walk)."""
    with os.scandir(folder) as entries:
        return [Path(entry.path) for entry in entries if entry.is_dir()]
