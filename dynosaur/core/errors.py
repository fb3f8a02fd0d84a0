"""One error tree: every failure the library raises on purpose is a ``DynosaurError``.

``dynosaur.cli.main`` catches ``DynosaurError`` once and prints ``<command>: <message>`` with the
error's ``exit_code`` (2: the input or the options are wrong, nothing was done). Each error keeps
its builtin base too (``ValueError``, ``FileNotFoundError``, ``RuntimeError``), so a caller that
catches those still does. Library errors name fields (``chunk_size``), never CLI flags; the CLI
spells an ``OptionError``'s fields as its flags.
"""

from __future__ import annotations

import re
from collections.abc import Callable


class DynosaurError(Exception):
    """A failure the library raises on purpose, with a message meant for the user."""

    exit_code = 2

    def __init__(self, *args: object, mentions: tuple[str, ...] = ()) -> None:
        super().__init__(*args)
        self.mentions = mentions  # field names in the message that the CLI spells as its flags

    def cli_message(self, flag: Callable[[str], str]) -> str:
        """The message as the CLI prints it; ``flag`` spells a field as its option."""
        return spell_fields(str(self), self.mentions, flag)


def spell_fields(text: str, fields: tuple[str, ...], flag: Callable[[str], str]) -> str:
    """``text`` with each field name in ``fields`` replaced by ``flag(name)``: where the text quotes
    it (`` `name` ``) only there, otherwise every whole-word occurrence. Also how a command prints a
    report whose text names fields (its ``mentions``)."""
    for name in fields:
        if f"`{name}`" in text:
            text = text.replace(f"`{name}`", flag(name))
            continue
        text = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", flag(name), text)
    return text


class OptionError(DynosaurError, ValueError):
    """A setting out of range: ``field`` names it, ``problem`` says what is wrong.

    ``problem`` may name other fields in ``mentions``; the CLI spells those as flags too.
    """

    def __init__(self, field: str, problem: str, *, mentions: tuple[str, ...] = ()) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field} {problem}", mentions=mentions)

    def cli_message(self, flag: Callable[[str], str]) -> str:
        return f"{flag(self.field)} {spell_fields(self.problem, self.mentions, flag)}"


class ConfigError(DynosaurError, ValueError):
    """A setting that cannot work here (an unknown engine or mode, no API key, a bad price file)."""


class MissingInput(DynosaurError, FileNotFoundError):
    """A file or folder the run reads is not there."""


class MissingArtifact(MissingInput):
    """A file an earlier stage writes is not there (the message says which stage to run)."""


class BadArtifact(DynosaurError, ValueError):
    """A file an earlier stage wrote cannot be read as its contract says."""


def cli_flag(field: str) -> str:
    """The CLI option of a field: ``chunk_size`` -> ``--chunk-size``."""
    return "--" + field.replace("_", "-")
