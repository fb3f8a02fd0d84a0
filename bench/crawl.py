"""Crawl benchmark against the local Hub mirror.

1. Concurrency: the same crawl of ~60 datasets at concurrency 1 and at the default, with 50 ms of
   latency per request; prints requests per kept dataset-config and the speed-up (goal >= 8x).
2. Pacing: the same crawl under a tight quota the mirror enforces (20 requests per 10 s window
   on api and resolvers, i.e. 120/minute); prints 429s received (goal 0) and wall time against
   the quota's minimum time, requests / rate (goal within 15%).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawl.crawler import CrawlResult, run_crawl  # noqa: E402
from crawl.options import CrawlOptions  # noqa: E402
from crawl.ratelimit import plan_quotas  # noqa: E402
from crawl.snapshot import Snapshot  # noqa: E402
from hubmirror import MirrorServer, QuotaConfig  # noqa: E402
from hubmirror.demo.snapshot import card_text, make_dataset  # noqa: E402

LATENCY = 0.05
QUOTA, WINDOW = 20, 10.0
TEXT = {"dtype": "string", "_type": "Value"}
LABEL = {"names": ["negative", "positive"], "_type": "ClassLabel"}


def build_hub(root: Path) -> dict[str, int]:
    """~60 datasets: 52 kept single-config, 3 kept with 3 configs, 5 skipped. Returns configs per kept id."""
    snapshot = Snapshot(root)
    meta = {"license": "mit", "language": ["en"], "task_categories": ["text-classification"]}
    body = "# Reviews\n\n## Dataset Summary\n\nShort reviews with a sentiment label.\n"

    def split(n: int) -> dict:
        rows = [
            {"text": f"review {i}: {'fine' if i % 2 else 'poor'} product", "label": i % 2} for i in range(n)
        ]
        return {"features": {"text": TEXT, "label": LABEL}, "rows": rows}

    kept: dict[str, int] = {}
    for i in range(52):
        repo = f"bench/single-{i:02d}"
        snapshot.write_dataset(
            make_dataset(
                repo,
                card=card_text(meta, body),
                configs={"default": {"train": split(120)}},
                downloads=1000 - i,
            )
        )
        kept[repo] = 1
    for i in range(3):
        repo = f"bench/multi-{i}"
        configs = {name: {"train": split(50), "test": split(10)} for name in ("alpha", "beta", "gamma")}
        snapshot.write_dataset(
            make_dataset(repo, card=card_text(meta, body), configs=configs, downloads=500 - i)
        )
        kept[repo] = 3
    skipped = [
        make_dataset("bench/gated", card=card_text(meta, body), configs={"default": {"train": split(5)}}, gated=True),
        make_dataset("bench/noderivs", card=card_text({**meta, "license": "cc-by-nd-4.0"}, body), configs={"default": {"train": split(5)}}),
        make_dataset("bench/french", card=card_text({**meta, "language": ["fr"]}, body), configs={"default": {"train": split(5)}}),
        make_dataset("bench/nolicense", card=card_text({"language": ["en"]}, body), configs={"default": {"train": split(5)}}),
        make_dataset("bench/pictures", card=card_text(meta, body), configs={"default": {"train": {"features": {"image": {"_type": "Image"}, "text": TEXT}, "rows": []}}}),
    ]  # fmt: skip
    for ds in skipped:
        snapshot.write_dataset(ds)
    return kept


def timed(options: CrawlOptions) -> tuple[CrawlResult, float]:
    started = time.perf_counter()
    result = run_crawl(options)
    return result, time.perf_counter() - started


def per_single_config(mirror: MirrorServer, kept: dict[str, int]) -> float:
    """Requests that name one kept single-config dataset, averaged (the listing is shared)."""
    counts: Counter[str] = Counter()
    for record in mirror.requests:
        named = record.params.get("dataset", [None])[0]
        if named is None and "/resolve/" in record.path:
            named = record.path.split("/resolve/")[0].removeprefix("/datasets/")
        if named in kept and kept[named] == 1:
            counts[named] += 1
    singles = [repo for repo, n in kept.items() if n == 1]
    return sum(counts[repo] for repo in singles) / len(singles)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        kept = build_hub(root / "hub")
        configs = sum(kept.values())
        print(
            f"snapshot: {len(kept) + 5} datasets, {len(kept)} kept ({configs} dataset-configs), latency {LATENCY * 1000:.0f} ms"
        )

        with MirrorServer(root / "hub", latency=LATENCY) as mirror:
            base = CrawlOptions(
                hub_endpoint=mirror.url,
                viewer_endpoint=mirror.viewer_url,
                quotas=plan_quotas("pro", api=1_000_000, resolvers=1_000_000),
                progress=False,
            )
            serial, serial_s = timed(replace(base, data_dir=root / "serial", concurrency=1))
            serial_single = per_single_config(mirror, kept)
            mirror.reset_log()
            parallel, parallel_s = timed(replace(base, data_dir=root / "parallel"))
            same = (root / "serial" / "huggingface_data.jsonl").read_bytes() == (
                root / "parallel" / "huggingface_data.jsonl"
            ).read_bytes()
        total = parallel.requests["total"]
        print(
            f"requests: {total} in all, {total / parallel.configs_kept:.2f} per kept dataset-config, "
            f"{serial_single:.2f} per kept single-config dataset (listing amortized; goal <= 4)"
        )
        print(f"concurrency 1:  {serial_s:6.2f} s   ({serial.configs_kept} configs kept)")
        print(
            f"concurrency {base.concurrency}: {parallel_s:6.2f} s   ({parallel.configs_kept} configs kept, outputs identical: {same})"
        )
        print(f"speed-up: {serial_s / parallel_s:.1f}x (goal >= 8x)")

        quota = QuotaConfig(limits={"api": QUOTA, "resolvers": QUOTA}, window_seconds=WINDOW)
        with MirrorServer(root / "hub", latency=LATENCY, quota=quota) as mirror:
            paced_options = CrawlOptions(
                hub_endpoint=mirror.url,
                viewer_endpoint=mirror.viewer_url,
                data_dir=root / "paced",
                quotas=plan_quotas("anonymous", api=QUOTA, resolvers=QUOTA, window=WINDOW),
                progress=False,
            )
            paced, paced_s = timed(paced_options)
            refused = mirror.count(status=429)
            by_bucket = Counter(r.bucket for r in mirror.requests)
        rate = QUOTA / WINDOW
        minimum = max(by_bucket["api"], by_bucket["resolvers"]) / rate
        print(
            f"quota {QUOTA} per {WINDOW:.0f} s on api and resolvers ({rate * 60:.0f}/minute): "
            f"api {by_bucket['api']}, resolvers {by_bucket['resolvers']}, viewer {by_bucket['viewer']} requests"
        )
        print(f"429s received: {paced.requests['rate_limited']} (mirror refused {refused}; goal 0)")
        print(
            f"wall time {paced_s:.1f} s vs quota minimum {minimum:.1f} s (requests / rate): "
            f"{paced_s / minimum:.3f}x (goal <= 1.15x)"
        )
        ok = (
            paced.requests["rate_limited"] == 0
            and paced_s <= 1.15 * minimum
            and serial_s / parallel_s >= 8
            and same
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
