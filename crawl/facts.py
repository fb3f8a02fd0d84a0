"""What the policy needs to know about a dataset, read from card metadata with tags as fallback.

Card metadata is written by hand and comes in many shapes (a string or a list, ``language`` or the
legacy ``languages``, sometimes a mapping per config); everything here is normalized to
lower-case string lists so the policy rules stay simple.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


def _flatten(value: Any) -> list[str]:
    """Strings found in a str / list / mapping-of-lists value, in order, stripped."""
    if value is None or isinstance(value, bool):
        return []
    if isinstance(value, (str, int, float)):
        text = str(value).strip()
        return [text] if text else []
    if isinstance(value, dict):
        return [item for inner in value.values() for item in _flatten(inner)]
    if isinstance(value, (list, tuple)):
        return [item for inner in value for item in _flatten(inner)]
    return []


def _dedup(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


# Spellings of English seen in cards besides ISO 639-1 "en".
_ALIASES = {"eng": "en", "english": "en"}


def normalize_language(code: str) -> str:
    """``en-US`` / ``EN_us`` / ``eng`` / ``en`` -> ``en``; ``code`` stays ``code``."""
    primary = code.strip().lower().replace("_", "-").split("-")[0]
    return _ALIASES.get(primary, primary)


def tag_values(tags: Iterable[Any] | None, key: str) -> list[str]:
    """Values of ``key:value`` tags (``language:en`` -> ``en``)."""
    prefix = f"{key}:"
    return [t[len(prefix) :] for t in tags or [] if isinstance(t, str) and t.startswith(prefix)]


@dataclass
class DatasetFacts:
    """Normalized metadata of one dataset."""

    licenses: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    multilinguality: list[str] = field(default_factory=list)
    task_categories: list[str] = field(default_factory=list)
    task_ids: list[str] = field(default_factory=list)
    modalities: list[str] = field(default_factory=list)
    source_datasets: list[str] = field(default_factory=list)

    @property
    def license(self) -> str:
        """The license as one string (several licenses joined by ", ")."""
        return ", ".join(self.licenses)


def _from_metadata_or_tags(
    metadata: dict[str, Any], tags: list[Any] | None, keys: tuple[str, ...], tag: str
) -> list[str]:
    for key in keys:
        values = _flatten(metadata.get(key))
        if values:
            return values
    return tag_values(tags, tag)


def dataset_facts(metadata: dict[str, Any] | None, tags: list[Any] | None) -> DatasetFacts:
    """Facts from card metadata (YAML or the listing's ``cardData``), falling back to tags."""
    meta = metadata if isinstance(metadata, dict) else {}
    licenses = _from_metadata_or_tags(meta, tags, ("license",), "license")
    languages = _from_metadata_or_tags(meta, tags, ("language", "languages"), "language")
    return DatasetFacts(
        licenses=_dedup(x.lower() for x in licenses),
        languages=_dedup(normalize_language(x) for x in languages if normalize_language(x)),
        multilinguality=_dedup(
            x.lower() for x in _from_metadata_or_tags(meta, tags, ("multilinguality",), "multilinguality")
        ),
        task_categories=_dedup(_from_metadata_or_tags(meta, tags, ("task_categories",), "task_categories")),
        task_ids=_dedup(_from_metadata_or_tags(meta, tags, ("task_ids",), "task_ids")),
        modalities=_dedup(x.lower() for x in tag_values(tags, "modality")),
        source_datasets=_dedup(_from_metadata_or_tags(meta, tags, ("source_datasets",), "source_datasets")),
    )
