"""Exact ROUGE-L near-duplicate filtering, fast: see ``filter`` for how.

``NearDuplicateFilter`` keeps a pool of texts and admits a candidate unless its ROUGE-L F-measure
against a kept text exceeds the threshold; ``dedup_lines``/``dedup_file`` apply it to JSONL.
"""

from dynosaur.core.near_duplicates import DEFAULT_MAX_TOKENS, DEFAULT_THRESHOLD, Match, NearDuplicateFilter
from dynosaur.core.rouge import rouge_l, rouge_l_fmeasure, rouge_tokens
from dynosaur.dedup.jsonl import DedupResult, RemovedLine, dedup_file, dedup_lines, split_lines

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "DEFAULT_THRESHOLD",
    "DedupResult",
    "Match",
    "NearDuplicateFilter",
    "RemovedLine",
    "dedup_file",
    "dedup_lines",
    "rouge_l",
    "rouge_l_fmeasure",
    "rouge_tokens",
    "split_lines",
]
