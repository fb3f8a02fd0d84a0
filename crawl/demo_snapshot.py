"""Snapshot datasets made from code: the ``make_dataset`` helper and the bundled demo Hub.

``make_dataset(repo_id, card=..., configs=...)`` builds one :class:`~crawl.snapshot.SnapshotDataset`
whose API item, files and viewer view agree (tests arrange small Hubs with it);
``write_demo_snapshot(dest)`` writes the demo Hub that ``make demo`` serves through the mirror.
"""

from __future__ import annotations

from crawl.demo.builder import card_text, make_dataset, make_viewer, parse_card_metadata, viewer_features

__all__ = ["card_text", "make_dataset", "make_viewer", "parse_card_metadata", "viewer_features"]
