"""Candidate pairs for the near-duplicate filter: the only pairs that can exceed a ROUGE-L threshold.

ROUGE-L F1 of token sequences of lengths m and n is 2·LCS/(m+n), and LCS is at most the overlap
of the two token multisets. Every bound below follows from that, so no pair that can exceed the
threshold ``t`` is ever dropped; the survivors get an exact LCS from the caller.

- A pair needs LCS >= need(m, n) = floor(τ·(m+n)/2) + 1, with τ a hair below ``t`` so that float
  rounding in rouge_score's 2PR/(P+R) (ties at exactly ``t``) is still examined. As LCS <= min(m, n),
  this is also the length bound.
- Each text's token occurrences (the k-th "the" is its own element) are ordered rarest first, by
  their frequency among all texts of the call. A text of m tokens needs an overlap of at least
  floor(τ·m/(2−τ)) + 1 with any partner, so two texts that can reach the threshold share an element
  among the first m − that + 1 of each (the rarest common element lies there in both): the prefix.
  Only prefixes are indexed and probed.
- Positional bound: when a shared prefix element sits at positions i and j and k shared elements
  come before it (all of them lie in both prefixes too), the overlap is at most k + min(m−i, n−j).
  With k = 0 this holds for the pair's first shared element, so only occurrences with
  min(m−i, n−j) >= need are expanded (a pair that can pass keeps its first ones, and their k stay
  exact); a pair is then dropped when the bound is below ``need`` at any of them.
- Bucket bound: tokens go into 64 buckets (the 32 most frequent tokens one each, the rest by code);
  the overlap is at most the sum over buckets of the smaller of the two counts.

Everything is computed over all texts of one call with numpy, a chunk of queries at a time; the
entries of texts found to be near-duplicates are marked, and compacted out of the postings once
there are enough of them, so later texts only meet kept ones.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

# The bounds use a threshold this much lower than the real one (see the module notes).
BOUND_SLACK = 1e-9
_BUCKETS = 64
_OWN_BUCKETS = 32  # the most frequent tokens get a bucket each
_RAW_BUDGET = 2_000_000  # shared-prefix occurrences expanded at once (memory bound of a chunk)
_SIGNATURE_SLICE = 65536  # pairs whose bucket counts are compared at once
_SIGNATURE_TEXTS = 65536  # texts whose bucket counts are made at once
_PACK_LIMIT = 2**62  # packed sort keys (key · size + index) stay below this
_MAX_CHUNK = 2048
_DROPPED = np.int32(-(2**30))  # posting_partner of a dropped text's entry
# The postings are compacted once dropped entries exceed this many, and this share of them.
_COMPACT_MIN = 50_000
_COMPACT_SHARE = 0.1  # queries per chunk; later texts of a chunk see earlier ones as possibly kept


def token_codes(seqs: Sequence[str | list[int]]) -> np.ndarray:
    """Every text's token codes, concatenated (texts are one character, or one int, per token)."""
    if all(isinstance(s, str) for s in seqs):
        joined = "".join(seqs)  # type: ignore[arg-type]
        return np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    flat = itertools.chain.from_iterable(map(ord, s) if isinstance(s, str) else s for s in seqs)
    return np.fromiter(flat, dtype=np.int64)


def _runs(sorted_keys: np.ndarray) -> np.ndarray:
    """Start of every run of equal values in a sorted array."""
    if not sorted_keys.size:
        return np.zeros(0, dtype=np.int64)
    change = np.empty(sorted_keys.size, dtype=bool)
    change[0] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=change[1:])
    return np.flatnonzero(change)


def _ragged_arange(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + c)`` for every start and count."""
    total = int(counts.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    shifts = np.repeat(starts - (np.cumsum(counts) - counts), counts)
    return shifts + np.arange(total, dtype=np.int64)


def needed_lcs(tau: float, m: np.ndarray, n: np.ndarray | int) -> np.ndarray:
    """The smallest LCS for which 2·LCS/(m+n) > τ."""
    return np.floor(tau * (m + n) / 2.0).astype(np.int64) + 1


class CandidateIndex:
    """Prefix index over ``seqs`` (texts ``0 .. len(seqs)-1`` in decision order).

    ``candidates(lo, hi)`` gives every pair (j, i), ``lo <= j < hi``, ``i < j``, ``i`` not dropped,
    that passes every bound; ``chunk_end`` says how far a chunk from ``lo`` may go.
    """

    def __init__(self, seqs: Sequence[str | list[int]], threshold: float) -> None:
        self.tau = tau = max(0.0, threshold - BOUND_SLACK)
        count = len(seqs)
        lens = np.fromiter(map(len, seqs), dtype=np.int64, count=count)
        self.lens = lens
        codes = token_codes(seqs)
        text_of = np.repeat(np.arange(count, dtype=np.int64), lens)
        # (Sorting packed int64 keys is several times faster than argsort or lexsort.)

        # elements: (code, occurrence number within the text), grouped by text
        code_span = int(codes.max(initial=0)) + 1
        by_text = np.sort(text_of * code_span + codes)
        sorted_text = by_text // code_span
        sorted_codes = by_text - sorted_text * code_span
        self._signatures = _bucket_signatures(sorted_codes, sorted_text, lens)
        starts = _runs(by_text)
        run_start = np.zeros(by_text.size, dtype=np.int64)
        run_start[starts] = starts
        occurrence = np.arange(by_text.size, dtype=np.int64) - np.maximum.accumulate(run_start)
        element_key = occurrence * code_span + sorted_codes

        # rarity rank of each element: by frequency among all texts, ties by the element itself
        size = element_key.size
        if (int(element_key.max(initial=0)) + 1) * max(size, 1) < _PACK_LIMIT:
            packed = np.sort(element_key * size + np.arange(size, dtype=np.int64))
            by_element = packed % max(size, 1)
            firsts = _runs(packed // max(size, 1))
        else:  # keys too wide to pack with an index
            by_element = np.argsort(element_key, kind="stable")
            firsts = _runs(element_key[by_element])
        distinct = firsts.size
        frequency = np.diff(np.append(firsts, size))
        # distinct elements are in key order, so their index breaks frequency ties by key
        by_rarity = np.sort(frequency * distinct + np.arange(distinct, dtype=np.int64)) % max(distinct, 1)
        rank_of_element = np.empty(distinct, dtype=np.int64)
        rank_of_element[by_rarity] = np.arange(distinct, dtype=np.int64)
        rank = np.empty(size, dtype=np.int64)
        rank[by_element] = np.repeat(rank_of_element, frequency)

        # each text's elements rarest first, and the prefix of each
        by_rank = np.sort(sorted_text * max(distinct, 1) + rank)
        entry_text = by_rank // max(distinct, 1)
        rank = by_rank - entry_text * max(distinct, 1)
        text_start = np.concatenate(([0], np.cumsum(lens)))
        position = np.arange(entry_text.size, dtype=np.int64) - text_start[entry_text]
        min_overlap = np.floor(tau * lens / (2.0 - tau)).astype(np.int64) + 1
        prefix_len = np.maximum(lens - min_overlap + 1, 0)
        in_prefix = position < prefix_len[entry_text]
        self._rank = rank[in_prefix]
        self._text = entry_text[in_prefix]  # prefix entries, grouped by text
        self._position = position[in_prefix]

        # postings: prefix entries by (rank, text); each entry's own place in its posting list
        entries = self._rank.size
        posting = np.sort(self._rank * max(entries, 1) + np.arange(entries, dtype=np.int64))
        posting %= max(entries, 1)  # entries are in text order, so this is (rank, text) order
        self._posting_text = self._text[posting].astype(np.int32)
        self._posting_len = lens[self._posting_text].astype(np.int32)
        self._posting_rest = (self._posting_len - self._position[posting]).astype(np.int32)  # n - j
        rank_start = np.concatenate(([0], np.cumsum(np.bincount(self._rank, minlength=distinct))))
        self._posting_start = rank_start[self._rank]
        self._place = np.empty(entries, dtype=np.int64)
        self._place[posting] = np.arange(entries, dtype=np.int64)
        self._earlier = self._place - self._posting_start  # texts before this one in the list
        self._entry_start = np.concatenate(([0], np.cumsum(prefix_len)))
        self._raw_before = np.concatenate(([0], np.cumsum(self._earlier)))[self._entry_start]
        # need(m, n) depends on m + n only and grows with it; the largest m + n whose need is
        # at most r turns "need(m, n) <= rest" into a comparison of lengths
        self._need = needed_lcs(tau, np.arange(2 * int(lens.max(initial=0)) + 1), 0)
        sum_within = np.searchsorted(self._need, np.arange(int(lens.max(initial=0)) + 1), side="right") - 1
        self._sum_within = sum_within
        # for each posting entry the longest partner m with need(m, n) <= n - j; -1 once dropped
        self._posting_partner = (sum_within[self._posting_rest] - self._posting_len).astype(np.int32)
        entry_len = lens[self._text]
        self._entry_len = entry_len.astype(np.int32)
        self._entry_rest = (entry_len - self._position).astype(np.int32)  # m - i
        # and for each probing entry the longest partner n with need(m, n) <= m - i
        self._entry_partner = (sum_within[self._entry_rest] - entry_len).astype(np.int32)
        self._dropped = 0  # dropped entries still in the postings

    def raw(self, lo: int, hi: int) -> int:
        """Shared-prefix occurrences that texts ``lo .. hi-1`` meet in earlier texts' postings."""
        return int(self._raw_before[hi] - self._raw_before[lo])

    def chunk_end(self, lo: int, limit: int) -> int:
        """The end of a chunk from ``lo``: at most ``_MAX_CHUNK`` texts and about ``_RAW_BUDGET`` work."""
        end = int(np.searchsorted(self._raw_before, self._raw_before[lo] + _RAW_BUDGET, side="right")) - 1
        return max(lo + 1, min(end, lo + _MAX_CHUNK, limit))

    def drop(self, texts: np.ndarray) -> None:
        """Texts that were not kept: no later text is paired with them."""
        entries = _ragged_arange(
            self._entry_start[texts], self._entry_start[texts + 1] - self._entry_start[texts]
        )
        self._posting_partner[self._place[entries]] = _DROPPED
        self._dropped += entries.size
        if self._dropped > max(_COMPACT_MIN, _COMPACT_SHARE * self._posting_text.size):
            self._compact()

    def _compact(self) -> None:
        """Leave dropped texts' entries out of the postings, so later probes no longer meet them."""
        live = self._posting_partner != _DROPPED
        live_before = np.concatenate(([0], np.cumsum(live)))
        self._posting_text = self._posting_text[live]
        self._posting_len = self._posting_len[live]
        self._posting_rest = self._posting_rest[live]
        self._posting_partner = self._posting_partner[live]
        # an entry of a dropped text keeps a stale place; it is never probed or dropped again
        self._place = live_before[self._place]
        self._posting_start = live_before[self._posting_start]
        self._earlier = self._place - self._posting_start
        self._raw_before = np.concatenate(([0], np.cumsum(self._earlier)))[self._entry_start]
        self._dropped = 0

    def candidates(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """Pairs (later, earlier) that may exceed the threshold, sorted by the later text, then earlier.

        ``later`` is in ``lo .. hi-1``; ``earlier`` is any text before it that was not dropped.
        """
        lens = self.lens
        e0, e1 = self._entry_start[lo], self._entry_start[hi]
        counts = self._earlier[e0:e1]
        where = _ragged_arange(self._posting_start[e0:e1], counts)
        # the pair's first shared element bounds the overlap by min(m - i, n - j): keep only the
        # occurrences where that reaches need(m, n) (a pair that can exceed the threshold keeps
        # its first shared elements, so their count below is exact for it)
        ok = self._posting_len[where] <= np.repeat(self._entry_partner[e0:e1], counts)
        ok &= self._posting_partner[where] >= np.repeat(self._entry_len[e0:e1], counts)
        ok = np.flatnonzero(ok)
        if not ok.size:
            return ok, ok
        entry = e0 + np.searchsorted(np.cumsum(counts), ok, side="right")
        where = where[ok]
        later, earlier = self._text[entry], self._posting_text[where].astype(np.int64)
        rest = np.minimum(self._entry_rest[entry], self._posting_rest[where])
        need = self._need[lens[later] + lens[earlier]]
        # group the occurrences of each pair (stable: a pair's occurrences stay rarest first)
        pair = later * len(lens) + earlier
        grouped = np.argsort(pair, kind="stable")
        pair, rest, need = pair[grouped], rest[grouped], need[grouped]
        starts = _runs(pair)
        sizes = np.diff(np.append(starts, pair.size))
        before = np.arange(pair.size, dtype=np.int64) - np.repeat(starts, sizes)
        survivors = starts[np.logical_and.reduceat(before + rest >= need, starts)]
        pair, need = pair[survivors], need[survivors]
        later, earlier = pair // len(lens), pair % len(lens)
        # bucket bound on the token multisets, a slice at a time (rows are _BUCKETS counts)
        signatures = self._signatures
        keep = np.empty(later.size, dtype=bool)
        for start in range(0, later.size, _SIGNATURE_SLICE):
            part = slice(start, start + _SIGNATURE_SLICE)
            shared = np.minimum(signatures[later[part]], signatures[earlier[part]])
            keep[part] = shared.sum(axis=1, dtype=np.int64) >= need[part]
        return later[keep], earlier[keep]


def _bucket_signatures(codes: np.ndarray, text_of: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """Per text, how many of its tokens fall in each bucket (see the module notes); ``codes`` and
    ``text_of`` are grouped by text."""
    longest = int(lens.max(initial=0))
    dtype = np.uint8 if longest < 2**8 else np.uint16 if longest < 2**16 else np.uint32
    signatures = np.zeros((lens.size, _BUCKETS), dtype=dtype)
    if not codes.size:
        return signatures
    sorted_codes = np.sort(codes)
    firsts = _runs(sorted_codes)
    frequency = np.diff(np.append(firsts, sorted_codes.size))
    top = np.sort(sorted_codes[firsts[np.argsort(-frequency, kind="stable")[:_OWN_BUCKETS]]])
    at = np.minimum(np.searchsorted(top, codes), top.size - 1)  # the k-th of them has bucket k
    buckets = np.where(top[at] == codes, at, _OWN_BUCKETS + codes % (_BUCKETS - _OWN_BUCKETS))
    # count (text, bucket) pairs a slice of texts at a time, so the counts stay small
    text_start = np.concatenate(([0], np.cumsum(lens)))
    for first in range(0, lens.size, _SIGNATURE_TEXTS):
        last = min(first + _SIGNATURE_TEXTS, lens.size)
        part = slice(text_start[first], text_start[last])
        cells = (text_of[part] - first) * _BUCKETS + buckets[part]
        counts = np.bincount(cells, minlength=(last - first) * _BUCKETS)
        signatures[first:last] = counts.reshape(last - first, _BUCKETS)
    return signatures
