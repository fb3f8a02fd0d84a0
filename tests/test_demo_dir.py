"""`dynosaur demo` empties its folder on every run: only a folder it made itself, never the user's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dynosaur.cli import main
from dynosaur.core.errors import OptionError
from dynosaur.core.owned_dirs import MARKER_FILE, carries_marker, claim_folder, clear_folder
from tests.support.file_tree import tree_digest

OWNER = "dynosaur demo"


def someones_folder(root: Path) -> Path:
    folder = root / "mine"
    (folder / "sub").mkdir(parents=True)
    (folder / "thesis.tex").write_text("three years of work")
    (folder / "sub" / "data.jsonl").write_text('{"a": 1}\n')
    return folder


@pytest.mark.parametrize("shape", ["files", "only-a-cache", "fake-marker", "demo-report-only"])
def test_demo_refuses_a_folder_it_did_not_make_and_leaves_it_as_it_was(tmp_path, capsys, shape):
    folder = someones_folder(tmp_path)
    if shape == "only-a-cache":
        folder = tmp_path / "cache-only"
        folder.mkdir()
        (folder / "llm_cache.sqlite").write_bytes(b"SQLite format 3\x00 answers paid for")
    elif shape == "fake-marker":
        (folder / MARKER_FILE).write_text('{"made_by": "someone else"}')
    elif shape == "demo-report-only":
        (folder / "demo_report.json").write_text('{"ok": true, "steps": []}')
    before = tree_digest(tmp_path)
    assert main(["demo", "--demo-dir", str(folder), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("demo: --demo-dir ") and "is not empty and was not made by dynosaur demo" in err
    assert "Traceback" not in err
    assert tree_digest(tmp_path) == before


def test_demo_refuses_a_file_as_its_folder(tmp_path, capsys):
    target = tmp_path / "notes.txt"
    target.write_text("keep")
    assert main(["demo", "--demo-dir", str(target), "--quiet"]) == 2
    assert "--demo-dir" in capsys.readouterr().err and target.read_text() == "keep"


@pytest.mark.parametrize("exists", [False, True])
def test_a_missing_or_empty_folder_is_claimed_with_a_marker(tmp_path, exists):
    folder = tmp_path / "demo"
    if exists:
        folder.mkdir()
    assert claim_folder(folder, OWNER, field="demo_dir") == folder
    assert carries_marker(folder, OWNER) and not carries_marker(folder, "another command")
    assert json.loads((folder / MARKER_FILE).read_text())["made_by"] == OWNER
    assert [p.name for p in folder.iterdir()] == [MARKER_FILE]  # written atomically: no temp file left


def test_a_previous_demo_folder_is_reused_and_cleared_but_for_its_cache(tmp_path):
    outside = someones_folder(tmp_path)
    folder = claim_folder(tmp_path / "demo", OWNER, field="demo_dir")
    (folder / "tasks.jsonl").write_text("old\n")
    (folder / "documents").mkdir()
    (folder / "documents" / "documents_instructions.jsonl").write_text("old\n")
    (folder / "llm_cache.sqlite").write_bytes(b"paid-for answers")
    (folder / "link").symlink_to(outside, target_is_directory=True)
    kept_outside = tree_digest(outside)
    assert claim_folder(folder, OWNER, field="demo_dir") == folder  # a second run takes it again
    clear_folder(folder, OWNER, keep=("llm_cache.sqlite",))
    assert sorted(p.name for p in folder.iterdir()) == sorted([MARKER_FILE, "llm_cache.sqlite"])
    assert (folder / "llm_cache.sqlite").read_bytes() == b"paid-for answers"
    assert tree_digest(outside) == kept_outside  # the link was removed, not followed


def test_a_folder_without_the_marker_is_never_cleared(tmp_path):
    folder = someones_folder(tmp_path)
    before = tree_digest(tmp_path)
    with pytest.raises(OptionError):
        clear_folder(folder, OWNER)
    with pytest.raises(OptionError, match="demo_dir"):
        claim_folder(folder, OWNER, field="demo_dir")
    assert tree_digest(tmp_path) == before
