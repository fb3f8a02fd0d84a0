"""Bad input and a hostile disk end in a message, never a traceback, and leave earlier files as they were.

A malformed metadata line is skipped with its reason (the other datasets still go through); a
full disk or a read-only folder ends the command with exit code 2 and a message naming the file
and the cause; Ctrl-C at start-up exits 130. Tests run as root, so a read-only folder and a full
disk are simulated by making the system calls fail as they would.
"""

from __future__ import annotations

import errno
import hashlib
import itertools
import json
import os
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import dynosaur.cli
from crawl.artifact_errors import UnreadableLine, WriteFailed
from crawl.artifacts import atomic_write_jsonl, read_jsonl
from dynosaur.cli import main
from dynosaur.contracts.artifacts import DECONTAMINATION_REPORT_FILE, RECORDS_FILE
from dynosaur.contracts.decontamination import file_sha256
from dynosaur.dino.inputs import InputError, read_inputs
from dynosaur.documents import EXAMPLES_DIR
from hubmirror import MirrorServer
from tests.support.openai_server import ScriptedOpenAIServer
from tests.test_crawl_support import dataset, write_hub
from tests.test_documents_cli import restating_responder
from tests.test_propose import _cola, _sst2
from tests.test_publish import organized

NOT_UTF8 = b'{"task_name": "caf\xe9"}\n'
TEXT = {"dtype": "string", "_type": "Value"}


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` and the SHA-256 of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def metadata_dir(tmp_path: Path, lines: list[bytes]) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    (data / "huggingface_metadata.jsonl").write_bytes(b"".join(lines))
    return data


def encoded(line: dict[str, Any]) -> bytes:
    return json.dumps(line).encode() + b"\n"


def propose(data: Path) -> int:
    return main(["propose", "--data-dir", str(data), "--no-progress", "--modes", "aware"])


def assert_clean_failure(capsys: pytest.CaptureFixture[str], *names: str) -> str:
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    for name in names:
        assert name in captured.err, captured.err
    return captured.err


# --- malformed metadata lines: skipped with their reason, the others proposed -------------------


@pytest.mark.parametrize(
    ("break_line", "reason"),
    [
        (lambda line: line.update(selected_data=7), "selected_data is a number (7), not a list"),
        (
            lambda line: line["features"][1]["type"].update(names=5),
            "features.label: ClassLabel names is a number (5), not a list",
        ),
        (
            lambda line: line.update(features="label"),
            "features is a string ('label'), not a list or a mapping",
        ),
        (
            lambda line: line["features"][1]["type"].update(_type=["ClassLabel"]),
            "features.label: _type is a list (['ClassLabel']), not a string",
        ),
        (lambda line: line.update(dataset=["glue"]), "dataset is a list (['glue']), not a string"),
    ],
    ids=["selected_data", "classlabel_names", "features", "feature_type", "dataset"],
)
def test_a_malformed_metadata_line_is_skipped_with_its_reason_and_the_others_are_proposed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], break_line: Any, reason: str
) -> None:
    bad = _sst2()
    break_line(bad)
    data = metadata_dir(tmp_path, [encoded(bad), encoded(_cola())])
    metadata = (data / "huggingface_metadata.jsonl").read_bytes()
    assert propose(data) == 0
    assert "Traceback" not in capsys.readouterr().err
    report = json.loads((data / "propose_report.json").read_text())
    assert report["skipped_lines"] == [
        {"where": "huggingface_metadata.jsonl:1", "reason": f"glue-sst2: {reason}"}
    ]
    tasks = [json.loads(line) for line in (data / "tasks.jsonl").read_text().splitlines()]
    assert {t["task_name"] for t in tasks} == {"glue-cola"}
    assert (data / "huggingface_metadata.jsonl").read_bytes() == metadata


def test_a_metadata_line_that_is_not_utf8_is_skipped_naming_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = metadata_dir(tmp_path, [encoded(_cola()), NOT_UTF8])
    assert propose(data) == 0
    assert "Traceback" not in capsys.readouterr().err
    report = json.loads((data / "propose_report.json").read_text())
    assert report["skipped_lines"] == [
        {
            "where": "huggingface_metadata.jsonl:2",
            "reason": "not UTF-8 text (byte 19: invalid continuation byte)",
        }
    ]
    assert report["proposed_by_mode"] == {"aware": 1}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            {"features": {"q": TEXT, "a": {"_type": "ClassLabel", "names": 5}}},
            "features.a: ClassLabel names is a number (5), not a list",
        ),
        ({"dataset": ["org/bad"]}, "dataset is a list (['org/bad']), not a string"),
    ],
    ids=["classlabel_names", "dataset"],
)
def test_organize_skips_a_data_line_with_a_field_of_the_wrong_type_and_organizes_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: dict[str, Any], reason: str
) -> None:
    data = organized(tmp_path, {"org/qa": ("mit", 3)})
    line = json.loads((data / "huggingface_data.jsonl").read_text())
    with open(data / "huggingface_data.jsonl", "a") as handle:
        handle.write(json.dumps({**line, "task_name": "org/bad", **change}) + "\n")
    assert main(["organize", "--data-dir", str(data), "--no-progress"]) == 0
    assert "Traceback" not in capsys.readouterr().err
    skipped = json.loads((data / "organize_report.json").read_text())["lines_skipped"]
    assert skipped == [{"line": 2, "reason": reason}]
    assert len((data / "dynosaur-full.jsonl").read_text().splitlines()) == 3


def test_filter_skips_a_task_line_that_is_not_utf8_naming_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = metadata_dir(tmp_path, [encoded(_cola())])
    assert propose(data) == 0
    with open(data / "tasks.jsonl", "ab") as handle:
        handle.write(NOT_UTF8)
    assert main(["filter", "--data-dir", str(data)]) == 0
    assert "Traceback" not in capsys.readouterr().err
    report = json.loads((data / "filter_report.json").read_text())
    lines = (data / "tasks.jsonl").read_bytes().splitlines()
    assert {
        "where": f"tasks.jsonl:{len(lines) + 1}",
        "reason": "not UTF-8 text (byte 19: invalid continuation byte)",
    } in report["skipped_lines"]


def test_read_jsonl_names_the_file_and_line_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    path.write_bytes(b'{"a": 1}\n' + NOT_UTF8)
    with pytest.raises(UnreadableLine, match=r"records\.jsonl:2: not UTF-8 text \(byte 19"):
        list(read_jsonl(path, skip_torn_tail=False))


def test_an_unreadable_line_reaching_the_cli_is_a_message_with_exit_code_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "records.jsonl"
    path.write_bytes(NOT_UTF8)

    def read_all(data_dir: object, *args: object, **kwargs: object) -> None:
        list(read_jsonl(path))

    monkeypatch.setattr("dynosaur.commands.propose.propose", read_all)
    assert main(["propose", "--data-dir", str(tmp_path), "--no-progress"]) == 2
    assert_clean_failure(capsys, f"propose: {path}:1: not UTF-8 text")


# --- Ctrl-C at start-up ------------------------------------------------------------------------


@pytest.mark.parametrize("step", ["named_command", "build_parser"])
def test_ctrl_c_during_start_up_exits_130_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], step: str
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(dynosaur.cli, step, interrupted)
    assert main(["propose", "--help"]) == 130
    assert assert_clean_failure(capsys, "interrupted").count("\n") == 1


# --- a full disk, a read-only folder ------------------------------------------------------------


def _no_space(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _read_only_temp(*args: object, dir: str | None = None, **kwargs: object) -> None:  # noqa: A002 - mkstemp's own name
    raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.path.join(str(dir), ".x.tmp"))


def _read_only_rename(src: object, dst: object, *args: object, **kwargs: object) -> None:
    raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(src), str(dst))


DISK_FAULTS = {
    "disk_full": ("os.fsync", _no_space, "No space left on device"),
    "read_only_folder": ("tempfile.mkstemp", _read_only_temp, "Read-only file system"),
    "read_only_rename": ("os.replace", _read_only_rename, "Read-only file system"),
}


@pytest.mark.parametrize("fault", DISK_FAULTS)
def test_propose_on_a_full_or_read_only_disk_names_the_file_and_keeps_earlier_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fault: str
) -> None:
    data = metadata_dir(tmp_path, [encoded(_sst2()), encoded(_cola())])
    assert main(["propose", "--data-dir", str(data), "--no-progress"]) == 0
    before = snapshot(data)
    target, failing, cause = DISK_FAULTS[fault]
    with monkeypatch.context() as patched:
        patched.setattr(target, failing)
        code = main(["propose", "--data-dir", str(data), "--no-progress", "--modes", "unaware"])
    assert code == 2
    assert_clean_failure(capsys, f"propose: cannot write {data / 'tasks.jsonl'}: {cause}")
    assert snapshot(data) == before


def _pyarrow_fails_once(method: Callable[..., Any]) -> Callable[..., Any]:
    """``method`` of pyarrow's ParquetWriter, which the first time then fails as pyarrow fails on a
    full disk (its own words around the errno); later calls (its ``__del__`` closes) just run it."""
    calls = itertools.count()  # not the writers: one held here would die with this function

    def failing(self: object, *args: object, **kwargs: object) -> Any:
        result = method(self, *args, **kwargs)
        if next(calls) == 0:
            raise OSError(
                errno.ENOSPC, "Error writing bytes to file. Detail: [errno 28] No space left on device"
            )
        return result

    return failing


@pytest.mark.parametrize("step", ["write_table", "close"])
def test_organize_on_a_disk_that_fills_while_parquet_is_written_names_the_parquet_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], step: str
) -> None:
    import pyarrow.parquet as pq

    data = organized(tmp_path, {"org/qa": ("mit", 3)})
    before = snapshot(data)
    with monkeypatch.context() as patched:
        patched.setattr(pq.ParquetWriter, step, _pyarrow_fails_once(getattr(pq.ParquetWriter, step)))
        # one record per row group: the first group is written while records still stream in
        code = main(["organize", "--data-dir", str(data), "--no-progress", "--row-group-size", "1"])
    assert code == 2
    err = assert_clean_failure(capsys, f"organize: cannot write {data / 'dynosaur-full.parquet'}")
    assert err.rstrip().endswith(": No space left on device"), err  # the system's words only
    assert snapshot(data) == before  # the earlier JSONL and Parquet, and no temp file left


@pytest.mark.parametrize("fault", DISK_FAULTS)
def test_organize_on_a_full_or_read_only_disk_names_the_file_and_keeps_earlier_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fault: str
) -> None:
    data = organized(tmp_path, {"org/qa": ("mit", 3)})
    before = snapshot(data)
    target, failing, cause = DISK_FAULTS[fault]
    with monkeypatch.context() as patched:
        patched.setattr(target, failing)
        code = main(["organize", "--data-dir", str(data), "--no-progress"])
    assert code == 2
    assert_clean_failure(capsys, f"organize: cannot write {data / 'dynosaur-full.jsonl'}: {cause}")
    assert snapshot(data) == before


def test_an_output_folder_under_a_regular_file_is_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("kept")
    path = blocker / "out" / "records.jsonl"
    with pytest.raises(WriteFailed) as raised:
        atomic_write_jsonl(path, [{"a": 1}])
    assert str(raised.value) == f"cannot write {path}: Not a directory"
    assert blocker.read_text() == "kept"


def test_an_os_error_of_a_bug_is_not_dressed_as_a_disk_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EBADF, os.strerror(errno.EBADF))

    monkeypatch.setattr(tempfile, "mkstemp", broken)
    with pytest.raises(OSError) as raised:
        atomic_write_jsonl(tmp_path / "never.jsonl", [])
    assert not isinstance(raised.value, WriteFailed)


# --- a stage report of the wrong shape, read by publish ------------------------------------------


REPORT_FAULTS = {
    "organize_not_an_object": (
        lambda data, report: ("organize_report.json", [report]),
        "organize_report.json: a list ([{",
    ),
    "organize_sources": (
        lambda data, report: ("organize_report.json", {**report, "sources": 7}),
        "organize_report.json: sources is a number (7), not a mapping",
    ),
    "organize_source_entry": (
        lambda data, report: ("organize_report.json", {**report, "sources": {"org/qa": "mit"}}),
        "organize_report.json: sources.org/qa is a string ('mit'), not a mapping",
    ),
    "organize_task_entry": (
        lambda data, report: ("organize_report.json", {**report, "tasks": ["org/qa"]}),
        "organize_report.json: tasks[0] is a string ('org/qa'), not a mapping",
    ),
    "organize_config": (
        lambda data, report: ("organize_report.json", {**report, "config": 7}),
        "organize_report.json: config is a number (7), not a mapping",
    ),
    "judge_distribution": (
        lambda data, report: ("judge_report.json", {"tasks_scored": 1, "score_distribution": [1, 2]}),
        "judge_report.json: score_distribution is a list ([1, 2]), not a mapping",
    ),
    "judge_agreement": (
        lambda data, report: ("judge_report.json", {"tasks_scored": 1, "agreement": {"precision": "high"}}),
        "judge_report.json: agreement.precision is a string ('high'), not a number",
    ),
    "decontamination_removed": (
        lambda data, report: (
            DECONTAMINATION_REPORT_FILE,
            {"output_sha256": file_sha256(data / RECORDS_FILE), "removed_per_benchmark": {"squad": "3"}},
        ),
        f"{DECONTAMINATION_REPORT_FILE}: removed_per_benchmark.squad is a string ('3'), not a number",
    ),
}


def previewed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path, list[str]]:
    """Organized records and a first dry-run preview of them: (data dir, preview, publish argv)."""
    data = organized(tmp_path, {"org/qa": ("mit", 3)})
    release = tmp_path / "release"
    argv = ["publish", "--data-dir", str(data), "--repo-id", "me/dyno", "--dry-run", str(release)]
    assert main([*argv, "--version", "2026.11.21"]) == 0
    capsys.readouterr()
    return data, release, argv


@pytest.mark.parametrize("fault", REPORT_FAULTS)
def test_publish_dry_run_names_the_report_and_field_of_the_wrong_type_and_keeps_the_last_release(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fault: str
) -> None:
    data, release, argv = previewed(tmp_path, capsys)
    report = json.loads((data / "organize_report.json").read_text())
    name, broken = REPORT_FAULTS[fault][0](data, report)
    (data / name).write_text(json.dumps(broken))
    before_data, before_release = snapshot(data), snapshot(release)
    assert main([*argv, "--version", "2026.11.22"]) == 2
    assert_clean_failure(capsys, f"publish: {data / REPORT_FAULTS[fault][1]}")
    assert snapshot(data) == before_data and snapshot(release) == before_release


@pytest.mark.parametrize("step", ["write_batch", "close"])
def test_publish_dry_run_on_a_disk_that_fills_names_the_shard_and_keeps_the_last_preview(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], step: str
) -> None:
    import pyarrow.parquet as pq

    data, release, argv = previewed(tmp_path, capsys)
    before = snapshot(tmp_path)
    with monkeypatch.context() as patched:
        patched.setattr(pq.ParquetWriter, step, _pyarrow_fails_once(getattr(pq.ParquetWriter, step)))
        code = main([*argv, "--version", "2026.11.22"])
    assert code == 2
    shard = release / "data" / "train-00000-of-00001.parquet"  # where the preview holds it
    err = assert_clean_failure(capsys, f"publish: cannot write {shard}: ")
    assert err.rstrip().endswith(": No space left on device"), err
    assert snapshot(tmp_path) == before  # the preview, the data dir, and no staging folder left


# --- the crawl: a read-only or full state, a full disk under the outputs ------------------------

STATE_FILES = ("crawl_state.sqlite", "crawl_state.sqlite-wal", "crawl_state.sqlite-shm")


def outputs_of(data: Path) -> dict[str, str]:
    """The crawl's outputs (the state, which records what was crawled, left out)."""
    return {name: digest for name, digest in snapshot(data).items() if name not in STATE_FILES}


class _FullDatabase:
    """A connection whose inserts fail as SQLite fails on a full disk."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def execute(self, sql: str, *args: Any) -> Any:
        if sql.lstrip().upper().startswith(("INSERT", "UPDATE")):
            exc = sqlite3.OperationalError("database or disk is full")
            exc.sqlite_errorcode = 13  # type: ignore[attr-defined]  # SQLITE_FULL, as SQLite sets it
            raise exc
        return self._db.execute(sql, *args)

    def executemany(self, sql: str, *args: Any) -> Any:
        return self.execute(sql) if sql.lstrip().upper().startswith(("INSERT", "UPDATE")) else None

    def executescript(self, script: str) -> Any:
        return self._db.executescript(script)

    def close(self) -> None:
        self._db.close()


def _read_only_state(path: object, *args: Any, **kwargs: Any) -> sqlite3.Connection:
    return REAL_CONNECT(f"file:{path}?mode=ro", *args, uri=True, **kwargs)


def _full_state(path: object, *args: Any, **kwargs: Any) -> _FullDatabase:
    return _FullDatabase(REAL_CONNECT(path, *args, **kwargs))


REAL_CONNECT = sqlite3.connect
CRAWL_FAULTS = {
    "read_only_state": (
        "sqlite3.connect",
        _read_only_state,
        "crawl_state.sqlite: attempt to write a readonly database",
    ),
    "full_state": ("sqlite3.connect", _full_state, "crawl_state.sqlite: database or disk is full"),
    "full_disk_outputs": ("os.write", _no_space, "huggingface_data.jsonl: No space left on device"),
    "full_disk_sync": ("os.fsync", _no_space, "huggingface_data.jsonl: No space left on device"),
}


@pytest.fixture(scope="module")
def hubs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("hubs")
    first = write_hub(root / "first", [dataset("fine"), dataset("other")])
    return first, write_hub(root / "second", [dataset("fine"), dataset("other"), dataset("third")])


def crawl_with(hub: Path, data: Path) -> int:
    with MirrorServer(hub) as mirror:
        return main(["crawl", "--hub-endpoint", mirror.url, "--viewer-endpoint", mirror.viewer_url,
                     "--data-dir", str(data), "--no-progress"])  # fmt: skip


@pytest.mark.parametrize("fault", CRAWL_FAULTS)
def test_crawl_on_a_read_only_or_full_disk_names_the_file_keeps_the_outputs_and_resumes(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    hubs: tuple[Path, Path],
    fault: str,
) -> None:
    data = tmp_path / "data"
    assert crawl_with(hubs[0], data) == 0
    before = outputs_of(data)
    target, failing, message = CRAWL_FAULTS[fault]
    capsys.readouterr()
    with monkeypatch.context() as patched:
        patched.setattr(target, failing)
        code = crawl_with(hubs[1], data)
    assert code == 2
    err = assert_clean_failure(capsys, f"crawl: cannot write {data / message}")
    assert "move it away" not in err
    assert outputs_of(data) == before
    assert crawl_with(hubs[1], data) == 0  # the state was fine all along
    metadata = [json.loads(line) for line in (data / "huggingface_metadata.jsonl").read_text().splitlines()]
    assert len(metadata) == 3


def test_a_state_that_is_not_a_database_is_still_told_to_be_moved_away(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], hubs: tuple[Path, Path]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "crawl_state.sqlite").write_bytes(b"not a database" * 100)
    assert crawl_with(hubs[0], data) == 1
    err = assert_clean_failure(capsys, "crawl_state.sqlite: not a crawl state")
    assert "move it away to start afresh" in err
    assert (data / "crawl_state.sqlite").read_bytes() == b"not a database" * 100


@pytest.mark.parametrize("fault", DISK_FAULTS)
def test_documents_on_a_full_or_read_only_disk_names_the_file_and_keeps_earlier_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fault: str
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    out = tmp_path / "out"
    argv = ["documents", "--input-dir", str(EXAMPLES_DIR), "--output-dir", str(out), "--no-progress"]
    with ScriptedOpenAIServer(restating_responder) as server:
        assert main([*argv, "--base-url", server.base_url]) == 0
        before = snapshot(out)
        target, failing, cause = DISK_FAULTS[fault]
        with monkeypatch.context() as patched:
            patched.setattr(target, failing)
            code = main([*argv, "--base-url", server.base_url])
    assert code == 2
    assert_clean_failure(capsys, f"documents: cannot write {out / 'documents_instructions.jsonl'}: {cause}")
    assert snapshot(out) == before


@pytest.mark.parametrize(
    ("connect", "cause"),
    [(_read_only_state, "attempt to write a readonly database"), (_full_state, "database or disk is full")],
    ids=["read_only", "full"],
)
def test_propose_with_a_response_cache_it_cannot_write_names_the_cache_and_keeps_earlier_files(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    connect: Any,
    cause: str,
) -> None:
    data = metadata_dir(tmp_path, [encoded(_sst2()), encoded(_cola())])
    assert propose(data) == 0
    before = snapshot(data)
    with monkeypatch.context() as patched:
        patched.setattr("sqlite3.connect", connect)
        code = main(["propose", "--data-dir", str(data), "--no-progress", "--modes", "unaware"])
    assert code == 2
    assert_clean_failure(capsys, f"propose: cannot write {data / 'llm_cache.sqlite'}: {cause}")
    assert {k: v for k, v in snapshot(data).items() if k in before} == before


def test_a_task_spec_that_is_not_utf8_is_named_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "spec.json"
    spec.write_bytes(b'{\n  "task_name": "caf\xe9",\n  "labels": {}\n}\n')
    out = tmp_path / "out"
    assert main(["dino", "--task-file", str(spec), "--output-dir", str(out)]) == 2
    assert_clean_failure(capsys, "spec.json: line 2: not UTF-8 text (byte 20: invalid continuation byte)")
    assert not out.exists() or not any(out.iterdir())


def test_a_dino_input_file_that_is_not_utf8_is_named_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "in.txt"
    path.write_bytes(b"a dog runs\na caf\xe9 opens\n")
    with pytest.raises(
        InputError, match=r"in\.txt', line 2: not UTF-8 text \(byte 6: invalid continuation byte\)"
    ):
        read_inputs(path, "plain")


def test_a_seed_task_line_that_is_not_utf8_is_a_problem_naming_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seeds = tmp_path / "seeds.jsonl"
    seeds.write_bytes(b'{"id": "caf\xe9"}\n')
    out = tmp_path / "out"
    code = main(
        ["self-instruct", "--seed-tasks", str(seeds), "--num-instructions", "1", "--output-dir", str(out)]
    )
    assert code == 2
    assert_clean_failure(capsys, "line 1: not UTF-8 text (byte 12: invalid continuation byte)", str(seeds))


def test_a_crawl_data_dir_under_a_regular_file_is_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("kept")
    data = blocker / "data"
    argv = ["crawl", "--data-dir", str(data), "--hub-endpoint", "http://127.0.0.1:9", "--no-progress"]
    assert main([*argv, "--viewer-endpoint", "http://127.0.0.1:9"]) == 2
    assert_clean_failure(capsys, f"crawl: {data}: Not a directory")
    assert snapshot(tmp_path) == {"file": hashlib.sha256(b"kept").hexdigest()}
