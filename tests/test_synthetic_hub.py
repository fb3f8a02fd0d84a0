"""hubmirror.synthetic: the same Hub for the same size, in shapes the crawler reads as the real Hub's."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawl.outputs import DATA_FILE
from crawl.records import reason_kind
from hubmirror import MirrorServer
from hubmirror.synthetic import KEPT_KINDS, change_datasets, repo_id, write_synthetic_hub
from tests.test_crawl_support import crawl, read_jsonl, reports

REASONS = {
    2: "modality",
    3: "license_denied",
    4: "license_denied",
    5: "license_denied",
    6: "gated",
    7: "language_not_allowed",
    8: "license_missing",
    9: "modality",
}


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_same_size_writes_the_same_bytes(tmp_path: Path) -> None:
    assert write_synthetic_hub(tmp_path / "a", 25) == write_synthetic_hub(tmp_path / "b", 25) == 6
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    write_synthetic_hub(tmp_path / "c", 26)
    assert set(_tree(tmp_path / "a")) < set(_tree(tmp_path / "c"))


def test_a_hub_without_datasets_or_rows_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one dataset"):
        write_synthetic_hub(tmp_path, 0)
    with pytest.raises(ValueError, match="one row"):
        write_synthetic_hub(tmp_path, 3, rows=0)


def test_the_crawler_keeps_the_kept_kinds_and_skips_each_other_kind_for_its_reason(tmp_path: Path) -> None:
    hub = tmp_path / "hub"
    write_synthetic_hub(hub, 20, rows=4)
    with MirrorServer(hub) as mirror:
        result = crawl(mirror, tmp_path / "out")
    assert result.exit_code == 0 and result.listed == 20
    found = reports(tmp_path / "out")
    for i in range(20):
        report = found[repo_id(i)]
        if i % 10 in KEPT_KINDS:
            assert report["status"] == "kept", report
        else:
            assert (report["status"], reason_kind(report["reason"])) == ("skipped", REASONS[i % 10])
    lines = read_jsonl(tmp_path / "out" / DATA_FILE)
    assert [line["dataset"] for line in lines] == [repo_id(i) for i in range(20) if i % 10 in KEPT_KINDS]
    assert all(len(line["selected_data"]) == 4 and line["license"] == "mit" for line in lines)
    assert lines[0]["website"] == f"https://huggingface.co/datasets/{repo_id(0)}"


def test_changed_datasets_get_a_new_sha_and_are_the_only_ones_crawled_again(tmp_path: Path) -> None:
    hub = tmp_path / "hub"
    write_synthetic_hub(hub, 20)
    with MirrorServer(hub) as mirror:
        crawl(mirror, tmp_path / "out")
    before = reports(tmp_path / "out")
    change_datasets(hub, [1, 7])
    with MirrorServer(hub) as mirror:
        result = crawl(mirror, tmp_path / "out")
    assert result.crawled == 2 and result.unchanged == 18
    after = reports(tmp_path / "out")
    assert {name for name in after if after[name]["sha"] != before[name]["sha"]} == {repo_id(1), repo_id(7)}
    texts = [
        row["text"] for line in read_jsonl(tmp_path / "out" / DATA_FILE) for row in line["selected_data"]
    ]
    assert any(text.startswith("review 1.1.") for text in texts)
