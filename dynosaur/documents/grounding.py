"""Keep-or-drop rules for chunks and generated pairs: each returns None (keep) or a reason.

"Content words" are the lower-cased word tokens of a text that carry meaning: numbers, and
words of three letters or more that are not in a small English stopword list. A trailing plural
"s" is dropped so that "volcano" and "volcanoes" match.
"""

from __future__ import annotations

import re

from dynosaur.documents.chunking import Chunk

_STOPWORD_LIST = """
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from further
had has have having he her here hers herself him himself his how however i if in into is it its
itself just let me more most much must my myself no nor not now of off on once only or other ought
our ours ourselves out over own same shall she should so some such than that the their theirs them
themselves then there these they this those through to too under until up upon us very was we were
what when where which while who whom whose why will with within without would yes yet you your
yours yourself yourselves one two many may might etc answer question text passage
according document chunk based given following describe explain list name state
"""
STOPWORDS = frozenset(_STOPWORD_LIST.split())

_WORD = re.compile(r"\w+", re.UNICODE)


def content_words(text: str) -> set[str]:
    """The content words of ``text`` (see the module docstring)."""
    words = set()
    for token in _WORD.findall(text.lower()):
        if token.isdigit():
            words.add(token)
        elif len(token) >= 3 and token not in STOPWORDS and not token.isdigit():
            words.add(_singular(token))
    return words


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("es") and word[-3] in "sxzo":
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def chunk_skip_reason(chunk: Chunk, min_chars: int, min_content_words: int) -> str | None:
    """Why a chunk is too short to teach anything, or None to keep it."""
    if len(chunk) < min_chars:
        return "chunk too short"
    if len(content_words(chunk.text)) < min_content_words:
        return "chunk has too few content words"
    return None


def unsupported_reason(output: str, chunk_words: set[str]) -> str | None:
    """Why an answer is not grounded in its chunk (no content word in common), or None."""
    words = content_words(output)
    if not words & chunk_words:
        return "answer not supported by chunk"
    return None
