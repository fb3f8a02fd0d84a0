"""Random word edits for near-duplicate test texts."""

from __future__ import annotations

import random


def edit_tokens(rng: random.Random, tokens: list[str], words: list[str], edits: int) -> list[str]:
    """``tokens`` after ``edits`` random replacements, insertions or deletions of words."""
    tokens = list(tokens)
    for _ in range(edits):
        position = rng.randrange(len(tokens) + 1)
        roll = rng.random()
        if roll < 0.4 and position < len(tokens):
            tokens[position] = rng.choice(words)
        elif roll < 0.7 or len(tokens) < 2:
            tokens.insert(position, rng.choice(words))
        else:
            del tokens[min(position, len(tokens) - 1)]
    return tokens
