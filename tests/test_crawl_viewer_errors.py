"""The viewer's failure modes through the real clients: permanent codes, not-ready datasets, faults."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from crawl.summary import format_summary
from crawl.viewer_codes import PERMANENT_CODES, TRANSIENT_CODES, is_permanent
from dynosaur.cli import main
from hubmirror import FaultConfig, MirrorServer
from tests.test_crawl_support import (
    crawl,
    dataset,
    outputs,
    read_jsonl,
    reports,
    reviews,
    text_config,
    write_hub,
)

CONFIG_NAMES = {"status": 500, "code": "ConfigNamesError", "message": "Cannot get the config names."}


def _not_ready(times: int) -> dict[str, object]:
    return {"status": 500, "code": "ResponseNotReady", "message": "not ready yet", "times": times}


def _viewer_requests(mirror: MirrorServer, repo_id: str) -> int:
    return sum(1 for r in mirror.requests if r.bucket == "viewer" and r.params["dataset"] == [repo_id])


def test_the_code_lists_agree() -> None:
    assert not PERMANENT_CODES & TRANSIENT_CODES
    assert is_permanent("SplitNamesFromStreamingError") and is_permanent("DatasetModuleNotInstalledError")
    assert not is_permanent("ResponseNotReady") and not is_permanent("UnexpectedError")
    assert not is_permanent(None) and not is_permanent("SomeCodeNobodyKnows")


def test_a_permanent_code_is_one_request_a_skip_with_its_code_and_no_retry_next_run(tmp_path: Path) -> None:
    too_big = text_config(reviews(4))["default"]["train"] | {
        "error": {"status": 500, "code": "TooBigContentError", "message": "too big"}
    }
    hub = write_hub(
        tmp_path / "hub",
        [
            dataset("org/fine"),
            dataset("org/script", viewer_error=CONFIG_NAMES),
            dataset("org/half", configs={"ok": text_config()["default"], "big": {"train": too_big}}),
        ],
    )
    with MirrorServer(hub) as mirror:
        first = crawl(mirror, tmp_path / "out")
        assert _viewer_requests(mirror, "org/script") == 1
        assert mirror.count(bucket="viewer", status=500) == 2  # /splits of script, /rows of half's big
        found = reports(tmp_path / "out")
        assert (found["org/script"]["status"], found["org/script"]["reason"]) == (
            "skipped",
            "viewer_error: ConfigNamesError",
        )
        assert found["org/half"]["status"] == "kept" and found["org/half"]["configs_kept"] == ["ok"]
        assert found["org/half"]["configs_skipped"] == {"big": "viewer_error: TooBigContentError"}
        assert first.exit_code == 0 and first.requests["permanent"] == 2 and first.requests["retries"] == 0
        assert "skipped: viewer_error 1" in format_summary(first)
        mirror.reset_log()
        second = crawl(mirror, tmp_path / "out")
        assert second.crawled == 0 and second.unchanged == 3 and second.exit_code == 0
        assert mirror.count(bucket="viewer") == 0


def test_a_dataset_not_ready_twice_then_ready_is_kept_in_the_same_run(tmp_path: Path) -> None:
    hub = write_hub(
        tmp_path / "hub", [dataset("org/fine"), dataset("org/warming", viewer_error=_not_ready(2))]
    )
    with MirrorServer(hub) as mirror:
        result = crawl(mirror, tmp_path / "out")
        assert mirror.count(bucket="viewer", status=500) == 2
    assert reports(tmp_path / "out")["org/warming"]["status"] == "kept"
    assert result.exit_code == 0 and result.deferred == 0 and result.requests["not_ready"] == 0


def test_a_dataset_still_not_ready_after_its_retries_is_kept_by_the_second_pass(tmp_path: Path) -> None:
    rows_late = text_config(reviews(5))["default"]["train"] | {"error": _not_ready(3)}
    hub = write_hub(
        tmp_path / "hub",
        [
            dataset("org/fine"),
            dataset("org/slow-splits", viewer_error=_not_ready(4)),
            dataset("org/slow-rows", configs={"default": {"train": rows_late}}),
        ],
    )
    with MirrorServer(hub) as mirror:
        result = crawl(mirror, tmp_path / "out")
        # three not-ready answers end the first pass's retries; the second pass gets the rest
        assert _viewer_requests(mirror, "org/slow-splits") == 3 + 2 + 1  # /splits x3; /splits x2, /rows
        assert _viewer_requests(mirror, "org/slow-rows") == 1 + 3 + 2  # /splits, /rows x3; both again
    found = reports(tmp_path / "out")
    assert {found[name]["status"] for name in found} == {"kept"}
    assert (result.deferred, result.recovered, result.exit_code) == (2, 2, 0)
    assert result.statuses == {"kept": 3} and result.requests["not_ready"] == 2
    assert "deferred (viewer not ready) 2: 2 answered in the second pass, 0 failed" in format_summary(result)
    lines = read_jsonl(tmp_path / "out" / "huggingface_data.jsonl")
    assert [line["task_name"] for line in lines] == ["org/fine", "org/slow-rows", "org/slow-splits"]
    assert len(lines[1]["selected_data"]) == 5


def _varied_hub(root: Path) -> Path:
    datasets = [
        dataset(f"org/kept-{i:02d}", configs=text_config(reviews(3 + i, offset=i)), downloads=i)
        for i in range(16)
    ]
    datasets += [
        dataset("org/script", viewer_error=CONFIG_NAMES),
        dataset("org/paged", configs=text_config(reviews(130))),
        dataset("org/multi", configs={name: text_config(reviews(2))["default"] for name in "abc"}),
    ]
    return write_hub(root, datasets)


def test_twenty_percent_faults_of_every_kind_give_the_outputs_of_a_fault_free_crawl(tmp_path: Path) -> None:
    hub = _varied_hub(tmp_path / "hub")
    with MirrorServer(hub) as clean:
        crawl(clean, tmp_path / "clean", rows=120)
        expected = outputs(tmp_path / "clean", clean.url)
    # a third of the faults are ResponseNotReady; one dataset at a time keeps the draws in order
    kinds = ("429", "500", "503", "slow", "not_ready", "not_ready")
    faults = FaultConfig(rate=0.2, seed=9, kinds=kinds, slow_seconds=0.02, retry_after=0)
    with MirrorServer(hub, faults=faults) as flaky:
        result = crawl(flaky, tmp_path / "flaky", rows=120, concurrency=1)
        answers: dict[tuple[str, str], list[str | None]] = {}
        for record in flaky.requests:
            answers.setdefault((record.path, record.query), []).append(record.fault)
    injected = [fault for faults_ in answers.values() for fault in faults_ if fault]
    assert set(injected) == set(kinds) and len(injected) >= 15
    # the case a single not-ready retry lost: ResponseNotReady twice in a row for one request
    assert any((a, b) == ("not_ready", "not_ready") for seq in answers.values() for a, b in pairwise(seq))
    assert result.exit_code == 0 and result.statuses["failed"] == 0
    assert result.requests["rate_limited"] == injected.count("429")
    assert outputs(tmp_path / "flaky", flaky.url) == expected


def test_the_crawl_command_exits_0_on_permanent_errors_and_late_viewers(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    hub = write_hub(
        tmp_path / "hub",
        [
            dataset("org/fine"),
            dataset("org/script", viewer_error=CONFIG_NAMES),
            dataset("org/late", viewer_error=_not_ready(4)),
        ],
    )
    with MirrorServer(hub) as mirror:
        argv = [
            "crawl", "--hub-endpoint", mirror.url, "--viewer-endpoint", mirror.viewer_url,
            "--data-dir", str(tmp_path / "out"), "--no-progress", "--retry-wait", "0.01",
            "--not-ready-wait", "0.01", "--quota-api", "100000", "--quota-resolvers", "100000",
        ]  # fmt: skip
        assert main(argv) == 0
        assert main(argv) == 0  # and again: nothing is left to retry
    printed = capsys.readouterr().out
    assert "deferred (viewer not ready) 1: 1 answered in the second pass, 0 failed" in printed
    assert "crawled 0, unchanged 3" in printed
    with pytest.raises(SystemExit) as exited:
        main([*argv[:-4], "--not-ready-wait", "-1"])
    assert exited.value.code == 2
