"""Crawl benchmark against the local Hub mirror, served from its own process.

1. Concurrency: the same crawl of ~60 datasets at concurrency 1 and at the default, with 50 ms of
   latency per request; prints requests per kept dataset-config and the speed-up (goal >= 8x).
2. Pacing: the same crawl under a tight quota the mirror enforces (20 requests per 10 s window
   on api and resolvers, i.e. 120/minute); prints 429s received (goal 0) and wall time against
   the quota's minimum time, requests / rate (goal within 15%).
3. Scale: synthetic Hubs of 1,000 and 10,000 datasets (``hubmirror.synthetic``), each crawl in a
   process of its own: peak memory (ru_maxrss; goal: 10k within 1.1x of 1k), datasets/s, then an
   unchanged rerun (time; goal: no output file rewritten) and a rerun after 10 datasets changed
   (time, bytes the output write encoded and copied; goal: the bytes encoded do not grow with the
   Hub, 10k within 2x of 1k, and the files equal a crawl from scratch). That rerun needs a fresh
   mirror, which reads every dataset's item on its first listing (seconds at 10k), so one listing
   warms it first and is not counted.
4. Client CPU per request, at the smallest size: the crawl's process CPU over its requests against
   bare ``httpx`` clients sending the same requests to the same mirror at the crawl's concurrency,
   the median of nine turns each, taken in turn on one warm mirror (goal <= 1.5x).

Every figure is printed before the exit status says whether a goal was missed.
Usage: ``python bench/crawl.py [--sizes 1000 10000]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawl.options import CrawlOptions  # noqa: E402
from crawl.outputs import DATA_FILE, LICENSE_FILE, METADATA_FILE, POLICY_FILE, REPORT_FILE  # noqa: E402
from crawl.ratelimit import plan_quotas  # noqa: E402
from crawl.snapshot import Snapshot  # noqa: E402

LATENCY = 0.05
QUOTA, WINDOW = 20, 10.0
CHANGED = 10
CONCURRENCY = 16  # the crawl's default, and the bare client's in the CPU comparison
CPU_TURNS = 9
TEXT = {"dtype": "string", "_type": "Value"}
LABEL = {"names": ["negative", "positive"], "_type": "ClassLabel"}
OUTPUT_FILES = (DATA_FILE, METADATA_FILE, LICENSE_FILE, REPORT_FILE, POLICY_FILE)
ROOT = Path(__file__).resolve().parents[1]


def build_hub(root: Path) -> dict[str, int]:
    """~60 datasets: 52 kept single-config, 3 kept with 3 configs, 5 skipped. Returns configs per kept id."""
    from hubmirror.demo.snapshot import card_text, make_dataset

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


# --- child processes ------------------------------------------------------------------------------


def _io_written() -> int:
    """Bytes this process passed to write() (Linux /proc; 0 elsewhere)."""
    try:
        for line in Path("/proc/self/io").read_text().splitlines():
            if line.startswith("wchar:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def child_serve(snapshot: str, latency: float, quota: int | None, log: str) -> int:
    """Serve ``snapshot`` until SIGTERM, then write the request log (one JSON line per request)."""
    from hubmirror import MirrorServer, QuotaConfig

    limits = QuotaConfig(limits={"api": quota, "resolvers": quota}, window_seconds=WINDOW) if quota else None
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    with MirrorServer(snapshot, latency=latency, quota=limits) as mirror:
        print(mirror.url, flush=True)
        while not stop:
            time.sleep(0.05)
        records = mirror.requests
    with open(log, "w", encoding="utf-8") as handle:
        for r in records:
            handle.write(
                json.dumps({"m": r.method, "p": r.path, "q": r.query, "b": r.bucket, "s": r.status}) + "\n"
            )
    return 0


def child_crawl(spec: str) -> int:
    """Run one crawl described by ``spec`` (JSON) and print its figures as one JSON line."""
    from crawl.crawler import run_crawl
    from crawl.transport import RetryPolicy

    args = json.loads(spec)
    options = CrawlOptions(
        hub_endpoint=args["url"],
        viewer_endpoint=args["url"] + "/viewer",
        data_dir=Path(args["data_dir"]),
        concurrency=args["concurrency"],
        quotas=plan_quotas(
            args.get("plan", "pro"), api=args["quota"], resolvers=args["quota"], window=args["window"]
        ),
        retry=RetryPolicy(seed=0),
        progress=False,
    )
    written = _io_written()
    started, cpu = time.perf_counter(), time.process_time()
    result = run_crawl(options)
    figures = {
        "wall": time.perf_counter() - started,
        "cpu": time.process_time() - cpu,
        "wchar": _io_written() - written,
        "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "listed": result.listed,
        "crawled": result.crawled,
        "unchanged": result.unchanged,
        "configs_kept": result.configs_kept,
        "lines": result.outputs.lines,
        "out_written": sum(result.outputs.bytes_written.values()),
        "out_copied": sum(result.outputs.bytes_copied.values()),
        "out_replaced": result.outputs.files_replaced,
        "requests": result.requests,
        "exit": result.exit_code,
    }
    print(json.dumps(figures), flush=True)
    return 0


def child_bare(urls_file: str, concurrency: int) -> int:
    """GET every URL in ``urls_file`` with bare httpx clients at ``concurrency``, split as the crawl
    splits them (Hub URLs: one ``httpx.Client`` shared by threads; viewer URLs: an
    ``httpx.AsyncClient`` with as many tasks); print CPU per request."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    urls = Path(urls_file).read_text().split()
    hub = [u for u in urls if "/viewer/" not in u]
    viewer = [u for u in urls if "/viewer/" in u]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    cpu = time.process_time()
    with httpx.Client(timeout=300, limits=limits) as client, ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(lambda url: client.get(url).read(), hub))

    async def replay() -> None:
        queue: asyncio.Queue[str] = asyncio.Queue()
        for url in viewer:
            queue.put_nowait(url)
        async with httpx.AsyncClient(timeout=300, limits=limits) as client:

            async def work() -> None:
                while not queue.empty():
                    (await client.get(queue.get_nowait())).read()

            await asyncio.gather(*(work() for _ in range(concurrency)))

    asyncio.run(replay())
    print(json.dumps({"cpu": time.process_time() - cpu, "requests": len(urls)}), flush=True)
    return 0


# --- the parent -----------------------------------------------------------------------------------


class Mirror:
    """``with Mirror(snapshot) as m:`` a mirror in its own process; ``m.log`` once it stopped."""

    def __init__(self, snapshot: Path, latency: float = 0.0, quota: int | None = None) -> None:
        self.snapshot, self.latency, self.quota = snapshot, latency, quota
        self.log_path = Path(tempfile.mkstemp(suffix=".jsonl")[1])
        self.log: list[dict[str, Any]] = []

    def __enter__(self) -> Mirror:
        command = [sys.executable, __file__, "--serve", str(self.snapshot), "--latency", str(self.latency)]
        command += ["--log", str(self.log_path)] + (["--quota", str(self.quota)] if self.quota else [])
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            raise RuntimeError("the mirror did not start")
        return self

    def warm(self) -> float:
        """List every dataset once, as a crawl's listing does; the seconds it took."""
        from huggingface_hub import HfApi

        started = time.perf_counter()
        for _ in HfApi(endpoint=self.url, token=False).list_datasets(full=True):
            pass
        return time.perf_counter() - started

    def __exit__(self, *exc: object) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        text = self.log_path.read_text(encoding="utf-8")
        self.log = [json.loads(line) for line in text.splitlines()]
        self.log_path.unlink(missing_ok=True)


def crawl(url: str, data_dir: Path, concurrency: int = CONCURRENCY, quota: int = 1_000_000, window: float = 300.0, plan: str = "pro") -> dict[str, Any]:  # fmt: skip
    spec = {"url": url, "data_dir": str(data_dir), "concurrency": concurrency, "quota": quota, "window": window, "plan": plan}  # fmt: skip
    done = subprocess.run(
        [sys.executable, __file__, "--crawl", json.dumps(spec)], capture_output=True, text=True, cwd=ROOT
    )
    if done.returncode != 0:
        raise RuntimeError(f"crawl failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def file_stats(data_dir: Path) -> dict[str, tuple[int, int, int]]:
    found = {}
    for name in OUTPUT_FILES:
        stat = (data_dir / name).stat()
        found[name] = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    return found


def rewritten(
    before: dict[str, tuple[int, int, int]], after: dict[str, tuple[int, int, int]]
) -> tuple[int, int]:
    """(output files rewritten, their bytes)."""
    changed = [name for name in after if after[name] != before.get(name)]
    return len(changed), sum(after[name][2] for name in changed)


def concurrency_and_pacing(root: Path) -> list[str]:
    missed = []
    kept = build_hub(root / "hub")
    configs = sum(kept.values())
    print(
        f"snapshot: {len(kept) + 5} datasets, {len(kept)} kept ({configs} dataset-configs), latency {LATENCY * 1000:.0f} ms"
    )
    with Mirror(root / "hub", latency=LATENCY) as mirror:
        serial = crawl(mirror.url, root / "serial", concurrency=1)
        parallel = crawl(mirror.url, root / "parallel")
    same = (root / "serial" / DATA_FILE).read_bytes() == (root / "parallel" / DATA_FILE).read_bytes()
    total = parallel["requests"]["total"]
    per_dataset = (total - parallel["requests"]["requests"].get("api", 0)) / len(kept)
    print(
        f"requests: {total} in all, {total / parallel['configs_kept']:.2f} per kept dataset-config, "
        f"{per_dataset:.2f} per kept dataset besides the listing"
    )
    speedup = serial["wall"] / parallel["wall"]
    print(f"concurrency 1:  {serial['wall']:6.2f} s   ({serial['configs_kept']} configs kept)")
    print(f"concurrency 16: {parallel['wall']:6.2f} s   ({parallel['configs_kept']} configs kept, outputs identical: {same})")  # fmt: skip
    print(f"speed-up: {speedup:.1f}x (goal >= 8x; mirror in its own process)")
    if speedup < 8 or not same:
        missed.append("concurrency speed-up")

    with Mirror(root / "hub", latency=LATENCY, quota=QUOTA) as mirror:
        paced = crawl(mirror.url, root / "paced", quota=QUOTA, window=WINDOW, plan="anonymous")
    by_bucket = Counter(r["b"] for r in mirror.log)
    refused = sum(1 for r in mirror.log if r["s"] == 429)
    rate = QUOTA / WINDOW
    minimum = max(by_bucket["api"], by_bucket["resolvers"]) / rate
    print(
        f"quota {QUOTA} per {WINDOW:.0f} s on api and resolvers ({rate * 60:.0f}/minute): "
        f"api {by_bucket['api']}, resolvers {by_bucket['resolvers']}, viewer {by_bucket['viewer']} requests"
    )
    print(f"429s received: {paced['requests']['rate_limited']} (mirror refused {refused}; goal 0)")
    print(
        f"wall time {paced['wall']:.1f} s vs quota minimum {minimum:.1f} s (requests / rate): "
        f"{paced['wall'] / minimum:.3f}x (goal <= 1.15x)"
    )
    if paced["requests"]["rate_limited"] or paced["wall"] > 1.15 * minimum:
        missed.append("pacing")
    return missed


def scale(root: Path, sizes: list[int]) -> list[str]:
    from hubmirror.synthetic import KEPT_KINDS, change_datasets, write_synthetic_hub

    missed: list[str] = []
    peaks: dict[int, int] = {}
    k_written: dict[int, int] = {}
    bare_ratio: float | None = None
    for n in sizes:
        hub = root / f"synthetic-{n}"
        started = time.perf_counter()
        kept = write_synthetic_hub(hub, n)
        print(
            f"synthetic Hub: {n} datasets ({kept} of a kept kind), written in {time.perf_counter() - started:.1f} s"
        )
        data_dir = root / f"crawl-{n}"
        with Mirror(hub) as mirror:
            first = crawl(mirror.url, data_dir)
            before = file_stats(data_dir)
            again = crawl(mirror.url, data_dir)
            files, size = rewritten(before, file_stats(data_dir))
            changed = [i for i in range(n) if i % 10 in KEPT_KINDS][:CHANGED]
            change_datasets(hub, changed)
            # the mirror caches what it read: a fresh one serves the changed snapshot
        with Mirror(hub) as mirror:
            cold = mirror.warm()  # a fresh mirror reads every dataset's item on its first listing
            before = file_stats(data_dir)
            k_run = crawl(mirror.url, data_dir)
            k_files, k_size = rewritten(before, file_stats(data_dir))
            fresh = crawl(mirror.url, root / f"fresh-{n}")
        same = all((data_dir / name).read_bytes() == (root / f"fresh-{n}" / name).read_bytes() for name in OUTPUT_FILES)  # fmt: skip
        peaks[n] = first["maxrss_kib"]
        k_written[n] = k_run["out_written"]
        print(
            f"  crawl: {first['wall']:.1f} s, {n / first['wall']:.0f} datasets/s, {first['requests']['total']} requests, "
            f"{first['lines']} dataset-configs kept, peak memory {first['maxrss_kib'] / 1024:.1f} MiB"
        )
        print(
            f"  unchanged rerun: {again['wall']:.2f} s, crawled {again['crawled']}, output files rewritten {files} "
            f"({size} bytes; goal 0), {again['wchar']} bytes written by the process in all (state included)"
        )
        print(
            f"  rerun after {len(changed)} datasets changed: {k_run['wall']:.2f} s (on a fresh mirror, warmed by one "
            f"listing of {cold:.2f} s not counted), crawled {k_run['crawled']}, "
            f"output files replaced {k_files} ({k_size} bytes on disk): {k_run['out_written']} bytes encoded, "
            f"{k_run['out_copied']} unchanged bytes copied in the kernel; {k_run['wchar']} bytes through write() "
            f"and copy_file_range in all (state included); equal to a crawl from scratch: {same} "
            f"(which wrote {fresh['out_written']} bytes, {fresh['wall']:.2f} s)"
        )
        if files or again["crawled"] or k_run["crawled"] != len(changed) or not same:
            missed.append(f"rerun at {n}")
        if bare_ratio is None:
            bare_ratio = client_cpu(root, hub)
            if bare_ratio > 1.5:
                missed.append("client CPU per request")
    if len(peaks) >= 2:
        small, large = min(peaks), max(peaks)
        ratio = peaks[large] / peaks[small]
        print(f"peak memory {large} vs {small} datasets: {ratio:.3f}x (goal <= 1.1x)")
        if ratio > 1.1:
            missed.append("flat memory")
        grown = k_written[large] / max(1, k_written[small])
        print(
            f"bytes encoded by a {CHANGED}-change rerun, {large} vs {small} datasets: {grown:.2f}x "
            f"(goal <= 2x: O(changes), not O(datasets))"
        )
        if grown > 2:
            missed.append("O(k) rerun")
    return missed


def client_cpu(root: Path, hub: Path, turns: int = CPU_TURNS) -> float:
    """The crawl's CPU per request over a bare httpx client's on the same requests: the median of
    each over ``turns`` turns taken in turn (crawl, bare, crawl, bare ...) on one mirror, which a
    first crawl warmed; prints both spreads. CPU time on 2 shared cores swings by a third from one
    run to the next, so one pair of runs cannot judge a 1.5x goal."""
    with Mirror(hub) as mirror:
        crawl(mirror.url, root / "cpu-requests")
    paths = [r["p"] + (f"?{r['q']}" if r["q"] else "") for r in mirror.log if r["m"] == "GET"]
    crawl_ms: list[float] = []
    bare_ms: list[float] = []
    with Mirror(hub) as mirror:
        crawl(mirror.url, root / "cpu-warm")
        urls_file = root / "cpu-urls.txt"
        urls_file.write_text("\n".join(mirror.url + path for path in paths))
        for turn in range(turns):
            figures = crawl(mirror.url, root / f"cpu-{turn}")
            requests = figures["requests"]["total"]
            crawl_ms.append(1000 * figures["cpu"] / requests)
            bare_ms.append(_bare_cpu_ms(urls_file))
    crawl_median, bare_median = statistics.median(crawl_ms), statistics.median(bare_ms)
    ratio = crawl_median / bare_median
    print(
        f"client CPU per request, median of {turns} turns: crawl {crawl_median:.2f} ms ({requests} requests, "
        f"the whole process from the listing to the outputs; turns {min(crawl_ms):.2f}-{max(crawl_ms):.2f}), "
        f"bare httpx at concurrency {CONCURRENCY} {bare_median:.2f} ms (turns {min(bare_ms):.2f}-{max(bare_ms):.2f}): "
        f"{ratio:.2f}x (goal <= 1.5x)"
    )
    return ratio


def _bare_cpu_ms(urls_file: Path) -> float:
    """CPU per request of bare httpx clients replaying ``urls_file`` in a process of their own."""
    done = subprocess.run(
        [sys.executable, __file__, "--bare", str(urls_file), "--concurrency", str(CONCURRENCY)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the bare client failed: {done.stderr[-2000:]}")
    bare = json.loads(done.stdout.strip().splitlines()[-1])
    return 1000 * bare["cpu"] / bare["requests"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--skip-small", action="store_true", help="only the scale part")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--latency", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--quota", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--log", help=argparse.SUPPRESS)
    parser.add_argument("--crawl", help=argparse.SUPPRESS)
    parser.add_argument("--bare", help=argparse.SUPPRESS)
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return child_serve(args.serve, args.latency, args.quota, args.log)
    if args.crawl:
        return child_crawl(args.crawl)
    if args.bare:
        return child_bare(args.bare, args.concurrency)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    missed: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if not args.skip_small:
            missed += concurrency_and_pacing(root / "small")
        missed += scale(root, sorted(args.sizes))
    print(f"goals missed: {', '.join(missed)}" if missed else "all goals met")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
