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
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crawl.artifacts import atomic_write_bytes, atomic_write_json

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

    def repo_ids(self) -> list[str]:
        """Every dataset id in the snapshot, sorted."""
        base = self.root / "datasets"
        if not base.is_dir():
            return []
        ids = [str(p.parent.relative_to(base)) for p in base.rglob("api.json")]
        return sorted(i for i in ids if REPO_ID_RE.match(i))

    def load_api(self, repo_id: str) -> dict[str, Any] | None:
        path = self.dataset_dir(repo_id) / "api.json"
        if not path.is_file():
            return None
        return json.loads(path.read_text(encoding="utf-8"))

    def load_file(self, repo_id: str, filename: str) -> bytes | None:
        path = self.dataset_dir(repo_id) / "files" / validate_filename(filename)
        return path.read_bytes() if path.is_file() else None

    def load_viewer(self, repo_id: str) -> dict[str, Any] | None:
        path = self.dataset_dir(repo_id) / "viewer.json"
        if not path.is_file():
            return None
        return json.loads(path.read_text(encoding="utf-8"))

    def load_origin(self) -> str | None:
        """The Hub this snapshot was taken from (``https://huggingface.co``), or None if unrecorded."""
        path = self.root / ORIGIN_FILE
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            return None
        return valid_origin(data.get("origin")) if isinstance(data, dict) else None

    def write_origin(self, origin: str) -> None:
        atomic_write_json(self.root / ORIGIN_FILE, {"origin": origin.rstrip("/")})

    def load_refs(self, repo_id: str) -> dict[str, Any]:
        """The dataset's git refs beyond ``main``: ``{"tags": {...}}`` (empty when none were made)."""
        path = self.dataset_dir(repo_id) / "refs.json"
        refs = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        return {"tags": dict(refs.get("tags") or {})}

    def write_refs(self, repo_id: str, refs: dict[str, Any]) -> None:
        atomic_write_json(self.dataset_dir(repo_id) / "refs.json", refs)

    def _object_path(self, repo_id: str, kind: str, object_id: str, suffix: str = "") -> Path:
        if not isinstance(object_id, str) or not _OBJECT_ID_RE.match(object_id):
            raise ValueError(f"invalid object id: {object_id!r}")
        return self.dataset_dir(repo_id) / kind / f"{object_id}{suffix}"

    def load_commit(self, repo_id: str, sha: str) -> dict[str, Any] | None:
        """A recorded commit's state (files by blob id, API item keys), or None."""
        try:
            path = self._object_path(repo_id, "commits", sha, ".json")
        except ValueError:
            return None
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    def write_commit(self, repo_id: str, sha: str, record: dict[str, Any]) -> None:
        atomic_write_json(self._object_path(repo_id, "commits", sha, ".json"), record)

    def load_blob(self, repo_id: str, blob_id: str) -> bytes | None:
        path = self._object_path(repo_id, "blobs", blob_id)
        return path.read_bytes() if path.is_file() else None

    def write_blob(self, repo_id: str, blob_id: str, data: bytes) -> None:
        """Keep a file's contents under its blob id (once: blobs never change)."""
        path = self._object_path(repo_id, "blobs", blob_id)
        if not path.is_file():
            atomic_write_bytes(path, data)

    def iter_datasets(self) -> Iterator[SnapshotDataset]:
        for repo_id in self.repo_ids():
            api = self.load_api(repo_id)
            if api is None:
                continue
            files_dir = self.dataset_dir(repo_id) / "files"
            files = (
                {
                    str(p.relative_to(files_dir)): p.read_bytes()
                    for p in sorted(files_dir.rglob("*"))
                    if p.is_file()
                }
                if files_dir.is_dir()
                else {}
            )
            yield SnapshotDataset(api=api, files=files, viewer=self.load_viewer(repo_id))

    def write_api(self, repo_id: str, api: dict[str, Any]) -> None:
        atomic_write_json(self.dataset_dir(repo_id) / "api.json", api)

    def write_file(self, repo_id: str, filename: str, data: bytes) -> None:
        atomic_write_bytes(self.dataset_dir(repo_id) / "files" / validate_filename(filename), data)

    def write_viewer(self, repo_id: str, viewer: dict[str, Any]) -> None:
        atomic_write_json(self.dataset_dir(repo_id) / "viewer.json", viewer)

    def write_dataset(self, dataset: SnapshotDataset) -> None:
        """Write a whole dataset (API item, files, viewer view)."""
        self.write_api(dataset.repo_id, dataset.api)
        for name, data in dataset.files.items():
            self.write_file(dataset.repo_id, name, data)
        if dataset.viewer is not None:
            self.write_viewer(dataset.repo_id, dataset.viewer)
