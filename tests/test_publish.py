"""Publish, offline: the release folder (shards, card, manifest) that a dry run writes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from huggingface_hub.utils.sha import git_hash

from crawl.outputs import policy_summary
from crawl.policy import PolicyOptions
from dynosaur.cli import main
from dynosaur.contracts.manifest import diff_sources, next_version
from dynosaur.hub.organize.run import organize
from dynosaur.hub.publish.card import size_category
from dynosaur.hub.publish.release_repo import file_digest
from dynosaur.hub.publish.run import PublishError, ReleaseOptions, build_release, publish

TEXT = {"dtype": "string", "_type": "Value"}


def organized(
    tmp_path: Path, sources: dict[str, tuple[str, int]], tasks_jsonl: list[dict] | None = None
) -> Path:
    """Organize ``{task_name: (license, rows)}`` QA datasets into ``tmp_path/data``."""
    data = tmp_path / "data"
    data.mkdir(parents=True, exist_ok=True)
    lines, tasks = [], []
    for name, (license_, rows) in sources.items():
        lines.append(
            {
                "task_name": name,
                "dataset": name,
                "config": "default",
                "split": "train",
                "revision": f"{name}-rev".replace("/", "-").ljust(40, "0"),
                "license": license_,
                "website": f"https://huggingface.co/datasets/{name}",
                "languages": ["en"],
                "features": {"q": TEXT, "a": TEXT},
                "selected_data": [{"q": f"{name} question {i}", "a": f"answer {i}"} for i in range(rows)],
            }
        )
        tasks.append(
            {
                "task_name": name,
                "instruction": f"Answer the {name} question.",
                "input_fields": ["q"],
                "output_field": ["a"],
            }
        )
    (data / "huggingface_data.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    (data / "instructions-full.json").write_text(json.dumps(tasks))
    if tasks_jsonl is not None:
        (data / "tasks.jsonl").write_text("".join(json.dumps(t) + "\n" for t in tasks_jsonl))
    organize(data, progress=False)
    return data


def card_metadata(folder: Path) -> dict:
    text = (folder / "README.md").read_text()
    return yaml.safe_load(text.split("---\n")[1])


def test_dry_run_writes_shards_card_and_manifest(tmp_path):
    data = organized(
        tmp_path,
        {"org/qa": ("mit", 7), "squad": ("cc-by-4.0", 5)},
        [
            {
                "task_name": "squad",
                "engine": "openai",
                "model": "gpt-4o-mini",
                "source": "description-aware",
                "prompts_version": "2026.1",
                "valid": True,
            },
            {
                "task_name": "squad",
                "engine": "openai",
                "model": "gpt-4o-mini",
                "source": "description-aware",
                "prompts_version": "2026.1",
                "valid": False,
            },
        ],
    )
    out = tmp_path / "release"
    release, result = publish(
        data,
        "me/dyno",
        ReleaseOptions(version="2026.11.21", date="2026-11-21", shard_rows=5),
        endpoint="http://127.0.0.1:9",
        token=None,
        dry_run=out,
    )
    assert result is None
    assert release.files() == [
        "README.md",
        "data/train-00000-of-00003.parquet",
        "data/train-00001-of-00003.parquet",
        "data/train-00002-of-00003.parquet",
        "manifest.json",
    ]
    rows = [r for shard in release.manifest.shards for r in pq.read_table(out / shard).to_pylist()]
    organized_rows = [json.loads(line) for line in (data / "dynosaur-full.jsonl").read_text().splitlines()]
    assert rows == organized_rows
    meta = card_metadata(out)
    assert meta["license"] == ["cc-by-4.0", "mit"]
    assert meta["language"] == ["en"]
    assert meta["size_categories"] == ["n<1K"]
    assert meta["configs"] == [
        {"config_name": "default", "data_files": [{"split": "train", "path": "data/train-*"}]}
    ]
    assert meta["pretty_name"]
    card = (out / "README.md").read_text()
    assert (
        "| [squad](https://huggingface.co/datasets/squad) | default | cc-by-4.0 | `squad-rev000` | 1 | 5 |"
        in card
    )
    assert (
        "engine `openai`, model `gpt-4o-mini`, mode `description-aware`, prompts version `2026.1`: 1 valid tasks"
        in card
    )
    assert "@inproceedings{yin2023dynosaur" in card
    assert "### 2026.11.21 (2026-11-21)" in card
    assert 'load_dataset("me/dyno", revision="2026.11.21", split="train")' in card
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["version"], manifest["records"], manifest["tasks"]) == ("2026.11.21", 12, 2)
    assert manifest["sources"]["org/qa"]["revision"].startswith("org-qa-rev")


def test_parquet_shards_load_with_datasets_as_the_card_configures(tmp_path):
    import datasets

    data = organized(tmp_path, {"a": ("mit", 4), "b": ("apache-2.0", 3)})
    release = build_release(data, tmp_path / "release", repo_id="me/dyno", shard_rows=3)
    meta = card_metadata(release.folder)
    pattern = meta["configs"][0]["data_files"][0]["path"]
    loaded = datasets.load_dataset(
        "parquet", data_files=str(release.folder / pattern), split="train", cache_dir=str(tmp_path / "cache")
    )
    assert loaded.num_rows == 7
    assert sorted(loaded["taskname"]) == ["a"] * 4 + ["b"] * 3


def test_release_without_records_is_refused(tmp_path):
    data = organized(tmp_path, {"a": ("mit", 0)})
    with pytest.raises(PublishError, match="no records to publish"):
        build_release(data, tmp_path / "release", repo_id="me/dyno")


def test_release_needs_organize_output(tmp_path):
    with pytest.raises(PublishError, match="run `dynosaur organize` first"):
        build_release(tmp_path, tmp_path / "release", repo_id="me/dyno")


def test_dry_run_refuses_a_folder_that_holds_something_else(tmp_path):
    data = organized(tmp_path, {"a": ("mit", 2)})
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(PublishError, match="not empty"):
        build_release(data, tmp_path / "mine", repo_id="me/dyno")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_rebuilding_a_release_folder_drops_its_old_shards(tmp_path):
    data = organized(tmp_path, {"a": ("mit", 6)})
    build_release(data, tmp_path / "release", repo_id="me/dyno", shard_rows=2)
    release = build_release(data, tmp_path / "release", repo_id="me/dyno", shard_rows=10)
    assert release.files() == ["README.md", "data/train-00000-of-00001.parquet", "manifest.json"]


def test_card_and_manifest_are_deterministic(tmp_path):
    data = organized(tmp_path, {"a": ("mit", 3), "b": ("apache-2.0", 2)})
    first = build_release(data, tmp_path / "one", repo_id="me/dyno", version="1", date="2026-01-01")
    second = build_release(data, tmp_path / "two", repo_id="me/dyno", version="1", date="2026-01-01")
    for name in first.files():
        assert (first.folder / name).read_bytes() == (second.folder / name).read_bytes()


def test_versions_are_dates_and_same_day_releases_count_up():
    assert next_version("2026-11-21", None) == "2026.11.21"
    assert next_version("2026-11-21", "2026.11.20") == "2026.11.21"
    assert next_version("2026-11-21", "2026.11.21") == "2026.11.21.2"
    assert next_version("2026-11-21", "2026.11.21.2") == "2026.11.21.3"


def test_new_versions_skip_names_the_repo_already_has_as_tags():
    assert next_version("2026-11-21", None, {"2026.11.21"}) == "2026.11.21.2"
    assert next_version("2026-11-21", "2026.11.21", {"2026.11.21.2", "2026.11.21.3"}) == "2026.11.21.4"
    assert next_version("2026-11-21", "2026.11.20", {"2026.11.20", "v1"}) == "2026.11.21"


def test_file_digests_match_what_the_hub_lists_for_a_file(tmp_path):
    path = tmp_path / "shard.parquet"
    path.write_bytes(b"rows " * 300_000)  # more than one read chunk
    assert file_digest(path, lfs=False) == git_hash(path.read_bytes())
    assert file_digest(path, lfs=True) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_source_diff_names_added_changed_and_removed():
    old = {
        "a": {"revision": "1", "license": "mit", "records": 3},
        "b": {"revision": "1"},
        "c": {"revision": "1"},
    }
    new = {
        "a": {"revision": "2", "license": "mit", "records": 3},
        "b": {"revision": "1"},
        "d": {"revision": "1"},
    }
    changes = diff_sources(old, new)
    assert (changes.added, changes.changed, changes.removed) == (["d"], ["a"], ["c"])


@pytest.mark.parametrize(
    ("records", "category"),
    [(0, "n<1K"), (999, "n<1K"), (1000, "1K<n<10K"), (250_000, "100K<n<1M"), (3_000_000, "1M<n<10M")],
)
def test_size_category_follows_record_count(records, category):
    assert size_category(records) == category


def test_cli_dry_run_and_missing_token(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    data = organized(tmp_path, {"a": ("mit", 2)})
    assert (
        main(["publish", "--data-dir", str(data), "--repo-id", "me/dyno", "--dry-run", str(tmp_path / "out")])
        == 0
    )
    assert "2 records, 1 tasks, 1 sources, 1 shards, licenses mit" in capsys.readouterr().out
    assert (tmp_path / "out" / "data" / "train-00000-of-00001.parquet").is_file()
    assert (
        main(
            [
                "publish",
                "--data-dir",
                str(data),
                "--repo-id",
                "me/dyno",
                "--hub-endpoint",
                "http://127.0.0.1:9",
            ]
        )
        == 2
    )
    assert "needs a token" in capsys.readouterr().err


def test_the_card_names_the_crawls_license_policy_and_keeps_licenses_per_source(tmp_path):
    data = organized(tmp_path, {"org/qa": ("mit", 3), "org/nc": ("cc-by-nc-4.0", 2)})
    policy = PolicyOptions(license_policy="research", deny_licenses=("c-uda",))
    (data / "crawl_policy.json").write_text(json.dumps(policy_summary(policy, ("train", "validation"))))
    release = build_release(data, tmp_path / "release", repo_id="me/dyno")
    card = (release.folder / "README.md").read_text()
    assert "Sources were kept under the crawl's `research` license policy: open licenses plus" in card
    assert "Also dropped: `c-uda`." in card and "from the `train` or `validation` split" in card
    assert "| [org/nc](https://huggingface.co/datasets/org/nc) | default | cc-by-nc-4.0 |" in card
    assert "| [org/qa](https://huggingface.co/datasets/org/qa) | default | mit |" in card
    manifest = json.loads((release.folder / "manifest.json").read_text())
    assert manifest["crawl_policy"]["license_policy"]["name"] == "research"
    # a data dir from a crawl that wrote no policy file: the card says nothing it does not know
    bare = organized(tmp_path / "bare", {"org/qa": ("mit", 3)})
    assert (
        "license policy"
        not in (build_release(bare, tmp_path / "r2", repo_id="me/dyno").folder / "README.md").read_text()
    )
