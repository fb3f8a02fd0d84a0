"""What a release version may be: it names a folder under ``DATA_DIR/releases/`` and a git tag.

A version is the date's ``YYYY.MM.DD`` (``YYYY.MM.DD.N`` for a later release that day) or a tag of
letters, digits, ``.``, ``_`` and ``-`` that does not start with ``.`` or ``-``. Anything else
(``..``, a path, a name git refuses as a tag) is refused, so a version can never point a folder
operation outside the releases folder.
"""

from __future__ import annotations

import re

from dynosaur.core.errors import OptionError

MAX_VERSION_CHARS = 64
DATE_VERSION = re.compile(r"\d{4}\.\d{2}\.\d{2}(?:\.[1-9]\d*)?")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")


def version_problem(version: object) -> str | None:
    """Why ``version`` cannot name a release (``None``: it can)."""
    if not isinstance(version, str):
        return f"must be a string, got {type(version).__name__}"
    shown = repr(version[:MAX_VERSION_CHARS] + ("..." if len(version) > MAX_VERSION_CHARS else ""))
    if DATE_VERSION.fullmatch(version):
        return None
    if not version:
        return "must not be empty"
    if len(version) > MAX_VERSION_CHARS:
        return f"must be at most {MAX_VERSION_CHARS} characters, got {len(version)}"
    if not _TAG.fullmatch(version):
        return (
            "must be YYYY.MM.DD[.N] or a tag of letters, digits, '.', '_' and '-' that starts with a "
            f"letter, digit or '_' (no path separators), got {shown}"
        )
    if ".." in version or version.endswith((".", ".lock")):
        return f"must not contain '..' or end with '.' or '.lock' (git refuses such tags), got {shown}"
    return None


def check_version(version: str) -> str:
    """``version`` itself if it can name a release; an ``OptionError`` on ``version`` otherwise."""
    problem = version_problem(version)
    if problem is not None:
        raise OptionError("version", problem)
    return version
