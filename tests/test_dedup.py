"""The near-duplicate filter decides exactly as a plain rouge_score loop does, ties included."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from rouge_score import rouge_scorer
from rouge_score import tokenize as rouge_tokenize

import dynosaur.core.near_duplicates as dedup_filter
from dynosaur.dedup import NearDuplicateFilter, rouge_l, rouge_l_fmeasure, rouge_tokens
from tests.support.text_edits import edit_tokens

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
SCORER = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)

VERBS = ["Classify", "Summarize", "Translate", "Rewrite", "Explain", "Describe", "Identify", "Write"]
OBJECTS = [
    "the given sentence",
    "the following review",
    "this news article",
    "the paragraph below",
    "the user's question",
    "a short poem",
    "the product description",
    "the tweet",
]
GOALS = [
    "into French",
    "in one sentence",
    "as positive or negative",
    "for a ten year old child",
    "using simple words",
    "without changing its meaning",
    "in the style of a pirate",
    "and list the main points",
    "with at most twenty words",
    "",
]
EXTRAS = [
    "Answers must be one of yes, no.",
    "Be concise.",
    "Keep the names unchanged.",
    "Explain your reasoning step by step.",
    "",
    "",
    "",
]


def realistic_instructions(count: int, seed: int = 13) -> list[str]:
    """Template-made instructions that share much of their wording, as Hub-derived ones do."""
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        parts = [rng.choice(VERBS), rng.choice(OBJECTS), rng.choice(GOALS)]
        text = " ".join(p for p in parts if p) + "."
        extra = rng.choice(EXTRAS)
        if extra:
            text += " " + extra
        if rng.random() < 0.15:  # some noise the tokenizer must see through
            text = text.upper() if rng.random() < 0.5 else text.replace(" ", "  ,")
        texts.append(text)
    return texts


def reference_scores(texts: list[str]) -> dict[tuple[int, int], float]:
    """rouge_score's F-measure for every earlier/later pair (candidate as target, kept as prediction)."""
    return {
        (i, j): SCORER.score(texts[i], texts[j])["rougeL"].fmeasure
        for i in range(len(texts))
        for j in range(i)
    }


def reference_kept(texts: list[str], threshold: float, scores: dict[tuple[int, int], float]) -> list[int]:
    """The plain loop: keep a text when its max score against every kept text is <= threshold."""
    kept: list[int] = []
    for i in range(len(texts)):
        if max((scores[i, j] for j in kept), default=0.0) <= threshold:
            kept.append(i)
    return kept


@pytest.fixture(scope="module")
def generated() -> tuple[list[str], dict[tuple[int, int], float]]:
    texts = realistic_instructions(260)
    return texts, reference_scores(texts)


@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.5, 0.7, 0.85, 1.0])
@pytest.mark.parametrize("block_size", [1, 7, 256])
def test_kept_instructions_are_those_of_the_rouge_score_loop(generated, threshold, block_size):
    texts, scores = generated
    expected = reference_kept(texts, threshold, scores)
    pool = NearDuplicateFilter(threshold, block_size=block_size)
    decisions = pool.add_many(texts)
    assert [i for i, d in enumerate(decisions) if d is None] == expected
    assert pool.texts == [texts[i] for i in expected]
    # every removed text names a kept text it really is too close to, with rouge_score's value
    for i, match in enumerate(decisions):
        if match is not None:
            j = expected[match.kept_index]
            assert j < i and match.score == scores[i, j] > threshold


def test_one_at_a_time_gives_the_same_decisions_as_a_batch(generated):
    texts, scores = generated
    pool = NearDuplicateFilter(0.7)
    kept = [i for i, text in enumerate(texts) if pool.add_if_novel(text)]
    assert kept == reference_kept(texts, 0.7, scores)


def _words(count: int, prefix: str) -> list[str]:
    return [f"{prefix}{k}" for k in range(count)]


@pytest.mark.parametrize(("lcs", "m", "n"), [(7, 8, 12), (7, 10, 10), (14, 16, 24), (14, 20, 20), (7, 13, 7)])
@pytest.mark.parametrize("block_size", [1, 256])
def test_ties_at_the_threshold_follow_rouge_score_rounding(lcs, m, n, block_size):
    # 2·LCS/(m+n) is exactly 0.7 in all cases, but rouge_score's 2PR/(P+R) lands on either side.
    shared = _words(lcs, "w")
    first = " ".join(shared + _words(m - lcs, "a"))
    second = " ".join(shared + _words(n - lcs, "b"))
    reference = SCORER.score(second, first)["rougeL"].fmeasure
    assert reference == rouge_l_fmeasure(lcs, m, n) == rouge_l(second, first)
    pool = NearDuplicateFilter(0.7, block_size=block_size)
    assert pool.add_if_novel(first)
    assert pool.add_if_novel(second) is (reference <= 0.7)


def test_ties_fall_on_both_sides_so_the_tie_tests_mean_something():
    assert rouge_l_fmeasure(7, 8, 12) > 0.7
    assert not rouge_l_fmeasure(7, 10, 10) > 0.7


@pytest.mark.parametrize(
    "text",
    [
        "İstanbul is big",
        "The Kelvin sign \u212a and ß and １２",
        "snake_case and CamelCase!",
        "3.14159 is π",
        "naïve café — résumé",
        "",
        "   \t\n ",
        "!!!",
        "e-mail: a@b.co",
        "ǅungla ﬁ ligature",
    ],
)
def test_tokens_are_rouge_score_tokens(text):
    assert rouge_tokens(text) == rouge_tokenize.tokenize(text, None)


def test_texts_without_tokens_are_always_kept_and_match_nothing():
    # rouge_score scores any empty side 0, while a plain similarity would call two empties equal
    pool = NearDuplicateFilter(0.7)
    assert pool.add_many(["!!!", "???", "", "Write a poem."]) == [None, None, None, None]
    assert pool.find_duplicate("...") is None
    assert NearDuplicateFilter(0.0).add_many(["!!", "Write a poem.", "??"]) == [None, None, None]


def test_exact_repeats_are_removed_and_point_at_the_first():
    pool = NearDuplicateFilter(0.7)
    decisions = pool.add_many(["Write a poem about cats.", "Name three rivers.", "write a POEM about cats!"])
    assert decisions[:2] == [None, None]
    assert decisions[2] is not None and decisions[2].kept_index == 0 and decisions[2].score == 1.0


def test_threshold_one_keeps_everything_even_repeats():
    assert NearDuplicateFilter(1.0).add_many(["a b c", "a b c"]) == [None, None]


def test_seeds_added_unconditionally_still_block_later_candidates():
    pool = NearDuplicateFilter(0.7)
    pool.add("Give three tips for staying healthy.")
    pool.add("Give three tips for staying healthy!")  # a repeat among seeds stays
    assert len(pool) == 2
    assert pool.find_duplicate("Give me three tips for staying healthy.") is not None
    assert len(pool) == 2  # looking does not add
    assert not pool.add_if_novel("Give three tips for staying healthy today.")
    assert pool.add_if_novel("Translate the sentence into German.")


def test_threshold_outside_zero_to_one_is_refused():
    with pytest.raises(ValueError, match="between 0 and 1"):
        NearDuplicateFilter(1.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        NearDuplicateFilter(-0.1)


def test_vocabulary_larger_than_unicode_gives_the_same_decisions(generated, monkeypatch):
    texts, scores = generated
    monkeypatch.setattr(dedup_filter, "_MAX_CHAR_IDS", 40)  # run out of characters half-way through
    pool = NearDuplicateFilter(0.7, block_size=16)
    kept = [i for i, d in enumerate(pool.add_many(texts)) if d is None]
    assert pool._chars is None  # it did switch to integer sequences
    assert kept == reference_kept(texts, 0.7, scores)


@pytest.mark.skipif(not (CORPUS / "instructions.jsonl").exists(), reason="shared corpus not present")
def test_real_instructions_get_the_rouge_score_decisions():
    with open(CORPUS / "instructions.jsonl", encoding="utf-8") as handle:
        texts = [json.loads(line)["instruction"] for _, line in zip(range(150), handle, strict=False)]
    scores = reference_scores(texts)
    expected = reference_kept(texts, 0.7, scores)
    assert len(expected) < len(texts)  # the prefix does contain near-duplicates
    pool = NearDuplicateFilter(0.7, workers=-1)
    assert [i for i, d in enumerate(pool.add_many(texts)) if d is None] == expected


def _near_copies(count: int, seed: int) -> list[str]:
    """Texts that are edits of earlier ones, so many pairs score close to the threshold."""
    rng = random.Random(seed)
    words = [f"t{k}" for k in range(60)] + ["the", "a", "of"] * 10
    texts: list[str] = []
    for _ in range(count):
        if texts and rng.random() < 0.6:
            tokens = edit_tokens(rng, rng.choice(texts).split(), words, rng.randint(0, 4))
        else:
            tokens = [rng.choice(words) for _ in range(rng.randint(1, 25))]
        texts.append(" ".join(tokens))
    return texts


@pytest.mark.parametrize("threshold", [0.0, 0.5, 0.7, 0.9, 1.0])
def test_the_prefilter_changes_no_decision_on_thousands_of_near_copies(threshold):
    texts = _near_copies(3000, seed=5)
    filtered = NearDuplicateFilter(threshold, prefilter=True).add_many(texts)
    every_pair = NearDuplicateFilter(threshold, prefilter=False).add_many(texts)
    assert [d is None for d in filtered] == [d is None for d in every_pair]
    near = sum(1 for d in filtered if d is not None and d.score < threshold + 0.05)
    assert threshold in (0.0, 1.0) or near > 10  # the set does hold near-threshold pairs


@pytest.mark.parametrize("seed", range(40))
def test_the_prefilter_decides_as_every_pair_and_as_rouge_score(seed):
    rng = random.Random(seed)
    threshold = rng.choice([0.0, 0.3, 0.5, 0.6, 0.7, 0.75, 0.8, 0.9, 1.0])
    texts = [" ".join(rng.choices("abcdef", k=rng.randint(0, 12))) for _ in range(rng.randint(1, 40))]
    filtered = NearDuplicateFilter(threshold, prefilter=True).add_many(texts)
    assert [d is None for d in filtered] == [
        d is None for d in NearDuplicateFilter(threshold, prefilter=False).add_many(texts)
    ]
    scores = reference_scores(texts)
    assert [i for i, d in enumerate(filtered) if d is None] == reference_kept(texts, threshold, scores)
    kept = [i for i, d in enumerate(filtered) if d is None]
    for i, match in enumerate(filtered):  # the best kept text, the earliest on ties
        if match is not None:
            best = max(scores[i, j] for j in kept if j < i)
            assert match.score == best == scores[i, kept[match.kept_index]]
