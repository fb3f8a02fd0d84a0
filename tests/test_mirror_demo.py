"""The bundled demo Hub: varied, consistent, deterministic, and served by the mirror."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import httpx
from huggingface_hub import DatasetCard, HfApi, hf_hub_download

from crawl.snapshot import Snapshot
from hubmirror import MirrorServer
from hubmirror.demo.snapshot import parse_card_metadata, write_demo_snapshot
from hubmirror.demo.specs import SPECS
from tests.support.mirror_fixtures import demo_mirror, demo_snapshot_dir  # noqa: F401

REQUIRED_KINDS = {
    "classification", "pair-classification", "nli", "extractive-qa", "summarization", "multiple-choice",
    "multi-config", "multilingual", "translation", "image", "gated", "private", "disabled", "nc-nd",
    "no-license", "no-card", "malformed-yaml", "no-language-english", "no-language-french", "long-cells",
    "viewer-not-ready", "viewer-permanent-error", "test-only", "single-field", "question-generation", "headline", "source-target", "numeric-label",
}  # fmt: skip


def _types(feature: object) -> set[str]:
    if isinstance(feature, dict):
        found = {feature["_type"]} if "_type" in feature else set()
        return found.union(*(_types(v) for k, v in feature.items() if k != "_type"))
    return set()


def test_demo_covers_every_kind_of_dataset_the_crawler_meets(demo_snapshot_dir: Path) -> None:  # noqa: F811
    kinds = Counter(kind for spec in SPECS for kind in spec.kinds)
    assert set(kinds) >= REQUIRED_KINDS
    datasets = {d.repo_id: d for d in Snapshot(demo_snapshot_dir).iter_datasets()}
    assert 28 <= len(datasets) <= 36
    assert sum("/" in i for i in datasets) >= 10 and sum("/" not in i for i in datasets) >= 2
    flags = Counter()
    for d in datasets.values():
        flags["gated"] += bool(d.api["gated"])
        flags["private"] += d.api["private"]
        flags["disabled"] += d.api["disabled"]
        flags["no card"] += "README.md" not in d.files
        flags["card without metadata"] += "README.md" in d.files and "cardData" not in d.api
        flags["no license"] += "cardData" in d.api and "license" not in d.api["cardData"]
        flags["no language"] += "cardData" in d.api and "language" not in d.api["cardData"]
        flags["nc-nd"] += "license:cc-by-nc-nd-4.0" in d.api["tags"]
        error_code = ((d.viewer or {}).get("error") or {}).get("code")
        flags["not ready"] += error_code == "ResponseNotReady"
        flags["permanent error"] += error_code == "ConfigNamesError"
        flags["no viewer"] += d.viewer is None
        features = [s["features"] for c in (d.viewer or {}).get("configs", {}).values() for s in c.values()]
        types = (
            set().union(*(_types({f["name"]: f["type"] for f in fs}) for fs in features))
            if features
            else set()
        )
        for kind in ("ClassLabel", "Translation", "Image", "List"):
            flags[kind] += kind in types
        flags["3 configs"] += len((d.viewer or {}).get("configs", {})) == 3
        flags["single field"] += any(len(fs) == 1 for fs in features)
    assert flags["gated"] == flags["private"] == flags["disabled"] == flags["no card"] == 1
    assert flags["card without metadata"] == 1 and flags["nc-nd"] == 1 and flags["not ready"] == 1
    assert flags["permanent error"] == 1
    assert flags["no license"] >= 1 and flags["no language"] >= 2 and flags["3 configs"] == 1
    assert (
        flags["ClassLabel"] >= 10 and flags["Translation"] == 1 and flags["Image"] == 1 and flags["List"] >= 3
    )
    assert "modality:tabular" in datasets["tabular/housing"].api["tags"]
    assert "modality:image" in datasets["vision/shapes"].api["tags"]
    assert flags["single field"] >= 1 and flags["no viewer"] >= 1  # disabled


def test_demo_rows_are_sized_balanced_and_varied(demo_snapshot_dir: Path) -> None:  # noqa: F811
    longest = 0
    for d in Snapshot(demo_snapshot_dir).iter_datasets():
        for config in (d.viewer or {}).get("configs", {}).values():
            for split in config.values():
                rows = split["rows"]
                assert 40 <= len(rows) <= 150, d.repo_id
                assert len({json.dumps(row, sort_keys=True) for row in rows}) == len(rows), d.repo_id
                assert split["num_rows_total"] == len(rows)
                for feature in split["features"]:
                    name, ftype = feature["name"], feature["type"]
                    values = [row[name] for row in rows]
                    if ftype.get("_type") == "ClassLabel":
                        counts = Counter(values)
                        assert set(counts) <= set(range(len(ftype["names"])))
                        assert max(counts.values()) - min(counts.values()) <= 1, (d.repo_id, name)
                    if ftype.get("dtype") == "string":
                        assert len(set(values)) >= 6, (d.repo_id, name)
                    if ftype.get("dtype") == "string":
                        longest = max(longest, *(len(x) for x in values))
    assert longest > 20_000


def test_demo_api_items_agree_with_their_cards(demo_snapshot_dir: Path) -> None:  # noqa: F811
    for d in Snapshot(demo_snapshot_dir).iter_datasets():
        card = d.files.get("README.md")
        meta = parse_card_metadata(card.decode()) if card else None
        assert d.api.get("cardData") == meta
        if meta:
            assert f"license:{meta['license']}" in d.api["tags"] if "license" in meta else True
            assert all(f"language:{lang}" in d.api["tags"] for lang in meta.get("language", []))
            assert all(f"task_categories:{t}" in d.api["tags"] for t in meta["task_categories"])
            text = card.decode()
            for section in ("## Dataset Summary", "### Supported Tasks and Leaderboards", "### Data Fields"):
                assert section in text, (d.repo_id, section)
            if d.viewer and len(d.viewer["configs"]) == 1:
                features = next(iter(next(iter(d.viewer["configs"].values())).values()))["features"]
                assert [f["name"] for f in meta["dataset_info"]["features"]] == [f["name"] for f in features]
        assert len(d.api["sha"]) == 40 and d.api["createdAt"].endswith("Z")
    downloads = [d.api["downloads"] for d in Snapshot(demo_snapshot_dir).iter_datasets()]
    assert len(set(downloads)) == len(downloads)


def test_demo_snapshot_is_byte_identical_when_written_twice(tmp_path: Path) -> None:
    ids_a = write_demo_snapshot(tmp_path / "a")
    ids_b = write_demo_snapshot(tmp_path / "b")
    assert ids_a == ids_b == sorted(ids_a)
    files_a = {
        p.relative_to(tmp_path / "a"): p.read_bytes()
        for p in sorted((tmp_path / "a").rglob("*"))
        if p.is_file()
    }
    files_b = {
        p.relative_to(tmp_path / "b"): p.read_bytes()
        for p in sorted((tmp_path / "b").rglob("*"))
        if p.is_file()
    }
    assert files_a == files_b and len(files_a) > 3 * len(ids_a)


def test_demo_hub_through_the_real_clients(demo_mirror: MirrorServer, tmp_path: Path) -> None:  # noqa: F811
    api = HfApi(endpoint=demo_mirror.url)
    listed = list(api.list_datasets(full=True, sort="downloads"))
    assert len(listed) == len(SPECS) - 1  # the private one is hidden
    assert [d.downloads for d in listed] == sorted((d.downloads for d in listed), reverse=True)
    path = hf_hub_download(
        "acme/reading-qa", "README.md", repo_type="dataset", endpoint=demo_mirror.url, cache_dir=tmp_path
    )
    card = DatasetCard.load(path)
    assert card.data.license == "cc-by-4.0" and "<p>" in card.text
    broken = hf_hub_download(
        "broken/yaml-card", "README.md", repo_type="dataset", endpoint=demo_mirror.url, cache_dir=tmp_path
    )
    text = Path(broken).read_text()
    assert parse_card_metadata(text) is None and "## Dataset Summary" in text
    with httpx.Client(base_url=demo_mirror.viewer_url) as viewer:
        essays = viewer.get(
            "/first-rows", params={"dataset": "longform/essays", "config": "default", "split": "train"}
        )
        body = essays.json()
        assert body["truncated"] is True and 10 <= len(body["rows"]) < 45
        assert len(json.dumps(body).encode()) <= 1_100_000
        pending = viewer.get("/splits", params={"dataset": "slowpoke/pending-corpus"})
        assert pending.status_code == 500 and pending.headers["X-Error-Code"] == "ResponseNotReady"
        configs = viewer.get("/splits", params={"dataset": "benchmarks/glue-mini"}).json()["splits"]
        assert sorted({s["config"] for s in configs}) == ["cola", "mrpc", "sst2"]
