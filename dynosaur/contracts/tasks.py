"""A proposed task and its provenance: one line of ``tasks.jsonl``."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

SOURCE_BY_MODE = {"aware": "description-aware", "unaware": "description-unaware"}


@dataclass(frozen=True)
class Task:
    """An instruction over a dataset-config's fields, with where it came from."""

    task_name: str
    instruction: str
    input_fields: tuple[str, ...]
    output_field: tuple[str, ...]
    source: str
    mode: str = ""
    engine: str = ""
    model: str = ""
    cache_key: str = ""
    prompts_version: str = ""
    valid: bool | None = None
    reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, Any]:
        """The ``tasks.jsonl`` line (fixed key order; ``reason`` only when rejected)."""
        data: dict[str, Any] = {
            "task_name": self.task_name,
            "instruction": self.instruction,
            "input_fields": list(self.input_fields),
            "output_field": list(self.output_field),
            "source": self.source,
            "mode": self.mode,
            "engine": self.engine,
            "model": self.model,
            "cache_key": self.cache_key,
            "prompts_version": self.prompts_version,
            "valid": self.valid,
        }
        if self.reason is not None:
            data["reason"] = self.reason
        data.update(self.extra)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Task:
        """Read a ``tasks.jsonl`` line; raises ValueError on a line that is not a task."""
        if not isinstance(data, dict) or not isinstance(data.get("task_name"), str):
            raise ValueError("not a task: a JSON object with a task_name is expected")
        known = {
            "task_name",
            "instruction",
            "input_fields",
            "output_field",
            "source",
            "mode",
            "engine",
            "model",
            "cache_key",
            "prompts_version",
            "valid",
            "reason",
        }
        return cls(
            task_name=data["task_name"],
            instruction=str(data.get("instruction") or ""),
            input_fields=tuple(str(f) for f in data.get("input_fields") or ()),
            output_field=tuple(str(f) for f in data.get("output_field") or ()),
            source=str(data.get("source") or ""),
            mode=str(data.get("mode") or ""),
            engine=str(data.get("engine") or ""),
            model=str(data.get("model") or ""),
            cache_key=str(data.get("cache_key") or ""),
            prompts_version=str(data.get("prompts_version") or ""),
            valid=data.get("valid"),
            reason=data.get("reason"),
            extra={k: v for k, v in data.items() if k not in known},
        )

    def published(self) -> dict[str, Any]:
        """The task in Dynosaur's ``instructions-full.json`` shape."""
        return {
            "task_name": self.task_name,
            "instruction": self.instruction,
            "input_fields": list(self.input_fields),
            "output_field": list(self.output_field),
        }

    def judged(self, reason: str | None) -> Task:
        """This task marked valid (``reason`` None) or rejected with ``reason``."""
        return replace(self, valid=reason is None, reason=reason)
