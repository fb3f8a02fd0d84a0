"""The chain commands read their flags into one typed ``ChainOptions``; ``demo`` builds it directly."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import pytest

from crawl.benchmarks import parse_benchmark
from crawl.options import CrawlOptions
from dynosaur.cli import build_parser
from dynosaur.commands import demo, grow, run
from dynosaur.commands._chain import Chain, ChainOptions, add_chain_arguments, options_from_args
from dynosaur.commands._engine import settle_engine_defaults
from dynosaur.contracts.artifacts import RULES_CACHE_FILE
from dynosaur.core.errors import OptionError
from dynosaur.hub.publish.run import ReleaseOptions
from hubmirror.demo.rows_bench import BENCHMARK_ID

HUB, VIEWER = "http://127.0.0.1:9", "http://127.0.0.1:9/viewer"


def _parsed(module: object, argv: list[str]) -> argparse.Namespace:
    args = build_parser([module]).parse_args(argv)  # type: ignore[list-item]
    settle_engine_defaults(args)  # as dynosaur.cli.main does
    return args


@pytest.fixture
def plain_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HF_TOKEN", "HF_ENDPOINT", "DYNOSAUR_VIEWER_ENDPOINT", "OPENAI_BASE_URL", "OPENAI_MODEL"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("quiet", [True, False])
def test_demo_builds_the_options_its_old_command_line_named_without_parsing_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, plain_env: None, quiet: bool
) -> None:
    data = tmp_path / "demo"

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("the demo parsed a command line")

    with monkeypatch.context() as patch:
        patch.setattr(argparse.ArgumentParser, "parse_args", refuse)
        built = demo.chain_options(data, HUB, VIEWER, quiet=quiet)
    # what the demo used to spell as argv and parse with the chain's own parser
    argv = ["--data-dir", str(data), "--hub-endpoint", HUB, "--viewer-endpoint", VIEWER, "--engine", "rules"]
    argv += ["--not-ready-wait", "0.2", "--against", BENCHMARK_ID, "--cache", str(data / RULES_CACHE_FILE)]
    parser = argparse.ArgumentParser()
    add_chain_arguments(parser)
    args = parser.parse_args([*argv, "--no-progress"] if quiet else argv)
    settle_engine_defaults(args)
    assert built == options_from_args(args)
    assert built.engine.engine == "rules" and built.progress is not quiet
    assert built.benchmarks == (parse_benchmark(BENCHMARK_ID),) and built.crawl.retry.not_ready_wait == 0.2


def test_demo_takes_the_prompt_style_flags(tmp_path: Path, plain_env: None) -> None:
    args = _parsed(demo, ["demo", "--prompt-style", "compact", "--context-window", "2048"])
    assert (args.prompt_style, args.context_window) == ("compact", 2048)
    built = demo.chain_options(tmp_path, HUB, VIEWER, prompt_style="compact", context_window=2048)
    assert (built.prompt_style, built.context_window) == ("compact", 2048)


def test_run_and_grow_read_their_flags_once_into_stage_options(tmp_path: Path, plain_env: None) -> None:
    common = ["--data-dir", str(tmp_path), "--hub-endpoint", HUB, "--viewer-endpoint", VIEWER]
    common += [
        "--prompt-style",
        "compact",
        "--context-window",
        "1024",
        "--modes",
        "aware",
        "--no-decontaminate",
    ]
    common += [
        "--judge-engine",
        "none",
        "--max-labels",
        "4",
        "--llm-concurrency",
        "3",
        "--records-per-task",
        "2",
    ]
    options = options_from_args(_parsed(run, ["run", *common]))
    assert (options.prompt_style, options.context_window, options.modes) == ("compact", 1024, ("aware",))
    assert options.decontaminate is None and options.judge_engine == "none" and options.records_per_task == 2
    assert options.organize.max_labels == 4 and options.engine.concurrency == 3
    assert options.crawl.data_dir == tmp_path and options.crawl.hub_endpoint == HUB
    assert options.repo_id is None and options.release == ReleaseOptions()
    assert Chain(options).api is None

    args = _parsed(grow, ["grow", *common, "--repo-id", "me/dyno", "--version", "1.0", "--shard-rows", "5"])
    assert options_from_args(args) == options  # the release flags are grow's own
    release = grow.release_options_from_args(args)
    assert release == ReleaseOptions(version="1.0", shard_rows=5)
    assert Chain(replace(options, repo_id="me/dyno", release=release)).api is not None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"prompt_style": "tiny"}, "prompt_style"),
        ({"context_window": 0}, "context_window"),
        ({"judge_engine": "oracle"}, "judge_engine"),
    ],
)
def test_bad_chain_options_name_their_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(OptionError) as caught:
        ChainOptions(crawl=CrawlOptions(), **change)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_a_bad_prompt_style_flag_is_refused_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser([run]).parse_args(["run", "--prompt-style", "tiny"])
    assert "--prompt-style" in capsys.readouterr().err
