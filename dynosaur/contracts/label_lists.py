"""Labels an instruction spells out (``... as positive, negative or neutral``) and whether they
cover the outputs a task's rows actually hold.

An instruction that lists labels promises the reader that the answer is one of them; a task whose
rows answer something else (a label the list forgot, a score under an entailment question, ``true``
under ``yes or no``) teaches the wrong thing, whatever engine proposed it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_ITEM = r"[\"'`]?[\w][\w/+.-]*[\"'`]?"
# ``a, b or c`` / ``a or b`` / ``a, b, and c`` (an item is one token, optionally quoted)
_LIST = re.compile(
    rf"(?<![\w-])({_ITEM}(?:\s*,\s*{_ITEM})*\s*,?\s+(?:or|and)\s+{_ITEM})(?![\w-])", re.IGNORECASE
)
# ``one of: a, b, c`` / ``labels: a, b, c``: comma lists after a cue that says labels follow
_COLON_LIST = re.compile(
    rf"(?:one of|from|labels?|categories|classes|options)\s*:?\s+({_ITEM}(?:\s*,\s*{_ITEM})+)", re.IGNORECASE
)
# words right before a list that say the list is of answers, not prose ("the premise or not")
_CUE = re.compile(
    r"(?:\bas|\bone of|\beither|\bwith|\bfrom|\banswer|\blabel|\bclassify|\bchoose|\bpick|\bis it|:)\s*$",
    re.IGNORECASE,
)
_STOP = frozenset({"the", "a", "an", "not", "this", "that", "it", "them", "both", "neither", "none"})


def _items(text: str) -> list[str]:
    parts = re.split(r"\s*,\s*|\s+(?:or|and)\s+", text.strip())
    return [normalize(p.strip("\"'`,. ")) for p in parts if p.strip("\"'`,. ")]


def normalize(label: str) -> str:
    """A label compared loosely: lower-cased, ``_``/``-`` as spaces, spaces collapsed."""
    return " ".join(re.sub(r"[_-]+", " ", str(label).lower()).split())


def listed_labels(instruction: str, outputs: Iterable[str] = ()) -> list[str] | None:
    """The labels an instruction lists as the possible answers, or None when it lists none.

    A list counts when a cue precedes it (``as``, ``one of``, ``with``, ``answer``, ``:``...), or
    when one of its items is one of ``outputs`` (``Is the review positive or negative?``);
    ``Answer yes or no`` lists ``yes, no``, ``Does the hypothesis follow from the premise or not``
    lists nothing.
    """
    answers: set[str] | None = None  # normalized outputs, made only when a list needs them
    for match in _COLON_LIST.finditer(instruction):
        items = _items(match.group(1))
        if len(items) >= 2:
            return items
    for match in _LIST.finditer(instruction):
        before = instruction[: match.start()]
        items = _items(match.group(1))
        if len(items) < 2 or set(items) & _STOP:
            continue
        if _CUE.search(before):
            return items
        if answers is None:
            answers = {normalize(o) for o in outputs}
        if set(items) & answers:
            return items
    return None


def uncovered(listed: Iterable[str], outputs: Iterable[str]) -> list[str]:
    """The distinct outputs (in first-seen order) that none of the listed labels names."""
    names = {normalize(label) for label in listed}
    missing: dict[str, None] = {}
    for output in outputs:
        if normalize(output) not in names:
            missing[output] = None
    return list(missing)


def coverage_reason(instruction: str, outputs: Iterable[str], limit: int = 3) -> str | None:
    """``labels miss outputs: ...`` when the instruction lists labels its rows do not all answer."""
    outputs = list(outputs)
    listed = listed_labels(instruction, outputs)
    if listed is None:
        return None
    missing = uncovered(listed, outputs)
    if not missing:
        return None
    shown = ", ".join(repr(m) for m in missing[:limit]) + (" ..." if len(missing) > limit else "")
    return f"labels miss outputs: the instruction lists {', '.join(listed)} but rows answer {shown}"
