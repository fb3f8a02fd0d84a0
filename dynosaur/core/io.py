"""Small artifact I/O helpers for every dynosaur stage (re-exported from ``crawl.artifacts`` and
``crawl.leftovers``)."""

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
from crawl.leftovers import remove_stale_temps

__all__ = [
    "append_jsonl",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_jsonl",
    "atomic_write_text",
    "dumps_line",
    "read_jsonl",
    "remove_stale_temps",
    "repair_jsonl_tail",
    "temp_path_beside",
]
