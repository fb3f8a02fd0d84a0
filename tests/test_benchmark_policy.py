"""A dataset that is an evaluation benchmark, or is built from one, is skipped at crawl time."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawl.benchmarks import BenchmarkSpecError, parse_benchmark
from crawl.policy import PolicyOptions
from dynosaur.commands.crawl import benchmark_names
from hubmirror import MirrorServer
from tests.test_crawl_support import EN_MIT, crawl, dataset, reports, write_hub


def test_benchmark_datasets_and_datasets_built_from_one_are_skipped_with_the_benchmark_named(
    tmp_path: Path,
) -> None:
    hub = write_hub(
        tmp_path / "hub",
        [
            dataset("acme/reviews"),
            dataset("cais/mmlu"),
            dataset("gsm8k"),
            dataset("evals/trivia-bench"),
            dataset("acme/mmlu-rephrased", {**EN_MIT, "source_datasets": ["extended|mmlu"]}),
            dataset("acme/from-original", {**EN_MIT, "source_datasets": ["original"]}),
        ],
    )
    policy = PolicyOptions(benchmarks=benchmark_names(["evals/trivia-bench:default:test"]))
    with MirrorServer(hub) as mirror:
        crawl(mirror, tmp_path / "out", policy=policy)
        viewer_paths = {r.query for r in mirror.requests if r.bucket == "viewer"}
    found = {name: (line["status"], line["reason"]) for name, line in reports(tmp_path / "out").items()}
    assert found == {
        "acme/reviews": ("kept", None),
        "acme/from-original": ("kept", None),
        "cais/mmlu": ("skipped", "benchmark: cais/mmlu"),
        "gsm8k": ("skipped", "benchmark: gsm8k"),
        "evals/trivia-bench": ("skipped", "benchmark: evals/trivia-bench"),
        "acme/mmlu-rephrased": ("skipped", "benchmark_source: extended|mmlu"),
    }
    # A benchmark never reaches the viewer: its rows are not even read.
    assert not any("mmlu" in query or "trivia" in query or "gsm8k" in query for query in viewer_paths)


def test_the_benchmark_rules_can_be_switched_off(tmp_path: Path) -> None:
    hub = write_hub(
        tmp_path / "hub",
        [dataset("cais/mmlu"), dataset("acme/copy", {**EN_MIT, "source_datasets": "cais/mmlu"})],
    )
    with MirrorServer(hub) as mirror:
        crawl(
            mirror, tmp_path / "out", policy=PolicyOptions(disabled_rules=("benchmark", "benchmark_source"))
        )
    assert {name: line["status"] for name, line in reports(tmp_path / "out").items()} == {
        "cais/mmlu": "kept",
        "acme/copy": "kept",
    }


def test_benchmark_specs_parse_and_bad_ones_are_refused() -> None:
    mmlu = parse_benchmark("cais/mmlu")
    assert (mmlu.configs, mmlu.splits, "mmlu" in mmlu.names) == (("all",), ("test",), True)
    one = parse_benchmark("org/bench:easy:dev")
    assert (one.configs, one.splits, one.spec) == (("easy",), ("dev",), "org/bench:easy:dev")
    assert parse_benchmark("org/bench").splits == ("test", "validation")
    for bad in ("", "org/bench::test", "a:b:c:d", ":x"):
        with pytest.raises(BenchmarkSpecError):
            parse_benchmark(bad)
