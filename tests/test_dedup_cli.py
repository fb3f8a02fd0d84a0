"""``dynosaur dedup``: kept lines come out byte for byte, removed and unreadable lines are reported."""

from __future__ import annotations

import json

import pytest

from dynosaur.cli import main
from dynosaur.dedup import dedup_lines, split_lines


def _write(path, lines: list[str], trailing_newline: bool = True) -> None:
    data = "\n".join(lines) + ("\n" if trailing_newline else "")
    path.write_bytes(data.encode("utf-8"))


def test_kept_lines_are_unchanged_bytes_in_input_order(tmp_path, capsys):
    lines = [
        '{"instruction": "Write a haiku about the sea.",   "id": 1}',
        '{"id":2,"instruction":"Write a haiku about the sea!"}',
        '{"instruction": "Nenne drei Fl\\u00fcsse in Europa.", "extra": {"nested": [1, 2]}}',
        '{"instruction":"Name three rivers in Asia.","id":4}',
        '{"instruction": "write a HAIKU about the sea", "id": 5}',
    ]
    source, output = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _write(source, lines)
    assert main(["dedup", str(source), "--output", str(output), "--no-progress", "--workers", "1"]) == 0
    expected = "".join(lines[i] + "\n" for i in (0, 2, 3)).encode("utf-8")
    assert output.read_bytes() == expected
    printed = capsys.readouterr().out
    assert "kept 3 lines, removed 2 near-duplicates (ROUGE-L > 0.7), skipped 0 unreadable lines" in printed


def test_unreadable_lines_are_left_out_with_their_line_number_and_reason(tmp_path, capsys):
    lines = [
        '{"instruction": "Summarize the article in two sentences."}',
        '{"instruction": "Summarize the article',
        '["a list", "not an object"]',
        '{"text": "no instruction field"}',
        '{"instruction": 42}',
        "",
        '{"instruction": "Summarize the article in two sentences, please."}',
        '{"instruction": "Count the vowels in the word."}',
    ]
    source, output, removed = tmp_path / "in.jsonl", tmp_path / "out.jsonl", tmp_path / "removed.jsonl"
    _write(source, lines)
    code = main(["dedup", str(source), "--output", str(output), "--removed", str(removed), "--no-progress"])
    assert code == 0
    assert output.read_text(encoding="utf-8").splitlines() == [lines[0], lines[7]]
    report = [json.loads(line) for line in removed.read_text(encoding="utf-8").splitlines()]
    assert [r["line_number"] for r in report] == [2, 3, 4, 5, 7]
    assert report[0]["reason"].startswith("invalid JSON")
    assert report[1]["reason"] == "not a JSON object but list"
    assert report[2]["reason"] == "missing field 'instruction'"
    assert report[3]["reason"] == "field 'instruction' is int, not a string"
    assert report[4]["reason"] == "near-duplicate" and report[4]["duplicate_of"] == 1
    assert report[4]["rouge_l"] > 0.7
    printed = capsys.readouterr().out
    assert "removed 1 near-duplicates" in printed and "skipped 4 unreadable lines" in printed
    assert "line 3: not a JSON object but list" in printed


def test_other_field_and_threshold_are_honoured(tmp_path):
    lines = [
        json.dumps({"prompt": p})
        for p in ["Tell me a joke about cats", "Tell me a joke about dogs", "Tell me a story about dogs"]
    ]
    source, output = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _write(source, lines, trailing_newline=False)
    assert (
        main(
            [
                "dedup",
                str(source),
                "--output",
                str(output),
                "--field",
                "prompt",
                "--threshold",
                "0.9",
                "--no-progress",
            ]
        )
        == 0
    )
    assert output.read_text(encoding="utf-8") == "".join(line + "\n" for line in lines)
    assert (
        main(
            [
                "dedup",
                str(source),
                "--output",
                str(output),
                "--field",
                "prompt",
                "--threshold",
                "0.7",
                "--no-progress",
            ]
        )
        == 0
    )
    # "joke about dogs" shares 5 of 6 words with "joke about cats"; "story about dogs" only 4
    assert output.read_text(encoding="utf-8") == lines[0] + "\n" + lines[2] + "\n"


def test_missing_input_and_bad_threshold_are_clear_errors_and_write_nothing(tmp_path, capsys):
    output = tmp_path / "out.jsonl"
    assert main(["dedup", str(tmp_path / "absent.jsonl"), "--output", str(output)]) == 2
    assert "dedup:" in capsys.readouterr().err and not output.exists()
    source = tmp_path / "in.jsonl"
    _write(source, ['{"instruction": "a b c"}'])
    with pytest.raises(SystemExit) as exited:
        main(["dedup", str(source), "--output", str(output), "--threshold", "1.5"])
    assert exited.value.code == 2 and not output.exists()
    assert "argument --threshold: must be from 0 up to 1" in capsys.readouterr().err


def test_dedup_lines_accepts_text_lines_and_splits_on_newlines_only():
    assert split_lines(b'{"a": "x\\r"}\r\n{"b": 1}') == [b'{"a": "x\\r"}\r\n', b'{"b": 1}']
    result = dedup_lines(['{"instruction": "Add two numbers."}', '{"instruction": "Add two numbers"}'])
    assert result.kept == [b'{"instruction": "Add two numbers."}\n']
    assert (result.duplicates, result.invalid) == (1, 0)
