"""``dynosaur documents`` never opens what is not a regular file, and never reads past its size bound."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from dynosaur.cli import main
from dynosaur.core.errors import OptionError
from dynosaur.documents import DocumentsOptions
from dynosaur.documents.discover import find_documents
from dynosaur.documents.readers import SkipDocument, read_document
from tests.support.openai_server import ScriptedOpenAIServer
from tests.test_documents_cli import restating_responder

PROSE = (
    "Tea grows on steep green hills where the morning mist keeps the leaves soft and slow to ripen. "
    "Pickers walk the rows by hand and take only the top two leaves and a bud from every bush. "
    "The leaves are withered on racks, rolled to break their cells, and dried over gentle charcoal fires.\n"
)


@pytest.fixture
def no_hang() -> Iterator[None]:
    """Turn a read that would block forever into a failing test instead of a stuck suite."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError("a read blocked: a FIFO was opened")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, 20)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def snapshot(root: Path) -> dict[str, str]:
    """Every entry below ``root``: a regular file's hash, a symlink's target, another's kind."""
    seen = {}
    for current, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(current) / name
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                seen[str(path)] = "-> " + os.readlink(path)
            elif stat.S_ISREG(mode):
                seen[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                seen[str(path)] = stat.filemode(mode)
    return seen


def special_folder(tmp_path: Path) -> tuple[Path, socket.socket]:
    docs = tmp_path / "d"
    docs.mkdir()
    (docs / "good.txt").write_text(PROSE, encoding="utf-8")
    (docs / "big.txt").write_text(PROSE * 20, encoding="utf-8")
    os.mkfifo(docs / "pipe.txt")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(docs / "s.txt"))
    outside = tmp_path / "private.txt"
    outside.write_text("not a document of this folder\n", encoding="utf-8")
    (docs / "out-link.txt").symlink_to(outside)
    (docs / "pipe-link.txt").symlink_to(docs / "pipe.txt")
    (docs / "broken.txt").symlink_to(docs / "nothing-here.txt")
    (docs / "in-link.txt").symlink_to("good.txt")
    return docs, sock


def test_special_files_and_stray_symlinks_are_skipped_with_their_reasons(tmp_path, no_hang):
    docs, sock = special_folder(tmp_path)
    with sock:
        found = {f.relpath: (f.skip, f.detail) for f in find_documents(docs)}
    assert found == {
        "big.txt": (None, ""),
        "broken.txt": ("broken symlink", "its target does not exist"),
        "good.txt": (None, ""),
        "in-link.txt": (None, ""),
        "out-link.txt": ("symlink outside the input folder", "its target is not below the input folder"),
        "pipe-link.txt": ("not a regular file", "symlink to a FIFO"),
        "pipe.txt": ("not a regular file", "FIFO"),
        "s.txt": ("not a regular file", "socket"),
    }


def test_reader_refuses_a_fifo_without_waiting_for_a_writer(tmp_path, no_hang):
    os.mkfifo(tmp_path / "pipe.txt")
    with pytest.raises(SkipDocument) as caught:
        read_document(tmp_path / "pipe.txt")
    assert (caught.value.reason, caught.value.detail) == ("not a regular file", "FIFO")


def test_reader_reads_no_more_than_its_bound_even_when_the_size_lies(tmp_path, monkeypatch):
    path = tmp_path / "grows.txt"
    path.write_text("word " * 100, encoding="utf-8")
    real_fstat = os.fstat

    def shrunk(fd: int) -> os.stat_result:  # as if the file grew after it was measured
        found = real_fstat(fd)
        return os.stat_result((*found[:6], 10, *found[7:10]))

    monkeypatch.setattr(os, "fstat", shrunk)
    with pytest.raises(SkipDocument) as caught:
        read_document(path, max_bytes=100)
    assert (caught.value.reason, caught.value.detail) == ("file too large", "more than 100 bytes")


def test_documents_command_reports_every_skip_and_leaves_the_inputs_as_they_were(
    tmp_path, monkeypatch, capsys, no_hang
):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-documents")
    docs, sock = special_folder(tmp_path)
    before = snapshot(tmp_path)
    out = tmp_path / "out"
    argv = ["documents", "--input-dir", str(docs), "--output-dir", str(out), "--no-progress"]
    with sock, ScriptedOpenAIServer(restating_responder) as server:
        assert main([*argv, "--max-file-bytes", str(len(PROSE) + 1), "--base-url", server.base_url]) == 0
        assert server.calls == 1  # good.txt and in-link.txt share one chunk text: one cached answer
    report = [json.loads(line) for line in (out / "documents_report.jsonl").read_text().splitlines()]
    files = {line["source_file"]: line for line in report if line["kind"] == "file"}
    assert {name: line.get("reason") for name, line in files.items()} == {
        "big.txt": "file too large",
        "broken.txt": "broken symlink",
        "good.txt": None,
        "in-link.txt": None,
        "out-link.txt": "symlink outside the input folder",
        "pipe-link.txt": "not a regular file",
        "pipe.txt": "not a regular file",
        "s.txt": "not a regular file",
    }
    assert files["pipe.txt"]["detail"] == "FIFO"
    assert files["big.txt"]["detail"] == f"{len(PROSE) * 20} bytes > {len(PROSE) + 1}"
    records = [json.loads(line) for line in (out / "documents_instructions.jsonl").read_text().splitlines()]
    assert {r["source_file"] for r in records} <= {"good.txt", "in-link.txt"} and records
    assert "not a document" not in (out / "documents_instructions.jsonl").read_text()
    after = snapshot(tmp_path)
    assert {k: v for k, v in after.items() if not k.startswith(str(out))} == before
    capsys.readouterr()


def test_a_file_size_bound_below_one_byte_is_refused(tmp_path, capsys):
    (tmp_path / "good.txt").write_text(PROSE, encoding="utf-8")
    before = snapshot(tmp_path)
    argv = ["documents", "--input-dir", str(tmp_path), "--output-dir", str(tmp_path / "out")]
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--max-file-bytes", "0", "--base-url", "http://127.0.0.1:9/v1", "--no-progress"])
    err = capsys.readouterr().err
    assert exited.value.code == 2 and "argument --max-file-bytes: must be at least 1, got 0" in err
    assert "Traceback" not in err and snapshot(tmp_path) == before
    with pytest.raises(OptionError, match="max_file_bytes must be at least 1"):
        DocumentsOptions(max_file_bytes=-1).check()
