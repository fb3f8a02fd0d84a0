"""Rows of the demo Hub's evaluation benchmark, and of a dataset that quietly copies some of them.

The benchmark's questions are long enough (over 13 words) for an n-gram overlap check to see a
copied one; the copying dataset's own questions share no 13-word run with any benchmark row, so
decontamination removes exactly the copied rows' records.
"""

from __future__ import annotations

import random
import re

from hubmirror.demo.rows import Row, fresh

BENCHMARK_ID = "evalsuite/trivia-bench"
BENCHMARK_ROWS = 40
COPIED_EVERY = 5  # the copying dataset takes every fifth benchmark row

_WHO = ["an astronomer", "a lighthouse keeper", "a clockmaker", "a beekeeper", "a cartographer",
        "a glassblower", "a ferryman", "a violin maker", "a stonemason", "a falconer"]  # fmt: skip
_WHERE = ["a windswept island", "a mountain monastery", "a desert caravan town", "a frozen harbour",
          "a riverside mill", "a hilltop observatory", "a forest village", "a canal city"]  # fmt: skip
_THING = ["brass telescope", "copper kettle", "silver compass", "leather journal", "wooden flute",
          "iron lantern", "porcelain cup", "woollen scarf", "glass bead", "oak chest"]  # fmt: skip
_DONE = ["repaired after the winter storm", "found under the old floorboards", "carried across the border at midnight",
         "traded for a season of grain", "painted with tiny golden stars", "hidden from the tax collectors"]  # fmt: skip
_MATERIAL = [
    "polished walnut",
    "hammered tin",
    "river clay",
    "whalebone",
    "dark amber",
    "painted pine",
    "pewter",
]


def _question(rng: random.Random) -> Row:
    question = (
        f"In the old tale of {rng.choice(_WHO)} from {rng.choice(_WHERE)}, what was the "
        f"{rng.choice(_THING)} that had been {rng.choice(_DONE)} really made of?"
    )
    return {"question": question, "answer": rng.choice(_MATERIAL).capitalize()}


def trivia_questions(rng: random.Random, n: int) -> list[Row]:
    """``n`` distinct trivia questions with their one-phrase answers."""
    seen: set[str] = set()
    return [fresh(rng, _question, lambda row: row["question"], seen) for _ in range(n)]


def benchmark_rows() -> list[Row]:
    """The benchmark's test split, exactly as the demo Hub serves it."""
    return trivia_questions(random.Random(f"{BENCHMARK_ID}/default/test"), BENCHMARK_ROWS)


def _grams(text: str, n: int = 13) -> set[tuple[str, ...]]:
    words = re.findall(r"[^\W_]+", text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def trivia_with_copies(rng: random.Random, n: int) -> list[Row]:
    """``n`` rows: fresh questions, with every fifth benchmark row slipped in between them."""
    copied = benchmark_rows()[::COPIED_EVERY]
    taken = set().union(*(_grams(f"{row['question']} {row['answer']}") for row in benchmark_rows()))
    seen = {row["question"] for row in benchmark_rows()}
    own: list[Row] = []
    while len(own) < n - len(copied):
        row = fresh(rng, _question, lambda r: r["question"], seen)
        if not _grams(f"{row['question']} {row['answer']}") & taken:
            own.append(row)
    step = max(1, len(own) // max(1, len(copied)))
    rows = list(own)
    for i, row in enumerate(copied):
        rows.insert(i * (step + 1), row)
    return rows
