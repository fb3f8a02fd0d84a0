"""Errors of artifact files that the user can act on: a line that is not UTF-8 text, a write the
disk or the folder refused. Each message names the file (and the line)."""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

# Causes outside the program: a full disk or quota, a read-only or forbidden folder, a path
# through a regular file. Any other OSError is left as it is.
ENVIRONMENT_ERRNOS = frozenset(
    {
        errno.ENOSPC,
        errno.EDQUOT,
        errno.EFBIG,
        errno.EROFS,
        errno.EACCES,
        errno.EPERM,
        errno.EIO,
        errno.ENOTDIR,
        errno.EEXIST,
        errno.EISDIR,
    }
)


class ArtifactError(Exception):
    """An artifact that cannot be read or written; the message names the file."""


class UnreadableLine(ArtifactError, ValueError):
    """A line of a text artifact that cannot be read: not UTF-8, not JSON (``path:line: why``)."""


class WriteFailed(ArtifactError, OSError):
    """Writing ``filename`` failed for a cause outside the program (``strerror`` says which)."""

    def __init__(self, path: str | os.PathLike, cause: OSError, *, plain: bool = False) -> None:
        """With ``plain``, the reason is the system's words for the errno, not the raiser's
        (pyarrow, for one, wraps them in its own)."""
        reason = os.strerror(cause.errno) if plain and cause.errno else cause.strerror or str(cause)
        super().__init__(cause.errno, reason, os.fspath(path))

    def __str__(self) -> str:
        return f"cannot write {self.filename}: {self.strerror}"


def is_environment_error(exc: BaseException) -> bool:
    """Whether ``exc`` is an OSError a full disk or a read-only folder raises."""
    return isinstance(exc, OSError) and exc.errno in ENVIRONMENT_ERRNOS


@contextmanager
def writing(path: str | os.PathLike, *, plain: bool = False) -> Iterator[None]:
    """Turn an environment OSError raised inside into :class:`WriteFailed` naming ``path``
    (``plain``: see :class:`WriteFailed`)."""
    try:
        yield
    except WriteFailed:
        raise
    except OSError as exc:
        if exc.errno not in ENVIRONMENT_ERRNOS:
            raise
        raise WriteFailed(path, exc, plain=plain) from exc


def decode_line(raw: bytes, path: str | os.PathLike, number: int) -> str:
    """``raw`` as UTF-8 text, or :class:`UnreadableLine` naming the file, the line and the byte."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableLine(f"{os.fspath(path)}:{number}: {not_utf8(exc)}") from None


def not_utf8(exc: UnicodeDecodeError) -> str:
    """The reason a line is skipped or refused: not UTF-8, at which byte of the line."""
    return f"not UTF-8 text (byte {exc.start + 1}: {exc.reason})"


# SQLite's primary result codes for a file the disk or the folder refuses, as the OSError they mean
_SQLITE_ERRNOS = {
    3: errno.EPERM,  # SQLITE_PERM
    8: errno.EROFS,  # SQLITE_READONLY
    10: errno.EIO,  # SQLITE_IOERR
    13: errno.ENOSPC,  # SQLITE_FULL
    14: errno.EACCES,  # SQLITE_CANTOPEN
}


def sqlite_write_failed(path: str | os.PathLike, exc: sqlite3.Error) -> WriteFailed | None:
    """The :class:`WriteFailed` a SQLite error means for the database at ``path`` (a read-only
    folder, a full disk), or None when it means something else (a corrupt file, a bug)."""
    code = getattr(exc, "sqlite_errorcode", None)
    number = _SQLITE_ERRNOS.get(code & 0xFF) if isinstance(code, int) else None
    if number is None:
        return None
    return WriteFailed(path, OSError(number, str(exc)))


@contextmanager
def sqlite_writing(path: str | os.PathLike) -> Iterator[None]:
    """Turn a SQLite error that means a read-only folder or a full disk into :class:`WriteFailed`
    naming the database at ``path``; any other error is left as it is."""
    try:
        yield
    except sqlite3.Error as exc:
        failed = sqlite_write_failed(path, exc)
        if failed is None:
            raise
        raise failed from exc


def not_utf8_in(data: bytes, exc: UnicodeDecodeError) -> str:
    """Where whole-file ``data`` stops being UTF-8: ``line 3: not UTF-8 text (byte 7: ...)``."""
    line_start = data.rfind(b"\n", 0, exc.start) + 1
    line = data.count(b"\n", 0, exc.start) + 1
    return f"line {line}: not UTF-8 text (byte {exc.start - line_start + 1}: {exc.reason})"
