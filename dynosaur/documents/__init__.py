"""Instruction data from a user's own documents (``dynosaur documents``).

``run_documents(input_dir, output_dir, engine, ...)`` reads every supported file under
``input_dir`` (txt, md, html, json, jsonl, csv, pdf, docx), cuts the text into chunks, asks the
engine for instruction/answer pairs grounded in each chunk, keeps the answers supported by their
chunk, drops near-duplicates, and writes ``documents_instructions.jsonl`` and
``documents_report.jsonl``.
"""

from pathlib import Path

from dynosaur.documents.chunking import Chunk, chunk_text
from dynosaur.documents.pipeline import (
    INSTRUCTIONS_FILE,
    REPORT_FILE,
    DocumentsOptions,
    run_documents,
    run_documents_async,
)
from dynosaur.documents.readers import SkipDocument, read_document
from dynosaur.documents.report import DocumentsSummary

# The bundled example documents (present in a source checkout; what `make demo` runs on).
EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples" / "documents"

__all__ = [
    "EXAMPLES_DIR",
    "INSTRUCTIONS_FILE",
    "REPORT_FILE",
    "Chunk",
    "DocumentsOptions",
    "DocumentsSummary",
    "SkipDocument",
    "chunk_text",
    "read_document",
    "run_documents",
    "run_documents_async",
]
