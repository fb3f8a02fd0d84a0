"""Tags on the local Hub mirror, through the real huggingface_hub client: create, list, read back."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi, hf_hub_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from crawl.snapshot import Snapshot
from hubmirror import MirrorServer

TOKEN = "hf_refs_token_not_kept"


@pytest.fixture
def mirror(tmp_path):
    with MirrorServer(tmp_path / "hub") as server:
        yield server


def api(mirror: MirrorServer, token: str | bool = TOKEN) -> HfApi:
    return HfApi(endpoint=mirror.url, token=token)


def put(mirror: MirrorServer, files: dict[str, str], repo_id: str = "me/notes", **repo: object) -> str:
    """Create the repo if needed and commit ``files``; the new commit's sha."""
    client = api(mirror)
    client.create_repo(repo_id, repo_type="dataset", exist_ok=True, **repo)
    operations = [CommitOperationAdd(name, text.encode()) for name, text in files.items()]
    return client.create_commit(repo_id, operations, repo_type="dataset", commit_message="update").oid


def read(mirror: MirrorServer, name: str, revision: str, tmp_path: Path, token: str | bool = TOKEN) -> str:
    path = hf_hub_download(
        "me/notes",
        name,
        repo_type="dataset",
        revision=revision,
        endpoint=mirror.url,
        token=token,
        cache_dir=str(tmp_path / "hf-cache"),
    )
    return Path(path).read_text()


def test_a_tag_names_the_commit_it_was_made_on_and_is_listed(mirror):
    first = put(mirror, {"README.md": "# v1\n"})
    client = api(mirror)
    client.create_tag("me/notes", tag="v1", revision=first, repo_type="dataset", tag_message="first")
    second = put(mirror, {"README.md": "# v2\n"})
    client.create_tag("me/notes", tag="v2", repo_type="dataset")  # main: the head
    refs = client.list_repo_refs("me/notes", repo_type="dataset")
    assert [(b.name, b.ref, b.target_commit) for b in refs.branches] == [("main", "refs/heads/main", second)]
    assert [(t.name, t.ref, t.target_commit) for t in refs.tags] == [
        ("v1", "refs/tags/v1", first),
        ("v2", "refs/tags/v2", second),
    ]
    assert refs.converts == []
    assert (
        client.list_repo_refs("me/notes", repo_type="dataset", include_pull_requests=True).pull_requests == []
    )


def test_files_at_a_tag_stay_as_they_were_when_later_commits_change_them(mirror, tmp_path):
    first = put(mirror, {"README.md": "# v1\n", "old.txt": "kept at v1\n"})
    client = api(mirror)
    client.create_tag("me/notes", tag="2026.11.21", revision=first, repo_type="dataset")
    client.delete_file("old.txt", "me/notes", repo_type="dataset")
    head = put(mirror, {"README.md": "# v2\n", "new.txt": "only later\n"})

    assert read(mirror, "README.md", "2026.11.21", tmp_path) == "# v1\n"
    assert read(mirror, "old.txt", "2026.11.21", tmp_path) == "kept at v1\n"
    assert read(mirror, "README.md", first, tmp_path) == "# v1\n"  # the sha itself works too
    assert read(mirror, "README.md", "main", tmp_path) == "# v2\n"
    with pytest.raises(EntryNotFoundError):
        read(mirror, "new.txt", "2026.11.21", tmp_path)
    with pytest.raises(EntryNotFoundError):
        read(mirror, "old.txt", "main", tmp_path)

    head_answer = httpx.head(f"{mirror.url}/datasets/me/notes/resolve/2026.11.21/README.md")
    assert head_answer.headers["X-Repo-Commit"] == first
    at_tag = client.dataset_info("me/notes", revision="2026.11.21")
    assert at_tag.sha == first
    assert sorted(s.rfilename for s in at_tag.siblings) == [".gitattributes", "README.md", "old.txt"]
    assert client.dataset_info("me/notes").sha == head
    assert client.list_repo_files("me/notes", repo_type="dataset", revision="2026.11.21") == [
        ".gitattributes",
        "README.md",
        "old.txt",
    ]


def test_an_existing_tag_answers_409_and_is_not_moved(mirror):
    first = put(mirror, {"README.md": "# v1\n"})
    client = api(mirror)
    client.create_tag("me/notes", tag="v1", revision=first, repo_type="dataset")
    put(mirror, {"README.md": "# v2\n"})
    with pytest.raises(HfHubHTTPError) as caught:
        client.create_tag("me/notes", tag="v1", repo_type="dataset")
    assert caught.value.response.status_code == 409
    assert "Tag 'v1' already exists" in str(caught.value)
    client.create_tag("me/notes", tag="v1", repo_type="dataset", exist_ok=True)
    assert [t.target_commit for t in client.list_repo_refs("me/notes", repo_type="dataset").tags] == [first]


def test_tag_requests_the_hub_would_refuse_are_refused(mirror):
    put(mirror, {"README.md": "# v1\n"})
    client = api(mirror)
    with pytest.raises(RevisionNotFoundError):
        client.create_tag("me/notes", tag="v1", revision="0" * 40, repo_type="dataset")
    with pytest.raises(RepositoryNotFoundError):
        client.create_tag("me/missing", tag="v1", repo_type="dataset")
    for bad in ("../x", "-x", "a..b", "x.lock", "x/", "", "a b"):
        answer = httpx.post(
            f"{mirror.url}/api/datasets/me/notes/tag/main",
            json={"tag": bad},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert answer.status_code == 400, bad
    anonymous = httpx.post(f"{mirror.url}/api/datasets/me/notes/tag/main", json={"tag": "v1"})
    assert anonymous.status_code == 401
    assert client.list_repo_refs("me/notes", repo_type="dataset").tags == []


def test_private_and_gated_repos_keep_their_rules_at_a_tag(mirror, tmp_path):
    put(mirror, {"README.md": "# secret\n"}, private=True)
    client = api(mirror)
    client.create_tag("me/notes", tag="v1", repo_type="dataset")
    with pytest.raises(RepositoryNotFoundError):
        api(mirror, token=False).list_repo_refs("me/notes", repo_type="dataset")
    with pytest.raises(RepositoryNotFoundError):
        read(mirror, "README.md", "v1", tmp_path, token=False)
    assert read(mirror, "README.md", "v1", tmp_path) == "# secret\n"

    snapshot = Snapshot(mirror.snapshot_dir)
    item = snapshot.load_api("me/notes")
    snapshot.write_api("me/notes", {**item, "private": False, "gated": "manual"})
    mirror.invalidate()
    put(mirror, {"README.md": "# later\n"})
    with pytest.raises(GatedRepoError):
        read(mirror, "README.md", "v1", tmp_path / "anon", token=False)


def test_tags_and_history_survive_a_new_mirror_on_the_same_snapshot(tmp_path):
    with MirrorServer(tmp_path / "hub") as first_mirror:
        first = put(first_mirror, {"README.md": "# v1\n"})
        api(first_mirror).create_tag("me/notes", tag="v1", repo_type="dataset")
        put(first_mirror, {"README.md": "# v2\n"})
    with MirrorServer(tmp_path / "hub") as second_mirror:
        refs = api(second_mirror).list_repo_refs("me/notes", repo_type="dataset")
        assert [(t.name, t.target_commit) for t in refs.tags] == [("v1", first)]
        assert read(second_mirror, "README.md", "v1", tmp_path) == "# v1\n"
    stored = json.loads((tmp_path / "hub" / "datasets" / "me" / "notes" / "refs.json").read_text())
    assert stored["tags"]["v1"]["commit"] == first


def test_unknown_revisions_are_still_refused(mirror, tmp_path):
    put(mirror, {"README.md": "# v1\n"})
    with pytest.raises(RevisionNotFoundError):
        read(mirror, "README.md", "no-such-tag", tmp_path)
    with pytest.raises(RevisionNotFoundError):
        api(mirror).dataset_info("me/notes", revision="f" * 40)


def _refused_for(method: Callable[..., Any], name: str | None = None) -> Callable[..., Any]:
    """``method`` of Snapshot, failing as a full disk does (for the file ``name`` only, if given)."""

    def refused(self: Snapshot, repo_id: str, *args: Any) -> Any:
        if name is None or args[0] == name:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return method(self, repo_id, *args)

    return refused


@pytest.mark.parametrize(
    ("step", "name"),
    [("write_file", "new.txt"), ("write_blob", None), ("write_commit", None), ("write_api", None)],
)
def test_a_commit_the_disk_refuses_midway_leaves_the_repo_at_its_head(
    mirror, tmp_path, monkeypatch, step, name
):
    first = put(mirror, {"README.md": "# v1\n", "data/a.txt": "a\n", "data/b.txt": "b\n"})
    snapshot = Snapshot(tmp_path / "hub")

    def files() -> dict[str, bytes | None]:
        return {n: snapshot.load_file("me/notes", n) for n in snapshot.file_names("me/notes")}

    before = files()
    operations = [
        CommitOperationAdd("README.md", b"# v2\n"),  # applied before the refusal
        CommitOperationAdd("new.txt", b"new\n"),
        CommitOperationDelete("data/", is_folder=True),
    ]
    with monkeypatch.context() as patched:
        patched.setattr(Snapshot, step, _refused_for(getattr(Snapshot, step), name))
        with pytest.raises(HfHubHTTPError):
            api(mirror).create_commit("me/notes", operations, repo_type="dataset", commit_message="full")
    assert files() == before
    assert api(mirror).dataset_info("me/notes").sha == first
    assert read(mirror, "README.md", "main", tmp_path) == "# v1\n"
    # and the next commit goes through as if the refused one never happened
    second = put(mirror, {"README.md": "# v2\n"})
    assert api(mirror).dataset_info("me/notes").sha == second
    assert read(mirror, "data/b.txt", "main", tmp_path) == "b\n"
