"""Grow: two Hub states served by the mirror; the second run releases only what changed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from huggingface_hub import HfApi, hf_hub_download

from crawl.snapshot import Snapshot
from dynosaur.cli import main
from hubmirror import MirrorServer, Route, json_response
from hubmirror.demo.snapshot import card_text, make_dataset

TOKEN = "hf_grow_token_never_written"
TEXT = {"dtype": "string", "_type": "Value"}
SENTIMENT = {"names": ["negative", "positive"], "_type": "ClassLabel"}


def card(license_: str, title: str, category: str) -> str:
    meta = {"license": license_, "language": ["en"], "task_categories": [category]}
    return card_text(meta, f"# {title}\n\n{title} for testing how the collection grows.\n")


def reviews(repo_id: str, license_: str, salt: str = "") -> object:
    rows = [
        {"text": f"{salt}review {i}: the product was {'great' if i % 2 else 'awful'}", "label": i % 2}
        for i in range(12)
    ]
    return make_dataset(
        repo_id,
        card=card(license_, "Product reviews", "text-classification"),
        configs={"default": {"train": {"features": {"text": TEXT, "label": SENTIMENT}, "rows": rows}}},
    )


def qa(repo_id: str, license_: str, salt: str = "") -> object:
    features = {"question": TEXT, "context": TEXT, "answer": TEXT}
    rows = [
        {
            "question": f"{salt}Who wrote note {i}?",
            "context": f"Note {i} was written by author {i}.",
            "answer": f"author {i}",
        }
        for i in range(10)
    ]
    return make_dataset(
        repo_id,
        card=card(license_, "Notes QA", "question-answering"),
        configs={"default": {"train": {"features": features, "rows": rows}}},
    )


def summaries(repo_id: str, license_: str) -> object:
    features = {"document": TEXT, "summary": TEXT}
    rows = [
        {
            "document": f"Report {i} says the river rose by {i} metres after a week of heavy rain.",
            "summary": f"River rose {i} m.",
        }
        for i in range(10)
    ]
    return make_dataset(
        repo_id,
        card=card(license_, "River reports", "summarization"),
        configs={"default": {"train": {"features": features, "rows": rows}}},
    )


@pytest.fixture
def hub(tmp_path):
    snapshot = Snapshot(tmp_path / "hub")
    for dataset in (
        reviews("acme/reviews", "mit"),
        qa("acme/qa", "apache-2.0"),
        reviews("acme/gone", "mit", "old "),
        qa("acme/relicensed", "mit", "x "),
    ):
        snapshot.write_dataset(dataset)
    with MirrorServer(tmp_path / "hub") as mirror:
        yield mirror, snapshot


def grow(mirror: MirrorServer, data: Path, *extra: str) -> int:
    return main(
        [
            "grow",
            "--data-dir",
            str(data),
            "--hub-endpoint",
            mirror.url,
            "--viewer-endpoint",
            mirror.viewer_url,
            "--token",
            TOKEN,
            "--engine",
            "rules",
            "--no-progress",
            "--quota-api",  # the default benchmarks are looked up too: no pacing in tests
            "100000",
            *extra,
        ]
    )


def shard_tasknames(mirror: MirrorServer, tmp_path: Path) -> set[str]:
    api = HfApi(endpoint=mirror.url, token=TOKEN)
    names = set()
    for path in api.list_repo_files("me/dyno", repo_type="dataset"):
        if path.endswith(".parquet"):
            local = hf_hub_download(
                "me/dyno",
                path,
                repo_type="dataset",
                endpoint=mirror.url,
                token=TOKEN,
                cache_dir=str(tmp_path / "hf-cache"),
            )
            names |= set(pq.read_table(local).column("taskname").to_pylist())
    return names


def manifest(mirror: MirrorServer, tmp_path: Path) -> dict:
    path = hf_hub_download(
        "me/dyno",
        "manifest.json",
        repo_type="dataset",
        endpoint=mirror.url,
        token=TOKEN,
        cache_dir=str(tmp_path / "hf-cache"),
        force_download=True,
    )
    return json.loads(Path(path).read_text())


def test_second_grow_releases_what_was_added_changed_and_removed(tmp_path, hub, capsys):
    mirror, snapshot = hub
    data = tmp_path / "data"
    assert grow(mirror, data, "--repo-id", "me/dyno") == 0
    first = manifest(mirror, tmp_path)
    api = HfApi(endpoint=mirror.url, token=TOKEN)
    first_commit = api.dataset_info("me/dyno").sha
    assert sorted(first["sources"]) == ["acme/gone", "acme/qa", "acme/relicensed", "acme/reviews"]
    assert shard_tasknames(mirror, tmp_path) == {"acme/gone", "acme/qa", "acme/relicensed", "acme/reviews"}

    shutil.rmtree(snapshot.dataset_dir("acme/gone"))
    snapshot.write_dataset(qa("acme/qa", "apache-2.0", "new "))
    snapshot.write_dataset(qa("acme/relicensed", "cc-by-nc-nd-4.0", "x "))
    snapshot.write_dataset(summaries("acme/new", "cc-by-4.0"))
    mirror.invalidate()
    capsys.readouterr()
    assert grow(mirror, data, "--repo-id", "me/dyno") == 0

    second = manifest(mirror, tmp_path)
    entry = second["changelog"][0]
    assert entry["previous"] == first["version"] != second["version"]
    assert (entry["added"], entry["changed"], entry["removed"]) == (
        ["acme/new"],
        ["acme/qa"],
        ["acme/gone", "acme/relicensed"],
    )
    assert second["changelog"][1]["version"] == first["version"]
    assert shard_tasknames(mirror, tmp_path) == {"acme/new", "acme/qa", "acme/reviews"}
    assert second["licenses"] == ["apache-2.0", "cc-by-4.0", "mit"]
    # each version is a tag on its own commit; the first one still loads as it was
    refs = api.list_repo_refs("me/dyno", repo_type="dataset")
    head = api.dataset_info("me/dyno").sha
    assert {t.name: t.target_commit for t in refs.tags} == {
        first["version"]: first_commit,
        second["version"]: head,
    }
    tagged = hf_hub_download(
        "me/dyno",
        "manifest.json",
        repo_type="dataset",
        revision=first["version"],
        endpoint=mirror.url,
        token=TOKEN,
        cache_dir=str(tmp_path / "hf-cache"),
    )
    assert json.loads(Path(tagged).read_text()) == first

    report = json.loads((data / "grow_report.json").read_text())
    steps = {step["name"]: step for step in report["steps"]}
    assert report["ok"] and list(steps) == [
        "crawl",
        "propose",
        "filter",
        "organize",
        "decontaminate",
        "judge",
        "report",
        "release",
    ]
    assert steps["crawl"]["detail"]["unchanged"] == 1  # acme/reviews was not crawled again
    assert steps["crawl"]["detail"]["removed"] == ["acme/gone"]
    propose_detail = steps["propose"]["detail"]
    # two modes each: only acme/qa (changed) and acme/new reach the engine, acme/reviews is cached
    assert (propose_detail["engine_calls"], propose_detail["cache_hits"]) == (4, 2)
    assert (data / "releases" / second["version"] / "manifest.json").is_file()
    assert steps["release"]["detail"]["tag"] == {
        "name": second["version"],
        "commit": head,
        "status": "created",
        "error": "",
    }
    out = capsys.readouterr().out
    assert "== release (ok" in out and "1 added, 1 changed, 2 removed" in out
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.suffix in (".json", ".jsonl", ".md", ".parquet", ".sqlite"):
            assert TOKEN.encode() not in path.read_bytes(), path


def test_grow_without_repo_writes_a_local_release_and_skips_when_nothing_changed(tmp_path, hub, capsys):
    mirror, _ = hub
    data = tmp_path / "data"
    assert grow(mirror, data, "--version", "2026.1.1") == 0
    release = data / "releases" / "2026.1.1"
    local = json.loads((release / "manifest.json").read_text())
    assert local["repo_id"] == "" and local["records"] > 0
    assert (release / "README.md").read_text().count('load_dataset("parquet"') == 1
    assert "revision=" not in (release / "README.md").read_text()  # no repo, no tags
    assert grow(mirror, data) == 0
    assert "nothing new since 2026.1.1: no release made" in capsys.readouterr().out
    assert sorted(p.name for p in (data / "releases").iterdir()) == ["2026.1.1"]
    assert mirror.count() and not any(r.method == "POST" for r in mirror.requests)


def test_a_refused_tag_fails_the_release_step_and_the_next_grow_tags_the_release(tmp_path, hub, capsys):
    mirror, _ = hub
    refuse = Route(
        "POST", r"/api/datasets/.+/tag/.+", lambda request, ctx: json_response({"error": "down"}, 503)
    )
    mirror.routes.insert(0, refuse)
    data = tmp_path / "data"
    assert grow(mirror, data, "--repo-id", "me/dyno", "--version", "2026.2.1") == 1
    report = json.loads((data / "grow_report.json").read_text())
    release = report["steps"][-1]
    commit = HfApi(endpoint=mirror.url, token=TOKEN).dataset_info("me/dyno").sha
    assert (release["name"], release["ok"], release["detail"]["commit"]) == ("release", False, commit)
    assert release["detail"]["tag"]["status"] == "failed" and "503" in release["detail"]["tag"]["error"]
    assert "tag 2026.2.1 FAILED" in capsys.readouterr().out
    assert manifest(mirror, tmp_path)["version"] == "2026.2.1"

    mirror.routes.remove(refuse)
    assert grow(mirror, data, "--repo-id", "me/dyno") == 0
    out = capsys.readouterr().out
    assert "nothing new since 2026.2.1: no release made" in out
    assert f"tagged  2026.2.1 on {commit[:12]}" in out
    refs = HfApi(endpoint=mirror.url, token=TOKEN).list_repo_refs("me/dyno", repo_type="dataset")
    assert [(t.name, t.target_commit) for t in refs.tags] == [("2026.2.1", commit)]


def test_failed_listing_stops_before_anything_is_released(tmp_path, capsys):
    data = tmp_path / "data"
    rc = main(
        [
            "grow",
            "--data-dir",
            str(data),
            "--hub-endpoint",
            "http://127.0.0.1:9",
            "--viewer-endpoint",
            "http://127.0.0.1:9/viewer",
            "--engine",
            "rules",
            "--no-progress",
            "--retries",
            "1",
            "--timeout",
            "2",
        ]
    )
    assert rc == 1
    report = json.loads((data / "grow_report.json").read_text())
    assert [(s["name"], s["ok"]) for s in report["steps"]] == [("crawl", False)]
    assert not (data / "releases").exists()


def test_publishing_grow_needs_a_token(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    assert (
        main(
            [
                "grow",
                "--data-dir",
                str(tmp_path),
                "--repo-id",
                "me/dyno",
                "--hub-endpoint",
                "http://127.0.0.1:9",
            ]
        )
        == 2
    )
    assert "needs a token" in capsys.readouterr().err


def test_publish_and_grow_make_their_release_through_the_same_function(tmp_path, hub, capsys, monkeypatch):
    from dynosaur.hub.publish import run as publishing

    mirror, _ = hub
    made = []
    real = publishing.make_release

    def spy(*args, **kwargs):
        report = real(*args, **kwargs)
        made.append((args[2], kwargs.get("skip_unchanged", False), report.render()))
        return report

    monkeypatch.setattr(publishing, "make_release", spy)
    data = tmp_path / "data"
    assert grow(mirror, data, "--repo-id", "me/dyno", "--version", "2026.3.1") == 0
    grown = capsys.readouterr().out
    publish_args = ["publish", "--data-dir", str(data), "--repo-id", "me/copy", "--hub-endpoint", mirror.url]
    assert main([*publish_args, "--token", TOKEN, "--version", "2026.3.1"]) == 0
    published = capsys.readouterr().out
    assert [(repo, skip) for repo, skip, _ in made] == [("me/dyno", True), ("me/copy", False)]
    assert "\n".join(f"   {line}" for line in made[0][2].splitlines()) in grown  # under "== release"
    assert published == made[1][2] + "\n"
    assert published.startswith("release 2026.3.1: ") and "pushed  " in published


def test_run_and_grow_hand_the_prompt_style_to_the_proposer(tmp_path, hub):
    mirror, _ = hub
    where = ["--hub-endpoint", mirror.url, "--viewer-endpoint", mirror.viewer_url, "--quota-api", "100000"]
    quick = ["--engine", "rules", "--no-progress", "--no-decontaminate", "--judge-engine", "none"]
    ran = tmp_path / "ran"
    assert main(["run", "--data-dir", str(ran), *where, *quick, "--prompt-style", "compact"]) == 0
    style = json.loads((ran / "propose_report.json").read_text())["prompt_style"]
    assert (style["style"], style["requested"]) == ("compact", "compact")
    grown = tmp_path / "grown"
    assert main(["grow", "--data-dir", str(grown), *where, *quick, "--context-window", "1024"]) == 0
    style = json.loads((grown / "propose_report.json").read_text())["prompt_style"]
    assert style == {
        "style": "compact",
        "requested": "auto",
        "context_window": 1024,
        "context_window_from": "option",
    }
    # the default stays the full prompt for an engine that reports no window
    default = tmp_path / "default"
    assert main(["run", "--data-dir", str(default), *where, *quick]) == 0
    assert json.loads((default / "propose_report.json").read_text())["prompt_style"]["style"] == "full"
