"""Instructions that carry a link or repeat text the prompt showed: a URL, the card, a demonstration.

An instruction tells a person what to do with a row. A URL in it (``https://…``, ``www.…``, a bare
domain such as ``example.com``) or a long verbatim span of the dataset's card or of a
demonstration means the model repeated what it was shown instead of describing a task, and it is
the way text planted in a card ("visit …", "ignore the rules and …") would reach the dataset.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# Consecutive words an instruction may share with the card or a demonstration. Real instructions
# that name their task ("Classify the sentiment of the movie review") share far fewer; only
# sentence-long copies of a card reach 8 (measured on 4,677 real instructions against 25 cards).
COPY_WORDS = 8
CARD_KEYS = ("summary", "supported_task", "data_fields")
_WORD = re.compile(r"\w+")
_TLDS = (
    "com|org|net|edu|gov|mil|int|io|ai|co|uk|de|fr|es|it|nl|ru|cn|jp|in|us|ca|au|info|biz|me|ly|"
    "app|dev|xyz|site|online|tv|gg"
)
_LINK = re.compile(
    rf"(?:https?|ftp)://[^\s\"'<>)]*|\bwww\.[^\s\"'<>)]+"
    rf"|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:{_TLDS})\b(?![.-]?\w)(?:/[^\s\"'<>)]*)?",
    re.IGNORECASE,
)


def words(text: str) -> list[str]:
    """The lower-cased words of ``text`` (punctuation and spacing do not matter)."""
    return _WORD.findall(text.lower())


def links(text: str) -> list[str]:
    """Every URL or bare domain in ``text``, trailing punctuation cut."""
    return [match.group().rstrip(".,;:!?") for match in _LINK.finditer(text)]


@dataclass(frozen=True)
class CopyIndex:
    """The word spans of some texts an instruction must not repeat: every ``COPY_WORDS``-word
    span of each text, and each ``exact`` text whole (a short instruction repeated word for word)."""

    spans: frozenset[tuple[str, ...]] = frozenset()
    whole: frozenset[tuple[str, ...]] = frozenset()

    @classmethod
    def of(cls, texts: Iterable[str], exact: Iterable[str] = (), n: int = COPY_WORDS) -> CopyIndex:
        spans: set[tuple[str, ...]] = set()
        exact = list(exact)
        for text in [*texts, *exact]:
            found = words(text)
            spans.update(tuple(found[i : i + n]) for i in range(len(found) - n + 1))
        whole = {tuple(words(text)) for text in exact} - {()}
        return cls(frozenset(spans), frozenset(whole))

    def copied(self, instruction: str, own: frozenset[str] = frozenset(), n: int = COPY_WORDS) -> str | None:
        """The first span of ``instruction`` found in the texts, as words joined by spaces.

        Words in ``own`` (the dataset's label and field names) count for half: an instruction that
        lists the labels the way the card does lists them, it does not copy the card.
        """
        found = words(instruction)
        if tuple(found) in self.whole:
            return " ".join(found)
        for i in range(len(found) - n + 1):
            span = tuple(found[i : i + n])
            if span in self.spans and sum(word not in own for word in span) * 2 >= n:
                return " ".join(span)
        return None
