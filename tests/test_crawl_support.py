"""Helpers shared by the crawl tests: small Hubs made in code, a fast crawl against the mirror."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from crawl.crawler import CrawlResult, run_crawl
from crawl.listing import ListingQuery
from crawl.options import CrawlOptions
from crawl.outputs import DATA_FILE, LICENSE_FILE, METADATA_FILE, REPORT_FILE
from crawl.ratelimit import plan_quotas
from crawl.snapshot import Snapshot, SnapshotDataset
from crawl.transport import RetryPolicy
from hubmirror import MirrorServer
from hubmirror.demo.snapshot import card_text, make_dataset

TEXT = {"dtype": "string", "_type": "Value"}
LABEL = {"names": ["negative", "positive"], "_type": "ClassLabel"}
OUTPUTS = (DATA_FILE, METADATA_FILE, LICENSE_FILE, REPORT_FILE)
EN_MIT = {"license": "mit", "language": ["en"], "task_categories": ["text-classification"]}


def card(meta: dict[str, Any] | None = None, summary: str = "Short product reviews.") -> str:
    body = f"# Dataset\n\n## Dataset Summary\n\n{summary}\n\n## Data Fields\n\n- text: the review\n"
    return card_text(EN_MIT if meta is None else meta, body)


def reviews(n: int, offset: int = 0) -> list[dict[str, Any]]:
    return [
        {"text": f"review number {i} is {'good' if i % 2 else 'bad'}", "label": i % 2}
        for i in range(offset, offset + n)
    ]


def text_config(
    rows: list[dict[str, Any]] | None = None, features: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "default": {
            "train": {
                "features": features or {"text": TEXT, "label": LABEL},
                "rows": reviews(3) if rows is None else rows,
            }
        }
    }


def dataset(repo_id: str, meta: dict[str, Any] | None = None, **kwargs: Any) -> SnapshotDataset:
    """A kept-by-default dataset: MIT, English, one config of text + ClassLabel rows."""
    kwargs.setdefault("card", card(meta))
    kwargs.setdefault("configs", text_config())
    return make_dataset(repo_id, **kwargs)


def write_hub(root: Path, datasets: list[SnapshotDataset], origin: str | None = None) -> Path:
    """A snapshot of ``datasets``; ``origin``: the public Hub it says it was taken from."""
    snapshot = Snapshot(root)
    if origin:
        snapshot.write_origin(origin)
    for ds in datasets:
        snapshot.write_dataset(ds)
    return root


def options(mirror: MirrorServer, data_dir: Path, **overrides: Any) -> CrawlOptions:
    """Crawl options for tests: the mirror's endpoints, quick retries, quotas that never pace."""
    base = CrawlOptions(
        hub_endpoint=mirror.url,
        viewer_endpoint=mirror.viewer_url,
        data_dir=data_dir,
        quotas=plan_quotas("pro", api=100_000, resolvers=100_000, window=1.0),
        retry=RetryPolicy(attempts=8, base_wait=0.005, max_wait=0.05, not_ready_wait=0.01),
        timeout=5.0,
        concurrency=8,
        progress=False,
        query=ListingQuery(),
    )
    return replace(base, **overrides)


def crawl(mirror: MirrorServer, data_dir: Path, **overrides: Any) -> CrawlResult:
    return run_crawl(options(mirror, data_dir, **overrides))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def reports(data_dir: Path) -> dict[str, dict[str, Any]]:
    return {line["dataset"]: line for line in read_jsonl(data_dir / REPORT_FILE)}


def outputs(data_dir: Path, endpoint: str | None = None) -> dict[str, bytes]:
    """The four artifacts' bytes; ``endpoint`` is replaced by a placeholder to compare mirrors."""
    found = {name: (data_dir / name).read_bytes() for name in OUTPUTS}
    if endpoint:
        found = {name: data.replace(endpoint.encode(), b"HUB") for name, data in found.items()}
    return found


def paths_requested(mirror: MirrorServer) -> list[str]:
    return [f"{r.method} {r.path}?{r.query}" for r in mirror.requests]
