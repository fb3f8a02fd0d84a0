"""ROUGE-L exactly as rouge_score computes it (no stemming), without depending on rouge_score."""

from __future__ import annotations

import re

from rapidfuzz.distance import LCSseq

_TOKEN_RE = re.compile(r"[a-z0-9]+")


def rouge_tokens(text: str, limit: int | None = None) -> list[str]:
    """rouge_score's tokens without stemming: lowercase, runs of [a-z0-9], everything else a separator.

    This equals rouge_score.tokenize: ``str.lower()`` first (so "İ" becomes "i" plus a combining
    dot and the Kelvin sign becomes "k"), non-[a-z0-9] characters become spaces, empty tokens drop.
    With ``limit``, only the first ``limit`` tokens, and only as much of the text is read as
    they need.
    """
    if limit is None:
        return _TOKEN_RE.findall(text.lower())
    return first_tokens(text, limit)[0]


def first_tokens(text: str, limit: int) -> tuple[list[str], bool]:
    """The first ``limit`` of ``rouge_tokens(text)``, and whether the text has more.

    Reads a growing prefix of the text, so a huge text costs about as much as its first tokens.
    Lowercasing a prefix gives the prefix of the lowercased text (only a final sigma differs,
    and sigma is a separator either way), and once the prefix holds more than ``limit`` tokens
    the first ``limit`` of them are whole.
    """
    size = max(64, 8 * limit)
    while True:
        tokens = _TOKEN_RE.findall(text[:size].lower())
        if len(tokens) > limit:
            return tokens[:limit], True
        if size >= len(text):
            return tokens, False
        size *= 4


def rouge_l_fmeasure(lcs: int, m: int, n: int) -> float:
    """ROUGE-L F-measure from an LCS length and the two token counts, computed as rouge_score does."""
    if m == 0 or n == 0:
        return 0.0
    precision = lcs / n
    recall = lcs / m
    if precision + recall > 0:
        return 2 * precision * recall / (precision + recall)
    return 0.0


def rouge_l(a: str, b: str) -> float:
    """ROUGE-L F-measure of two texts (same value as rouge_score's ``fmeasure``)."""
    ta, tb = rouge_tokens(a), rouge_tokens(b)
    if not ta or not tb:
        return 0.0
    return rouge_l_fmeasure(LCSseq.similarity(ta, tb), len(ta), len(tb))
