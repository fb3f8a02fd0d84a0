"""``run_documents``: documents in, grounded instruction records out.

Files are found in sorted order and read by format; their text is chunked; every chunk worth
asking about goes to the engine (concurrently, behind the response cache); answers are then
read in file and chunk order — parsed, checked against their chunk, de-duplicated — so the
output is the same on every run. Both artifacts are written whole and atomically at the end;
an interrupted run keeps every paid answer in the cache and resumes from it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from dynosaur.contracts.artifacts import DOCUMENTS_INSTRUCTIONS_FILE, DOCUMENTS_REPORT_FILE
from dynosaur.core import checks
from dynosaur.core.cache import CachedEngine
from dynosaur.core.engines import (
    ChatRequest,
    Engine,
    require_capability,
    server_strain,
    structured_output_mode,
)
from dynosaur.core.engines.opening import cached
from dynosaur.core.errors import MissingInput, OptionError
from dynosaur.core.io import atomic_write_jsonl
from dynosaur.core.near_duplicates import DEFAULT_THRESHOLD, NearDuplicateFilter
from dynosaur.documents.chunking import Chunk, chunk_text
from dynosaur.documents.discover import find_documents
from dynosaur.documents.generate import (
    ChunkAnswer,
    Pair,
    ask_all,
    build_request,
    generation_params,
    parse_pairs,
)
from dynosaur.documents.grounding import chunk_skip_reason, content_words, unsupported_reason
from dynosaur.documents.readers import MAX_FILE_BYTES, SkipDocument, read_document
from dynosaur.documents.report import ChunkResult, DocumentsSummary, FileResult


@dataclass(frozen=True)
class DocumentsOptions:
    """How documents are chunked and how many pairs each chunk is asked for."""

    chunk_size: int = 8000
    chunk_overlap: int | None = None  # default: a tenth of the chunk size, at most 200 characters
    min_chunk_chars: int = 200
    min_content_words: int = 15
    samples_per_chunk: int = 5
    concurrency: int = 8
    temperature: float = 0.7
    seed: int = 0
    max_tokens: int = 2048
    dedup_threshold: float = DEFAULT_THRESHOLD  # ROUGE-L above which a pair repeats an earlier one
    max_file_bytes: int = MAX_FILE_BYTES  # larger files are skipped unread

    def overlap(self) -> int:
        if self.chunk_overlap is not None:
            return self.chunk_overlap
        return min(200, self.chunk_size // 10)

    def check(self) -> None:
        """Raise ``OptionError`` (a ``ValueError``) for settings that cannot work."""
        checks.at_least("min_chunk_chars", self.min_chunk_chars, 0)
        checks.at_least("min_content_words", self.min_content_words, 0)
        checks.non_negative("temperature", self.temperature)
        checks.whole("seed", self.seed)
        checks.between("dedup_threshold", self.dedup_threshold, 0.0, 1.0)
        checks.at_least("max_file_bytes", self.max_file_bytes, 1)

        if self.chunk_size < 1:
            raise OptionError("chunk_size", f"must be at least 1, got {self.chunk_size}")
        if self.chunk_overlap is not None and self.chunk_overlap < 0:
            raise OptionError("chunk_overlap", f"must be 0 or more, got {self.chunk_overlap}")
        if self.samples_per_chunk < 1:
            raise OptionError("samples_per_chunk", f"must be at least 1, got {self.samples_per_chunk}")
        if self.concurrency < 1:
            raise OptionError("concurrency", f"must be at least 1, got {self.concurrency}")
        if self.max_tokens < 1:
            raise OptionError("max_tokens", f"must be at least 1, got {self.max_tokens}")


def run_documents(
    input_dir: str | Path,
    output_dir: str | Path,
    engine: Engine,
    *,
    options: DocumentsOptions | None = None,
    cache: str | Path | None = None,
    progress: bool = True,
    **overrides: Any,
) -> DocumentsSummary:
    """Generate grounded instruction records from every document under ``input_dir``.

    ``engine`` must offer ``"chat"``; with ``cache`` (a SQLite path) it is wrapped in the
    response cache. Keyword ``overrides`` set ``DocumentsOptions`` fields (``chunk_size=4000``).
    Writes ``documents_instructions.jsonl`` and ``documents_report.jsonl`` into ``output_dir``,
    closes the engine, and returns the summary.
    """

    async def main() -> DocumentsSummary:
        try:
            return await run_documents_async(
                input_dir, output_dir, engine, options=options, cache=cache, progress=progress, **overrides
            )
        finally:
            await engine.aclose()

    return asyncio.run(main())


async def run_documents_async(
    input_dir: str | Path,
    output_dir: str | Path,
    engine: Engine,
    *,
    options: DocumentsOptions | None = None,
    cache: str | Path | None = None,
    progress: bool = True,
    **overrides: Any,
) -> DocumentsSummary:
    """``run_documents`` inside a running event loop (the engine is left open)."""
    options = DocumentsOptions(**{**(options.__dict__ if options else {}), **overrides})
    options.check()
    require_capability(engine, "chat", "generating instructions from documents")
    input_dir, output_dir = Path(input_dir), Path(output_dir)
    if not input_dir.is_dir():
        raise MissingInput(f"input folder {input_dir} does not exist or is not a folder")
    with cached(engine, cache) as asked:
        # a cache file inside the input folder is not a document
        exclude = (asked.cache.path,) if isinstance(asked, CachedEngine) else ()
        return await _run(input_dir, output_dir, asked, options, progress, exclude)


async def _run(
    input_dir: Path,
    output_dir: Path,
    engine: Engine,
    options: DocumentsOptions,
    progress: bool,
    exclude: tuple[Path, ...],
) -> DocumentsSummary:
    files, chunks = _read_and_chunk(input_dir, (output_dir, *exclude), options)
    params = generation_params(options.temperature, options.seed, options.max_tokens)
    requests: list[tuple[Chunk, ChatRequest]] = [
        (c, build_request(c, options.samples_per_chunk, params)) for c in chunks
    ]
    with tqdm(total=len(requests), desc="chunks", unit="chunk", disable=not progress) as bar:
        answers = await ask_all(engine, requests, options.concurrency, on_done=bar.update)

    records = _records(files, answers, options.samples_per_chunk, options.dedup_threshold)
    summary = DocumentsSummary(files=files, records=len(records))
    instructions_path, report_path = (
        output_dir / DOCUMENTS_INSTRUCTIONS_FILE,
        output_dir / DOCUMENTS_REPORT_FILE,
    )
    atomic_write_jsonl(instructions_path, records)
    atomic_write_jsonl(report_path, (line for item in files for line in item.report_lines()))
    summary.instructions_path, summary.report_path = str(instructions_path), str(report_path)
    summary.structured_output = structured_output_mode(engine)
    summary.server = server_strain(engine)
    if isinstance(engine, CachedEngine):
        summary.engine_calls, summary.cache_hits = engine.stats.misses, engine.stats.hits
    else:
        summary.engine_calls = sum(1 for a in answers if a.error != "budget exhausted")
    return summary


def _read_and_chunk(
    input_dir: Path, exclude: tuple[Path, ...], options: DocumentsOptions
) -> tuple[list[FileResult], list[Chunk]]:
    """Read every file and chunk its text; the chunks to ask about, in order."""
    files: list[FileResult] = []
    wanted: list[Chunk] = []
    for found in find_documents(input_dir, exclude):
        result = FileResult(found.relpath)
        files.append(result)
        if found.skip:
            result.skip, result.detail = found.skip, found.detail
            continue
        try:
            text = read_document(found.path, max_bytes=options.max_file_bytes)
        except SkipDocument as exc:
            result.skip, result.detail = exc.reason, exc.detail
            continue
        except Exception as exc:  # a reader library choking on a corrupt file must not stop the run
            result.skip, result.detail = "unreadable file", f"{type(exc).__name__}: {exc}"
            continue
        result.chars = len(text)
        for chunk in chunk_text(text, found.relpath, options.chunk_size, options.overlap()):
            reason = chunk_skip_reason(chunk, options.min_chunk_chars, options.min_content_words)
            result.chunks.append(ChunkResult(chunk.index, chunk.start, chunk.end, skip=reason))
            if reason is None:
                wanted.append(chunk)
    return files, wanted


def _records(
    files: list[FileResult], answers: list[ChunkAnswer], limit: int, dedup_threshold: float
) -> list[dict[str, Any]]:
    """Grounded, de-duplicated records in file and chunk order; drops counted on their chunk."""
    by_chunk = {(a.chunk.source_file, a.chunk.index): a for a in answers}
    grounded: list[tuple[ChunkResult, Chunk, Pair]] = []
    for item in files:
        for result in item.chunks:
            answer = by_chunk.get((item.source_file, result.index))
            if result.skip or answer is None:
                continue
            if answer.completion is None:
                result.skip, result.detail = answer.error or "no answer", answer.detail
                continue
            parsed = parse_pairs(answer.completion.text, limit)
            result.dropped.update(parsed.dropped)
            chunk_words = content_words(answer.chunk.text)
            for pair in parsed.pairs:
                reason = unsupported_reason(pair.output, chunk_words)
                if reason is not None:
                    result.dropped[reason] += 1
                else:
                    grounded.append((result, answer.chunk, pair))
    pool = NearDuplicateFilter(dedup_threshold)
    decisions = pool.add_many([_dedup_text(pair) for _, _, pair in grounded])
    records = []
    for (result, chunk, pair), duplicate in zip(grounded, decisions, strict=True):
        if duplicate is not None:
            result.dropped["near-duplicate"] += 1
            continue
        result.records += 1
        records.append(
            {
                "instruction": pair.instruction,
                "input": pair.input,
                "output": pair.output,
                "source_file": chunk.source_file,
                "chunk_index": chunk.index,
                "char_start": chunk.start,
                "char_end": chunk.end,
            }
        )
    return records


def _dedup_text(pair: Pair) -> str:
    """What two pairs must share to be duplicates: the instruction and, when there is one, the input."""
    return f"{pair.instruction}\n{pair.input}" if pair.input else pair.instruction
