"""What a run did, per file and per chunk: the lines of ``documents_report.jsonl`` and the summary.

Every skip and every drop carries a short reason, so counting them is one ``Counter``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, ClassVar

from dynosaur.core.engines import describe_strain


@dataclass
class ChunkResult:
    """One chunk: kept (asked the engine) or skipped with a reason; what its answer gave."""

    index: int
    start: int
    end: int
    skip: str | None = None
    detail: str = ""
    records: int = 0
    dropped: Counter[str] = field(default_factory=Counter)

    def to_json(self, source_file: str) -> dict[str, Any]:
        line: dict[str, Any] = {
            "kind": "chunk",
            "source_file": source_file,
            "chunk_index": self.index,
            "char_start": self.start,
            "char_end": self.end,
            "status": "skipped" if self.skip else "kept",
        }
        if self.skip:
            line["reason"] = self.skip
            if self.detail:
                line["detail"] = self.detail
        else:
            line["records"] = self.records
            line["dropped"] = dict(sorted(self.dropped.items()))
        return line


@dataclass
class FileResult:
    """One file found under the input folder."""

    source_file: str
    skip: str | None = None
    detail: str = ""
    chars: int = 0
    chunks: list[ChunkResult] = field(default_factory=list)

    @property
    def records(self) -> int:
        return sum(chunk.records for chunk in self.chunks)

    def chunks_skipped(self) -> Counter[str]:
        return Counter(chunk.skip for chunk in self.chunks if chunk.skip)

    def dropped(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for chunk in self.chunks:
            total.update(chunk.dropped)
        return total

    def to_json(self) -> dict[str, Any]:
        line: dict[str, Any] = {
            "kind": "file",
            "source_file": self.source_file,
            "status": "skipped" if self.skip else "kept",
        }
        if self.skip:
            line["reason"] = self.skip
            if self.detail:
                line["detail"] = self.detail
            return line
        line.update(
            chars=self.chars,
            chunks=len(self.chunks),
            records=self.records,
            chunks_skipped=dict(sorted(self.chunks_skipped().items())),
            dropped=dict(sorted(self.dropped().items())),
        )
        return line

    def report_lines(self) -> list[dict[str, Any]]:
        return [self.to_json(), *(chunk.to_json(self.source_file) for chunk in self.chunks)]


@dataclass
class DocumentsSummary:
    """The end-of-run totals that ``run_documents`` returns."""

    # fields the rendered text names (a drop reason); the command spells them as its flags
    mentions: ClassVar[tuple[str, ...]] = ("samples_per_chunk",)
    files: list[FileResult] = field(default_factory=list)
    records: int = 0
    # filled in when the records seed a Self-Instruct run (``dynosaur documents --self-instruct``)
    self_instruct_records: int = 0
    self_instruct_dropped: Counter[str] = field(default_factory=Counter)
    self_instruct_summary: str = ""
    engine_calls: int = 0
    cache_hits: int = 0
    structured_output: str | None = None
    server: dict[str, Any] | None = None  # timeouts, retries and their seconds; the concurrency limit
    instructions_path: str = ""
    report_path: str = ""

    @property
    def files_read(self) -> int:
        return sum(1 for item in self.files if not item.skip)

    def files_skipped(self) -> Counter[str]:
        return Counter(item.skip for item in self.files if item.skip)

    def chunks(self) -> int:
        return sum(len(item.chunks) for item in self.files)

    def chunks_skipped(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for item in self.files:
            total.update(item.chunks_skipped())
        return total

    def dropped(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for item in self.files:
            total.update(item.dropped())
        return total

    def to_json(self) -> dict[str, Any]:
        return {
            "files_found": len(self.files),
            "files_read": self.files_read,
            "files_skipped": dict(sorted(self.files_skipped().items())),
            "chunks": self.chunks(),
            "chunks_skipped": dict(sorted(self.chunks_skipped().items())),
            "records": self.records,
            "dropped": dict(sorted(self.dropped().items())),
            "self_instruct_records": self.self_instruct_records,
            "self_instruct_dropped": dict(sorted(self.self_instruct_dropped.items())),
            "engine_calls": self.engine_calls,
            "cache_hits": self.cache_hits,
            "structured_output": self.structured_output,
            "server": self.server,
            "instructions_path": self.instructions_path,
            "report_path": self.report_path,
        }

    def render(self) -> str:
        """A short, human-readable summary: one line per file, then the totals."""
        lines = ["documents:"]
        width = max((len(item.source_file) for item in self.files), default=10)
        for item in self.files:
            if item.skip:
                detail = f" ({item.detail})" if item.detail else ""
                lines.append(f"  {item.source_file:<{width}}  skipped: {item.skip}{detail}")
            else:
                lines.append(
                    f"  {item.source_file:<{width}}  {len(item.chunks)} chunks"
                    f"{_counted(item.chunks_skipped(), 'skipped')}, {item.records} records"
                    f"{_counted(item.dropped(), 'dropped')}"
                )
        lines.append(
            f"files: {len(self.files)} found, {self.files_read} read" + _reasons(self.files_skipped())
        )
        lines.append(f"chunks: {self.chunks()}" + _reasons(self.chunks_skipped()))
        lines.append(f"records: {self.records}" + _reasons(self.dropped(), "dropped"))
        if self.self_instruct_summary:
            lines.append(self.self_instruct_summary)
        if self.self_instruct_records or self.self_instruct_dropped:
            lines.append(
                f"self-instruct records: {self.self_instruct_records}"
                + _reasons(self.self_instruct_dropped, "dropped")
            )
        lines.append(
            f"engine calls: {self.engine_calls}, cache hits: {self.cache_hits}"
            + (f", structured output: {self.structured_output}" if self.structured_output else "")
        )
        if self.server:
            lines.append(describe_strain(self.server))
        if self.instructions_path:
            lines.append(f"wrote {self.instructions_path} and {self.report_path}")
        return "\n".join(lines)


def _reasons(counts: Counter[str], verb: str = "skipped") -> str:
    if not counts:
        return ""
    parts = ", ".join(f"{reason}: {count}" for reason, count in sorted(counts.items()))
    return f"; {verb}: {parts}"


def _counted(counts: Counter[str], verb: str) -> str:
    if not counts:
        return ""
    parts = ", ".join(f"{reason}: {count}" for reason, count in sorted(counts.items()))
    return f" ({sum(counts.values())} {verb}: {parts})"
