"""A release's manifest (``manifest.json`` in the release folder and the dataset repo).

The manifest names the version, the records and shards, every source dataset-config with its
Hub revision and license, the generation settings, and the changelog. Comparing two manifests'
sources tells what a new version added, changed and removed.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from dynosaur.contracts.artifacts import MANIFEST_FILE
from dynosaur.core.io import atomic_write_json


def today() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d")


def version_key(version: str) -> tuple[int, ...]:
    """Sort key of ``2026.11.21`` / ``2026.11.21.2`` versions (anything else sorts first)."""
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return ()


def next_version(date: str, previous: str | None, taken: Collection[str] = ()) -> str:
    """``YYYY.MM.DD`` of ``date``; a second release the same day gets ``.2``, then ``.3``...

    Versions in ``taken`` (the repo's tags) are skipped, so a new version never reuses a tag.
    """
    base = date.replace("-", ".")
    count = 1
    if previous and previous.startswith(base):
        suffix = previous[len(base) :].lstrip(".")
        count = int(suffix) + 1 if suffix.isdigit() else 2
    while (version := base if count == 1 else f"{base}.{count}") in taken:
        count += 1
    return version


@dataclass
class Changes:
    """What one version changed, dataset by dataset (``task_name``s)."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def diff_sources(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> Changes:
    """Sources added, changed (new Hub revision, license or record count) and removed."""

    def fingerprint(source: dict[str, Any]) -> tuple:
        return source.get("revision"), source.get("license"), source.get("records"), source.get("tasks")

    return Changes(
        added=sorted(set(new) - set(old)),
        changed=sorted(
            name for name in set(new) & set(old) if fingerprint(new[name]) != fingerprint(old[name])
        ),
        removed=sorted(set(old) - set(new)),
    )


@dataclass
class Manifest:
    """``manifest.json``: what a release holds and where it came from."""

    version: str
    date: str
    repo_id: str
    records: int
    shards: list[str]
    sources: dict[str, dict[str, Any]]
    generation: list[dict[str, Any]] = field(default_factory=list)
    organize: dict[str, Any] = field(default_factory=dict)
    crawled_at: str = ""
    decontamination: dict[str, Any] = field(default_factory=dict)
    changelog: list[dict[str, Any]] = field(default_factory=list)
    judge: dict[str, Any] = field(default_factory=dict)
    report: str = ""
    # the crawl's crawl_policy.json: its license policy (name, description, overrides) and splits
    crawl_policy: dict[str, Any] = field(default_factory=dict)

    @property
    def tasks(self) -> int:
        return sum(int(s.get("tasks") or 0) for s in self.sources.values())

    @property
    def licenses(self) -> list[str]:
        return sorted({str(s["license"]) for s in self.sources.values() if s.get("license")})

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "date": self.date,
            "repo_id": self.repo_id,
            "records": self.records,
            "tasks": self.tasks,
            "licenses": self.licenses,
            "shards": self.shards,
            "crawled_at": self.crawled_at,
            "generation": self.generation,
            "organize": self.organize,
            "decontamination": self.decontamination,
            "sources": dict(sorted(self.sources.items())),
            "changelog": self.changelog,
            "judge": self.judge,
            "report": self.report,
            "crawl_policy": self.crawl_policy,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        return cls(
            version=str(data["version"]),
            date=str(data.get("date") or ""),
            repo_id=str(data.get("repo_id") or ""),
            records=int(data.get("records") or 0),
            shards=list(data.get("shards") or []),
            sources=dict(data.get("sources") or {}),
            generation=list(data.get("generation") or []),
            organize=dict(data.get("organize") or {}),
            crawled_at=str(data.get("crawled_at") or ""),
            decontamination=dict(data.get("decontamination") or {}),
            changelog=list(data.get("changelog") or []),
            judge=dict(data.get("judge") or {}),
            report=str(data.get("report") or ""),
            crawl_policy=dict(data.get("crawl_policy") or {}),
        )

    def write(self, folder: Path) -> None:
        atomic_write_json(folder / MANIFEST_FILE, self.to_json())


def read_manifest(path: Path) -> Manifest | None:
    """The manifest at ``path``, or ``None`` when there is none (or it does not parse)."""
    try:
        return Manifest.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def changelog_entry(manifest: Manifest, previous: Manifest | None) -> dict[str, Any]:
    """This version's changelog line, relative to the previous release (if any)."""
    changes = diff_sources(previous.sources if previous else {}, manifest.sources)
    return {
        "version": manifest.version,
        "date": manifest.date,
        "records": manifest.records,
        "previous": previous.version if previous else None,
        "added": changes.added,
        "changed": changes.changed,
        "removed": changes.removed,
    }
