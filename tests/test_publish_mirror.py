"""Publish through the real huggingface_hub client to the local mirror, and read it back."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import httpx
import pyarrow.parquet as pq
import pytest
from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub.errors import RepositoryNotFoundError

from dynosaur.cli import main
from dynosaur.hub.publish.run import PublishError, ReleaseOptions, publish
from hubmirror import MirrorServer, Route, json_response
from tests.test_publish import organized

TOKEN = "hf_test_write_token_do_not_leak"


@pytest.fixture
def mirror(tmp_path):
    with MirrorServer(tmp_path / "hub") as server:
        yield server


def download(mirror: MirrorServer, repo_id: str, name: str, tmp_path: Path) -> bytes:
    path = hf_hub_download(
        repo_id,
        name,
        repo_type="dataset",
        endpoint=mirror.url,
        token=TOKEN,
        cache_dir=str(tmp_path / "hf-cache"),
    )
    return Path(path).read_bytes()


def test_published_files_are_read_back_through_the_hub_client(tmp_path, mirror):
    data = organized(tmp_path, {"org/qa": ("mit", 5), "squad": ("cc-by-4.0", 4)})
    release, result = publish(
        data, "me/dyno", ReleaseOptions(version="2026.11.21", shard_rows=4), endpoint=mirror.url, token=TOKEN
    )
    api = HfApi(endpoint=mirror.url, token=TOKEN)
    files = api.list_repo_files("me/dyno", repo_type="dataset")
    assert files == [
        ".gitattributes",
        "README.md",
        "data/train-00000-of-00003.parquet",
        "data/train-00001-of-00003.parquet",
        "data/train-00002-of-00003.parquet",
        "manifest.json",
    ]
    for name in release.files():
        assert download(mirror, "me/dyno", name, tmp_path) == (release.folder / name).read_bytes()
    info = api.dataset_info("me/dyno")
    assert info.sha == result.commit_oid
    assert info.card_data.license == ["cc-by-4.0", "mit"]
    assert "license:mit" in info.tags
    shard = tmp_path / "shard.parquet"
    shard.write_bytes(download(mirror, "me/dyno", "data/train-00000-of-00003.parquet", tmp_path))
    assert pq.read_table(shard).column_names == [
        "instruction", "input", "output", "license", "website", "taskname", "split", "row_idx",
    ]  # fmt: skip
    assert release.folder == data / "releases" / "2026.11.21"


def test_new_version_records_its_changelog_and_drops_stale_shards(tmp_path, mirror):
    data = organized(tmp_path, {"keep": ("mit", 3), "bump": ("mit", 3), "gone": ("mit", 3)})
    _, first = publish(
        data, "me/dyno", ReleaseOptions(date="2026-11-20", shard_rows=2), endpoint=mirror.url, token=TOKEN
    )
    data = organized(tmp_path / "later", {"keep": ("mit", 3), "bump": ("mit", 4), "new": ("apache-2.0", 2)})
    release, second = publish(
        data, "me/dyno", ReleaseOptions(date="2026-11-21"), endpoint=mirror.url, token=TOKEN
    )
    assert second.commit_oid != first.commit_oid
    assert second.deleted == [f"data/train-{i:05d}-of-00005.parquet" for i in range(5)]
    api = HfApi(endpoint=mirror.url, token=TOKEN)
    assert [f for f in api.list_repo_files("me/dyno", repo_type="dataset") if f.startswith("data/")] == [
        "data/train-00000-of-00001.parquet"
    ]
    manifest = json.loads(download(mirror, "me/dyno", "manifest.json", tmp_path))
    assert manifest["version"] == "2026.11.21"
    latest, earlier = manifest["changelog"]
    assert (latest["previous"], latest["added"], latest["changed"], latest["removed"]) == (
        "2026.11.20",
        ["new"],
        ["bump"],
        ["gone"],
    )
    assert earlier["version"] == "2026.11.20"
    card = download(mirror, "me/dyno", "README.md", tmp_path).decode()
    assert "- removed (1): gone" in card and "### 2026.11.20 (2026-11-20)" in card
    assert api.dataset_info("me/dyno").card_data.license == ["apache-2.0", "mit"]
    assert release.manifest.changelog[0]["added"] == ["new"]


def test_republishing_the_same_release_makes_no_new_commit(tmp_path, mirror):
    data = organized(tmp_path, {"a": ("mit", 2)})
    _, first = publish(
        data, "me/dyno", ReleaseOptions(version="1", date="2026-01-01"), endpoint=mirror.url, token=TOKEN
    )
    _, again = publish(
        data, "me/dyno", ReleaseOptions(version="1", date="2026-01-01"), endpoint=mirror.url, token=TOKEN
    )
    assert again.commit_oid == first.commit_oid
    assert sum(1 for r in mirror.requests if r.path.endswith("/commit/main")) == 1
    assert (first.tag.status, again.tag.status) == ("created", "exists")
    assert tags(mirror) == {"1": first.commit_oid}


def test_private_repo_is_hidden_from_anonymous_readers(tmp_path, mirror):
    data = organized(tmp_path, {"a": ("mit", 2)})
    publish(data, "me/secret", ReleaseOptions(private=True), endpoint=mirror.url, token=TOKEN)
    assert HfApi(endpoint=mirror.url, token=TOKEN).dataset_info("me/secret").private is True
    with pytest.raises(RepositoryNotFoundError):
        HfApi(endpoint=mirror.url, token=False).dataset_info("me/secret")


def test_token_never_reaches_a_file(tmp_path, mirror, monkeypatch, capsys):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    data = organized(tmp_path, {"a": ("mit", 2)})
    assert (
        main(["publish", "--data-dir", str(data), "--repo-id", "me/dyno", "--hub-endpoint", mirror.url]) == 0
    )
    out = capsys.readouterr()
    assert "pushed" in out.out and TOKEN not in out.out + out.err
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


def _post(mirror: MirrorServer, path: str, body: bytes | dict, token: bool = True) -> httpx.Response:
    headers = {"Authorization": f"Bearer {TOKEN}"} if token else {}
    content = json.dumps(body).encode() if isinstance(body, dict) else body
    return httpx.post(f"{mirror.url}{path}", content=content, headers=headers)


def _ndjson(*items: dict) -> bytes:
    return b"".join(json.dumps(item).encode() + b"\n" for item in items)


def test_mirror_write_routes_refuse_bad_requests(mirror):
    assert (
        _post(mirror, "/api/repos/create", {"name": "x", "type": "dataset"}, token=False).status_code == 401
    )
    assert _post(mirror, "/api/repos/create", {"name": "x", "type": "model"}).status_code == 400
    assert (
        _post(
            mirror, "/api/repos/create", {"name": "..", "organization": "me", "type": "dataset"}
        ).status_code
        == 400
    )
    assert (
        _post(mirror, "/api/repos/create", {"name": "x", "organization": "me", "type": "dataset"}).status_code
        == 200
    )
    header = {"key": "header", "value": {"summary": "s", "description": ""}}
    content = base64.b64encode(b"hi").decode()
    traversal = {"key": "file", "value": {"path": "../escape", "content": content, "encoding": "base64"}}
    lfs = {"key": "lfsFile", "value": {"path": "big.bin", "algo": "sha256", "oid": "0" * 64, "size": 9}}
    missing = {"key": "deletedFile", "value": {"path": "nope.txt"}}
    good = {"key": "file", "value": {"path": "notes/a.txt", "content": content, "encoding": "base64"}}
    commit = "/api/datasets/me/x/commit/main"
    assert _post(mirror, commit, _ndjson(header, traversal)).status_code == 400
    assert _post(mirror, commit, _ndjson(header, lfs)).status_code == 400
    assert _post(mirror, commit, _ndjson(header, missing)).status_code == 404
    assert _post(mirror, commit, _ndjson(good)).status_code == 400  # no header
    assert _post(mirror, commit, _ndjson(header, good), token=False).status_code == 401
    assert _post(mirror, "/api/datasets/me/x/commit/0123abc", _ndjson(header, good)).status_code == 404
    assert not (mirror.snapshot_dir / "datasets" / "me" / "escape").exists()
    done = _post(mirror, commit, _ndjson(header, good))
    assert done.status_code == 200 and len(done.json()["commitOid"]) == 40
    bad_card = _post(
        mirror, "/api/validate-yaml", {"content": "---\nlicense: [mit\n---\n", "repoType": "dataset"}
    )
    assert bad_card.status_code == 400 and bad_card.json()["errors"]


def tags(mirror: MirrorServer, repo_id: str = "me/dyno") -> dict[str, str]:
    refs = HfApi(endpoint=mirror.url, token=TOKEN).list_repo_refs(repo_id, repo_type="dataset")
    return {tag.name: tag.target_commit for tag in refs.tags}


def download_at(mirror: MirrorServer, name: str, revision: str, tmp_path: Path) -> bytes:
    path = hf_hub_download(
        "me/dyno",
        name,
        repo_type="dataset",
        revision=revision,
        endpoint=mirror.url,
        token=TOKEN,
        cache_dir=str(tmp_path / "hf-cache"),
    )
    return Path(path).read_bytes()


def test_each_release_is_tagged_and_stays_loadable_by_its_tag(tmp_path, mirror, capsys):
    data = organized(tmp_path, {"keep": ("mit", 3), "gone": ("mit", 2)})
    args = ["publish", "--data-dir", str(data), "--repo-id", "me/dyno", "--hub-endpoint", mirror.url]
    assert main([*args, "--token", TOKEN, "--version", "2026.11.20"]) == 0
    first_card = (data / "releases" / "2026.11.20" / "README.md").read_bytes()
    first = HfApi(endpoint=mirror.url, token=TOKEN).dataset_info("me/dyno").sha
    assert f"tagged  2026.11.20 on {first[:12]}" in capsys.readouterr().out

    later = organized(tmp_path / "later", {"keep": ("mit", 3), "new": ("apache-2.0", 2)})
    release, second = publish(
        later, "me/dyno", ReleaseOptions(date="2026-11-21"), endpoint=mirror.url, token=TOKEN
    )
    assert tags(mirror) == {"2026.11.20": first, "2026.11.21": second.commit_oid}
    assert second.tag.status == "created" and second.head_tag is None

    assert download_at(mirror, "README.md", "2026.11.20", tmp_path) == first_card
    assert download_at(mirror, "README.md", "main", tmp_path) == (release.folder / "README.md").read_bytes()
    assert json.loads(download_at(mirror, "manifest.json", "2026.11.20", tmp_path))["version"] == "2026.11.20"
    old_shards = HfApi(endpoint=mirror.url, token=TOKEN).list_repo_files(
        "me/dyno", repo_type="dataset", revision="2026.11.20"
    )
    assert "data/train-00000-of-00001.parquet" in old_shards
    shard = tmp_path / "old.parquet"
    shard.write_bytes(download_at(mirror, "data/train-00000-of-00001.parquet", "2026.11.20", tmp_path))
    assert set(pq.read_table(shard).column("taskname").to_pylist()) == {"keep", "gone"}


def test_a_second_release_on_the_same_day_gets_the_next_free_version_and_tag(tmp_path, mirror):
    one = organized(tmp_path / "one", {"a": ("mit", 2)})
    two = organized(tmp_path / "two", {"a": ("mit", 3)})
    three = organized(tmp_path / "three", {"a": ("mit", 4)})
    _, first = publish(one, "me/dyno", ReleaseOptions(date="2026-11-21"), endpoint=mirror.url, token=TOKEN)
    release, second = publish(
        two, "me/dyno", ReleaseOptions(date="2026-11-21"), endpoint=mirror.url, token=TOKEN
    )
    assert release.manifest.version == "2026.11.21.2"
    # a tag made by hand takes the name the next release would have had
    HfApi(endpoint=mirror.url, token=TOKEN).create_tag(
        "me/dyno", tag="2026.11.21.3", revision=first.commit_oid, repo_type="dataset"
    )
    release, third = publish(
        three, "me/dyno", ReleaseOptions(date="2026-11-21"), endpoint=mirror.url, token=TOKEN
    )
    assert release.manifest.version == "2026.11.21.4"
    assert tags(mirror) == {
        "2026.11.21": first.commit_oid,
        "2026.11.21.2": second.commit_oid,
        "2026.11.21.3": first.commit_oid,
        "2026.11.21.4": third.commit_oid,
    }


def test_a_version_already_tagged_on_other_files_is_refused_before_uploading(tmp_path, mirror, capsys):
    data = organized(tmp_path, {"a": ("mit", 2)})
    _, first = publish(data, "me/dyno", ReleaseOptions(version="1.0"), endpoint=mirror.url, token=TOKEN)
    kept = (data / "releases" / "1.0" / "manifest.json").read_bytes()
    changed = organized(tmp_path / "changed", {"a": ("mit", 5)})
    (changed / "releases").mkdir()
    shutil.copytree(data / "releases" / "1.0", changed / "releases" / "1.0")
    mirror.reset_log()
    with pytest.raises(PublishError, match="version 1.0 is already the tag of commit"):
        publish(changed, "me/dyno", ReleaseOptions(version="1.0"), endpoint=mirror.url, token=TOKEN)
    assert not any(r.method == "POST" for r in mirror.requests)
    assert (changed / "releases" / "1.0" / "manifest.json").read_bytes() == kept
    args = ["publish", "--data-dir", str(changed), "--repo-id", "me/dyno", "--hub-endpoint", mirror.url]
    assert main([*args, "--token", TOKEN, "--version", "1.0"]) == 2
    assert "leave out --version to take the next free version" in capsys.readouterr().err
    assert tags(mirror) == {"1.0": first.commit_oid}
    assert HfApi(endpoint=mirror.url, token=TOKEN).dataset_info("me/dyno").sha == first.commit_oid


def _refuse_tags(request, ctx):
    return json_response(
        {"error": "tag store unavailable"}, 500, {"X-Error-Message": "tag store unavailable"}
    )


def test_a_refused_tag_keeps_the_commit_and_the_next_release_tags_it(tmp_path, capsys):
    refuse = Route("POST", r"/api/datasets/.+/tag/.+", _refuse_tags)
    with MirrorServer(tmp_path / "hub", extra_routes=[refuse]) as mirror:
        data = organized(tmp_path, {"a": ("mit", 2)})
        args = ["publish", "--data-dir", str(data), "--repo-id", "me/dyno", "--hub-endpoint", mirror.url]
        assert main([*args, "--token", TOKEN, "--version", "2026.11.21"]) == 1
        out = capsys.readouterr()
        api = HfApi(endpoint=mirror.url, token=TOKEN)
        commit = api.dataset_info("me/dyno").sha
        assert f"pushed  {mirror.url}/datasets/me/dyno @ {commit[:12]}" in out.out
        assert "tag 2026.11.21 FAILED: the Hub answered 500: tag store unavailable" in out.out
        assert f"hf repos tag create me/dyno 2026.11.21 --revision {commit} --repo-type dataset" in out.out
        assert "uploaded but not tagged" in out.err
        assert json.loads(download(mirror, "me/dyno", "manifest.json", tmp_path))["version"] == "2026.11.21"
        assert tags(mirror) == {}

        mirror.routes.remove(refuse)
        later = organized(tmp_path / "later", {"a": ("mit", 3)})
        release, result = publish(
            later, "me/dyno", ReleaseOptions(date="2026-11-21"), endpoint=mirror.url, token=TOKEN
        )
        assert release.manifest.version == "2026.11.21.2"
        assert (result.head_tag.name, result.head_tag.status) == ("2026.11.21", "created")
        assert tags(mirror) == {"2026.11.21": commit, "2026.11.21.2": result.commit_oid}
