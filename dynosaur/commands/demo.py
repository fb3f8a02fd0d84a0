"""``dynosaur demo``: the whole chain offline, on a local Hub mirror serving the bundled demo Hub.

Writes the demo Hub to a temporary folder, serves it on 127.0.0.1, runs crawl → propose →
filter → organize with the ``rules`` engine into ``DATA_DIR`` (default
``instruction_data/demo``), and ends with one summary: datasets crawled and kept, tasks proposed
and kept, records written, by license. With ``OPENAI_BASE_URL`` set it also turns the bundled
example documents into instructions; otherwise it says how to.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

from crawl.artifacts import read_jsonl
from crawl.benchmarks import parse_benchmark
from crawl.options import CrawlOptions
from crawl.policy import PolicyOptions
from crawl.ratelimit import plan_quotas
from crawl.transport import RetryPolicy
from dynosaur.commands import _report
from dynosaur.commands._chain import STEP_ERRORS, Chain, ChainOptions
from dynosaur.commands._option_types import non_negative_float
from dynosaur.commands.crawl import benchmark_names
from dynosaur.commands.propose import add_prompt_style_arguments
from dynosaur.contracts.artifacts import (
    CRAWL_REPORT_FILE,
    DEMO_REPORT_FILE,
    INSTRUCTIONS_FILE,
    JUDGE_REPORT_FILE,
    METADATA_FILE,
    ORGANIZE_REPORT_FILE,
    RECORDS_FILE,
    REPORT_HTML_FILE,
    RESPONSE_CACHE_FILE,
    RULES_CACHE_FILE,
    TASKS_FILE,
)
from dynosaur.contracts.artifacts import DECONTAMINATION_REPORT_FILE as DECONTAMINATION_REPORT
from dynosaur.core import config
from dynosaur.core.engines import EngineOptions
from dynosaur.core.engines.servers import server_defaults
from dynosaur.core.errors import cli_flag, spell_fields
from dynosaur.core.owned_dirs import claim_folder, clear_folder
from dynosaur.hub.publish.grow import run_steps
from hubmirror import MirrorServer
from hubmirror.demo.rows_bench import BENCHMARK_ID
from hubmirror.demo.snapshot import DEMO_HUB_DATE, write_demo_snapshot

NAME = "demo"
HELP = "Run the whole chain offline on a local Hub mirror serving the bundled demo Hub."

DEFAULT_DEMO_DIR = str(Path(config.DEFAULT_DATA_DIR) / "demo")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--demo-dir", default=DEFAULT_DEMO_DIR, help="artifact folder (default %(default)s)")
    parser.add_argument(
        "--latency", type=non_negative_float, default=0.0, help="mirror latency per request, seconds"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    add_prompt_style_arguments(parser)


def chain_options(
    data_dir: Path,
    hub: str,
    viewer: str,
    *,
    quiet: bool = False,
    prompt_style: str = "auto",
    context_window: int | None = None,
) -> ChainOptions:
    """The demo's chain: the demo Hub at ``hub``/``viewer``, the ``rules`` engine, the chain's
    defaults otherwise."""
    token = config.hf_token()
    crawl = CrawlOptions(
        hub_endpoint=hub.rstrip("/"),
        viewer_endpoint=viewer.rstrip("/"),
        data_dir=data_dir,
        token=token,
        quotas=plan_quotas("free" if token else "anonymous"),
        # the demo Hub's own benchmark, instead of the Hub's (absent from the demo Hub)
        policy=PolicyOptions(benchmarks=benchmark_names([BENCHMARK_ID])),
        # the demo Hub's viewer is never going to finish its pending dataset: do not wait long
        retry=RetryPolicy(not_ready_wait=0.2),
        progress=not quiet,
    )
    concurrency, timeout = server_defaults(None)
    # The rules engine costs nothing: its cache starts empty each run like every other file,
    # so a rerun reports what a first run reports. Only the documents step's cache is kept.
    engine = EngineOptions(
        engine="rules", concurrency=concurrency, timeout=timeout, cache=data_dir / RULES_CACHE_FILE
    )
    return ChainOptions(
        crawl=crawl,
        engine=engine,
        prompt_style=prompt_style,
        context_window=context_window,
        benchmarks=(parse_benchmark(BENCHMARK_ID),),
    )


def summarize(data_dir: Path) -> str:
    """The demo's closing summary, read from the artifacts a user would read."""
    crawl = Counter(line.get("status", "?") for line in read_jsonl(data_dir / CRAWL_REPORT_FILE))
    configs = sum(1 for _ in read_jsonl(data_dir / METADATA_FILE))
    proposed = sum(1 for _ in read_jsonl(data_dir / TASKS_FILE))
    kept = json.loads((data_dir / INSTRUCTIONS_FILE).read_text(encoding="utf-8"))
    organized = json.loads((data_dir / ORGANIZE_REPORT_FILE).read_text(encoding="utf-8"))
    by_license = Counter(line.get("license", "") for line in read_jsonl(data_dir / RECORDS_FILE))
    lines = [
        "Dynosaur demo",
        f"  datasets seen     {sum(crawl.values()):6d}  ({', '.join(f'{k} {v}' for k, v in sorted(crawl.items()))})",
        f"  configs kept      {configs:6d}",
        f"  tasks proposed    {proposed:6d}",
        f"  tasks valid       {len(kept):6d}",
        f"  tasks organized   {organized['tasks_kept']:6d}",
        f"  records organized {organized['records']:6d}",
        *_decontamination_lines(data_dir),
        f"  records written   {sum(by_license.values()):6d}  -> {data_dir / RECORDS_FILE}",
        "  records by license:",
    ]
    lines += [f"    {count:8d}  {license_}" for license_, count in sorted(by_license.items())]
    lines += _judge_lines(data_dir)
    if (data_dir / REPORT_HTML_FILE).is_file():
        lines.append(f"  report                    -> {data_dir / REPORT_HTML_FILE} (open it in a browser)")
    return "\n".join(lines)


def _judge_lines(data_dir: Path) -> list[str]:
    """How the judge scored the tasks (nothing when it did not run)."""
    path = data_dir / JUDGE_REPORT_FILE
    if not path.is_file():
        return []
    report = json.loads(path.read_text(encoding="utf-8"))
    spread = ", ".join(f"{score}: {n}" for score, n in report["score_distribution"].items())
    return [f"  tasks judged      {report['tasks_scored']:6d}  by {report['judge']} (scores {spread})"]


def _decontamination_lines(data_dir: Path) -> list[str]:
    """What was checked and removed per benchmark (nothing when the step did not run)."""
    path = data_dir / DECONTAMINATION_REPORT
    if not path.is_file():
        return []
    report = json.loads(path.read_text(encoding="utf-8"))
    checked = [b["benchmark"] for b in report["benchmarks"] if b["status"] != "skipped"]
    lines = [
        f"  records removed   {report['records_removed']:6d}  overlapping benchmarks "
        f"({report['n']}-grams; checked: {', '.join(checked) or 'none'})"
    ]
    lines += [f"    {count:8d}  {name}" for name, count in report["removed_per_benchmark"].items()]
    lines += [
        f"    benchmark skipped: {b['benchmark']} ({b['reason']})"
        for b in report["benchmarks"]
        if b["status"] == "skipped"
    ]
    return lines


def _documents(data_dir: Path, quiet: bool) -> str:
    base_url = config.openai_base_url()
    if not base_url:
        return (
            "documents: skipped — set OPENAI_BASE_URL (and OPENAI_API_KEY, OPENAI_MODEL) to also turn "
            "examples/documents into instructions"
        )
    from dynosaur.core.engines.opening import open_engine
    from dynosaur.documents import EXAMPLES_DIR, run_documents

    options = EngineOptions(engine="openai", model=config.openai_model(), base_url=base_url)
    out = data_dir / "documents"
    with open_engine(options, data_dir) as engine:  # the cache beside the demo's artifacts
        summary = run_documents(EXAMPLES_DIR, out, engine, progress=not quiet)
    return (
        spell_fields(summary.render(), summary.mentions, cli_flag)
        + "\n"
        + _report.write(_report.documents_spec(out), progress=not quiet)
    )


def run(args: argparse.Namespace) -> int:
    # Start from a clean folder so the demo is the same every run (the documents step's LLM
    # response cache is kept: it only makes reruns cheaper); only a folder the demo made is cleared.
    data_dir = claim_folder(Path(args.demo_dir), "dynosaur demo", field="demo_dir")
    clear_folder(data_dir, "dynosaur demo", keep=(RESPONSE_CACHE_FILE,))
    with tempfile.TemporaryDirectory(prefix="dynosaur-demo-hub-") as hub_dir:
        write_demo_snapshot(Path(hub_dir))
        with MirrorServer(hub_dir, latency=args.latency) as mirror:
            print(f"demo Hub mirror at {mirror.url} (viewer {mirror.viewer_url})", file=sys.stderr)
            # Same demo Hub, same artifacts: no durations in them, and the crawl dated by the Hub state.
            options = chain_options(
                data_dir,
                mirror.url,
                mirror.viewer_url,
                quiet=args.quiet,
                prompt_style=args.prompt_style,
                context_window=args.context_window,
            )
            chain = Chain(options, reproducible=True, crawled_at=DEMO_HUB_DATE)
            report = run_steps(
                chain.steps(release=False),
                data_dir,
                STEP_ERRORS,
                echo=lambda line: print(line, file=sys.stderr),
                report_file=DEMO_REPORT_FILE,
                timed=False,
            )
    print(report.render())
    if not report.ok:
        return 1
    print(_documents(data_dir, args.quiet))
    print(summarize(data_dir))
    return 0
