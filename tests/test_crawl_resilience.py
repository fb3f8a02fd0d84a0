"""The crawl under faults, kills, bad input, recording and replay; secrets stay out of every file."""

from __future__ import annotations

import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawl.crawler import run_crawl
from crawl.snapshot import Snapshot
from crawl.summary import format_summary
from dynosaur.cli import main
from hubmirror import FaultConfig, MirrorServer, Route, json_response
from hubmirror.demo.snapshot import make_dataset
from hubmirror.hub_routes import list_datasets
from tests.test_crawl_support import (
    TEXT,
    crawl,
    dataset,
    options,
    outputs,
    read_jsonl,
    reports,
    reviews,
    text_config,
    write_hub,
)

REPO_ROOT = Path(__file__).resolve().parents[1]


def _varied_hub(root: Path, n: int = 12) -> Path:
    """Kept, skipped and multi-config datasets, some with paged rows."""
    datasets = [
        dataset(f"org/kept-{i:02d}", configs=text_config(reviews(3 + i, offset=i)), downloads=i)
        for i in range(n)
    ]
    datasets += [
        dataset("org/gated", gated=True),
        dataset("org/noderivs", {"license": "cc-by-nd-4.0", "language": "en"}),
        dataset("org/pictures", configs=text_config(features={"image": {"_type": "Image"}, "text": TEXT})),
        dataset("org/paged", configs=text_config(reviews(130))),
        dataset(
            "org/multi",
            configs={name: text_config(reviews(2))["default"] for name in ("a", "b", "c")},
        ),
    ]
    return write_hub(root, datasets)


def test_faults_at_20_percent_give_the_same_outputs_as_no_faults(tmp_path: Path) -> None:
    hub = _varied_hub(tmp_path / "hub")
    with MirrorServer(hub) as clean:
        crawl(clean, tmp_path / "clean", rows=120)
        expected = outputs(tmp_path / "clean", clean.url)
    faults = FaultConfig(
        rate=0.2, seed=7, kinds=("429", "500", "503", "slow", "drop"), slow_seconds=0.05, retry_after=0
    )
    with MirrorServer(hub, faults=faults) as flaky:
        result = crawl(flaky, tmp_path / "flaky", rows=120)
        injected = [r.fault for r in flaky.requests if r.fault]
    assert len(set(injected)) == 5 and len(injected) >= 10
    assert result.exit_code == 0
    assert result.requests["retries"] == len(injected) - injected.count("slow")  # a slow answer is an answer
    assert result.requests["rate_limited"] == injected.count("429")
    assert outputs(tmp_path / "flaky", flaky.url) == expected


def _state_count(path: Path) -> int:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.1) as db:
            return db.execute("SELECT COUNT(*) FROM datasets").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_killed_crawl_resumes_to_byte_identical_outputs(tmp_path: Path) -> None:
    hub = _varied_hub(tmp_path / "hub", n=40)
    killed_dir = tmp_path / "killed"
    with MirrorServer(hub, latency=0.02) as mirror:
        crawl(mirror, tmp_path / "straight")
        command = [
            sys.executable, "-m", "dynosaur.cli", "crawl",
            "--hub-endpoint", mirror.url, "--viewer-endpoint", mirror.viewer_url,
            "--data-dir", str(killed_dir), "--concurrency", "2", "--no-progress",
            "--quota-api", "100000", "--quota-resolvers", "100000", "--quota-window", "1",
            "--retry-wait", "0.01",
        ]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HF_ENDPOINT")}
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 30
        while _state_count(killed_dir / "crawl_state.sqlite") < 12 and time.monotonic() < deadline:
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait()
        saved = _state_count(killed_dir / "crawl_state.sqlite")
        assert 12 <= saved < 45, "the crawl must be killed mid-way"
        assert not (killed_dir / "huggingface_data.jsonl").exists()
        mirror.reset_log()
        resumed = crawl(mirror, killed_dir)
    assert resumed.unchanged == saved and resumed.crawled == 45 - saved
    assert outputs(killed_dir) == outputs(tmp_path / "straight")


def _listing_with_bad_ids(request, ctx):  # type: ignore[no-untyped-def]
    response = list_datasets(request, ctx)
    items = json.loads(response.body)
    for bad in ("../../etc/passwd", "a/../b", "a/b/c", "..", "/abs", "a%2Fb", "ok/..."):
        items.append(
            {"_id": "x", "id": bad, "sha": "1" * 40, "cardData": {"license": "mit", "language": "en"}}
        )
    items.append({"_id": "y", "id": "nosha", "cardData": {"license": "mit", "language": "en"}})
    return json_response(items, headers=response.headers)


def test_ids_with_path_tricks_are_skipped_without_a_request(tmp_path: Path) -> None:
    hub = write_hub(tmp_path / "hub", [dataset("fine")])
    with MirrorServer(hub, extra_routes=[Route("GET", r"/api/datasets", _listing_with_bad_ids)]) as mirror:
        result = crawl(mirror, tmp_path / "out")
        paths = [r.path + "?" + r.query for r in mirror.requests]
    found = {name: line["reason"] for name, line in reports(tmp_path / "out").items()}
    assert found.pop("fine") is None
    assert found.pop("nosha") == "sha_missing"
    assert set(found.values()) == {"invalid_repo_id"} and len(found) == 7
    assert not [p for p in paths if "etc" in p or ".." in p or "a%2Fb" in p]
    assert result.exit_code == 0
    assert not (tmp_path / "etc").exists() and not (tmp_path / "out" / "etc").exists()


def test_bad_cards_and_huge_rows_give_reasons_not_crashes(tmp_path: Path) -> None:
    tags = ["license:mit", "language:en"]
    broken_yaml = "---\nlicense: [mit\nlanguage: en\n---\n## Dataset Summary\n\nStill useful.\n"
    latin1 = "---\nlicense: mit\n---\n## Dataset Summary\n\nCaf\xe9 reviews.\n".encode("latin-1")
    huge = {"text": "x" * 300_000, "label": 1}
    hub = write_hub(
        tmp_path / "hub",
        [
            make_dataset("yaml-tags", card=broken_yaml, configs=text_config(), tags=tags),
            make_dataset("yaml-bare", card=broken_yaml, configs=text_config()),
            make_dataset("latin1", card=None, files={"README.md": latin1}, configs=text_config(), tags=tags),
            dataset("huge", configs=text_config([*reviews(2), huge])),
            dataset("all-huge", configs=text_config([huge])),
        ],
    )
    with MirrorServer(hub) as mirror:
        result = crawl(mirror, tmp_path / "out")
    found = reports(tmp_path / "out")
    assert result.exit_code == 0
    assert found["yaml-tags"]["status"] == "kept"
    assert found["yaml-tags"]["notes"][0].startswith("card_yaml_malformed at line")
    assert (found["yaml-bare"]["status"], found["yaml-bare"]["reason"]) == ("skipped", "license_missing")
    assert found["yaml-bare"]["notes"][0].startswith("card_yaml_malformed")
    assert found["latin1"]["status"] == "kept" and found["latin1"]["notes"][0].startswith("card_not_utf8")
    assert found["huge"]["status"] == "kept"
    assert found["huge"]["notes"] == ["rows_dropped: default: 1 truncated or over 100000 chars"]
    assert (found["all-huge"]["status"], found["all-huge"]["reason"]) == ("skipped", "no_rows")
    lines = {line["task_name"]: line for line in read_jsonl(tmp_path / "out" / "huggingface_data.jsonl")}
    assert lines["yaml-tags"]["summary"] == "Still useful."
    assert lines["latin1"]["summary"] == "" and lines["latin1"]["license"] == "mit"
    assert len(lines["huge"]["selected_data"]) == 2


def test_record_then_replay_gives_identical_outputs(tmp_path: Path) -> None:
    hub = _varied_hub(tmp_path / "hub")
    error = {"status": 500, "code": "ResponseNotReady", "message": "not ready"}
    write_hub(
        hub,
        [dataset("org/broken", viewer_error=error), dataset("org/noviewer", viewer=False)],
        origin="https://huggingface.co",
    )
    record = tmp_path / "record"
    with MirrorServer(hub) as live:
        crawl(live, tmp_path / "live", rows=120, max_configs=2)
        live.reset_log()  # recording re-reads what the state already has, so the snapshot is whole
        crawl(live, tmp_path / "live", record_dir=record, rows=120, max_configs=2)
        live_requests = sorted((r.method, r.path, r.query) for r in live.requests if r.status != 500)
    with MirrorServer(record) as replay:
        crawl(replay, tmp_path / "replay", rows=120, max_configs=2)
        replay_requests = sorted((r.method, r.path, r.query) for r in replay.requests if r.status != 500)
        assert replay.count(status=404) == live_requests.count(
            ("GET", "/viewer/splits", "dataset=org%2Fnoviewer")
        )
    # the recording names the Hub it was taken from, so the replay links to the same pages
    assert Snapshot(record).load_origin() == "https://huggingface.co"
    assert outputs(tmp_path / "replay") == outputs(tmp_path / "live")
    assert b"127.0.0.1" not in b"".join(outputs(tmp_path / "replay").values())
    assert replay_requests == live_requests
    assert reports(tmp_path / "replay")["org/broken"]["status"] == "failed"


def test_token_never_reaches_a_written_file_or_log(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    token = "hf_S3cretTokenThatMustNotLeak"
    hub = _varied_hub(tmp_path / "hub", n=3)
    write_hub(hub, [dataset("org/private-one", private=True)])
    caplog.set_level(logging.DEBUG)
    with MirrorServer(hub) as mirror:
        opts = options(mirror, tmp_path / "out", token=token, record_dir=tmp_path / "record")
        result = run_crawl(opts)
    assert reports(tmp_path / "out")["org/private-one"]["reason"] == "private"  # the token was sent
    # a Hub that names no origin is its own: the recording says it came from the endpoint crawled
    assert Snapshot(tmp_path / "record").load_origin() == mirror.url
    written = [p for root in (tmp_path / "out", tmp_path / "record") for p in root.rglob("*") if p.is_file()]
    assert written and not [p for p in written if token.encode() in p.read_bytes()]
    assert token not in caplog.text and token not in format_summary(result) and token not in repr(opts)


def test_cli_reads_endpoints_from_the_environment_and_prints_a_summary(
    tmp_path: Path, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    hub = write_hub(tmp_path / "hub", [dataset("fine"), dataset("gated", gated=True)])
    with MirrorServer(hub) as mirror:
        monkeypatch.setenv("HF_ENDPOINT", mirror.url)
        monkeypatch.setenv("DYNOSAUR_VIEWER_ENDPOINT", mirror.viewer_url)
        monkeypatch.delenv("HF_TOKEN", raising=False)
        code = main(
            [
                "crawl",
                "--data-dir",
                str(tmp_path / "out"),
                "--no-progress",
                "--quota-window",
                "1",
                "--rows",
                "5",
            ]
        )
    printed = capsys.readouterr().out
    assert code == 0
    assert "listed 2 datasets" in printed and "skipped: gated 1" in printed and "429 received 0" in printed
    assert [line["task_name"] for line in read_jsonl(tmp_path / "out" / "huggingface_metadata.jsonl")] == [
        "fine"
    ]


def test_cli_rejects_bad_options_with_a_message(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as exited:
        main(["crawl", "--data-dir", str(tmp_path), "--rows", "0"])
    assert exited.value.code == 2
    assert "argument --rows: must be at least 1" in capsys.readouterr().err
    assert main(["crawl", "--data-dir", str(tmp_path), "--hub-endpoint", "huggingface.co"]) == 2
    assert "hub endpoint must be an http(s) URL" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_unreadable_state_is_reported_and_left_alone(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "crawl_state.sqlite").write_text("garbage")
    hub = write_hub(tmp_path / "hub", [dataset("fine")])
    with MirrorServer(hub) as mirror:
        code = main(["crawl", "--hub-endpoint", mirror.url, "--viewer-endpoint", mirror.viewer_url,
                     "--data-dir", str(tmp_path), "--no-progress"])  # fmt: skip
    assert code == 1 and "not a crawl state" in capsys.readouterr().err
    assert (tmp_path / "crawl_state.sqlite").read_text() == "garbage"


def test_listing_that_breaks_midway_keeps_state_and_removes_nothing(tmp_path: Path) -> None:
    hub = write_hub(tmp_path / "hub", [dataset(f"ds{i}", downloads=i) for i in range(4)])
    with MirrorServer(hub, page_size=2) as mirror:
        crawl(mirror, tmp_path / "out")
        failing = FaultConfig(rate=1.0, kinds=("503",), buckets=("api",))
    with MirrorServer(hub, page_size=2, faults=failing) as broken:
        result = crawl(broken, tmp_path / "out")
    assert result.exit_code == 1 and result.listing_error == "listing: http 503"
    assert result.removed == [] and len(reports(tmp_path / "out")) == 4
    assert "listing stopped early" in format_summary(result)
