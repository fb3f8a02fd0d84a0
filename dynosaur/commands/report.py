"""``dynosaur report``: one self-contained HTML file showing what a run generated.

The Hub chain's data dir by default (``report.html`` beside ``dynosaur-full.jsonl``); ``--kind``
reads a Self-Instruct, documents or DINO output folder instead. ``run``, ``grow``, ``demo`` and
those generators write the same report at their end.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from dynosaur.commands import _report
from dynosaur.commands._option_types import whole_number
from dynosaur.core import config
from dynosaur.quality.report import ReportSpec, write_report

NAME = "report"
HELP = "Write report.html: records, tasks, licenses, task types, verbs, lengths, rejections, judge scores."
KINDS = ("hub", "self-instruct", "documents", "dino")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir", default=config.DEFAULT_DATA_DIR, help="the run's folder (default %(default)s)"
    )
    parser.add_argument(
        "--kind", choices=KINDS, default="hub", help="which generator wrote the folder (default hub)"
    )
    parser.add_argument(
        "--output", default=None, help="where to write the HTML (default DATA_DIR/report.html)"
    )
    parser.add_argument(
        "--seed", type=whole_number, default=0, help="seed of the sampled records (default 0)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def specs(kind: str, data_dir: Path) -> list[ReportSpec]:
    """The reports a folder of ``kind`` gets (a DINO folder: one per dataset in it)."""
    if kind == "hub":
        return [_report.hub_spec(data_dir)]
    if kind == "self-instruct":
        return [_report.self_instruct_spec(data_dir)]
    if kind == "documents":
        return [_report.documents_spec(data_dir)]
    found = []
    for dataset in sorted(data_dir.glob("*-dataset.jsonl")):
        stem = dataset.name.removesuffix("-dataset.jsonl")
        summary = dataset.with_name(f"{stem}-summary.json")
        try:
            pairs = json.loads(summary.read_text(encoding="utf-8")).get("mode") == "pair"
        except (OSError, ValueError):
            pairs = False
        found.append(_report.dino_spec(dataset, summary, stem, pairs=pairs))
    return found


def run(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir)
    if not data_dir.is_dir():
        print(f"report: {data_dir} is not a folder", file=sys.stderr)
        return 2
    found = specs(args.kind, data_dir)
    if not found:
        print(f"report: no {args.kind} outputs in {data_dir}", file=sys.stderr)
        return 1
    if args.output and len(found) == 1:
        found = [replace(found[0], output=Path(args.output))]
    for spec in found:
        if not spec.records.is_file():
            print(f"report: {spec.records} not found; the report shows no records", file=sys.stderr)
        try:
            result = write_report(spec, seed=args.seed, progress=not args.no_progress)
        except OSError as exc:
            print(f"report: {exc}", file=sys.stderr)
            return 1
        print(result.render())
    return 0
