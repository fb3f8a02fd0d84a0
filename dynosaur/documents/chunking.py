"""Cutting a document's text into chunks on paragraph and sentence boundaries.

Each chunk is the exact slice ``text[start:end]`` of the extracted text, so a record can point
back to the characters it was generated from. Chunks are packed sentence by sentence up to the
size limit, end at a paragraph break when one falls in the second half of the chunk, and the
next chunk repeats the last sentences (up to ``overlap`` characters) so that no fact is cut in
two. A sentence longer than the limit is cut between words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A sentence ends at . ! ? (with closing quotes or brackets) before whitespace, or at a line end.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*(?=\s)|\n")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")
_NON_SPACE = re.compile(r"\S")


@dataclass(frozen=True)
class Span:
    """A sentence (or a piece of an overlong one): ``[start, end)``, trimmed of whitespace."""

    start: int
    end: int
    ends_paragraph: bool


@dataclass(frozen=True)
class Chunk:
    """A slice of one document's text."""

    source_file: str
    index: int
    start: int
    end: int
    text: str

    def __len__(self) -> int:
        return self.end - self.start


def sentence_spans(text: str, max_chars: int) -> list[Span]:
    """The sentences of ``text`` in order, none longer than ``max_chars``."""
    spans: list[Span] = []
    for para_start, para_end in _paragraphs(text):
        pieces: list[tuple[int, int]] = []
        cursor = para_start
        for match in _SENTENCE_END.finditer(text, para_start, para_end):
            pieces.append((cursor, match.end()))
            cursor = match.end()
        pieces.append((cursor, para_end))
        trimmed = [t for t in (_trim(text, a, b) for a, b in pieces) if t]
        for number, (start, end) in enumerate(trimmed):
            last = number == len(trimmed) - 1
            for piece_start, piece_end in _split_long(text, start, end, max_chars):
                spans.append(Span(piece_start, piece_end, last and piece_end == end))
    return spans


def chunk_text(text: str, source_file: str, size: int, overlap: int = 0) -> list[Chunk]:
    """Chunks of at most ``size`` characters covering every sentence of ``text``."""
    if size < 1:
        raise ValueError("chunk size must be at least 1 character")
    overlap = max(0, min(overlap, size // 2))
    spans = sentence_spans(text, size)
    chunks: list[Chunk] = []
    first = 0
    while first < len(spans):
        last = first
        while last + 1 < len(spans) and spans[last + 1].end - spans[first].start <= size:
            last += 1
        if last + 1 < len(spans):
            last = _prefer_paragraph_end(spans, first, last, size)
        start, end = spans[first].start, spans[last].end
        chunks.append(Chunk(source_file, len(chunks), start, end, text[start:end]))
        if last + 1 >= len(spans):
            break
        first = _overlap_start(spans, first, last, overlap, size)
    return chunks


def _paragraphs(text: str) -> list[tuple[int, int]]:
    bounds, cursor = [], 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        bounds.append((cursor, match.start()))
        cursor = match.end()
    bounds.append((cursor, len(text)))
    return bounds


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    first = _NON_SPACE.search(text, start, end)
    if first is None:
        return None
    end_trimmed = end
    while end_trimmed > first.start() and text[end_trimmed - 1].isspace():
        end_trimmed -= 1
    return first.start(), end_trimmed


def _split_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut an overlong sentence between words (or anywhere, for a word longer than the limit)."""
    pieces = []
    while end - start > max_chars:
        cut = text.rfind(" ", start + 1, start + max_chars + 1)
        if cut <= start:
            cut = start + max_chars
        piece = _trim(text, start, cut)
        if piece:
            pieces.append(piece)
        nxt = _trim(text, cut, end)
        if nxt is None:
            return pieces
        start = nxt[0]
    pieces.append((start, end))
    return pieces


def _prefer_paragraph_end(spans: list[Span], first: int, last: int, size: int) -> int:
    """Move the cut back to the last paragraph end, if that keeps at least half the chunk."""
    floor = spans[first].start + size // 2
    for index in range(last, first - 1, -1):
        if spans[index].end < floor:
            break
        if spans[index].ends_paragraph:
            return index
    return last


def _overlap_start(spans: list[Span], first: int, last: int, overlap: int, size: int) -> int:
    """The first sentence of the next chunk: the trailing sentences that fit in ``overlap``,
    as long as the next new sentence still fits beside them (a chunk is never only overlap)."""
    new = last + 1
    nxt = new
    while (
        nxt - 1 > first
        and spans[last].end - spans[nxt - 1].start <= overlap
        and spans[new].end - spans[nxt - 1].start <= size
    ):
        nxt -= 1
    return nxt
