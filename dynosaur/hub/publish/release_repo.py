"""The dataset repo a release goes to: its head and tags, the head's manifest, the version tags.

Every published version is a git tag of the repo named as the version (``2026.11.21``), so
``load_dataset(repo_id, revision="2026.11.21")`` loads that version whatever came later. The
version is chosen before uploading so that its tag is still free (a second release on the same
day becomes ``2026.11.21.2``), and the tag is made on the commit the upload made. A tag that
cannot be made leaves the commit in place and says how to make it by hand; the next release
makes it too (:func:`open_remote` tags an untagged head with its manifest's version first).
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.hf_api import RepoFile

from dynosaur.contracts.artifacts import MANIFEST_FILE
from dynosaur.contracts.manifest import Manifest, read_manifest

_CHUNK = 1 << 20


def tag_name(version: str) -> str:
    """The git tag of a release version: the version itself (``2026.11.21``)."""
    return version


@dataclass
class RepoRefs:
    """The repo's ``main`` head (None for a repo that does not exist yet) and its tags."""

    head: str | None = None
    tags: dict[str, str] = field(default_factory=dict)  # tag name -> commit sha


def read_refs(api: HfApi, repo_id: str) -> RepoRefs:
    """The dataset repo's head and tags (empty for a repo that does not exist yet)."""
    try:
        refs = api.list_repo_refs(repo_id, repo_type="dataset")
    except RepositoryNotFoundError:
        return RepoRefs()
    head = next((branch.target_commit for branch in refs.branches if branch.name == "main"), None)
    return RepoRefs(head, {tag.name: tag.target_commit for tag in refs.tags})


@dataclass(frozen=True)
class TagResult:
    """What became of one release tag: ``created``, ``exists`` (already on the commit) or ``failed``.

    A stage report: ``to_json()`` for ``grow_report.json``, ``render()`` for the summary line.
    """

    name: str
    commit: str
    status: str
    error: str = ""
    repo_id: str = ""  # the dataset repo the tag is in (named in a failure's how-to)

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "commit": self.commit, "status": self.status, "error": self.error}

    def render(self) -> str:
        """One summary line; a failure says how to make the tag by hand."""
        if self.status == "created":
            return f"tagged  {self.name} on {self.commit[:12]}"
        if self.status == "exists":
            return f"tagged  {self.name} (already on {self.commit[:12]})"
        return (
            f"tag {self.name} FAILED: {self.error}. Commit {self.commit[:12]} is uploaded but untagged; "
            f"the next publish or grow tags it, or run `hf repos tag create {self.repo_id} {self.name} "
            f"--revision {self.commit} --repo-type dataset`"
        )


def tag_release(
    api: HfApi, repo_id: str, version: str, commit: str, refs: RepoRefs, message: str
) -> TagResult:
    """Tag ``commit`` with the version's tag (and note it in ``refs``); a refusal or a network
    error comes back as a ``failed`` result, since the commit it would tag is already made."""
    name = tag_name(version)
    tagged = refs.tags.get(name)
    if tagged == commit:
        return TagResult(name, commit, "exists", repo_id=repo_id)
    if tagged is not None:
        return TagResult(name, commit, "failed", f"the tag already names commit {tagged[:12]}", repo_id)
    try:
        api.create_tag(repo_id, tag=name, revision=commit, repo_type="dataset", tag_message=message)
    except HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "?"
        reason = (exc.server_message or str(exc).splitlines()[0]).strip()
        return TagResult(name, commit, "failed", f"the Hub answered {status}: {reason}", repo_id)
    except (httpx.HTTPError, OSError) as exc:
        return TagResult(name, commit, "failed", f"{type(exc).__name__}: {exc}", repo_id)
    refs.tags[name] = commit
    return TagResult(name, commit, "created", repo_id=repo_id)


def file_digest(path: Path, *, lfs: bool) -> str:
    """What the Hub lists for a file: its git blob id, or for an LFS file the sha256 of its content."""
    digest = hashlib.sha256() if lfs else hashlib.sha1(b"blob %d\0" % path.stat().st_size)
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _same_files(api: HfApi, repo_id: str, revision: str, folder: Path, files: list[str]) -> bool:
    """Whether ``revision`` holds exactly the release files of ``folder`` (and no other shards)."""
    remote = {
        entry.path: (entry.lfs.sha256, True) if entry.lfs else (entry.blob_id, False)
        for entry in api.list_repo_tree(repo_id, repo_type="dataset", revision=revision, recursive=True)
        if isinstance(entry, RepoFile)
    }
    if any(p.startswith("data/") and p.endswith(".parquet") and p not in files for p in remote):
        return False
    return all(
        path in remote and remote[path][0] == file_digest(folder / path, lfs=remote[path][1])
        for path in files
    )


def tag_holds_other_files(
    api: HfApi, repo_id: str, refs: RepoRefs, version: str, folder: Path, files: list[str]
) -> str | None:
    """Why ``version`` cannot be released from ``folder``, or None when it can.

    It can when its tag is free, or when the tag is on the head and the head already holds
    exactly these files (a rerun: nothing is uploaded and the tag stays right).
    """
    tagged = refs.tags.get(tag_name(version))
    if tagged is None or (tagged == refs.head and _same_files(api, repo_id, tagged, folder, files)):
        return None
    return (
        f"version {version} is already the tag of commit {tagged[:12]}, which holds other files: "
        "leave out `version` to take the next free version, or choose another"
    )


def tag_message(manifest: Manifest) -> str:
    """The commit and tag message of a release."""
    return f"Dynosaur {manifest.version}: {manifest.records} records from {manifest.tasks} tasks"


def remote_manifest(api: HfApi, repo_id: str, revision: str | None = None) -> Manifest | None:
    """The manifest of the repo's current version (or at ``revision``), ``None`` for a new or empty repo."""
    with tempfile.TemporaryDirectory(prefix="dynosaur-manifest-") as tmp:
        try:
            path = hf_hub_download(
                repo_id,
                MANIFEST_FILE,
                repo_type="dataset",
                revision=revision,
                endpoint=api.endpoint,
                token=api.token,
                local_dir=tmp,
            )
        except (EntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError):
            return None
        return read_manifest(Path(path))


@dataclass
class RemoteState:
    """The repo as a release finds it: head and tags, the head's manifest, and whether the head
    had to be tagged first (``head_tag``: an earlier run's tag failed, or it predates tags)."""

    refs: RepoRefs
    manifest: Manifest | None
    head_tag: TagResult | None = None


def open_remote(api: HfApi, repo_id: str) -> RemoteState:
    """Read the repo's refs and head manifest; tag the head with its version if it has no tag."""
    refs = read_refs(api, repo_id)
    manifest = remote_manifest(api, repo_id, refs.head) if refs.head else None
    head_tag = None
    if manifest is not None and refs.head and tag_name(manifest.version) not in refs.tags:
        head_tag = tag_release(api, repo_id, manifest.version, refs.head, refs, tag_message(manifest))
    return RemoteState(refs, manifest, head_tag)
