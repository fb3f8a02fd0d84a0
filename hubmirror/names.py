"""Why a name from a request cannot name anything in a snapshot: the path tricks, spelled out.

Repo ids, file paths, revisions and tag names come from the URL (percent-decoded) or a JSON body.
The grammars in ``crawl.snapshot`` refuse these too; this module says *why*, so the 400 names the
problem (a trailing newline is invisible in most logs).
"""

from __future__ import annotations

import unicodedata


def name_problem(value: str) -> str | None:
    """What is wrong with ``value`` as a name (control character, backslash, ``..``, absolute
    path, empty segment), or None when none of these applies."""
    if not value:
        return "is empty"
    for char in value:
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            return f"contains a control character (U+{ord(char):04X})"
    if "\\" in value:
        return "contains a backslash"
    if value.startswith("/"):
        return "is an absolute path"
    segments = value.split("/")
    if ".." in segments:
        return "contains a '..' segment"
    if "." in segments:
        return "contains a '.' segment"
    if "" in segments:
        return "contains an empty segment ('//' or a trailing '/')"
    return None


def describe(kind: str, value: object, rule: str) -> str:
    """The 400 message for a refused name: ``Invalid repo id 'a\\n': contains a control ...``."""
    problem = (
        name_problem(value) if isinstance(value, str) else f"must be a string, not {type(value).__name__}"
    )
    return f"Invalid {kind} {value!r}: {problem or rule}"
