"""The near-duplicate filter bounds its work per text: only the first ``max_tokens`` tokens count."""

from __future__ import annotations

import hashlib
import json
import random

import pytest

from dynosaur.cli import main
from dynosaur.core.errors import OptionError
from dynosaur.core.rouge import first_tokens, rouge_tokens
from dynosaur.dedup import DEFAULT_MAX_TOKENS, NearDuplicateFilter, dedup_lines


def huge_pair(words: int) -> tuple[str, str]:
    """Two long texts of random words, the second a light edit of the first (ROUGE-L about 0.9)."""
    rng = random.Random(5)
    vocabulary = [f"w{i}" for i in range(3000)]
    base = rng.choices(vocabulary, k=words)
    edited = [word if rng.random() > 0.1 else "changed" for word in base]
    return " ".join(base), " ".join(edited)


def test_first_tokens_are_the_prefix_of_the_full_tokenization():
    texts = [
        "",
        "one",
        "Straße İstanbul K-kelvin ΣΑΣ σας final sigma ΑΣ. x",
        "ab" * 200 + " tail",  # one token longer than the first prefix read
        " ".join(f"t{i}" for i in range(500)),
        "...---" * 300 + "end",
    ]
    for text in texts:
        every = rouge_tokens(text)
        for limit in (1, 2, 3, 7, 64, 499, 500, 501):
            assert first_tokens(text, limit) == (every[:limit], len(every) > limit), (text[:20], limit)
            assert rouge_tokens(text, limit) == every[:limit]


def test_texts_within_the_bound_are_decided_as_without_it():
    rng = random.Random(3)
    words = [
        "the",
        "cat",
        "sat",
        "on",
        "a",
        "mat",
        "with",
        "hat",
        "and",
        "bat",
        "near",
        "the",
        "red",
        "house",
    ]
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(3, 30))) for _ in range(400)]
    bounded = NearDuplicateFilter(max_tokens=30).add_many(texts)
    unbounded = NearDuplicateFilter(max_tokens=None).add_many(texts)
    assert bounded == unbounded and any(bounded) and not all(bounded)


def test_the_bound_is_what_decides_between_long_texts():
    shared = " ".join(f"word{i}" for i in range(20))
    a, b = f"{shared} {' '.join('x' * 50)}", f"{shared} {' '.join('y' * 50)}"
    assert NearDuplicateFilter(max_tokens=20).add_many([a, b])[1] is not None
    assert NearDuplicateFilter(max_tokens=None).add_many([a, b]) == [None, None]


def test_two_huge_cells_are_compared_on_their_first_tokens_and_reported(tmp_path, capsys):
    a, b = huge_pair(1_000_000)  # about 6 MB each; every pair of tokens would be 10^12 steps
    source, output, removed = tmp_path / "in.jsonl", tmp_path / "out.jsonl", tmp_path / "removed.jsonl"
    lines = [json.dumps({"instruction": a}), json.dumps({"instruction": b}), '{"instruction": "Short."}']
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    argv = ["dedup", str(source), "--output", str(output), "--removed", str(removed), "--no-progress"]
    assert main([*argv, "--workers", "1"]) == 0
    printed = capsys.readouterr().out
    assert "kept 2 lines, removed 1 near-duplicates" in printed
    assert (
        f"compared 2 lines longer than {DEFAULT_MAX_TOKENS} tokens on their first "
        f"{DEFAULT_MAX_TOKENS} tokens only (--max-tokens): lines 1, 2"
    ) in printed
    assert output.read_text(encoding="utf-8") == f"{lines[0]}\n{lines[2]}\n"
    (entry,) = [json.loads(line) for line in removed.read_text(encoding="utf-8").splitlines()]
    assert (entry["line_number"], entry["reason"], entry["duplicate_of"]) == (2, "near-duplicate", 1)
    assert hashlib.sha256(source.read_bytes()).hexdigest() == digest


def test_dedup_lines_lists_the_shortened_lines_in_its_report():
    a, b = huge_pair(3000)
    result = dedup_lines(
        [json.dumps({"instruction": a}), json.dumps({"instruction": "Short one."})], max_tokens=100
    )
    assert result.shortened == [1] and result.to_json()["compared_on_first_tokens"] == [1]
    assert result.to_json()["max_tokens"] == 100


def test_a_token_bound_below_one_is_refused(tmp_path, capsys):
    source, output = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text('{"instruction": "Name a river."}\n', encoding="utf-8")
    before = source.read_bytes()
    with pytest.raises(SystemExit) as exited:
        main(["dedup", str(source), "--output", str(output), "--max-tokens", "0", "--no-progress"])
    err = capsys.readouterr().err
    assert exited.value.code == 2 and "argument --max-tokens: must be at least 1, got 0" in err
    assert "Traceback" not in err and source.read_bytes() == before and not output.exists()
    with pytest.raises(OptionError, match="max_tokens"):
        NearDuplicateFilter(max_tokens=0)
    with pytest.raises(OptionError, match="max_tokens"):
        dedup_lines(['{"instruction": "x"}'], max_tokens=-3)
