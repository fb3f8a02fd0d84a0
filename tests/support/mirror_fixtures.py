"""Fixtures for tests that need a Hub: small snapshots written in the test, and mirrors over them.

Import the fixtures into a test module to use them::

    from tests.support.mirror_fixtures import demo_mirror, demo_snapshot_dir, write_snapshot  # noqa: F401
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from crawl.snapshot import Snapshot, SnapshotDataset
from hubmirror import MirrorServer

STRING = {"dtype": "string", "_type": "Value"}
INT = {"dtype": "int64", "_type": "Value"}


def class_label(*names: str) -> dict:
    """A ClassLabel feature in Features.to_dict() shape."""
    return {"names": list(names), "_type": "ClassLabel"}


def write_snapshot(root: Path, datasets: Iterable[SnapshotDataset]) -> Path:
    """Write datasets into a snapshot directory and return it."""
    snapshot = Snapshot(root)
    for dataset in datasets:
        snapshot.write_dataset(dataset)
    root.mkdir(parents=True, exist_ok=True)
    return root


@pytest.fixture(scope="session")
def demo_snapshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled demo Hub, written once per test session (treat it as read-only)."""
    from hubmirror.demo.snapshot import write_demo_snapshot

    root = tmp_path_factory.mktemp("demo-snapshot")
    write_demo_snapshot(root)
    return root


@pytest.fixture
def demo_mirror(demo_snapshot_dir: Path) -> Iterator[MirrorServer]:
    """A mirror serving the demo Hub, no latency, no faults."""
    with MirrorServer(demo_snapshot_dir) as mirror:
        yield mirror
