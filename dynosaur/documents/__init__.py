"""Instruction data from a user's own documents (``dynosaur documents``).

``run_documents(input_dir, output_dir, engine, ...)`` reads every supported file under
``input_dir`` (txt, md, html, json, jsonl, csv, pdf, docx), cuts the text into chunks, asks the
engine for instruction/answer pairs grounded in each chunk, keeps the answers supported by their
chunk, drops near-duplicates, and writes ``documents_instructions.jsonl`` and
``documents_report.jsonl``.
"""

from pathlib import Path

from dynosaur.core import resources
from dynosaur.documents.chunking import Chunk, chunk_text
from dynosaur.documents.pipeline import (
    DocumentsOptions,
    run_documents,
    run_documents_async,
)
from dynosaur.documents.readers import SkipDocument, read_document
from dynosaur.documents.report import DocumentsSummary


def __getattr__(name: str) -> Path:
    # The bundled example documents (what `make demo` runs on): the installed package's copy, else
    # the checkout's examples/documents/. Looked up when used, so a missing folder fails only then.
    if name == "EXAMPLES_DIR":
        return resources.data_dir("examples/documents")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "EXAMPLES_DIR",
    "Chunk",
    "DocumentsOptions",
    "DocumentsSummary",
    "SkipDocument",
    "chunk_text",
    "read_document",
    "run_documents",
    "run_documents_async",
]
