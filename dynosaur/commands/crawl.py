"""``dynosaur crawl``: Hub metadata, licenses and sample rows of the datasets the policy keeps."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from crawl.benchmarks import DEFAULT_BENCHMARK_NAMES, parse_benchmark
from crawl.crawler import run_crawl
from crawl.licenses import DEFAULT_PRESET, PRESET_DESCRIPTIONS, PRESETS
from crawl.listing import ListingQuery
from crawl.options import CrawlOptions
from crawl.policy import DEFAULT_DENY_MODALITIES, RULE_NAMES, PolicyOptions
from crawl.ratelimit import DEFAULT_WINDOW_SECONDS, HUB_PLANS, plan_quotas
from crawl.state import StateError
from crawl.summary import format_summary
from crawl.transport import RetryPolicy
from crawl.viewer import DEFAULT_SPLITS
from dynosaur.commands._option_types import non_negative_float, positive_float, positive_int
from dynosaur.core import config

NAME = "crawl"
HELP = "Crawl the Hub: keep English, permissively licensed, text-only datasets with metadata and sample rows."


def _csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip().lower() for part in value.split(",") if part.strip())


def _languages(value: str) -> tuple[str, ...]:
    codes = _csv(value)
    if not codes:
        raise argparse.ArgumentTypeError("name at least one language")  # none would skip every dataset
    return codes


def _split_names(value: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    if not names:
        raise argparse.ArgumentTypeError("name at least one split")
    return names


def add_arguments(parser: argparse.ArgumentParser) -> None:
    where = parser.add_argument_group("where")
    where.add_argument(
        "--hub-endpoint", default=None, help="Hub URL (default: $HF_ENDPOINT or huggingface.co)"
    )
    where.add_argument(
        "--viewer-endpoint",
        default=None,
        help="dataset viewer URL (default: $DYNOSAUR_VIEWER_ENDPOINT or datasets-server.huggingface.co)",
    )
    where.add_argument(
        "--data-dir", default=config.DEFAULT_DATA_DIR, help="output folder (default %(default)s)"
    )
    where.add_argument("--token", default=None, help="Hub token (default: $HF_TOKEN; never written anywhere)")
    where.add_argument(
        "--record",
        metavar="DIR",
        default=None,
        help="also write every answer read into a snapshot the mirror can replay (re-reads every listed dataset)",
    )

    what = parser.add_argument_group("what")
    what.add_argument("--limit", type=positive_int, default=None, help="list at most this many datasets")
    what.add_argument("--sort", default="downloads", help="listing order (default %(default)s)")
    what.add_argument("--search", default=None, help="Hub search text")
    what.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="TAG",
        help="Hub tag filter, repeatable (license:mit)",
    )
    what.add_argument(
        "--rows", type=positive_int, default=100, help="rows kept per dataset-config (default %(default)s)"
    )
    what.add_argument(
        "--max-configs", type=positive_int, default=20, help="configs per dataset (default %(default)s)"
    )
    what.add_argument(
        "--splits",
        type=_split_names,
        default=DEFAULT_SPLITS,
        help="splits rows may come from, first found wins; a config with none is skipped as "
        "no_train_split; test splits only when named (default train,validation)",
    )
    what.add_argument(
        "--max-row-chars",
        type=positive_int,
        default=100_000,
        help="drop rows longer than this as JSON (default %(default)s)",
    )
    what.add_argument(
        "--full", action="store_true", help="ignore the saved state and crawl every listed dataset"
    )

    policy = parser.add_argument_group("policy")
    policy.add_argument(
        "--languages", type=_languages, default=("en",), help="allowed card languages (default en)"
    )
    policy.add_argument(
        "--allow-code", action="store_true", help="keep datasets whose languages include code"
    )
    policy.add_argument(
        "--keep-multilingual", action="store_true", help="keep datasets with other languages too"
    )
    policy.add_argument(
        "--keep-translation",
        action="store_true",
        help="keep translation datasets (card multilinguality or task category translation, or a "
        "Translation feature) when one of their languages is allowed; skipped as translation by default",
    )
    policy.add_argument(
        "--license-policy",
        choices=list(PRESETS),
        default=DEFAULT_PRESET,
        help="which licenses are kept (default %(default)s): "
        + "; ".join(f"{name}: {text}" for name, text in PRESET_DESCRIPTIONS.items()),
    )
    policy.add_argument(
        "--allow-licenses",
        type=_csv,
        default=(),
        metavar="IDS",
        help="comma-separated license ids kept whatever the policy",
    )
    policy.add_argument(
        "--deny-licenses",
        type=_csv,
        default=(),
        metavar="IDS",
        help="comma-separated license ids dropped whatever the policy",
    )
    policy.add_argument(
        "--deny-modalities",
        type=_csv,
        default=DEFAULT_DENY_MODALITIES,
        help=f"modality tags to drop (default {','.join(DEFAULT_DENY_MODALITIES)})",
    )
    policy.add_argument(
        "--min-fields", type=positive_int, default=2, help="fields a config needs (default %(default)s)"
    )
    policy.add_argument(
        "--against",
        action="append",
        default=[],
        metavar="ID[:CONFIG[:SPLIT]]",
        help="an evaluation benchmark, repeatable: the crawl skips it (besides the known ones), and "
        "decontamination checks records against it instead of the default list",
    )
    policy.add_argument(
        "--no-rule",
        action="append",
        default=[],
        choices=RULE_NAMES,
        metavar="RULE",
        help=f"switch a policy rule off, repeatable ({', '.join(RULE_NAMES)})",
    )

    pace = parser.add_argument_group("pace")
    pace.add_argument(
        "--concurrency", type=positive_int, default=16, help="datasets in flight (default %(default)s)"
    )
    pace.add_argument(
        "--hub-plan",
        choices=sorted(HUB_PLANS),
        default=None,
        help="the account's rate limits (default: anonymous, or free with a token)",
    )
    pace.add_argument(
        "--quota-api", type=positive_int, default=None, help="api requests per window (overrides the plan)"
    )
    pace.add_argument(
        "--quota-resolvers", type=positive_int, default=None, help="file requests per window (overrides)"
    )
    pace.add_argument(
        "--quota-window",
        type=positive_float,
        default=DEFAULT_WINDOW_SECONDS,
        help="quota window in seconds (default 300)",
    )
    pace.add_argument(
        "--timeout", type=positive_float, default=30.0, help="seconds per request (default %(default)s)"
    )
    pace.add_argument(
        "--retries",
        type=positive_int,
        default=6,
        help="attempts per request, the first included (default %(default)s)",
    )
    pace.add_argument(
        "--retry-wait",
        type=non_negative_float,
        default=1.0,
        help="first backoff in seconds, doubling (default %(default)s)",
    )
    pace.add_argument(
        "--not-ready-wait",
        type=non_negative_float,
        default=5.0,
        help="first backoff after the viewer's ResponseNotReady, doubling, and the least pause "
        "before the second pass over datasets it deferred (default %(default)s)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def options_from_args(args: argparse.Namespace) -> CrawlOptions:
    """CrawlOptions from parsed arguments, with the environment's defaults."""
    token = args.token or config.hf_token()
    plan = args.hub_plan or ("free" if token else "anonymous")
    return CrawlOptions(
        hub_endpoint=(args.hub_endpoint or config.hub_endpoint()).rstrip("/"),
        viewer_endpoint=(args.viewer_endpoint or config.viewer_endpoint()).rstrip("/"),
        data_dir=Path(args.data_dir),
        query=ListingQuery(search=args.search, filters=tuple(args.filter), sort=args.sort, limit=args.limit),
        rows=args.rows,
        max_configs=args.max_configs,
        splits=args.splits,
        max_row_chars=args.max_row_chars,
        concurrency=args.concurrency,
        token=token,
        record_dir=Path(args.record) if args.record else None,
        quotas=plan_quotas(
            plan, api=args.quota_api, resolvers=args.quota_resolvers, window=args.quota_window
        ),
        policy=PolicyOptions(
            languages=args.languages,
            allow_code=args.allow_code,
            keep_multilingual=args.keep_multilingual,
            keep_translation=args.keep_translation,
            license_policy=args.license_policy,
            allow_licenses=args.allow_licenses,
            deny_licenses=args.deny_licenses,
            deny_modalities=args.deny_modalities,
            min_fields=args.min_fields,
            benchmarks=benchmark_names(args.against),
            disabled_rules=tuple(args.no_rule),
        ),
        retry=RetryPolicy(
            attempts=args.retries, base_wait=args.retry_wait, not_ready_wait=args.not_ready_wait
        ),
        timeout=args.timeout,
        full=args.full,
        progress=not args.no_progress,
    )


def benchmark_names(against: list[str]) -> tuple[str, ...]:
    """The known benchmarks' names and those of every ``--against`` (a bad one: ValueError)."""
    named = [name for spec in against for name in parse_benchmark(spec).names]
    return tuple(dict.fromkeys((*DEFAULT_BENCHMARK_NAMES, *named)))


def run(args: argparse.Namespace) -> int:
    try:
        options = options_from_args(args)
    except ValueError as exc:
        print(f"crawl: {exc}", file=sys.stderr)
        return 2
    try:
        result = run_crawl(options)
    except StateError as exc:
        print(f"crawl: {exc}", file=sys.stderr)
        return 1
    print(format_summary(result))
    return result.exit_code
