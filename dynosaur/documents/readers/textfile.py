"""Plain text and Markdown: the UTF-8 text as it is (Markdown reads well to a model unrendered)."""

from __future__ import annotations

from dynosaur.documents.readers.base import decode_utf8


def read_text(data: bytes) -> str:
    """The text of a .txt or .md file, with line endings made ``\\n``."""
    return decode_utf8(data).replace("\r\n", "\n").replace("\r", "\n")
