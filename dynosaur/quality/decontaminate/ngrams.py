"""Normalized words and hashed word n-grams, as in GPT-3's and datatrove's overlap checks.

A text becomes lower-case words without punctuation or diacritics; each word gets a stable
64-bit hash (blake2b, the same in every process, so an index written once is valid later) and each
run of ``n`` words a 64-bit polynomial hash of its words' hashes, computed for many texts at once
with numpy.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

# Bump when the normalization or the hashing changes: indexes written before are rebuilt.
NGRAM_VERSION = 1
DEFAULT_N = 13

_WORD = re.compile(r"[^\W_]+")
_COMBINING = re.compile(r"[\u0300-\u036f]+")
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # odd, so multiplying mod 2**64 loses nothing
_CACHE_LIMIT = 2_000_000

Hashes = npt.NDArray[np.uint64]


def normalized_words(text: str) -> list[str]:
    """``"Héllo, World!"`` -> ``["hello", "world"]``: lower case, no punctuation, no accents."""
    folded = _COMBINING.sub("", unicodedata.normalize("NFKD", text.lower()))
    return _WORD.findall(folded)


class WordHasher:
    """Stable 64-bit word hashes, remembered for the words seen (up to a bound)."""

    def __init__(self) -> None:
        self._known: dict[str, int] = {}

    def _new(self, word: str) -> int:
        if len(self._known) >= _CACHE_LIMIT:
            self._known.clear()
        value = int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")
        self._known[word] = value
        return value

    def hashes(self, words: Sequence[str]) -> list[int]:
        found = list(map(self._known.get, words))
        if None in found:
            found = [self._new(w) if h is None else h for w, h in zip(words, found, strict=True)]
        return found  # type: ignore[return-value]


def ngram_hashes(
    texts: Sequence[Sequence[str]], n: int, hasher: WordHasher
) -> tuple[Hashes, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The hashes of every ``n``-word run of each word list, all lists at once.

    Returns (hashes, owner, offset): the i-th n-gram belongs to ``texts[owner[i]]`` and starts
    at its word ``offset[i]``. A list shorter than ``n`` words has no n-gram.
    """
    lengths = np.fromiter((len(words) for words in texts), dtype=np.int64, count=len(texts))
    flat: list[int] = []
    for words in texts:
        flat.extend(hasher.hashes(words))
    words_hashed = np.array(flat, dtype=np.uint64)
    total = len(words_hashed)
    empty = np.zeros(0, dtype=np.int64)
    if total < n:
        return np.zeros(0, dtype=np.uint64), empty, empty
    count = total - n + 1
    acc = words_hashed[:count].copy()
    for j in range(1, n):
        acc *= _MULTIPLIER
        acc += words_hashed[j : j + count]
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    owner_of_word = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    owner = owner_of_word[:count]
    valid = owner == owner_of_word[n - 1 : n - 1 + count]
    positions = np.flatnonzero(valid)
    owner = owner[positions]
    return acc[positions], owner, positions - starts[owner]
