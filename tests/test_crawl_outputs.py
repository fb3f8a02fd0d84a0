"""A rerun encodes only what changed, and its files equal those a crawl from scratch writes."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from crawl.outputs import DATA_FILE, LICENSE_FILE, METADATA_FILE, REPORT_FILE
from crawl.records import DatasetOutcome
from crawl.state import STATE_FILE, CrawlState
from hubmirror import MirrorServer
from tests.test_crawl_support import OUTPUTS, card, crawl, dataset, outputs, reviews, text_config, write_hub


def _hub(
    root: Path,
    changed: frozenset[int] = frozenset(),
    gone: frozenset[int] = frozenset(),
    extra: int = 0,
    skipped_summary: str = "Short product reviews.",
) -> Path:
    """12 kept datasets with 20 rows each, 2 skipped; ``changed`` get other rows, ``gone`` vanish."""
    datasets = [
        dataset(f"org/kept-{i:02d}", configs=text_config(reviews(20, offset=100 * i + 50 * (i in changed))))
        for i in range(12 + extra)
        if i not in gone
    ]
    noderivs = card({"license": "cc-by-nd-4.0", "language": ["en"]}, summary=skipped_summary)
    datasets += [dataset("org/gated", gated=True), dataset("org/noderivs", card=noderivs)]
    shutil.rmtree(root, ignore_errors=True)
    return write_hub(root, datasets, origin="https://huggingface.co")


def _crawl(hub: Path, data_dir: Path):  # type: ignore[no-untyped-def]
    with MirrorServer(hub) as mirror:
        return crawl(mirror, data_dir)


def _lines_of(data_dir: Path, name: str, datasets: set[str]) -> int:
    """Bytes of the lines in ``name`` that ``datasets`` make (newline included)."""
    total = 0
    for raw in (data_dir / name).read_bytes().splitlines(keepends=True):
        if json.loads(raw)["dataset"] in datasets:
            total += len(raw)
    return total


def test_a_rerun_after_k_changes_encodes_only_them(tmp_path: Path) -> None:
    hub = _hub(tmp_path / "hub")
    data_dir = tmp_path / "out"
    first = _crawl(hub, data_dir)
    assert first.outputs.bytes_copied == dict.fromkeys(OUTPUTS, 0) and len(first.outputs.files_replaced) == 4
    sizes = {name: (data_dir / name).stat().st_size for name in OUTPUTS}

    hub = _hub(tmp_path / "hub", changed=frozenset({3, 7}), gone=frozenset({10}), extra=1)
    rerun = _crawl(hub, data_dir)
    fresh = _crawl(hub, tmp_path / "fresh")
    assert outputs(data_dir) == outputs(tmp_path / "fresh")
    assert rerun.crawled == 3 and rerun.removed == ["org/kept-10"]
    touched = {"org/kept-03", "org/kept-07", "org/kept-12"}
    written = rerun.outputs.bytes_written
    assert written[DATA_FILE] == _lines_of(data_dir, DATA_FILE, touched)
    assert written[METADATA_FILE] == _lines_of(data_dir, METADATA_FILE, touched)
    assert written[REPORT_FILE] == _lines_of(data_dir, REPORT_FILE, touched)
    assert 0 < written[LICENSE_FILE] < sizes[LICENSE_FILE] / 4
    for name in OUTPUTS:  # every other byte came from the previous file
        assert written[name] + rerun.outputs.bytes_copied[name] == (data_dir / name).stat().st_size
    assert sum(written.values()) < sum(sizes.values()) / 3
    assert fresh.outputs.bytes_copied == dict.fromkeys(OUTPUTS, 0)


def test_a_change_that_keeps_every_line_leaves_the_line_files_alone(tmp_path: Path) -> None:
    data_dir = tmp_path / "out"
    _crawl(_hub(tmp_path / "hub"), data_dir)
    before = {name: (data_dir / name).stat().st_ino for name in OUTPUTS}
    rerun = _crawl(_hub(tmp_path / "hub", skipped_summary="Another summary."), data_dir)
    assert rerun.crawled == 1  # a skipped dataset got a new sha: only its report line changes
    after = {name: (data_dir / name).stat().st_ino for name in OUTPUTS}
    assert rerun.outputs.files_replaced == [REPORT_FILE]
    assert {name for name in OUTPUTS if after[name] != before[name]} == {REPORT_FILE}
    assert sum(rerun.outputs.bytes_written.values()) == _lines_of(data_dir, REPORT_FILE, {"org/noderivs"})


def test_task_name_collisions_follow_the_datasets_that_come_and_go(tmp_path: Path) -> None:
    # "org/a" has configs "b" and "c", so it makes "org/a-b", the single-config "org/a-b"'s name.
    multi = dataset(
        "org/a", configs={**text_config(), "b": text_config()["default"], "c": text_config()["default"]}
    )
    single = dataset("org/a-b", configs=text_config(reviews(4, offset=9)))
    data_dir = tmp_path / "out"
    for step, datasets in enumerate([[single], [multi, single], [single], [multi, single]]):
        hub = write_hub(tmp_path / f"hub-{step}", datasets, origin="https://huggingface.co")
        _crawl(hub, data_dir)
        _crawl(hub, tmp_path / f"fresh-{step}")
        assert outputs(data_dir) == outputs(tmp_path / f"fresh-{step}"), step
    reports = [json.loads(line) for line in (data_dir / REPORT_FILE).read_text().splitlines()]
    assert reports[1]["notes"] == ["task_name_collision: org/a-b"]


def test_a_deleted_data_file_has_its_datasets_crawled_again(tmp_path: Path) -> None:
    hub = _hub(tmp_path / "hub")
    data_dir = tmp_path / "out"
    _crawl(hub, data_dir)
    before = outputs(data_dir)
    (data_dir / DATA_FILE).unlink()
    rerun = _crawl(hub, data_dir)
    assert rerun.lost == 12 and rerun.crawled == 12
    assert outputs(data_dir) == before


def test_a_data_file_copied_in_place_is_adopted_without_a_crawl(tmp_path: Path) -> None:
    hub = _hub(tmp_path / "hub")
    data_dir = tmp_path / "out"
    _crawl(hub, data_dir)
    before = outputs(data_dir)
    path = data_dir / DATA_FILE
    copy = path.with_suffix(".copy")
    copy.write_bytes(path.read_bytes())
    os.replace(copy, path)  # another inode, the same lines
    rerun = _crawl(hub, data_dir)
    assert rerun.lost == 0 and rerun.crawled == 0
    assert outputs(data_dir) == before
    # Changed outside the crawl: the state no longer trusts it.
    path.write_bytes(path.read_bytes().replace(b"review number", b"review NUMBER"))
    rerun = _crawl(hub, data_dir)
    assert rerun.lost == 12 and outputs(data_dir) == before


def test_a_run_killed_between_commit_and_rename_finishes_the_renames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "out"
    _crawl(_hub(tmp_path / "hub"), data_dir)
    hub = _hub(tmp_path / "hub", changed=frozenset({0, 11}))

    def killed(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("crawl.outputs.os.replace", killed)
    with pytest.raises(KeyboardInterrupt):
        _crawl(hub, data_dir)
    monkeypatch.undo()
    rerun = _crawl(hub, data_dir)
    _crawl(hub, tmp_path / "fresh")
    assert rerun.crawled == 0
    assert outputs(data_dir) == outputs(tmp_path / "fresh")
    assert sorted(p.name for p in data_dir.iterdir() if p.name.startswith(".")) == []


def test_the_state_keeps_no_row_once_the_data_file_holds_it(tmp_path: Path) -> None:
    hub = _hub(tmp_path / "hub")
    data_dir = tmp_path / "out"
    _crawl(hub, data_dir)
    with CrawlState(data_dir / STATE_FILE) as state:
        assert list(state.lines()) == []
    state_bytes = (data_dir / STATE_FILE).read_bytes()
    assert b"review number 105" in (data_dir / DATA_FILE).read_bytes()
    assert b"review number 105" not in state_bytes  # freed pages are given back, not kept


def test_a_state_of_schema_1_is_upgraded_and_writes_the_same_files(tmp_path: Path) -> None:
    data_dir = tmp_path / "out"
    data_dir.mkdir()
    db = sqlite3.connect(data_dir / STATE_FILE)
    db.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE datasets (id TEXT PRIMARY KEY, sha TEXT, status TEXT NOT NULL, "
        "fingerprint TEXT NOT NULL, listing_key TEXT NOT NULL, report TEXT NOT NULL);"
        "CREATE TABLE lines (dataset TEXT NOT NULL, task_name TEXT NOT NULL, line TEXT NOT NULL, "
        "PRIMARY KEY (dataset, task_name));"
        "INSERT INTO meta VALUES ('schema', '1');"
    )
    outcome = DatasetOutcome(dataset="a", sha="1", status="kept", lines=[{"task_name": "a", "x": 1}])
    db.execute(
        "INSERT INTO datasets VALUES ('a', '1', 'kept', 'fp', 'q', ?)", (json.dumps(outcome.report()),)
    )
    db.execute("INSERT INTO lines VALUES ('a', 'a', ?)", (json.dumps(outcome.lines[0]),))
    db.commit()
    db.close()
    with CrawlState(data_dir / STATE_FILE) as state:
        assert [line for _, line in state.lines()] == [{"task_name": "a", "x": 1}]
        assert not state.needs_crawl(state.entry("a"), "1", "fp")
