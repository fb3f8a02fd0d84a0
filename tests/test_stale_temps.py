"""A run killed before its atomic rename leaves a temp file; the next organize removes only that."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from crawl.artifacts import temp_path_beside
from crawl.leftovers import STALE_AFTER_S, remove_stale_temps, stale_temps, temp_pattern
from dynosaur.cli import main
from tests.test_organize import arrange, config_line, task

HOUR_AGO = time.time() - 3600


def tree(root: Path) -> dict[str, str]:
    """Every file below ``root`` by its path relative to ``root``: its content's hash."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


def data_dir(tmp_path: Path) -> Path:
    rows = [{"text": f"sentence number {i}", "label": f"topic {i % 7}"} for i in range(40)]
    return arrange(tmp_path, [config_line("a/news", rows)], [task("a/news", ["text"], "label")])


def killed_run_leftover(target: Path, content: bytes = b'{"instruction":"half a li') -> Path:
    """What a run killed between writing and renaming leaves: a temp file beside ``target``."""
    temp = temp_path_beside(target)
    temp.write_bytes(content)
    os.utime(temp, (HOUR_AGO, HOUR_AGO))
    return temp


def test_the_pattern_is_the_one_atomic_writes_use(tmp_path):
    made = temp_path_beside(tmp_path / "dynosaur-full.jsonl")
    assert temp_pattern("dynosaur-full.jsonl").fullmatch(made.name)
    for other in [
        "dynosaur-full.jsonl.tmp",
        ".dynosaur-full.jsonl.tmp",
        ".dynosaur-full.jsonl.abcdefg.tmp",  # seven characters
        ".dynosaur-full.jsonl.abcdefgh.tmp.bak",
        ".dynosaur-fullXjsonl.abcdefgh.tmp",
        ".dynosaur-full.parquet.abcdefgh.tmp",
    ]:
        assert not temp_pattern("dynosaur-full.jsonl").fullmatch(other), other


def test_organize_removes_a_killed_runs_temp_files_and_nothing_else(tmp_path, capsys):
    data = data_dir(tmp_path)
    clean = tmp_path / "clean"
    clean.mkdir()
    assert (
        main(["organize", "--data-dir", str(data), "--output", str(clean / "r.jsonl"), "--no-progress"]) == 0
    )
    assert main(["organize", "--data-dir", str(data), "--no-progress"]) == 0
    expected = (data / "dynosaur-full.jsonl").read_bytes()
    stale = [
        killed_run_leftover(data / "dynosaur-full.jsonl"),
        killed_run_leftover(data / "dynosaur-full.parquet", b"PAR1"),
        killed_run_leftover(data / "organize_report.json", b"{"),
    ]
    live = temp_path_beside(data / "dynosaur-full.jsonl")  # a concurrent run's, written just now
    live.write_bytes(b'{"instruction":"being written')
    user_files = {
        "notes.tmp": b"my notes",
        ".dynosaur-full.jsonl.tmp": b"not made by a run",
        ".dynosaur-full.jsonl.abcdefgh.tmp.bak": b"a backup",
        ".huggingface_data.jsonl.abcdefgh.tmp": b"another stage's temp file",
    }
    for name, content in user_files.items():
        (data / name).write_bytes(content)
        os.utime(data / name, (HOUR_AGO, HOUR_AGO))
    (data / ".dynosaur-full.jsonl.zzzzzzzz.tmp").symlink_to(data / "notes.tmp")
    os.utime(data / ".dynosaur-full.jsonl.zzzzzzzz.tmp", (HOUR_AGO, HOUR_AGO), follow_symlinks=False)
    outputs = {"dynosaur-full.jsonl", "dynosaur-full.parquet", "organize_report.json"}
    before = {k: v for k, v in tree(data).items() if k not in outputs and k not in {p.name for p in stale}}
    capsys.readouterr()

    assert main(["organize", "--data-dir", str(data), "--no-progress"]) == 0

    assert not any(path.exists() for path in stale)
    assert live.read_bytes() == b'{"instruction":"being written'
    assert (data / ".dynosaur-full.jsonl.zzzzzzzz.tmp").is_symlink()
    assert {k: v for k, v in tree(data).items() if k not in outputs} == before
    assert (data / "dynosaur-full.jsonl").read_bytes() == expected == (clean / "r.jsonl").read_bytes()
    report = json.loads((data / "organize_report.json").read_text())
    assert report["stale_temp_files_removed"] == 3
    assert re.search(r"removed +3  temp files left by an interrupted run", capsys.readouterr().out)
    assert main(["organize", "--data-dir", str(data), "--no-progress"]) == 0
    assert json.loads((data / "organize_report.json").read_text())["stale_temp_files_removed"] == 0


KILLED_MID_WRITE = """
import os, signal, sys
from dynosaur.contracts.records import RecordWriter
from dynosaur.cli import main

write_task = RecordWriter.write_task

def write_then_die(self, *args, **kwargs):
    write_task(self, *args, **kwargs)
    self._jsonl.flush()
    os.kill(os.getpid(), signal.SIGKILL)

RecordWriter.write_task = write_then_die
main(["organize", "--data-dir", sys.argv[1], "--no-progress"])
"""


def test_organize_killed_mid_write_leaves_temp_files_that_a_later_run_removes(tmp_path):
    data = data_dir(tmp_path)
    assert main(["organize", "--data-dir", str(data), "--no-progress"]) == 0
    expected = tree(data)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run([sys.executable, "-c", KILLED_MID_WRITE, str(data)], env=env, capture_output=True)
    assert done.returncode == -signal.SIGKILL, done.stderr
    left = sorted(p.name for p in data.iterdir() if p.name.endswith(".tmp"))
    assert len(left) == 2 and temp_pattern("dynosaur-full.jsonl").fullmatch(left[0])
    assert temp_pattern("dynosaur-full.parquet").fullmatch(left[1])
    assert tree(data).items() >= expected.items()  # the killed run replaced nothing

    assert main(["organize", "--data-dir", str(data), "--no-progress"]) == 0
    assert sorted(p.name for p in data.iterdir() if p.name.endswith(".tmp")) == left  # maybe still live
    for name in left:
        os.utime(data / name, (HOUR_AGO, HOUR_AGO))
    assert main(["organize", "--data-dir", str(data), "--no-progress"]) == 0
    assert not [p for p in data.iterdir() if p.name.endswith(".tmp")]
    report = json.loads((data / "organize_report.json").read_text())
    assert report.pop("stale_temp_files_removed") == 2
    assert {k: v for k, v in tree(data).items() if k != "organize_report.json"} == {
        k: v for k, v in expected.items() if k != "organize_report.json"
    }


def test_only_temp_files_untouched_for_the_stale_age_are_removed(tmp_path):
    target = tmp_path / "out.jsonl"
    old = killed_run_leftover(target)
    recent = temp_path_beside(target)
    os.utime(recent, (time.time() - STALE_AFTER_S + 60,) * 2)
    assert stale_temps(target) == [old]
    assert remove_stale_temps([target, tmp_path / "missing" / "x.jsonl"]) == 1
    assert recent.exists() and not old.exists()
