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
- By default a candidate is compared only with the kept texts that a prefix filter lets through,
  which cannot change a decision: ROUGE-L F1 is at most 2·overlap/(m+n), where overlap counts the
  tokens two texts share (with multiplicity, and LCS ≤ overlap), so reaching the threshold t needs
  an overlap of at least ⌈t·n/(2−t)⌉ tokens for a text of n tokens. Order every token occurrence
  by rarity; two texts that share that many must share one among the first n − ⌈t·n/(2−t)⌉ + 1 of
  each (the rarest common one lies there in both). Only those prefixes are indexed and probed,
  the survivors of a length bound (2·min(m, n)/(m+n) > t) get an exact LCS, and a candidate
  meets the kept texts in input order, so the decisions are those of the plain loop. The block
  path below (the default) compares every pair in C; on Zipf-like instructions it is still the faster
  of the two (bench/dedup.py measures both), so the prefilter is opt-in.
- Without the prefilter, candidates are processed in blocks: each block is compared with all texts kept before it, then
  with itself, and resolved in input order, which gives exactly the sequential decisions.
- ``cdist`` scores are approximate (float32); any score within ``_BAND`` of the threshold is
  recomputed exactly as rouge_score does (precision, recall, then 2PR/(P+R)), so ties at the
  boundary are decided the same way.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rapidfuzz import process
from rapidfuzz.distance import LCSseq

from dynosaur.core.rouge import rouge_l_fmeasure, rouge_tokens

if TYPE_CHECKING:
    import numpy as np

DEFAULT_THRESHOLD = 0.7
# Scores from cdist are float32: anything this close to the threshold is recomputed exactly.
_BAND = 1e-5
_SURROGATES = range(0xD800, 0xE000)
# Token ids beyond this cannot be written as one character each; the filter then falls back to
# lists of ints, which rapidfuzz also compares, only more slowly.
_MAX_CHAR_IDS = 0x110000 - len(_SURROGATES)
_CHUNK = 16384  # kept texts per cdist call, bounds the score matrix to block × chunk floats
# The prefilter's bounds use a threshold this much lower, so float rounding in the bound cannot
# rule out a pair whose exact score (compared as rouge_score computes it) exceeds the threshold.
_BOUND_SLACK = 1e-9
# A token's k-th occurrence in a text is the element code + k · _OCCURRENCE (codes stay below it).
_OCCURRENCE = 0x110000 + 1
# The token order is re-derived from the texts seen when they have grown this much since.
_REORDER_GROWTH = 4


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


def _elements(seq: Sequence_) -> list[int]:
    """The text's token occurrences as distinct ints: the k-th "the" differs from the first."""
    seen: dict[int, int] = {}
    out = []
    for token in seq:
        code = ord(token) if isinstance(token, str) else token
        k = seen.get(code, 0)
        seen[code] = k + 1
        out.append(code + k * _OCCURRENCE)
    return out


class _PrefixIndex:
    """Kept texts by the prefixes of their rarest-first token occurrences (see the module notes).

    The order is fixed when the index is built (element frequency among the texts seen then, new
    elements first as the rarest); any fixed order gives the same candidates' superset guarantee,
    a rarity order only makes the lists short.
    """

    def __init__(self, threshold: float, seqs: list[Sequence_], sample: list[Sequence_]) -> None:
        self.tau = max(0.0, threshold - _BOUND_SLACK)
        counts: dict[int, int] = {}
        for seq in (*seqs, *sample):
            for element in _elements(seq):
                counts[element] = counts.get(element, 0) + 1
        self.counts = counts
        self.seen = len(seqs) + len(sample)
        self.postings: dict[int, list[int]] = {}
        for position, seq in enumerate(seqs):
            self.insert(position, seq)

    def min_overlap(self, n: int) -> int:
        """The fewest shared token occurrences a text of ``n`` tokens needs with any partner."""
        tau = self.tau
        return max(1, math.ceil(n * tau / (2.0 - tau)))

    def prefix(self, seq: Sequence_) -> list[int]:
        """The first ``n - min_overlap(n) + 1`` elements of ``seq`` in the index's order."""
        counts = self.counts
        elements = sorted(_elements(seq), key=lambda e: (counts.get(e, 0), e))
        return elements[: len(elements) - self.min_overlap(len(elements)) + 1]

    def insert(self, position: int, seq: Sequence_) -> None:
        postings = self.postings
        for element in self.prefix(seq):
            found = postings.get(element)
            if found is None:
                postings[element] = [position]
            else:
                found.append(position)

    def candidates(self, seq: Sequence_) -> set[int]:
        """Positions of every indexed text that may score above the threshold with ``seq``."""
        found: set[int] = set()
        postings = self.postings
        for element in self.prefix(seq):
            hits = postings.get(element)
            if hits is not None:
                found.update(hits)
        return found


class NearDuplicateFilter:
    """A pool of kept texts; a candidate joins unless it is a near-duplicate of one already there.

    ``add_many`` checks a batch with the same decisions as checking its texts one by one, and is
    the fast path; ``add_if_novel`` is the one-text convenience.
    """

    def __init__(
        self,
        threshold: float = DEFAULT_THRESHOLD,
        *,
        workers: int = 1,
        block_size: int = 256,
        prefilter: bool = False,
    ) -> None:
        """The default compares every pair (``workers`` threads, ``block_size`` per call); ``prefilter=True``
        takes the token-prefix index, which decides the same but is slower than every pair in C on
        Zipf-like vocabularies (common tokens' postings grow with the kept texts)."""
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
        self.prefilter = prefilter
        self._index: _PrefixIndex | None = None  # built at the first check, over the kept texts

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
        seqs = self._encode([text])
        if self.prefilter:
            return self._probe(seqs[0], self._prepared_index(seqs))
        return self._against_kept(seqs)[0]

    def add_many(self, texts: Sequence[str], progress: bool = False) -> list[Match | None]:
        """Check texts in order, keeping the novel ones; None for a kept text, else its Match.

        With the prefilter a removed text's Match is its best kept text (the earliest on ties).
        """
        decisions: list[Match | None] = []
        with _progress_bar(len(texts), progress) as advance:
            for start in range(0, len(texts), self.block_size):
                block = list(texts[start : start + self.block_size])
                decisions.extend(
                    self._add_block_prefiltered(block) if self.prefilter else self._add_block(block)
                )
                advance(len(block))
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
            if self._index is not None:
                self._index.insert(len(self._seqs), seq)
            self._seqs.append(seq)
            self._seq_owner.append(index)
            self._exact.setdefault(self._key(seq), index)
        return index

    # -- the prefiltered path -------------------------------------------------------------------

    def _prepared_index(self, sample: list[Sequence_]) -> _PrefixIndex:
        """The prefix index, (re)built when the texts seen have outgrown its token order."""
        index = self._index
        if index is None or len(self._seqs) + len(sample) > _REORDER_GROWTH * index.seen:
            index = self._index = _PrefixIndex(self.threshold, self._seqs, sample)
        return index

    def _add_block_prefiltered(self, block: list[str]) -> list[Match | None]:
        seqs = self._encode(block)
        index = self._prepared_index(seqs)
        decisions: list[Match | None] = []
        for text, seq in zip(block, seqs, strict=True):
            match = self._probe(seq, index)
            if match is None:
                self._keep(text, seq)
            decisions.append(match)
        return decisions

    def _probe(self, seq: Sequence_, index: _PrefixIndex) -> Match | None:
        """The best kept near-duplicate of ``seq`` (earliest on ties), from the index's candidates."""
        if not seq or self.threshold >= 1.0:
            return None  # no text scores above 1, and an empty one scores 0 with everything
        exact = self._exact.get(self._key(seq))
        if exact is not None:
            return Match(exact, 1.0)  # only an identical sequence scores 1, the best possible
        m = len(seq)
        tau = index.tau
        # 2·min(m, n)/(m+n) > tau bounds the partner's length n from both sides
        low, high = m * tau / (2.0 - tau), m * (2.0 - tau) / tau if tau > 0 else math.inf
        seqs = self._seqs
        positions = sorted(p for p in index.candidates(seq) if low <= len(seqs[p]) <= high)
        if not positions:
            return None
        choices = [seqs[p] for p in positions]
        # LCS >= ceil(tau·(m+n)/2) is needed; the smallest partner needs the least
        cutoff = max(1, math.ceil(tau * (m + min(map(len, choices))) / 2.0))
        best: Match | None = None
        for _, lcs, column in process.extract(
            seq, choices, scorer=LCSseq.similarity, limit=None, score_cutoff=cutoff
        ):
            position = positions[column]
            score = rouge_l_fmeasure(int(lcs), m, len(choices[column]))
            if score > self.threshold and (
                best is None
                or score > best.score
                or (score == best.score and self._seq_owner[position] < best.kept_index)
            ):
                best = Match(self._seq_owner[position], score)
        return best

    def _add_block(self, block: list[str]) -> list[Match | None]:
        import numpy as np

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
        import numpy as np

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
        import numpy as np
        from rapidfuzz import process
        from rapidfuzz.distance import Indel

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
        import numpy as np

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


@contextlib.contextmanager
def _progress_bar(total: int, show: bool) -> Iterator:
    """A callable advancing a tqdm bar (imported only when one is shown), or a no-op."""
    if not show:
        yield lambda _count: None
        return
    from tqdm import tqdm

    with tqdm(total=total, desc="dedup", unit="text") as bar:
        yield bar.update
