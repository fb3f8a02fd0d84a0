"""What every reader shares: the skip exception and UTF-8 decoding with a clear reason."""

from __future__ import annotations


class SkipDocument(Exception):
    """The file cannot give text; ``reason`` is a short code, ``detail`` says why for this file."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def decode_utf8(data: bytes) -> str:
    """Decode UTF-8 (a byte-order mark is dropped), or raise SkipDocument("not UTF-8 text")."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SkipDocument("not UTF-8 text", f"invalid byte at offset {exc.start}") from exc
