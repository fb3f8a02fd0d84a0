"""Reruns cost what changed: unchanged reruns write nothing, the Hub's origin (not its port) counts."""

from __future__ import annotations

from pathlib import Path

from crawl.dataset import clean_rows
from crawl.features import feature_map
from crawl.outputs import POLICY_FILE
from crawl.viewer import RowsPage
from hubmirror import MirrorServer
from tests.test_crawl_support import OUTPUTS, TEXT, crawl, dataset, outputs, reviews, text_config, write_hub

ARTIFACTS = (*OUTPUTS, POLICY_FILE)


def _stats(data_dir: Path) -> dict[str, tuple[int, int, int]]:
    """(inode, mtime ns, size) of every file in ``data_dir`` but the state."""
    return {
        p.name: (p.stat().st_ino, p.stat().st_mtime_ns, p.stat().st_size)
        for p in data_dir.iterdir()
        if not p.name.startswith("crawl_state.sqlite")
    }


def _hub(root: Path, n: int = 6, origin: str | None = "https://huggingface.co") -> Path:
    datasets = [dataset(f"org/kept-{i}", configs=text_config(reviews(2 + i, offset=i))) for i in range(n)]
    datasets += [dataset("org/gated", gated=True), dataset("org/noderivs", {"license": "cc-by-nd-4.0"})]
    return write_hub(root, datasets, origin=origin)


def test_clean_rows_measures_rows_one_by_one_only_when_the_page_is_long() -> None:
    features = feature_map([{"feature_idx": 0, "name": "text", "type": TEXT}])
    page = RowsPage(features=[], rows=[{"row_idx": i, "row": {"text": "x" * 40}} for i in range(5)])
    rows, indices, dropped = clean_rows(page, features, max_chars=1000)
    assert (len(rows), indices, dropped) == (5, [0, 1, 2, 3, 4], 0)
    # The page is longer than the limit, each row is not: all are kept.
    rows, _, dropped = clean_rows(page, features, max_chars=60)
    assert (len(rows), dropped) == (5, 0)
    page.rows.append({"row_idx": 5, "row": {"text": "y" * 80}})
    rows, indices, dropped = clean_rows(page, features, max_chars=60)
    assert (len(rows), indices[-1], dropped) == (5, 4, 1)


def test_an_unchanged_rerun_writes_no_output_byte(tmp_path: Path) -> None:
    hub = _hub(tmp_path / "hub")
    data_dir = tmp_path / "out"
    with MirrorServer(hub) as mirror:
        crawl(mirror, data_dir)
        before, contents = _stats(data_dir), outputs(data_dir)
        assert set(ARTIFACTS) <= set(before)
        result = crawl(mirror, data_dir)
    assert result.crawled == 0 and result.unchanged == 8
    assert _stats(data_dir) == before  # same files, same inodes, never rewritten
    assert outputs(data_dir) == contents
    assert result.outputs.lines == 6 and result.outputs.datasets == 8


def test_a_missing_output_is_written_again_on_an_unchanged_rerun(tmp_path: Path) -> None:
    hub = _hub(tmp_path / "hub")
    data_dir = tmp_path / "out"
    with MirrorServer(hub) as mirror:
        crawl(mirror, data_dir)
        contents = outputs(data_dir)
        (data_dir / OUTPUTS[1]).unlink()
        crawl(mirror, data_dir)
    assert outputs(data_dir) == contents


def test_the_same_snapshot_on_another_port_is_not_crawled_again(tmp_path: Path) -> None:
    hub = _hub(tmp_path / "hub")
    data_dir = tmp_path / "out"
    with MirrorServer(hub) as first, MirrorServer(hub) as second:
        assert first.port != second.port
        crawl(first, data_dir)
        before = _stats(data_dir)
        result = crawl(second, data_dir)
        assert [r.path for r in second.requests] == ["/api/datasets"]
    assert result.crawled == 0 and result.unchanged == 8
    assert _stats(data_dir) == before


def test_a_snapshot_without_an_origin_is_crawled_again_on_another_port(tmp_path: Path) -> None:
    # Its records link to the endpoint itself, so another port means other websites.
    hub = _hub(tmp_path / "hub", n=2, origin=None)
    data_dir = tmp_path / "out"
    with MirrorServer(hub) as first, MirrorServer(hub) as second:
        crawl(first, data_dir)
        result = crawl(second, data_dir)
        websites = (data_dir / OUTPUTS[0]).read_text()
    assert result.crawled == 4
    assert second.url in websites and first.url not in websites
