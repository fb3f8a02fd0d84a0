"""The one shape of a stage's end-of-run report: JSON for the report file, text for the terminal."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class StageReport(Protocol):
    """What every stage returns at the end of a run.

    ``to_json()`` is a JSON-serialisable dict (what a report file holds); ``render()`` is the
    short summary a command prints.
    """

    def to_json(self) -> dict[str, Any]: ...

    def render(self) -> str: ...
