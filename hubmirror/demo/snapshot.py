"""Snapshot datasets made from code: the ``make_dataset`` helper and the bundled demo Hub.

``make_dataset(repo_id, card=..., configs=...)`` builds one :class:`~crawl.snapshot.SnapshotDataset`
whose API item, files and viewer view agree (tests arrange small Hubs with it);
``write_demo_snapshot(dest)`` writes the demo Hub that ``make demo`` serves through the mirror:
about thirty datasets, each showing one thing the crawler must handle (see hubmirror/demo/specs.py).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from crawl.snapshot import Snapshot, SnapshotDataset
from hubmirror.demo.builder import card_text, make_dataset, make_viewer, parse_card_metadata, viewer_features
from hubmirror.demo.cards import card_body, configs_yaml, dataset_info_yaml, size_category
from hubmirror.demo.specs import SPECS, Spec

__all__ = [
    "build_demo_dataset",
    "card_text",
    "demo_card",
    "make_dataset",
    "make_viewer",
    "parse_card_metadata",
    "viewer_features",
    "write_demo_snapshot",
]

# YAML that does not parse: an unclosed flow sequence.
_MALFORMED_FRONT_MATTER = (
    "---\nlicense: apache-2.0\nlanguage: [en\ntask_categories:\n- text-classification\n---\n\n"
)


def demo_card(spec: Spec, configs: dict[str, dict[str, dict[str, Any]]]) -> str | None:
    """The README.md of a demo dataset (None for a dataset without a card)."""
    if spec.card == "none":
        return None
    body = card_body(
        title=spec.title,
        summary=spec.summary,
        tasks=spec.tasks,
        fields=spec.fields,
        license_=spec.license,
        languages=spec.languages,
        configs=configs,
        html=spec.html,
    )
    if spec.card == "malformed":
        return _MALFORMED_FRONT_MATTER + body
    total = sum(len(split["rows"]) for splits in configs.values() for split in splits.values())
    meta: dict[str, Any] = {}
    if spec.license:
        meta["license"] = spec.license
    if spec.languages:
        meta["language"] = list(spec.languages)
        meta["multilinguality"] = [spec.multilinguality]
    meta["size_categories"] = [size_category(total)]
    meta["task_categories"] = list(spec.task_categories)
    if spec.task_ids:
        meta["task_ids"] = list(spec.task_ids)
    meta["pretty_name"] = spec.title
    if spec.tags:
        meta["tags"] = list(spec.tags)
    if configs:
        meta["dataset_info"] = dataset_info_yaml(configs)
        meta["configs"] = configs_yaml(configs)
    return card_text(meta, body)


def build_demo_dataset(spec: Spec, index: int) -> SnapshotDataset:
    """One demo dataset; rows come from an RNG seeded with the dataset, config and split names."""
    configs = {
        config: {
            split: {
                "features": table.features,
                "rows": table.rows(random.Random(f"{spec.repo_id}/{config}/{split}"), n),
            }
            for split, n in table.splits.items()
        }
        for config, table in spec.tables.items()
    }
    return make_dataset(
        spec.repo_id,
        card=demo_card(spec, configs),
        configs=configs,
        downloads=round(150_000 * 0.8**index) + 13 * index,
        likes=(index * 7) % 23,
        created_at=f"2022-{1 + index % 12:02d}-{1 + (index * 3) % 28:02d}T08:00:00.000Z",
        last_modified=f"2024-{1 + index % 12:02d}-{1 + (index * 5) % 28:02d}T12:30:00.000Z",
        **spec.options,
    )


# The demo Hub imitates the public Hub: records made from it link to huggingface.co pages.
DEMO_ORIGIN = "https://huggingface.co"
# The demo Hub is one fixed state, of this date (every dataset's lastModified is earlier): a crawl
# of it is dated so, and two demo runs write the same bytes.
DEMO_HUB_DATE = "2025-01-01T00:00:00Z"


def write_demo_snapshot(dest: str | Path) -> list[str]:
    """Write the demo Hub into ``dest`` (a snapshot directory); returns the dataset ids, sorted."""
    snapshot = Snapshot(dest)
    Path(dest).mkdir(parents=True, exist_ok=True)
    snapshot.write_origin(DEMO_ORIGIN)
    for index, spec in enumerate(SPECS):
        snapshot.write_dataset(build_demo_dataset(spec, index))
    return sorted(spec.repo_id for spec in SPECS)
