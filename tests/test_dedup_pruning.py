"""The pruned path (candidate pairs from bounds) decides exactly as comparing every pair does.

Every bound in ``near_duplicate_index`` must only drop pairs that cannot exceed the threshold; these
tests force that path on small inputs (tiny chunks, no one-text-at-a-time shortcut) and compare
the kept sets with ``prefilter=False`` on texts made to sit near the threshold.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

import dynosaur.core.near_duplicate_index as index_module
import dynosaur.core.near_duplicates as filter_module
from dynosaur.dedup import NearDuplicateFilter, rouge_l
from tests.support.text_edits import edit_tokens

ROOT = Path(__file__).resolve().parents[1]
UNICODE = ["café", "naïve", "İstanbul", "straße", "１２", "π", "日本語", "K", "ﬁne", "e-mail"]


def varied_texts(count: int, seed: int, longest: int = 30) -> list[str]:
    """Edits of earlier texts, exact and case-changed repeats, empty and punctuation-only texts,
    unicode words (which rouge_score's tokenizer splits), common and rare words."""
    rng = random.Random(seed)
    words = [f"t{k}" for k in range(40)] + ["the", "a", "of", "and"] * 8 + UNICODE
    texts: list[str] = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.05:
            texts.append(rng.choice(["", "   ", "!!!", "…", "—"]))
        elif texts and roll < 0.15:
            text = rng.choice(texts)
            texts.append(text.upper() if rng.random() < 0.5 else text + " !")
        elif texts and roll < 0.65:
            tokens = rng.choice(texts).split() or ["t1"]
            texts.append(" ".join(edit_tokens(rng, tokens, words, rng.randint(0, 4))))
        else:
            texts.append(" ".join(rng.choice(words) for _ in range(rng.randint(1, longest))))
    return texts


@pytest.fixture(params=["compact often", "never compact"])
def pruned_only(monkeypatch, request):
    """The pruned path for every batch, in chunks of a few texts, with and without compaction."""
    often = request.param == "compact often"
    monkeypatch.setattr(index_module, "_COMPACT_MIN", 0 if often else 10**12)
    monkeypatch.setattr(index_module, "_COMPACT_SHARE", 0.0)
    monkeypatch.setattr(filter_module, "_PLAIN_PAIRS", 0)
    monkeypatch.setattr(index_module, "_MAX_CHUNK", 5)
    monkeypatch.setattr(index_module, "_RAW_BUDGET", 40)
    monkeypatch.setattr(index_module, "_SIGNATURE_SLICE", 3)
    monkeypatch.setattr(filter_module, "_DENSE_RATIO", 1e12)  # never fall back to every pair


def kept(decisions) -> list[int]:
    return [i for i, d in enumerate(decisions) if d is None]


def check_matches(texts: list[str], decisions, threshold: float) -> None:
    """Every removed text names its best kept earlier text (the earliest on ties), with its score."""
    kept_ids = kept(decisions)
    for i, match in enumerate(decisions):
        if match is None:
            continue
        scores = [rouge_l(texts[i], texts[j]) for j in kept_ids if j < i]
        assert match.score == max(scores) > threshold
        assert match.score == rouge_l(texts[i], texts[kept_ids[match.kept_index]])
        assert scores.index(match.score) == match.kept_index


@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99, 1.0])
@pytest.mark.parametrize("seed", [1, 2])
def test_pruned_decisions_equal_every_pair(pruned_only, threshold, seed):
    texts = varied_texts(300, seed)
    pruned = NearDuplicateFilter(threshold).add_many(texts)
    every_pair = NearDuplicateFilter(threshold, prefilter=False).add_many(texts)
    assert kept(pruned) == kept(every_pair)
    check_matches(texts, pruned, threshold)
    if 0.0 < threshold < 1.0:
        assert 0 < len(kept(pruned)) < len(texts)  # the inputs do hold near-duplicates


@pytest.mark.parametrize("threshold", [0.5, 0.7])
def test_long_texts_use_wider_counts_and_decide_the_same(pruned_only, threshold):
    texts = varied_texts(60, seed=3, longest=400)  # over 255 tokens: 16-bit bucket counts
    assert max(len(t.split()) for t in texts) > 255
    pruned = NearDuplicateFilter(threshold).add_many(texts)
    assert kept(pruned) == kept(NearDuplicateFilter(threshold, prefilter=False).add_many(texts))


@pytest.mark.parametrize("ratio", [0.0, 1.0])
def test_falling_back_to_every_pair_per_chunk_decides_the_same(pruned_only, monkeypatch, ratio):
    monkeypatch.setattr(filter_module, "_DENSE_RATIO", ratio)  # 0: every chunk falls back
    texts = varied_texts(200, seed=4)
    pruned = NearDuplicateFilter(0.7).add_many(texts)
    assert kept(pruned) == kept(NearDuplicateFilter(0.7, prefilter=False).add_many(texts))


def test_texts_kept_before_and_later_batches_are_respected(pruned_only):
    texts = varied_texts(240, seed=5)
    pools = [NearDuplicateFilter(0.7), NearDuplicateFilter(0.7, prefilter=False)]
    results = []
    for pool in pools:
        for seed_text in texts[:20]:
            pool.add(seed_text)  # kept unconditionally, repeats included
        first = pool.add_many(texts[20:130])
        second = pool.add_many(texts[130:])
        one = [pool.add_if_novel(t) for t in texts[:10]]
        results.append((kept(first), kept(second), one, list(pool.texts)))
    assert results[0] == results[1]


def test_keys_too_wide_to_pack_take_the_slower_sort_and_decide_the_same(pruned_only, monkeypatch):
    monkeypatch.setattr(index_module, "_PACK_LIMIT", 0)
    monkeypatch.setattr(index_module, "_SIGNATURE_TEXTS", 7)
    texts = varied_texts(200, seed=9)
    pruned = NearDuplicateFilter(0.7).add_many(texts)
    assert kept(pruned) == kept(NearDuplicateFilter(0.7, prefilter=False).add_many(texts))


def test_integer_vocabulary_decides_the_same(pruned_only, monkeypatch):
    monkeypatch.setattr(filter_module, "_MAX_CHAR_IDS", 30)  # run out of characters early
    texts = varied_texts(200, seed=6)
    pool = NearDuplicateFilter(0.7)
    pruned = pool.add_many(texts)
    assert pool._chars is None  # it did switch to integer sequences
    monkeypatch.setattr(filter_module, "_MAX_CHAR_IDS", 0x110000 - 2048)
    assert kept(pruned) == kept(NearDuplicateFilter(0.7, prefilter=False).add_many(texts))


def test_default_path_decides_as_every_pair_on_a_batch_big_enough_to_be_pruned():
    texts = varied_texts(2500, seed=7)
    assert len(texts) * len(texts) / 2 > filter_module._PLAIN_PAIRS  # not the one-at-a-time path
    pruned = NearDuplicateFilter(0.7).add_many(texts)
    assert kept(pruned) == kept(NearDuplicateFilter(0.7, prefilter=False).add_many(texts))


def test_a_small_dedup_run_loads_neither_numpy_nor_the_engines(tmp_path):
    source, output = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    lines = [json.dumps({"instruction": t}) for t in varied_texts(100, seed=8)]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code = (
        "import sys\n"
        "from dynosaur.cli import main\n"
        f"code = main(['dedup', {str(source)!r}, '--output', {str(output)!r}, '--no-progress'])\n"
        "print(code, sorted(m for m in sys.modules if m.split('.')[0] == 'numpy' or 'engines' in m))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "0 []"
    assert output.read_text(encoding="utf-8")
