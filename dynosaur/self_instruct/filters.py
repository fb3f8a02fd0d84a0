"""Post-filters on generated instructions and instances: each returns None (keep) or a reason.

The near-duplicate check against the pool lives in the bootstrap loop (it needs the pool); these
are the cheap, stateless checks that run before it.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable

from dynosaur.contracts.seed_tasks import Instance

# Words that point at inputs or outputs a text-only model cannot handle.
DEFAULT_BLOCKLIST = (
    "image",
    "images",
    "graph",
    "graphs",
    "picture",
    "pictures",
    "file",
    "files",
    "map",
    "maps",
    "draw",
    "plot",
    "go to",
    "video",
    "audio",
    "music",
    "flowchart",
    "diagram",
)
MIN_WORDS = 3  # an instruction needs more than this many words
MAX_WORDS = 150  # and at most this many

InstructionFilter = Callable[[str], "str | None"]


def too_short(instruction: str, min_words: int = MIN_WORDS) -> str | None:
    """Too few words to be a task."""
    return f"too short (at most {min_words} words)" if len(instruction.split()) <= min_words else None


def too_long(instruction: str, max_words: int = MAX_WORDS) -> str | None:
    """Too many words for an instruction."""
    return f"too long (more than {max_words} words)" if len(instruction.split()) > max_words else None


def starts_with_punctuation(instruction: str) -> str | None:
    """Leftover list syntax or a fragment, e.g. '- ...' or '"...'."""
    return "starts with punctuation" if instruction[:1] in string.punctuation else None


def starts_with_non_ascii(instruction: str) -> str | None:
    """Likely not English, or decoration such as emoji."""
    return "starts with a non-ASCII character" if instruction[:1] and not instruction[:1].isascii() else None


def blocklist_filter(words: Iterable[str]) -> InstructionFilter:
    """A filter that rejects instructions containing any of ``words`` as whole words (any case)."""
    patterns = [
        (word, re.compile(rf"\b{re.escape(word)}\b", re.IGNORECASE)) for word in words if word.strip()
    ]

    def blocked_keyword(instruction: str) -> str | None:
        for word, pattern in patterns:
            if pattern.search(instruction):
                return f"blocked keyword '{word}'"
        return None

    return blocked_keyword


def instruction_filters(blocklist: Iterable[str] = DEFAULT_BLOCKLIST) -> list[InstructionFilter]:
    """The cheap checks, in the order they run."""
    return [too_short, too_long, starts_with_punctuation, starts_with_non_ascii, blocklist_filter(blocklist)]


def first_problem(instruction: str, filters: list[InstructionFilter]) -> str | None:
    """The reason of the first filter that rejects ``instruction``, or None."""
    if not instruction.strip():
        return "empty"
    for check in filters:
        reason = check(instruction)
        if reason is not None:
            return reason
    return None


def instance_problem(instance: Instance, seen: set[Instance]) -> str | None:
    """Why an instance cannot be kept (``seen`` holds the task's instances kept so far)."""
    if not instance.output.strip():
        return "empty instance" if not instance.input.strip() else "empty output"
    if instance in seen:
        return "duplicate instance"
    if instance.input.strip() and instance.output.strip() == instance.input.strip():
        return "output repeats the input"
    return None
