"""A metadata line rendered compactly for a prompt.

Long card sections and cells are cut, id-like fields (``id``, ``idx``, ``guid``, ``*_id``,
``uuid``) are left out, nested values are kept only when small, and every string the Hub supplies
(card text, names of the dataset, config, fields, class labels and struct keys, row cells) is
JSON-quoted with ``<`` escaped, so nothing inside it can close or open the ``<dataset>`` block the
prompt wraps it in.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dynosaur.contracts.fields import Field, is_id_like, schema_fields

SECTION_LIMITS = {"summary": 1200, "supported_task": 400, "data_fields": 1000}
CELL_LIMIT = 300
LIST_ITEMS = 5
NESTED_LIMIT = 300
MAX_LABELS = 20
EXAMPLES = 2


@dataclass(frozen=True)
class RenderLimits:
    """How much of a metadata line reaches the prompt."""

    cell: int = CELL_LIMIT
    list_items: int = LIST_ITEMS
    nested: int = NESTED_LIMIT
    examples: int = EXAMPLES
    sections: Mapping[str, int] = dataclasses.field(default_factory=lambda: dict(SECTION_LIMITS))


def quote(text: Any) -> str:
    """``text`` as a JSON string literal whose ``<`` cannot open or close a tag."""
    return json.dumps(str(text), ensure_ascii=False).replace("<", "\\u003c")


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def field_type(field: Field) -> str:
    """A short description of a field's type for the prompt."""
    if field.kind == "label":
        names = [quote(name) for name in field.labels[:MAX_LABELS]]
        names += ["…"] if len(field.labels) > MAX_LABELS else []
        return "class label: " + ", ".join(names) if names else "class label"
    return {
        "text": "text",
        "number": "number",
        "bool": "true/false",
        "text_list": "list of texts",
        "answers": "answers (a 'text' list)",
        "translation": "translation, one text per language",
        "struct": "struct with keys " + ", ".join(map(quote, field.keys)) if field.keys else "struct",
        "struct_list": "list of structs",
        "media": "media (not text)",
    }.get(field.kind, "other")


def prompt_fields(metadata: dict[str, Any]) -> list[Field]:
    """The fields a prompt shows (and a task may name): every field except id-like ones."""
    return [f for f in schema_fields(metadata).values() if not is_id_like(f.name)]


def _compact_value(value: Any, limits: RenderLimits) -> Any:
    if isinstance(value, str):
        return _cut(value, limits.cell)
    if isinstance(value, list):
        items = [_compact_value(v, limits) for v in value[: limits.list_items]]
        if len(value) > limits.list_items:
            items.append(f"… {len(value) - limits.list_items} more")
        return _small_or_placeholder(items, limits)
    if isinstance(value, dict):
        compact = {str(k): _compact_value(v, limits) for k, v in value.items() if not is_id_like(str(k))}
        return _small_or_placeholder(compact, limits)
    return value


def _small_or_placeholder(value: Any, limits: RenderLimits) -> Any:
    if isinstance(value, (list, dict)) and len(json.dumps(value, ensure_ascii=False)) > limits.nested:
        return "[nested value left out]" if isinstance(value, dict) else _cut(str(value), limits.cell)
    return value


def compact_example(row: dict[str, Any], limits: RenderLimits | None = None) -> str:
    """One sample row as a JSON line without id-like fields, cells cut, ``<`` escaped."""
    limits = limits or RenderLimits()
    compact = {str(k): _compact_value(v, limits) for k, v in row.items() if not is_id_like(str(k))}
    return json.dumps(compact, ensure_ascii=False).replace("<", "\\u003c")


def compact_view(metadata: dict[str, Any], limits: RenderLimits | None = None) -> dict[str, Any]:
    """Everything a propose template may show, already cut and quoted.

    Card sections (``summary``, ``supported_task``, ``data_fields``) are quoted strings or ``""``;
    templates of the description-unaware mode simply leave them out.
    """
    limits = limits or RenderLimits()
    dataset = str(metadata.get("dataset") or metadata.get("task_name") or "")
    config = metadata.get("config")
    rows = [r for r in metadata.get("selected_data") or [] if isinstance(r, dict)]
    sections = {
        key: quote(_cut(str(metadata.get(key) or ""), limits.sections.get(key, limit)))
        if metadata.get(key)
        else ""
        for key, limit in SECTION_LIMITS.items()
    }
    return {
        "name": quote(dataset),
        "config": quote(config) if config and config != "default" else "",
        "pretty_name": quote(metadata["pretty_name"]) if metadata.get("pretty_name") else "",
        "languages": _quoted_list(metadata.get("languages")),
        "task_category": _quoted_list(metadata.get("task_category")),
        "task_ids": _quoted_list(metadata.get("task_ids")),
        **sections,
        "fields": [{"name": quote(f.name), "type": field_type(f)} for f in prompt_fields(metadata)],
        "examples": [compact_example(row, limits) for row in rows[: limits.examples]],
    }


def _quoted_list(value: Any) -> str:
    if value is None or value == "":
        return ""
    items = value if isinstance(value, (list, tuple)) else [value]
    return ", ".join(quote(_cut(str(v), 60)) for v in items[:10])
