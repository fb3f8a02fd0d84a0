"""``dynosaur mirror demo-snapshot`` and ``dynosaur mirror serve``."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from huggingface_hub import HfApi

from dynosaur.cli import main
from hubmirror.demo.specs import SPECS

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_demo_snapshot_command_writes_a_servable_snapshot(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["mirror", "demo-snapshot", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    assert "datasets) to" in out and "dynosaur mirror serve" in out
    assert (tmp_path / "demo" / "datasets" / "nli-lite" / "api.json").is_file()


def test_demo_snapshot_refuses_a_folder_that_is_not_a_snapshot(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    assert main(["mirror", "demo-snapshot", str(tmp_path)]) == 2
    assert "not a snapshot directory" in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text() == "keep me" and not (tmp_path / "datasets").exists()


def test_serve_refuses_a_missing_snapshot(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["mirror", "serve", str(tmp_path / "nowhere")]) == 2
    assert "not a snapshot directory" in capsys.readouterr().err


def test_serve_refuses_bad_fault_settings(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "datasets").mkdir()
    with pytest.raises(SystemExit) as exited:
        main(["mirror", "serve", str(tmp_path), "--fault-rate", "2"])
    assert exited.value.code == 2 and "argument --fault-rate" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["mirror", "serve", str(tmp_path), "--fault-rate", "0.5", "--fault-kinds", "teapot"])


def test_serve_prints_urls_serves_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    assert main(["mirror", "demo-snapshot", str(tmp_path / "demo")]) == 0
    command = [
        sys.executable,
        "-m",
        "dynosaur.cli",
        "mirror",
        "serve",
        str(tmp_path / "demo"),
        "--quota-api",
        "50",
    ]
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        hub_line = process.stdout.readline()
        viewer_line = process.stdout.readline()
        assert hub_line.startswith("Hub mirror:") and viewer_line.startswith("Viewer:"), process.stderr.read()
        url, viewer_url = hub_line.split()[-1], viewer_line.split()[-1]
        assert url.startswith("http://127.0.0.1:") and viewer_url == url + "/viewer"
        assert f"Serving {len(SPECS)} datasets" in process.stdout.readline()
        ids = [d.id for d in HfApi(endpoint=url).list_datasets(search="glue")]
        assert ids == ["benchmarks/glue-mini"]
        response = httpx.get(f"{viewer_url}/is-valid", params={"dataset": "nli-lite"})
        assert response.status_code == 200 and response.json()["preview"] is True
        assert httpx.get(f"{url}/api/datasets/nli-lite").headers["RateLimit"].startswith('"api";r=48;')
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert "Stopped. 3 requests (api 2, viewer 1)" in out
