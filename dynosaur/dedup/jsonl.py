"""Near-duplicate removal over JSONL lines and files: kept lines unchanged, removed ones reported."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dynosaur.core.io import atomic_write_bytes, atomic_write_jsonl
from dynosaur.core.near_duplicates import DEFAULT_MAX_TOKENS, DEFAULT_THRESHOLD, NearDuplicateFilter
from dynosaur.core.paths import check_paths


@dataclass(frozen=True)
class RemovedLine:
    """A line left out of the output: a near-duplicate of an earlier kept line, or unreadable."""

    line_number: int
    reason: str
    duplicate_of: int | None = None  # line number of the kept line it repeats
    score: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "line_number": self.line_number,
            "reason": self.reason,
            "duplicate_of": self.duplicate_of,
            "rouge_l": self.score,
        }


@dataclass
class DedupResult:
    """Kept lines unchanged and in order, plus every line left out with its reason."""

    kept: list[bytes] = field(default_factory=list)
    removed: list[RemovedLine] = field(default_factory=list)
    shortened: list[int] = field(default_factory=list)  # lines compared on their first tokens only
    max_tokens: int | None = DEFAULT_MAX_TOKENS

    @property
    def duplicates(self) -> int:
        return sum(1 for r in self.removed if r.duplicate_of is not None)

    @property
    def invalid(self) -> int:
        return len(self.removed) - self.duplicates

    def to_json(self) -> dict[str, Any]:
        return {
            "kept": len(self.kept),
            "near_duplicates": self.duplicates,
            "unreadable": self.invalid,
            "removed": [r.to_json() for r in self.removed],
            "max_tokens": self.max_tokens,
            "compared_on_first_tokens": self.shortened,
        }

    def render(self, threshold: float = DEFAULT_THRESHOLD, show: int = 5) -> str:
        """A few lines for the end of a run: counts, then the first unreadable lines and why."""
        lines = [
            f"kept {len(self.kept)} lines, removed {self.duplicates} near-duplicates "
            f"(ROUGE-L > {threshold:g}), skipped {self.invalid} unreadable lines"
        ]
        bad = [r for r in self.removed if r.duplicate_of is None]
        lines += [f"  line {r.line_number}: {r.reason}" for r in bad[:show]]
        if len(bad) > show:
            lines.append(f"  ... and {len(bad) - show} more")
        if self.shortened:
            named = ", ".join(map(str, self.shortened[:show]))
            more = f" and {len(self.shortened) - show} more" if len(self.shortened) > show else ""
            lines.append(
                f"compared {len(self.shortened)} lines longer than {self.max_tokens} tokens on their "
                f"first {self.max_tokens} tokens only (max_tokens): lines {named}{more}"
            )
        return "\n".join(lines)


class _UnreadableLine(ValueError):
    """A line without a usable text; the message is the reason reported for it."""


def _field_text(line: bytes, field_name: str) -> str:
    """The line's text, or :class:`_UnreadableLine` with the reason it has none."""
    try:
        record = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _UnreadableLine(f"invalid JSON: {exc}") from None
    if not isinstance(record, dict):
        raise _UnreadableLine(f"not a JSON object but {type(record).__name__}")
    if field_name not in record:
        raise _UnreadableLine(f"missing field {field_name!r}")
    value = record[field_name]
    if not isinstance(value, str):
        raise _UnreadableLine(f"field {field_name!r} is {type(value).__name__}, not a string")
    return value


def dedup_lines(
    lines: Iterable[bytes | str],
    field: str = "instruction",
    threshold: float = DEFAULT_THRESHOLD,
    *,
    workers: int = 1,
    max_tokens: int | None = DEFAULT_MAX_TOKENS,
    progress: bool = False,
) -> DedupResult:
    """Drop every JSONL line whose ``field`` is a near-duplicate of an earlier kept line's.

    Kept lines come back byte for byte in input order (a missing final newline is added); blank
    lines are ignored; unreadable lines are left out with a reason. Only the first ``max_tokens``
    tokens of a text are compared; the lines longer than that are listed in ``shortened``.
    """
    pool = NearDuplicateFilter(threshold, workers=workers, max_tokens=max_tokens)
    result = DedupResult(max_tokens=max_tokens)
    numbers: list[int] = []
    raws: list[bytes] = []
    texts: list[str] = []
    for number, line in enumerate(lines, start=1):
        raw = line.encode("utf-8") if isinstance(line, str) else line
        if not raw.strip():
            continue
        try:
            text = _field_text(raw, field)
        except _UnreadableLine as exc:
            result.removed.append(RemovedLine(number, str(exc)))
            continue
        numbers.append(number)
        raws.append(raw if raw.endswith(b"\n") else raw + b"\n")
        texts.append(text)
        if pool.is_shortened(text):
            result.shortened.append(number)
    kept_numbers: list[int] = []
    for number, raw, match in zip(numbers, raws, pool.add_many(texts, progress=progress), strict=True):
        if match is None:
            kept_numbers.append(number)
            result.kept.append(raw)
        else:
            result.removed.append(
                RemovedLine(number, "near-duplicate", kept_numbers[match.kept_index], match.score)
            )
    result.removed.sort(key=lambda r: r.line_number)
    return result


def split_lines(data: bytes) -> list[bytes]:
    """Lines of a file's bytes split on "\\n" only, each with its newline (the last may lack it)."""
    parts = data.split(b"\n")
    lines = [part + b"\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def dedup_file(
    path: str | os.PathLike,
    output: str | os.PathLike,
    *,
    field: str = "instruction",
    threshold: float = DEFAULT_THRESHOLD,
    workers: int = 1,
    max_tokens: int | None = DEFAULT_MAX_TOKENS,
    removed_output: str | os.PathLike | None = None,
    progress: bool = False,
) -> DedupResult:
    """Write the kept lines of a JSONL file to ``output`` (atomically); optionally the removed ones.

    An output that names the input or the other output is refused (``PathClash``) before any work.
    """
    check_paths(inputs={"`path`": path}, outputs={"`output`": output, "`removed_output`": removed_output})
    result = dedup_lines(
        split_lines(Path(path).read_bytes()),
        field,
        threshold,
        workers=workers,
        max_tokens=max_tokens,
        progress=progress,
    )
    atomic_write_bytes(output, b"".join(result.kept))
    if removed_output is not None:
        atomic_write_jsonl(removed_output, (r.to_json() for r in result.removed))
    return result
