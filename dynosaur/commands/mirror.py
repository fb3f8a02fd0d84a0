"""``dynosaur mirror``: serve a snapshot as a local Hub, or write the bundled demo snapshot."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from crawl.snapshot import Snapshot
from dynosaur.commands._option_types import (
    non_negative_float,
    non_negative_int,
    positive_float,
    positive_int,
    share,
    whole_number,
)
from hubmirror import FAULT_KINDS, FaultConfig, MirrorServer, QuotaConfig
from hubmirror.bodies import DEFAULT_MAX_BODY_BYTES
from hubmirror.demo.snapshot import write_demo_snapshot

NAME = "mirror"
HELP = "Serve a snapshot directory as a local Hub and dataset viewer (127.0.0.1), or write the demo snapshot."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="mirror_command", metavar="ACTION", required=True)

    serve = sub.add_parser(
        "serve", help="serve SNAPSHOT_DIR until Ctrl-C", description="Serve a snapshot on 127.0.0.1."
    )
    serve.add_argument("snapshot_dir", metavar="SNAPSHOT_DIR", type=Path)
    serve.add_argument(
        "--port", type=int, default=0, help="port to bind on 127.0.0.1 (default: any free port)"
    )
    serve.add_argument(
        "--latency", type=non_negative_float, default=0.0, metavar="S", help="seconds added to every response"
    )
    serve.add_argument(
        "--page-size",
        type=positive_int,
        default=1000,
        metavar="N",
        help="largest listing page (default 1000)",
    )
    serve.add_argument(
        "--max-body-mb", type=positive_int, default=DEFAULT_MAX_BODY_BYTES // 2**20, metavar="MB",
        help="largest request body, e.g. a commit (default 256; larger ones are answered 413)",
    )  # fmt: skip
    faults = serve.add_argument_group("injected faults")
    faults.add_argument(
        "--fault-rate", type=share, default=0.0, metavar="R", help="share of requests faulted (0-1)"
    )
    faults.add_argument(
        "--fault-kinds", nargs="+", choices=FAULT_KINDS, default=["429", "500", "503", "slow"], metavar="KIND",
        help=f"fault kinds among {', '.join(FAULT_KINDS)} (default: 429 500 503 slow)",
    )  # fmt: skip
    faults.add_argument("--fault-seed", type=whole_number, default=0, help="seed of the fault RNG")
    faults.add_argument(
        "--slow-seconds", type=non_negative_float, default=1.0, metavar="S", help="delay of a 'slow' fault"
    )
    quota = serve.add_argument_group("quotas (fixed window, per bucket)")
    quota.add_argument(
        "--quota-api", type=non_negative_int, metavar="N", help="requests per window on /api/..."
    )
    quota.add_argument(
        "--quota-resolvers", type=non_negative_int, metavar="N", help="requests per window on .../resolve/..."
    )
    quota.add_argument(
        "--quota-viewer", type=non_negative_int, metavar="N", help="requests per window on /viewer/..."
    )
    quota.add_argument(
        "--quota-window", type=positive_float, default=300.0, metavar="S", help="window length (default 300)"
    )
    serve.set_defaults(_mirror=_serve)

    demo = sub.add_parser(
        "demo-snapshot", help="write the demo Hub into DIR", description="Write the demo snapshot."
    )
    demo.add_argument("dest", metavar="DIR", type=Path)
    demo.set_defaults(_mirror=_demo_snapshot)


def run(args: argparse.Namespace) -> int:
    return int(args._mirror(args))


def _fail(message: str) -> int:
    print(f"dynosaur mirror: {message}", file=sys.stderr)
    return 2


def _options(args: argparse.Namespace) -> dict[str, Any]:
    """MirrorServer options from the command line; ValueError for settings out of range."""
    faults = None
    if args.fault_rate > 0:
        faults = FaultConfig(
            rate=args.fault_rate,
            seed=args.fault_seed,
            kinds=tuple(args.fault_kinds),
            slow_seconds=args.slow_seconds,
        )
    limits = {
        bucket: value
        for bucket, value in (
            ("api", args.quota_api),
            ("resolvers", args.quota_resolvers),
            ("viewer", args.quota_viewer),
        )
        if value is not None
    }
    quota = QuotaConfig(limits=limits, window_seconds=args.quota_window) if limits else None
    return {
        "latency": args.latency,
        "faults": faults,
        "quota": quota,
        "page_size": args.page_size,
        "port": args.port,
        "max_body_bytes": args.max_body_mb * 2**20,
    }


def _stop_on_sigterm(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _serve(args: argparse.Namespace) -> int:
    root: Path = args.snapshot_dir
    if not (root / "datasets").is_dir():
        return _fail(
            f"{root} is not a snapshot directory (no datasets/ folder); try `dynosaur mirror demo-snapshot {root}`"
        )
    if not 0 <= args.port <= 65535:
        return _fail(f"--port must be within 0-65535 (0: any free port), got {args.port}")
    count = len(Snapshot(root).repo_ids())
    try:
        mirror = MirrorServer(root, **_options(args))
    except ValueError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"cannot listen on 127.0.0.1:{args.port} (--port): {exc.strerror or exc}")
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    # A shell starts background jobs with SIGINT ignored, and Python keeps an inherited SIG_IGN:
    # `dynosaur mirror serve DIR &` must still stop on `kill -INT`.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with mirror:
        print(f"Hub mirror:  {mirror.url}", flush=True)
        print(f"Viewer:      {mirror.viewer_url}", flush=True)
        print(f"Serving {count} datasets from {root}; Ctrl-C to stop.", flush=True)
        print(
            f"  e.g. dynosaur crawl --hub-endpoint {mirror.url} --viewer-endpoint {mirror.viewer_url}",
            flush=True,
        )
        try:
            while True:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
    records = mirror.requests
    by_bucket = Counter(r.bucket for r in records)
    faulted = sum(1 for r in records if r.fault and r.fault != "slow")
    buckets = ", ".join(f"{bucket} {n}" for bucket, n in sorted(by_bucket.items())) or "none"
    print(
        f"Stopped. {len(records)} requests ({buckets}); {faulted} answered with an injected fault or quota 429."
    )
    return 0


def _demo_snapshot(args: argparse.Namespace) -> int:
    dest: Path = args.dest
    if dest.exists() and not dest.is_dir():
        return _fail(f"{dest} exists and is not a directory")
    if dest.is_dir() and any(dest.iterdir()) and not (dest / "datasets").is_dir():
        return _fail(f"{dest} is not empty and is not a snapshot directory; choose an empty or new directory")
    ids = write_demo_snapshot(dest)
    print(f"Wrote the demo Hub ({len(ids)} datasets) to {dest}")
    print(f"Serve it with: dynosaur mirror serve {dest}")
    return 0
