"""One small reader per file format; ``read_document`` picks one by the file's suffix.

A reader turns the file's bytes into plain text or raises ``SkipDocument`` with a reason.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from dynosaur.documents.discover import file_kind
from dynosaur.documents.readers.base import SkipDocument, decode_utf8
from dynosaur.documents.readers.csvfile import read_csv
from dynosaur.documents.readers.docxfile import read_docx
from dynosaur.documents.readers.htmlfile import html_to_text, read_html
from dynosaur.documents.readers.jsonfile import read_json, read_jsonl
from dynosaur.documents.readers.pdffile import read_pdf
from dynosaur.documents.readers.textfile import read_text

Reader = Callable[[bytes], str]

READERS: dict[str, Reader] = {
    ".txt": read_text,
    ".md": read_text,
    ".markdown": read_text,
    ".html": read_html,
    ".htm": read_html,
    ".json": read_json,
    ".jsonl": read_jsonl,
    ".csv": read_csv,
    ".pdf": read_pdf,
    ".docx": read_docx,
}

# Larger files are almost always data dumps or binaries misnamed; reading them would stall a run.
MAX_FILE_BYTES = 50 * 1024 * 1024


def read_document(path: str | Path, *, max_bytes: int = MAX_FILE_BYTES) -> str:
    """The plain text of a document, or SkipDocument with the reason it has none.

    Only a regular file is read, and at most ``max_bytes`` of it: a FIFO, a socket or a device
    is skipped without waiting on it, and so is a file larger than ``max_bytes``.
    """
    path = Path(path)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise SkipDocument("unsupported file type", path.suffix.lower() or "no suffix")
    data = read_bounded(path, max_bytes)
    if not data.strip():
        raise SkipDocument("empty file")
    text = reader(data)
    if not text.strip():
        raise SkipDocument("no text extracted")
    return text


def read_bounded(path: Path, max_bytes: int) -> bytes:
    """The bytes of the regular file ``path``, or SkipDocument when it is not one or is too large."""
    try:
        # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise SkipDocument("unreadable file", f"{type(exc).__name__}: {exc.strerror or exc}") from exc
    with os.fdopen(fd, "rb") as handle:
        try:
            found = os.fstat(fd)
            mode, size = found.st_mode, found.st_size
            if not stat.S_ISREG(mode):
                raise SkipDocument("not a regular file", file_kind(mode))
            if size > max_bytes:
                raise SkipDocument("file too large", f"{size} bytes > {max_bytes}")
            data = handle.read(max_bytes + 1)  # the file may have grown since fstat
        except OSError as exc:
            raise SkipDocument("unreadable file", f"{type(exc).__name__}: {exc.strerror or exc}") from exc
    if len(data) > max_bytes:
        raise SkipDocument("file too large", f"more than {max_bytes} bytes")
    return data


__all__ = [
    "MAX_FILE_BYTES",
    "READERS",
    "SkipDocument",
    "decode_utf8",
    "html_to_text",
    "read_csv",
    "read_bounded",
    "read_document",
    "read_docx",
    "read_html",
    "read_json",
    "read_jsonl",
    "read_pdf",
    "read_text",
]
