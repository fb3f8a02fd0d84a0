"""Release versions name a folder under DATA_DIR/releases/ and a tag: a version that is a path,
or a release folder that is a link, is refused and nothing on disk changes."""

from __future__ import annotations

import pytest

from dynosaur.cli import main
from dynosaur.contracts.versions import check_version, version_problem
from dynosaur.core.errors import OptionError
from dynosaur.core.trees import UnsafeRemoval
from dynosaur.hub.publish.run import PublishError, ReleaseOptions, make_release, publish, stage_release
from tests.support.file_tree import tree_digest
from tests.test_publish import organized

BAD_VERSIONS = ["..", "../../victim", "../x", "a/b", "/tmp/x", ".hidden", "-v1", "", "v1..2", "v1.", "v.lock"]
BAD_VERSIONS += ["a\\b", "v 1", "v1\n", "x" * 65]
GOOD_VERSIONS = ["2026.11.21", "2026.11.21.2", "2026.1.1", "v1.0-rc_1", "_nightly", "x" * 64]


@pytest.fixture
def world(tmp_path):
    """An organized data dir in ``tmp_path/data`` and a folder of someone's files beside it."""
    data = organized(tmp_path, {"org/qa": ("mit", 3)})
    victim = tmp_path / "victim"
    (victim / "deep").mkdir(parents=True)
    (victim / "keep.txt").write_text("mine")
    (victim / "deep" / "notes.md").write_text("also mine")
    return tmp_path, data, victim


@pytest.mark.parametrize("version", BAD_VERSIONS)
def test_a_version_that_is_not_a_date_or_a_safe_tag_is_refused(version):
    assert version_problem(version) is not None
    with pytest.raises(OptionError) as caught:
        check_version(version)
    assert caught.value.field == "version"
    with pytest.raises(OptionError):
        ReleaseOptions(version=version)


@pytest.mark.parametrize("version", GOOD_VERSIONS)
def test_dates_and_safe_tags_are_versions(version):
    assert version_problem(version) is None and check_version(version) == version


@pytest.mark.parametrize(
    "command",
    [
        ["publish", "--repo-id", "me/dyno", "--token", "t", "--hub-endpoint", "http://127.0.0.1:9"],
        ["publish", "--repo-id", "me/dyno", "--dry-run", "OUT"],
        ["grow", "--engine", "rules", "--no-progress", "--hub-endpoint", "http://127.0.0.1:9"],
    ],
    ids=["publish", "publish-dry-run", "grow"],
)
@pytest.mark.parametrize("version", ["..", "../../victim", "../victim"])
def test_cli_refuses_a_path_as_version_and_touches_nothing(world, capsys, command, version):
    tmp_path, data, _ = world
    before = tree_digest(tmp_path)
    argv = [part.replace("OUT", str(tmp_path / "out")) for part in command]
    with pytest.raises(SystemExit) as caught:
        main([*argv, "--data-dir", str(data / "nested" / "deeper"), "--version", version])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "--version" in err and "YYYY.MM.DD" in err and "Traceback" not in err
    assert tree_digest(tmp_path) == before


@pytest.mark.parametrize("version", ["..", "../../victim"])
def test_library_refuses_a_path_as_version_before_writing(world, version):
    tmp_path, data, _ = world
    before = tree_digest(tmp_path)
    with pytest.raises(OptionError, match="version"):
        stage_release(data, repo_id="", previous=None, version=version)
    with pytest.raises(OptionError, match="version"):
        make_release(data, None, None, ReleaseOptions(version=version))
    with pytest.raises(OptionError, match="version"):
        publish(
            data,
            "me/dyno",
            ReleaseOptions(version=version),
            endpoint="",
            token=None,
            dry_run=tmp_path / "out",
        )
    after = tree_digest(tmp_path)
    # staging made the (empty) releases folder and removed its own staging folder again
    assert {k: v for k, v in after.items() if k != "data/releases"} == before


def test_a_computed_version_is_checked_too(world):
    tmp_path, data, _ = world
    before = tree_digest(tmp_path)
    with pytest.raises(OptionError, match="version"):
        stage_release(data, repo_id="", previous=None, date="../../victim")
    assert {k: v for k, v in tree_digest(tmp_path).items() if k != "data/releases"} == before


def test_a_release_folder_that_is_a_link_is_not_followed(world):
    tmp_path, data, victim = world
    (data / "releases").mkdir()
    (data / "releases" / "2026.01.01").symlink_to(victim, target_is_directory=True)
    before = tree_digest(tmp_path)
    with pytest.raises(UnsafeRemoval, match="symbolic link"):
        stage_release(data, repo_id="", previous=None, version="2026.01.01")
    assert tree_digest(tmp_path) == before


def test_a_releases_folder_that_is_a_link_is_refused(world):
    tmp_path, data, victim = world
    (data / "releases").symlink_to(victim, target_is_directory=True)
    before = tree_digest(tmp_path)
    with pytest.raises(PublishError, match="symbolic link"):
        make_release(data, None, None, ReleaseOptions(version="keep.txt"))
    assert tree_digest(tmp_path) == before


def test_a_dry_run_folder_whose_data_is_a_link_is_refused(world):
    tmp_path, data, victim = world
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text("{}")
    (out / "data").symlink_to(victim, target_is_directory=True)
    before = tree_digest(tmp_path)
    with pytest.raises(UnsafeRemoval, match="symbolic link"):
        publish(data, "me/dyno", endpoint="", token=None, dry_run=out)
    assert tree_digest(tmp_path) == before


def test_valid_versions_replace_only_their_own_release_folder(world):
    tmp_path, data, _ = world
    for version in ("2026.11.21", "2026.11.21.2", "v1.0-rc_1"):
        release = stage_release(data, repo_id="", previous=None, version=version)
        assert release.folder == data / "releases" / version and (release.folder / "manifest.json").is_file()
    kept = tree_digest(data / "releases" / "2026.11.21")
    again = stage_release(data, repo_id="", previous=None, version="2026.11.21.2", date="2026-11-21")
    assert sorted(p.name for p in (data / "releases").iterdir()) == [
        "2026.11.21",
        "2026.11.21.2",
        "v1.0-rc_1",
    ]
    assert tree_digest(data / "releases" / "2026.11.21") == kept
    assert again.manifest.version == "2026.11.21.2"
