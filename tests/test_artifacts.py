"""Artifact writes: whole files appear atomically, appends never leave a torn line behind."""

from __future__ import annotations

import json
import stat

import pytest

from crawl.artifacts import (
    append_jsonl,
    atomic_write_json,
    atomic_write_jsonl,
    read_jsonl,
    repair_jsonl_tail,
)


def test_a_failed_rewrite_keeps_the_old_file_and_leaves_no_temp_file(tmp_path):
    path = tmp_path / "out.jsonl"
    atomic_write_jsonl(path, [{"a": 1}, {"b": 2}])

    def records():
        yield {"c": 3}
        raise RuntimeError("killed half-way")

    with pytest.raises(RuntimeError):
        atomic_write_jsonl(path, records())
    assert list(read_jsonl(path)) == [{"a": 1}, {"b": 2}]
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


def test_artifacts_are_readable_by_others_and_keep_unicode(tmp_path):
    path = tmp_path / "deep" / "info.json"
    atomic_write_json(path, {"name": "café"})
    assert json.loads(path.read_text(encoding="utf-8")) == {"name": "café"}
    assert "café" in path.read_text(encoding="utf-8")
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_a_torn_last_line_is_skipped_on_read_and_cut_before_the_next_append(tmp_path):
    path = tmp_path / "log.jsonl"
    append_jsonl(path, {"n": 1})
    with open(path, "a", encoding="utf-8") as handle:
        handle.write('{"n": 2, "trunc')  # what a kill -9 in the middle of an append leaves
    assert list(read_jsonl(path)) == [{"n": 1}]
    with pytest.raises(ValueError, match="not terminated"):
        list(read_jsonl(path, skip_torn_tail=False))
    repair_jsonl_tail(path)
    append_jsonl(path, {"n": 2})
    assert list(read_jsonl(path)) == [{"n": 1}, {"n": 2}]


def test_a_corrupt_line_in_the_middle_is_an_error_with_its_line_number(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"ok": 1}\nnot json\n{"ok": 2}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.jsonl:2"):
        list(read_jsonl(path))
