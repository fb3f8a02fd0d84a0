"""Request bodies, read with a cap: a declared length over it is refused before a byte is read,
a chunked body is refused as soon as its chunks pass it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from io import BufferedIOBase

from hubmirror.routing import HttpError, hub_error

DEFAULT_MAX_BODY_BYTES = 256 * 1024 * 1024
_LENGTH_RE = re.compile(r"\d{1,19}")
_CHUNK_SIZE_RE = re.compile(rb"[0-9a-fA-F]{1,16}")
_MAX_LINE = 4096  # a chunk-size or trailer line; longer ones are no HTTP a client sends
_MAX_TRAILERS = 64


def too_large(limit: int) -> HttpError:
    return hub_error(413, f"Payload Too Large: the mirror accepts request bodies of at most {limit} bytes")


def is_chunked(headers: Mapping[str, str]) -> bool:
    return headers.get("transfer-encoding", "").strip().lower() == "chunked"


def declared_length(headers: Mapping[str, str], limit: int) -> int:
    """The body's Content-Length (0 when none); 400 when malformed, 413 when over ``limit``."""
    raw = headers.get("content-length")
    if raw is None or is_chunked(headers):
        return 0
    if not _LENGTH_RE.fullmatch(raw.strip()):
        raise hub_error(400, f"Invalid Content-Length header: {raw!r}")
    length = int(raw.strip())
    if length > limit:
        raise too_large(limit)
    return length


def _line(stream: BufferedIOBase) -> bytes:
    line = stream.readline(_MAX_LINE + 1)
    if len(line) > _MAX_LINE or not line.endswith(b"\n"):
        raise hub_error(400, "Invalid chunked body: a line is too long or the body ends early")
    return line


def read_body(stream: BufferedIOBase, headers: Mapping[str, str], limit: int) -> bytes:
    """The whole body of a request whose headers were read, at most ``limit`` bytes (else 413)."""
    if not is_chunked(headers):
        length = declared_length(headers, limit)
        data = stream.read(length) if length else b""
        if len(data) < length:
            raise hub_error(400, f"The body ended after {len(data)} of {length} bytes")
        return data
    chunks: list[bytes] = []
    total = 0
    while True:
        size_text = _line(stream).split(b";")[0].strip()
        if not _CHUNK_SIZE_RE.fullmatch(size_text):
            raise hub_error(400, f"Invalid chunk size in a chunked body: {size_text[:32]!r}")
        size = int(size_text, 16)
        if size == 0:
            for _ in range(_MAX_TRAILERS):
                if _line(stream).strip() == b"":
                    return b"".join(chunks)
            raise hub_error(400, "Invalid chunked body: too many trailer lines")
        total += size
        if total > limit:
            raise too_large(limit)
        data = stream.read(size)
        if len(data) < size:
            raise hub_error(400, "Invalid chunked body: it ends inside a chunk")
        chunks.append(data)
        _line(stream)
