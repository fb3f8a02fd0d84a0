"""The near-duplicate filter: exact ROUGE-L decisions, fast.

An instruction is a near-duplicate when its ROUGE-L F-measure (rouge_score's tokenization, no
stemming) against any instruction kept before it exceeds the threshold; the first of each group is
kept. The decisions are identical to a plain ``rouge_score`` loop, only much faster:

- Tokens are mapped to integer ids and each text to a string with one character per token, so
  ``rapidfuzz`` compares token sequences with its bit-parallel LCS in C.
- ``rapidfuzz``'s Indel normalized similarity is 1 - (m + n - 2·LCS) / (m + n) = 2·LCS / (m + n),
  which is ROUGE-L F1. ``process.cdist`` scores a block of candidates against every kept text in one
  call (optionally multi-threaded) and its ``score_cutoff`` already skips pairs whose lengths
  alone rule the threshold out (2·min(m, n) / (m + n) ≤ t).
- By default (``prefilter=True``) a large batch is compared only on the candidate pairs that
  bounds cannot rule out (``near_duplicate_index``: a length bound, a prefix index over rarest-first
  token occurrences, a positional and a bucket-count bound on the token overlap, each an upper
  bound on the LCS, all in numpy over the whole batch); the survivors get an exact LCS, so the
  decisions are those of every pair. A chunk whose candidates would cost more than comparing every
  pair is compared with every pair instead, and a small batch is compared one text at a time with
  every kept text (numpy is then never loaded).
- Every pair (``prefilter=False``, and the fallback above): candidates are processed in blocks;
  each block is compared with all texts kept before it, then with itself, and resolved in input
  order, which gives exactly the sequential decisions.
- ``cdist`` scores are approximate (float32); any score within ``_BAND`` of the threshold is
  recomputed exactly as rouge_score does (precision, recall, then 2PR/(P+R)), so ties at the
  boundary are decided the same way.
- Only a text's first ``max_tokens`` tokens (default ``DEFAULT_MAX_TOKENS``, far above any
  instruction) are compared: ROUGE-L costs m·n, so two texts of millions of tokens would take
  hours. A text that long is compared on its first tokens only, and is tokenized no further;
  every text within the bound is decided exactly as rouge_score would.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rapidfuzz import process
from rapidfuzz.distance import Indel, LCSseq

from dynosaur.core import checks
from dynosaur.core.rouge import first_tokens, rouge_l_fmeasure, rouge_tokens

if TYPE_CHECKING:
    import numpy as np

DEFAULT_THRESHOLD = 0.7
# Tokens of a text that count for similarity; instructions, and the inputs and document chunks
# they are compared with, are hundreds of tokens at most.
DEFAULT_MAX_TOKENS = 10_000
# Scores from cdist are float32: anything this close to the threshold is recomputed exactly.
_BAND = 1e-5
_SURROGATES = range(0xD800, 0xE000)
# Token ids beyond this cannot be written as one character each; the filter then falls back to
# lists of ints, which rapidfuzz also compares, only more slowly.
_MAX_CHAR_IDS = 0x110000 - len(_SURROGATES)
_CHUNK = 16384  # kept texts per cdist call, bounds the score matrix to block × chunk floats
# Below this many candidate/kept pairs a batch is checked one text at a time, without numpy.
_PLAIN_PAIRS = 2_000_000
# A chunk of the pruned path is compared with every pair when its shared-prefix occurrences exceed
# this many per pair that every-pair would score (numpy per occurrence against C per pair).
_DENSE_RATIO = 1.0


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
        self,
        threshold: float = DEFAULT_THRESHOLD,
        *,
        workers: int = 1,
        block_size: int = 256,
        prefilter: bool = True,
        max_tokens: int | None = DEFAULT_MAX_TOKENS,
    ) -> None:
        """``prefilter`` (the default) skips the pairs that bounds rule out (see the module notes);
        ``prefilter=False`` compares every pair. Both decide the same. ``workers`` threads and
        ``block_size`` texts per call serve the every-pair comparisons. Only the first
        ``max_tokens`` tokens of a text are compared (None: all of them)."""
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be between 0 and 1, got {threshold}")
        if block_size < 1:
            raise ValueError("block_size must be at least 1")
        checks.workers("workers", workers)
        if max_tokens is not None:
            checks.at_least("max_tokens", max_tokens, 1)
        self.max_tokens = max_tokens
        self.threshold = float(threshold)
        self.workers = workers
        self.block_size = block_size
        self.prefilter = prefilter
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
        seqs = self._encode([text])
        if self.prefilter:
            return self._plain_match(seqs[0])
        return self._against_kept(seqs)[0]

    def add_many(self, texts: Sequence[str], progress: bool = False) -> list[Match | None]:
        """Check texts in order, keeping the novel ones; None for a kept text, else its Match.

        With the prefilter a removed text's Match is its best kept text (the earliest on ties).
        """
        decisions: list[Match | None] = []
        with _progress_bar(len(texts), progress) as advance:
            if not self.prefilter:
                for start in range(0, len(texts), self.block_size):
                    block = list(texts[start : start + self.block_size])
                    decisions.extend(self._add_block(block, self._encode(block)))
                    advance(len(block))
                return decisions
            seqs = self._encode(list(texts))
            if self.threshold >= 1.0 or len(texts) * (len(self._seqs) + len(texts) / 2) <= _PLAIN_PAIRS:
                for text, seq in zip(texts, seqs, strict=True):
                    match = self._plain_match(seq)
                    if match is None:
                        self._keep(text, seq)
                    decisions.append(match)
                advance(len(texts))
                return decisions
            return self._add_pruned(list(texts), seqs, advance)

    # -- encoding -------------------------------------------------------------------------------

    def _encode(self, texts: list[str]) -> list[Sequence_]:
        tokens = [self.tokens(text)[0] for text in texts]
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

    def tokens(self, text: str) -> tuple[list[str], bool]:
        """The tokens of ``text`` that are compared, and whether the text has more than those."""
        if self.max_tokens is None:
            return rouge_tokens(text), False
        return first_tokens(text, self.max_tokens)

    def is_shortened(self, text: str) -> bool:
        """Whether ``text`` has more tokens than ``max_tokens`` and is compared on the first ones."""
        # a text of more than N tokens has at least 2N + 1 characters
        return self.max_tokens is not None and len(text) > 2 * self.max_tokens and self.tokens(text)[1]

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

    # -- one text against every kept text (no numpy) ------------------------------------------

    def _plain_match(self, seq: Sequence_) -> Match | None:
        """The best kept near-duplicate of ``seq`` (the earliest on ties), comparing every kept text."""
        if not seq or self.threshold >= 1.0:
            return None  # no text scores above 1, and an empty one scores 0 with everything
        exact = self._exact.get(self._key(seq))
        if exact is not None:
            return Match(exact, 1.0)  # only an identical sequence scores 1, the best possible
        best: Match | None = None
        m = len(seq)
        for choice, approx, position in process.extract(
            seq, self._seqs, scorer=Indel.normalized_similarity, score_cutoff=self._cutoff(), limit=None
        ):
            if approx <= 0.0:
                continue  # no common token: scores 0, never above a threshold >= 0
            score = rouge_l_fmeasure(LCSseq.similarity(seq, choice), m, len(choice))
            owner = self._seq_owner[position]
            if score > self.threshold and (
                best is None or score > best.score or (score == best.score and owner < best.kept_index)
            ):
                best = Match(owner, score)
        return best

    # -- the pruned path: only the pairs that bounds cannot rule out ----------------------------

    def _add_pruned(
        self, texts: list[str], seqs: list[Sequence_], advance: Callable[[int], object]
    ) -> list[Match | None]:
        """Decide ``texts`` in order, comparing exactly only the candidate pairs of the index."""
        import numpy as np

        from dynosaur.core.near_duplicate_index import CandidateIndex

        prior = len(self._seqs)  # the kept texts come first in the index, all kept
        every = [*self._seqs, *seqs]
        index = CandidateIndex(every, self.threshold)
        kept = np.ones(len(every), dtype=bool)  # False once a text is a near-duplicate
        owner = [*self._seq_owner, *([-1] * len(seqs))]  # kept index of each text in ``every``
        decisions: list[Match | None] = []
        lo = prior
        while lo < len(every):
            hi = index.chunk_end(lo, len(every))
            block, block_seqs = texts[lo - prior : hi - prior], seqs[lo - prior : hi - prior]
            every_pair = (len(self._seqs) + (hi - lo) / 2) * (hi - lo)
            if index.raw(lo, hi) > _DENSE_RATIO * every_pair:  # pruning would not pay here
                first = len(self.texts)
                block_decisions = self._add_block(block, block_seqs)
                for offset, match in enumerate(block_decisions):
                    if match is None:
                        owner[lo + offset], first = first, first + 1
                    else:
                        kept[lo + offset] = False
                decisions.extend(block_decisions)
            else:
                later, earlier = index.candidates(lo, hi)
                hits: dict[int, list[tuple[int, float]]] = {}
                if later.size:
                    lcs = process.cpdist(
                        [every[j] for j in later.tolist()],
                        [every[i] for i in earlier.tolist()],
                        scorer=LCSseq.similarity,
                        dtype=np.int64,
                        workers=self.workers,
                    )
                    lens = index.lens
                    for j, i, common in zip(later.tolist(), earlier.tolist(), lcs.tolist(), strict=True):
                        score = rouge_l_fmeasure(common, int(lens[j]), int(lens[i]))
                        if score > self.threshold:
                            hits.setdefault(j, []).append((i, score))
                for j in range(lo, hi):
                    best: Match | None = None
                    for i, score in hits.get(j, ()):  # earlier texts in input order
                        if kept[i] and (best is None or score > best.score):
                            best = Match(owner[i], score)
                    if best is None:
                        owner[j] = self._keep(texts[j - prior], every[j])
                    else:
                        kept[j] = False
                    decisions.append(best)
            index.drop(lo + np.flatnonzero(~kept[lo:hi]))
            advance(hi - lo)
            lo = hi
        return decisions

    def _add_block(self, block: list[str], seqs: list[Sequence_]) -> list[Match | None]:
        """Every pair: the block against the kept texts, then against itself, decided in order."""
        import numpy as np

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
