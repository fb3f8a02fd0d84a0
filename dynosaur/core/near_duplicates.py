"""The near-duplicate filter: exact ROUGE-L decisions, fast.

An instruction is a near-duplicate when its ROUGE-L F-measure (rouge_score's tokenization, no
stemming) against any instruction kept before it exceeds the threshold; the first of each group is
kept. The decisions are identical to a plain ``rouge_score`` loop, only much faster:

- Tokens are mapped to integer ids and each text to a string with one character per token, so
  ``rapidfuzz`` compares token sequences with its bit-parallel LCS in C.
- ``rapidfuzz``'s Indel normalized similarity is 1 - (m + n - 2·LCS) / (m + n) = 2·LCS / (m + n),
  which is ROUGE-L F1. ``process.cdist`` scores a block of candidates against every kept text in one
  call (about 30 ns a pair, optionally multi-threaded) and its ``score_cutoff`` already skips pairs
  whose lengths alone rule the threshold out (2·min(m, n) / (m + n) ≤ t). A Python-level inverted
  index that prunes pairs by token overlap was measured slower than letting C compare the pairs.
- Candidates are processed in blocks: each block is compared with all texts kept before it, then
  with itself, and resolved in input order, which gives exactly the sequential decisions.
- ``cdist`` scores are approximate (float32); any score within ``_BAND`` of the threshold is
  recomputed exactly as rouge_score does (precision, recall, then 2PR/(P+R)), so ties at the
  boundary are decided the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Indel, LCSseq
from tqdm import tqdm

from dynosaur.core.rouge import rouge_l_fmeasure, rouge_tokens

DEFAULT_THRESHOLD = 0.7
# Scores from cdist are float32: anything this close to the threshold is recomputed exactly.
_BAND = 1e-5
_SURROGATES = range(0xD800, 0xE000)
# Token ids beyond this cannot be written as one character each; the filter then falls back to
# lists of ints, which rapidfuzz also compares, only more slowly.
_MAX_CHAR_IDS = 0x110000 - len(_SURROGATES)
_CHUNK = 16384  # kept texts per cdist call, bounds the score matrix to block × chunk floats


@dataclass(frozen=True)
class Match:
    """A kept text that a candidate is too similar to: its position among kept texts, and the score."""

    kept_index: int
    score: float


class _VocabularyFull(Exception):
    """More distinct tokens than characters."""


class _CharVocabulary(dict):
    """token -> one character, assigned in first-seen order (stepping over surrogates)."""

    def __missing__(self, token: str) -> str:
        if len(self) >= _MAX_CHAR_IDS:
            raise _VocabularyFull
        char = chr(_code(len(self)))
        self[token] = char
        return char


class _IntVocabulary(dict):
    """token -> int code, for vocabularies too large for characters."""

    def __missing__(self, token: str) -> int:
        code = _code(len(self))
        self[token] = code
        return code


def _code(token_id: int) -> int:
    """The character code of a token id, stepping over the surrogate range."""
    return token_id if token_id < _SURROGATES.start else token_id + len(_SURROGATES)


Sequence_ = str | list[int]  # an encoded text: one character (or int) per token


class NearDuplicateFilter:
    """A pool of kept texts; a candidate joins unless it is a near-duplicate of one already there.

    ``add_many`` checks a batch with the same decisions as checking its texts one by one, and is
    the fast path; ``add_if_novel`` is the one-text convenience.
    """

    def __init__(
        self, threshold: float = DEFAULT_THRESHOLD, *, workers: int = 1, block_size: int = 256
    ) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be between 0 and 1, got {threshold}")
        if block_size < 1:
            raise ValueError("block_size must be at least 1")
        self.threshold = float(threshold)
        self.workers = workers
        self.block_size = block_size
        self.texts: list[str] = []  # every kept text, in order
        self._chars: _CharVocabulary | None = _CharVocabulary()
        self._ints: _IntVocabulary | None = None  # used instead once characters run out
        self._seqs: list[Sequence_] = []  # encoded non-empty kept texts (the cdist choices)
        self._seq_owner: list[int] = []  # index in ``texts`` of each entry of ``_seqs``
        self._exact: dict[str | tuple[int, ...], int] = {}  # token sequence -> first kept index

    def __len__(self) -> int:
        return len(self.texts)

    # -- public API -----------------------------------------------------------------------------

    def add(self, text: str) -> int:
        """Keep ``text`` unconditionally (e.g. seed tasks); returns its index among kept texts."""
        return self._keep(text, self._encode([text])[0])

    def add_if_novel(self, text: str) -> bool:
        """Keep ``text`` unless it is a near-duplicate of a kept text; True when kept."""
        return self.add_many([text])[0] is None

    def find_duplicate(self, text: str) -> Match | None:
        """The best kept text that ``text`` is a near-duplicate of, or None; keeps nothing."""
        return self._against_kept(self._encode([text]))[0]

    def add_many(self, texts: Sequence[str], progress: bool = False) -> list[Match | None]:
        """Check texts in order, keeping the novel ones; None for a kept text, else its Match."""
        decisions: list[Match | None] = []
        with tqdm(total=len(texts), desc="dedup", unit="text", disable=not progress or None) as bar:
            for start in range(0, len(texts), self.block_size):
                block = list(texts[start : start + self.block_size])
                decisions.extend(self._add_block(block))
                bar.update(len(block))
        return decisions

    # -- encoding -------------------------------------------------------------------------------

    def _encode(self, texts: list[str]) -> list[Sequence_]:
        tokens = [rouge_tokens(text) for text in texts]
        if self._chars is not None:
            try:
                return ["".join(map(self._chars.__getitem__, t)) for t in tokens]
            except _VocabularyFull:
                self._widen()
        assert self._ints is not None
        return [list(map(self._ints.__getitem__, t)) for t in tokens]

    def _widen(self) -> None:
        assert self._chars is not None
        self._ints = _IntVocabulary({token: ord(char) for token, char in self._chars.items()})
        self._chars = None
        self._seqs = [list(map(ord, s)) if isinstance(s, str) else s for s in self._seqs]
        self._exact = {(tuple(map(ord, k)) if isinstance(k, str) else k): v for k, v in self._exact.items()}

    @staticmethod
    def _key(seq: Sequence_) -> str | tuple[int, ...]:
        return seq if isinstance(seq, str) else tuple(seq)

    # -- internals ------------------------------------------------------------------------------

    def _keep(self, text: str, seq: Sequence_) -> int:
        index = len(self.texts)
        self.texts.append(text)
        if seq:
            self._seqs.append(seq)
            self._seq_owner.append(index)
            self._exact.setdefault(self._key(seq), index)
        return index

    def _add_block(self, block: list[str]) -> list[Match | None]:
        seqs = self._encode(block)
        prior = self._against_kept(seqs)
        inner = self._scores(seqs, seqs)
        # rows with any similar earlier text in the block; only those need a look at the block
        maybe = np.asarray(np.tril(self._hits(inner), -1).any(axis=1))
        kept_columns = np.zeros(len(seqs), dtype=bool)
        owners = np.full(len(seqs), -1, dtype=np.int64)
        decisions: list[Match | None] = []
        for i, seq in enumerate(seqs):
            match = prior[i]
            if match is None and seq and self.threshold < 1.0:
                exact = self._exact.get(self._key(seq))
                if exact is not None:
                    match = Match(exact, 1.0)
            if match is None and maybe[i]:
                match = self._best(seq, np.where(kept_columns, inner[i], 0.0), seqs, owners, 0)
            if match is None:
                index = self._keep(block[i], seq)
                if seq:
                    kept_columns[i] = True
                    owners[i] = index
            decisions.append(match)
        return decisions

    def _against_kept(self, seqs: list[Sequence_]) -> list[Match | None]:
        """For each encoded candidate, the best near-duplicate among the texts kept so far."""
        found: list[Match | None] = [None] * len(seqs)
        for start in range(0, len(self._seqs), _CHUNK):
            choices = self._seqs[start : start + _CHUNK]
            scores = self._scores(seqs, choices)
            for i in np.flatnonzero(self._hits(scores).any(axis=1)):
                match = self._best(seqs[i], scores[i], choices, self._seq_owner, start)
                best = found[i]
                if match is not None and (best is None or match.score > best.score):
                    found[i] = match
        return found

    def _cutoff(self) -> float:
        return max(0.0, self.threshold - _BAND)

    def _hits(self, scores: np.ndarray) -> np.ndarray:
        """Pairs that may exceed the threshold (with a zero cutoff, a 0 score means no common token)."""
        cutoff = self._cutoff()
        return scores >= cutoff if cutoff > 0 else scores > 0

    def _scores(self, queries: list[Sequence_], choices: list[Sequence_]) -> np.ndarray:
        """Approximate 2·LCS/(m+n) for every pair, 0 below the cutoff and for empty sequences."""
        if not queries or not choices:
            return np.zeros((len(queries), len(choices)), dtype=np.float32)
        scores = process.cdist(
            queries,
            choices,
            scorer=Indel.normalized_similarity,
            score_cutoff=self._cutoff(),
            dtype=np.float32,
            workers=self.workers,
        )
        # rapidfuzz scores two empty sequences 1.0; rouge_score scores any empty side 0
        empty_q = np.fromiter((not q for q in queries), dtype=bool, count=len(queries))
        if empty_q.any():
            scores[empty_q, :] = 0.0
        empty_c = np.fromiter((not c for c in choices), dtype=bool, count=len(choices))
        if empty_c.any():
            scores[:, empty_c] = 0.0
        return scores

    def _best(
        self,
        seq: Sequence_,
        row: np.ndarray,
        choices: list[Sequence_],
        owners: Sequence[int] | np.ndarray,
        offset: int,
    ) -> Match | None:
        """The highest-scoring confirmed near-duplicate in one row of scores, or None.

        ``owners[offset + column]`` is the kept index of a column; columns to ignore score 0.
        """
        top = int(row.argmax()) if row.size else 0
        if not row.size or not self._hits(row[top]):
            return None
        if float(row[top]) > self.threshold + _BAND:  # clear of any rounding: certainly above
            return Match(int(owners[offset + top]), self._exact_score(seq, choices[top]))
        # Near the threshold: decide with the exact score, as rouge_score computes it.
        columns = np.flatnonzero(self._hits(row))
        for j in columns[np.argsort(-row[columns], kind="stable")]:
            if float(row[j]) < self.threshold - _BAND:
                break
            exact = self._exact_score(seq, choices[j])
            if exact > self.threshold:
                return Match(int(owners[offset + j]), exact)
        return None

    @staticmethod
    def _exact_score(a: Sequence_, b: Sequence_) -> float:
        return rouge_l_fmeasure(LCSseq.similarity(a, b), len(a), len(b))
