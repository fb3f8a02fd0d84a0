"""Post-processing of generated entries; every step counts what it removes, per label.

An entry is ``{"text_a", "text_b"?, "label"}`` (``text_b`` only for text-pair specs; the
generated text is ``text_b`` there and ``text_a`` otherwise). Steps run in this order:

1. ``too_few_words``: the generated text has fewer than ``min_num_words`` words;
2. ``identical_pair``: the generated ``text_b`` repeats ``text_a`` (pair specs);
3. ``duplicate``: the same texts with the same label were generated before;
4. ``over_max_text_b``: more than ``max_num_text_b_for_text_a_and_label`` second texts for one
   (``text_a``, label) — the STS-style cap; the first ones are kept.

Entries that never closed their quotation mark are counted earlier, during generation, as
``no_closing_quote``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dynosaur.core import checks

Entry = dict[str, Any]
STEPS = ("too_few_words", "identical_pair", "duplicate", "over_max_text_b")


@dataclass(frozen=True)
class PostprocessOptions:
    """Which steps run, and their thresholds."""

    min_num_words: int = 1
    remove_identical_pairs: bool = True
    remove_duplicates: bool = True
    max_num_text_b_for_text_a_and_label: int | None = None

    def __post_init__(self) -> None:
        checks.at_least("min_num_words", self.min_num_words, 0)
        if self.max_num_text_b_for_text_a_and_label is not None:
            checks.at_least(
                "max_num_text_b_for_text_a_and_label", self.max_num_text_b_for_text_a_and_label, 1
            )


def generated_text(entry: Entry) -> str:
    """The text the model wrote for this entry."""
    return entry["text_b"] if "text_b" in entry else entry["text_a"]


def _too_few_words(minimum: int) -> Callable[[Entry], str | None]:
    def check(entry: Entry) -> str | None:
        return "too_few_words" if len(generated_text(entry).split()) < minimum else None

    return check


def _identical_pair(entry: Entry) -> str | None:
    if "text_b" in entry and entry["text_b"].strip() == entry["text_a"].strip():
        return "identical_pair"
    return None


def _duplicate() -> Callable[[Entry], str | None]:
    seen: set[tuple[str, str | None, str]] = set()

    def check(entry: Entry) -> str | None:
        key = (entry["text_a"], entry.get("text_b"), entry["label"])
        if key in seen:
            return "duplicate"
        seen.add(key)
        return None

    return check


def _over_max_text_b(limit: int) -> Callable[[Entry], str | None]:
    counts: defaultdict[tuple[str, str], int] = defaultdict(int)

    def check(entry: Entry) -> str | None:
        key = (entry["text_a"], entry["label"])
        if counts[key] >= limit:
            return "over_max_text_b"
        counts[key] += 1
        return None

    return check


def postprocess(
    entries: list[Entry], options: PostprocessOptions
) -> tuple[list[Entry], dict[str, Counter[str]]]:
    """Kept entries (in order) and, per label, how many each step removed."""
    checks: list[Callable[[Entry], str | None]] = [_too_few_words(options.min_num_words)]
    if options.remove_identical_pairs:
        checks.append(_identical_pair)
    if options.remove_duplicates:
        checks.append(_duplicate())
    if options.max_num_text_b_for_text_a_and_label is not None:
        checks.append(_over_max_text_b(options.max_num_text_b_for_text_a_and_label))
    kept: list[Entry] = []
    removed: dict[str, Counter[str]] = defaultdict(Counter)
    for entry in entries:
        reason = next((r for r in (check(entry) for check in checks) if r is not None), None)
        if reason is None:
            kept.append(entry)
        else:
            removed[entry["label"]][reason] += 1
    return kept, dict(removed)
