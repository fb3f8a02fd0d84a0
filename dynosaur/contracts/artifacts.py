"""Every artifact's file name, declared once, and the reason convention of every report.

Readers and writers import the names from here instead of spelling them. The crawl's own files are
named by ``crawl`` (which writes them and knows nothing of ``dynosaur``) and re-exported here.

A reason in any report is ``"<kind>: <detail>"``; ``reason_kind`` is its countable part.
"""

from __future__ import annotations

from crawl.outputs import DATA_FILE, LICENSE_FILE, METADATA_FILE
from crawl.outputs import REPORT_FILE as CRAWL_REPORT_FILE
from crawl.records import reason_kind
from crawl.state import STATE_FILE as CRAWL_STATE_FILE

# The Hub chain, in DATA_DIR.
TASKS_FILE = "tasks.jsonl"
PROPOSE_REPORT_FILE = "propose_report.json"
INSTRUCTIONS_FILE = "instructions-full.json"
REJECTED_FILE = "rejected_tasks.jsonl"
FILTER_REPORT_FILE = "filter_report.json"
RECORDS_FILE = "dynosaur-full.jsonl"
RECORDS_PARQUET_FILE = "dynosaur-full.parquet"
ORGANIZE_REPORT_FILE = "organize_report.json"
RELEASES_DIR = "releases"
MANIFEST_FILE = "manifest.json"
RUN_REPORT_FILE = "run_report.json"
GROW_REPORT_FILE = "grow_report.json"
DEMO_REPORT_FILE = "demo_report.json"
JUDGE_SCORES_FILE = "judge_scores.jsonl"
JUDGE_REPORT_FILE = "judge_report.json"
REPORT_HTML_FILE = "report.html"
DECONTAMINATION_REPORT_FILE = "decontamination_report.json"
DECONTAMINATED_RECORDS_FILE = "decontaminated_records.jsonl"

# The response cache every LLM command keeps beside its outputs.
RESPONSE_CACHE_FILE = "llm_cache.sqlite"
# The ids of submitted OpenAI batches, beside the response cache (a killed run resumes them).
BATCH_STATE_FILE = "llm_batches.json"
# The demo's rules-engine cache: rebuilt every demo run, unlike the LLM cache it keeps.
RULES_CACHE_FILE = "rules_cache.sqlite"

# Self-Instruct, in OUTPUT_DIR.
SELF_INSTRUCT_TASKS_FILE = "self_instruct_tasks.jsonl"
SELF_INSTRUCT_RECORDS_FILE = "self_instruct_records.jsonl"
SELF_INSTRUCT_INSTRUCTIONS_FILE = "self_instruct_instructions.jsonl"
SELF_INSTRUCT_REJECTED_FILE = "self_instruct_rejected.jsonl"
SELF_INSTRUCT_REPORT_FILE = "self_instruct_report.json"

# Documents, in OUTPUT_DIR (Self-Instruct widening in its own subfolder).
DOCUMENTS_INSTRUCTIONS_FILE = "documents_instructions.jsonl"
DOCUMENTS_REPORT_FILE = "documents_report.jsonl"
DOCUMENTS_SELF_INSTRUCT_DIR = "self_instruct"


def dino_dataset_file(stem: str) -> str:
    """DINO's labelled dataset for the spec file ``stem``."""
    return f"{stem}-dataset.jsonl"


def dino_summary_file(stem: str) -> str:
    """DINO's run summary for the spec file ``stem``."""
    return f"{stem}-summary.json"


__all__ = [
    "BATCH_STATE_FILE",
    "CRAWL_REPORT_FILE",
    "CRAWL_STATE_FILE",
    "DATA_FILE",
    "DECONTAMINATED_RECORDS_FILE",
    "DECONTAMINATION_REPORT_FILE",
    "DEMO_REPORT_FILE",
    "DOCUMENTS_INSTRUCTIONS_FILE",
    "DOCUMENTS_REPORT_FILE",
    "DOCUMENTS_SELF_INSTRUCT_DIR",
    "FILTER_REPORT_FILE",
    "GROW_REPORT_FILE",
    "INSTRUCTIONS_FILE",
    "JUDGE_REPORT_FILE",
    "JUDGE_SCORES_FILE",
    "LICENSE_FILE",
    "MANIFEST_FILE",
    "METADATA_FILE",
    "ORGANIZE_REPORT_FILE",
    "PROPOSE_REPORT_FILE",
    "RECORDS_FILE",
    "RECORDS_PARQUET_FILE",
    "REJECTED_FILE",
    "REPORT_HTML_FILE",
    "RELEASES_DIR",
    "RESPONSE_CACHE_FILE",
    "RULES_CACHE_FILE",
    "RUN_REPORT_FILE",
    "SELF_INSTRUCT_INSTRUCTIONS_FILE",
    "SELF_INSTRUCT_RECORDS_FILE",
    "SELF_INSTRUCT_REJECTED_FILE",
    "SELF_INSTRUCT_REPORT_FILE",
    "SELF_INSTRUCT_TASKS_FILE",
    "TASKS_FILE",
    "dino_dataset_file",
    "dino_summary_file",
    "reason_kind",
]
