"""Small artifact I/O helpers for every dynosaur stage (re-exported from ``crawl.artifacts``)."""

from crawl.artifacts import (
    append_jsonl,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_jsonl,
    atomic_write_text,
    dumps_line,
    read_jsonl,
    repair_jsonl_tail,
    temp_path_beside,
)

__all__ = [
    "append_jsonl",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_jsonl",
    "atomic_write_text",
    "dumps_line",
    "read_jsonl",
    "repair_jsonl_tail",
    "temp_path_beside",
]
