"""Reading ``huggingface_metadata.jsonl``: the usable lines, and each skipped line with its reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from crawl.artifact_errors import not_utf8
from dynosaur.contracts.fields import feature_map
from dynosaur.contracts.metadata_shape import metadata_problem
from dynosaur.core.errors import MissingArtifact


def has_fields(line: dict[str, Any]) -> bool:
    """Whether a metadata line describes any field (features or sample rows)."""
    return bool(feature_map(line.get("features"))) or bool(line.get("selected_data"))


def load_metadata(path: str | Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The usable metadata lines in file order, and ``{"where", "reason"}`` for each skipped one.

    A line is skipped when it is not UTF-8 JSON, has no ``task_name``, repeats an earlier
    ``task_name``, has a field of the wrong type (``selected_data`` not a list) or describes no
    field at all.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingArtifact(f"{path} does not exist; run `dynosaur crawl` first")
    lines: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    seen: set[str] = set()
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            where = f"{path.name}:{number}"
            try:
                line = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                skipped.append({"where": where, "reason": not_utf8(exc)})
                continue
            except json.JSONDecodeError as exc:
                skipped.append({"where": where, "reason": f"invalid JSON: {exc.msg}"})
                continue
            name = line.get("task_name") if isinstance(line, dict) else None
            problem = metadata_problem(line) if isinstance(line, dict) else None
            if not isinstance(name, str) or not name:
                skipped.append({"where": where, "reason": "no task_name"})
            elif name in seen:
                skipped.append({"where": where, "reason": f"duplicate task_name {name!r}"})
            elif problem:
                skipped.append({"where": where, "reason": f"{name}: {problem}"})
            elif not has_fields(line):
                skipped.append({"where": where, "reason": f"{name}: no features and no sample rows"})
            else:
                seen.add(name)
                lines.append(line)
    return lines, skipped
