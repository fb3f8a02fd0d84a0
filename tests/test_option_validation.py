"""Every numeric and list option is checked before a command reads or writes anything.

On the command line a bad value ends the command in argparse (status 2, the flag named, no
traceback) with every file in the data folder byte-identical; in the library each options type
refuses the same value with an ``OptionError`` naming its field.
"""

from __future__ import annotations

import argparse
import hashlib
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from crawl.options import CrawlOptions
from crawl.policy import PolicyOptions
from crawl.ratelimit import Quota
from crawl.transport import RetryPolicy
from dynosaur.cli import build_parser, command_modules, main
from dynosaur.commands import _option_types
from dynosaur.commands import organize as organize_command
from dynosaur.commands._chain import ChainOptions
from dynosaur.core import checks
from dynosaur.core.engines import BatchOptions, EngineOptions
from dynosaur.core.errors import OptionError
from dynosaur.core.near_duplicates import NearDuplicateFilter
from dynosaur.dino.generate import GenerationOptions
from dynosaur.dino.postprocess import PostprocessOptions
from dynosaur.documents import DocumentsOptions
from dynosaur.hub.organize.rules import OrganizeConfig
from dynosaur.hub.propose.run import ProposeOptions
from dynosaur.hub.publish.run import ReleaseOptions
from dynosaur.quality.decontaminate import DecontaminateOptions, run_decontamination
from dynosaur.quality.judge import JudgeOptions
from dynosaur.self_instruct import BootstrapConfig, Sampling
from hubmirror import FaultConfig, MirrorServer, QuotaConfig


def _base_argv(command: str, data: Path) -> list[str]:
    """A command line that names every required argument (inside ``data``)."""
    bases = {
        "crawl": ["crawl", "--data-dir", str(data)],
        "propose": ["propose", "--data-dir", str(data)],
        "organize": ["organize", "--data-dir", str(data)],
        "decontaminate": ["decontaminate", "--data-dir", str(data)],
        "judge": ["judge", "--data-dir", str(data)],
        "report": ["report", "--data-dir", str(data)],
        "publish": [
            "publish",
            "--data-dir",
            str(data),
            "--repo-id",
            "me/dyno",
            "--dry-run",
            str(data / "dry"),
        ],
        "run": ["run", "--data-dir", str(data)],
        "grow": ["grow", "--data-dir", str(data)],
        "demo": ["demo", "--demo-dir", str(data)],
        "dedup": ["dedup", str(data / "tasks.jsonl"), "--output", str(data / "kept.jsonl")],
        "dino": ["dino", "--task-file", str(data / "task.json"), "--output-dir", str(data / "dino")],
        "self-instruct": [
            "self-instruct",
            "--seed-tasks",
            str(data / "seeds.jsonl"),
            "--num-instructions",
            "3",
            "--output-dir",
            str(data / "si"),
        ],  # fmt: skip
        "documents": ["documents", "--input-dir", str(data / "docs"), "--output-dir", str(data)],
        "mirror": ["mirror", "serve", str(data / "snapshot")],
    }
    return bases[command]


NAN, INF = "nan", "inf"
_ENGINE = [("--concurrency", "0"), ("--timeout", "-1"), ("--timeout", NAN), ("--max-retries", "-1"),
           ("--budget-usd", "-0.5"), ("--budget-usd", INF), ("--batch-poll-seconds", "0")]  # fmt: skip
_CRAWL = [
    ("--limit", "0"), ("--rows", "-1"), ("--max-configs", "0"), ("--max-row-chars", "0"),
    ("--splits", ","), ("--languages", ","), ("--min-fields", "0"), ("--concurrency", "0"),
    ("--quota-api", "0"), ("--quota-resolvers", "-3"), ("--quota-window", NAN), ("--timeout", "-1"),
    ("--timeout", INF), ("--retries", "0"), ("--retry-wait", "-1"), ("--not-ready-wait", NAN),
    ("--rows", "ten"),
]  # fmt: skip
_ORGANIZE = [
    ("--max-cell-chars", "-5"), ("--max-labels", "-1"), ("--max-labels", "0"), ("--binary-majority", "2"),
    ("--binary-majority", "0.4"), ("--binary-majority", NAN), ("--multi-majority", NAN),
    ("--multi-majority", "0"), ("--multi-majority", "1.5"), ("--max-label-chars", "-1"),
    ("--min-judge-score", "6"), ("--min-judge-score", "-1"), ("--row-group-size", "0"),
]  # fmt: skip
_DECONTAMINATE = [("--ngram", "0"), ("--threshold", "0"), ("--max-benchmark-rows", "0")]
_JUDGE = [("--records-per-task", "0"), ("--judge-seed", "1.5")]
_CHAIN = [
    *_CRAWL, *_ORGANIZE, *_DECONTAMINATE, *_JUDGE,
    ("--modes", ","), ("--modes", "aware,sideways"), ("--context-window", "0"),
    ("--llm-concurrency", "0"), ("--llm-timeout", "-1"), ("--llm-timeout", NAN), ("--max-retries", "-1"),
    ("--budget-usd", NAN), ("--batch-poll-seconds", "-1"),
]  # fmt: skip

CASES: list[tuple[str, str, str]] = [
    *[("crawl", flag, value) for flag, value in _CRAWL],
    *[("propose", flag, value) for flag, value in _ENGINE],
    ("propose", "--modes", ","),
    ("propose", "--modes", " , ,"),
    ("propose", "--modes", "aware,sideways"),
    ("propose", "--max-tasks", "0"),
    ("propose", "--max-tokens", "-1"),
    ("propose", "--context-window", "0"),
    *[("organize", flag, value) for flag, value in _ORGANIZE],
    *[("decontaminate", flag, value) for flag, value in _DECONTAMINATE],
    ("decontaminate", "--timeout", "0"),
    ("decontaminate", "--timeout", NAN),
    *[("judge", flag, value) for flag, value in [*_JUDGE, *_ENGINE]],
    ("report", "--seed", "x"),
    ("publish", "--shard-rows", "0"),
    *[("run", flag, value) for flag, value in _CHAIN],
    *[("grow", flag, value) for flag, value in [*_CHAIN, ("--shard-rows", "-1")]],
    ("demo", "--latency", "-1"),
    ("demo", "--latency", NAN),
    ("demo", "--context-window", "0"),
    ("dedup", "--threshold", "1.5"),
    ("dedup", "--threshold", NAN),
    ("dedup", "--threshold", "-0.1"),
    ("dedup", "--workers", "0"),
    ("dedup", "--workers", "-2"),
    ("dedup", "--max-tokens", "0"),
    *[("dino", flag, value) for flag, value in _ENGINE],
    ("dino", "--num-entries-per-label", "0"),
    ("dino", "--num-entries-per-input-and-label", "-1"),
    ("dino", "--top-p", "0"),
    ("dino", "--top-p", "1.5"),
    ("dino", "--top-k", "-1"),
    ("dino", "--max-output-length", "0"),
    ("dino", "--decay-constant", "-1"),
    ("dino", "--decay-constant", NAN),
    ("dino", "--batch-size", "0"),
    ("dino", "--seed", "1.5"),
    ("dino", "--min-num-tokens", "-1"),
    ("dino", "--min-num-words", "-1"),
    ("dino", "--max-num-text-b-for-text-a-and-label", "0"),
    *[("self-instruct", flag, value) for flag, value in _ENGINE],
    ("self-instruct", "--num-instructions", "0"),
    ("self-instruct", "--num-prompt-instructions", "0"),
    ("self-instruct", "--num-prompt-seed", "-1"),
    ("self-instruct", "--max-unproductive-rounds", "0"),
    ("self-instruct", "--similarity-threshold", "2"),
    ("self-instruct", "--similarity-threshold", NAN),
    ("self-instruct", "--temperature", "-0.1"),
    ("self-instruct", "--temperature", INF),
    ("self-instruct", "--top-p", "0"),
    ("self-instruct", "--max-tokens", "0"),
    ("self-instruct", "--instance-max-tokens", "0"),
    ("self-instruct", "--seed", "x"),
    ("self-instruct", "--context-window", "-1"),
    *[("documents", flag, value) for flag, value in _ENGINE],
    ("documents", "--chunk-size", "0"),
    ("documents", "--chunk-overlap", "-1"),
    ("documents", "--min-chunk-chars", "-1"),
    ("documents", "--samples-per-chunk", "0"),
    ("documents", "--self-instruct-count", "0"),
    ("documents", "--temperature", NAN),
    ("documents", "--seed", "1.5"),
    ("documents", "--max-tokens", "0"),
    ("documents", "--max-file-bytes", "0"),
    ("mirror", "--latency", "-1"),
    ("mirror", "--latency", INF),
    ("mirror", "--page-size", "0"),
    ("mirror", "--fault-rate", "1.5"),
    ("mirror", "--fault-rate", NAN),
    ("mirror", "--fault-seed", "x"),
    ("mirror", "--slow-seconds", "-1"),
    ("mirror", "--slow-seconds", NAN),
    ("mirror", "--quota-api", "-1"),
    ("mirror", "--quota-viewer", "-1"),
    ("mirror", "--quota-resolvers", "1.5"),
    ("mirror", "--quota-window", "0"),
    ("mirror", "--max-body-mb", "0"),
]


def _fill(data: Path) -> None:
    """A data folder with a file each command could read or overwrite."""
    files = {
        "huggingface_metadata.jsonl": '{"task_name": "a/b"}\n',
        "tasks.jsonl": '{"instruction": "Say hi."}\n{"instruction": "Say hi!"}\n',
        "instructions-full.json": "[]\n",
        "dynosaur-full.jsonl": '{"instruction": "i", "input": "", "output": "o"}\n',
        "crawl_state.json": '{"datasets": {}}\n',
        "task.json": '{"task_name": "t", "labels": {"a": {"instruction": "Write: \\""}}}\n',
        "seeds.jsonl": '{"id": "s", "instruction": "Hi", "instances": []}\n',
        "docs/a.txt": "A document.\n",
        "snapshot/manifest.json": "{}\n",
    }
    for name, text in files.items():
        (data / name).parent.mkdir(parents=True, exist_ok=True)
        (data / name).write_text(text, encoding="utf-8")


def _tree(root: Path) -> dict[str, str]:
    """Every path under ``root`` with the digest of its bytes (folders: an empty digest)."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        if path.is_file()
        else ""
        for path in sorted(root.rglob("*"))
    }


@pytest.mark.parametrize(("command", "flag", "value"), CASES, ids=[f"{c} {f} {v}" for c, f, v in CASES])
def test_a_bad_value_ends_the_command_with_a_message_naming_the_flag_and_touches_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, flag: str, value: str
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    _fill(data)
    before = _tree(tmp_path)
    with pytest.raises(SystemExit) as caught:
        main([*_base_argv(command, data), f"{flag}={value}"])
    err = capsys.readouterr().err
    assert caught.value.code == 2
    assert f"argument {flag}" in err and "Traceback" not in err
    assert _tree(tmp_path) == before


def test_a_blank_blocklist_word_is_refused_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    _fill(data)
    before = _tree(tmp_path)
    assert main([*_base_argv("self-instruct", data), "--blocklist", "image", " "]) == 2
    err = capsys.readouterr().err
    assert "--blocklist must not hold a blank word" in err and "Traceback" not in err
    assert _tree(tmp_path) == before


def test_the_cases_cover_every_numeric_option_of_every_command() -> None:
    named = {(command.split()[0], flag) for command, flag, _ in CASES}
    missing = []
    for path, action in _actions():
        command = path.split()[0]
        if _numeric(action) and not any((command, flag) in named for flag in action.option_strings):
            missing.append(f"{path} {action.option_strings[0]}")
    # --port has its own range check (a port number)
    assert sorted(missing) == ["mirror serve --port"], "add a bad value of each of these options to CASES"


def _actions() -> Iterator[tuple[str, argparse.Action]]:
    """Every option of every command (and of the subcommands of one), with its command's name."""
    root = build_parser(command_modules())

    def walk(parser: argparse.ArgumentParser, path: str) -> Iterator[tuple[str, argparse.Action]]:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield from walk(sub, f"{path} {name}".strip())
            elif action.option_strings and path:
                yield path, action

    yield from walk(root, "")


def _numeric(action: argparse.Action) -> bool:
    default = action.default
    number_default = isinstance(default, int | float) and not isinstance(default, bool)
    checked = getattr(action.type, "__module__", None) == _option_types.__name__
    return action.type in (int, float) or checked or (number_default and action.nargs != 0)


def test_every_numeric_option_has_a_checking_type() -> None:
    unchecked = [
        f"{path} {action.option_strings[0]}"
        for path, action in _actions()
        if _numeric(action) and getattr(action.type, "__module__", None) != _option_types.__name__
    ]
    assert unchecked == ["mirror serve --port"], (
        "parse these options with a type from dynosaur.commands._option_types (positive_int, "
        "non_negative_int, positive_float, fraction, share, ...), not int or float"
    )


def test_the_defaults_pass_their_own_types_and_lists_come_back_as_tuples() -> None:
    parser = build_parser(command_modules())
    args = parser.parse_args(["propose"])
    assert args.modes == ("aware", "unaware")
    assert parser.parse_args(["propose", "--modes", " unaware, aware,unaware "]).modes == ("unaware", "aware")
    args = parser.parse_args(["organize"])
    assert organize_command.config_from_args(args) == OrganizeConfig()
    edges = ["organize", "--binary-majority", "0.5", "--multi-majority", "1", "--max-cell-chars", "0"]
    assert parser.parse_args(edges).max_cell_chars == 0
    assert parser.parse_args(["dedup", "in", "--output", "out", "--workers", "-1"]).workers == -1


_CRAWL_OPTIONS = CrawlOptions()
LIBRARY_CASES: list[tuple[Callable[..., object], dict[str, Any], str]] = [
    (OrganizeConfig, {"max_cell_chars": -5}, "max_cell_chars"),
    (OrganizeConfig, {"max_labels": -1}, "max_labels"),
    (OrganizeConfig, {"max_labels": True}, "max_labels"),
    (OrganizeConfig, {"binary_majority": 2.0}, "binary_majority"),
    (OrganizeConfig, {"binary_majority": 0.4}, "binary_majority"),
    (OrganizeConfig, {"multi_majority": math.nan}, "multi_majority"),
    (OrganizeConfig, {"multi_majority": 0.0}, "multi_majority"),
    (OrganizeConfig, {"max_label_chars": -1}, "max_label_chars"),
    (OrganizeConfig, {"row_group_size": 0}, "row_group_size"),
    (OrganizeConfig, {"min_judge_score": 6}, "min_judge_score"),
    (OrganizeConfig, {"max_cell_chars": 2.5}, "max_cell_chars"),
    (ProposeOptions, {"modes": ()}, "modes"),
    (ProposeOptions, {"modes": ("aware", "sideways")}, "modes"),
    (ProposeOptions, {"modes": "aware"}, "modes"),
    (ProposeOptions, {"max_tasks": 0}, "max_tasks"),
    (ProposeOptions, {"max_tokens": -1}, "max_tokens"),
    (ProposeOptions, {"context_window": 0}, "context_window"),
    (ProposeOptions, {"prompt_style": "tiny"}, "prompt_style"),
    (EngineOptions, {"timeout": -1.0}, "timeout"),
    (EngineOptions, {"timeout": math.nan}, "timeout"),
    (EngineOptions, {"concurrency": 0}, "concurrency"),
    (EngineOptions, {"max_retries": -1}, "max_retries"),
    (EngineOptions, {"budget_usd": -1.0}, "budget_usd"),
    (EngineOptions, {"budget_usd": math.inf}, "budget_usd"),
    (BatchOptions, {"poll_seconds": 0.0}, "batch_poll_seconds"),
    (JudgeOptions, {"records_per_task": 0}, "records_per_task"),
    (JudgeOptions, {"seed": 1.5}, "seed"),
    (ChainOptions, {"crawl": _CRAWL_OPTIONS, "modes": ()}, "modes"),
    (ChainOptions, {"crawl": _CRAWL_OPTIONS, "modes": ("sideways",)}, "modes"),
    (ChainOptions, {"crawl": _CRAWL_OPTIONS, "max_benchmark_rows": 0}, "max_benchmark_rows"),
    (ChainOptions, {"crawl": _CRAWL_OPTIONS, "records_per_task": 0}, "records_per_task"),
    (ChainOptions, {"crawl": _CRAWL_OPTIONS, "judge_seed": "0"}, "judge_seed"),
    (DecontaminateOptions, {"n": 0}, "n"),
    (DecontaminateOptions, {"threshold": 0}, "threshold"),
    (GenerationOptions, {"num_entries": 0}, "num_entries"),
    (GenerationOptions, {"num_entries": 1, "top_p": 0.0}, "top_p"),
    (GenerationOptions, {"num_entries": 1, "top_p": math.nan}, "top_p"),
    (GenerationOptions, {"num_entries": 1, "top_k": -1}, "top_k"),
    (GenerationOptions, {"num_entries": 1, "max_output_length": 0}, "max_output_length"),
    (GenerationOptions, {"num_entries": 1, "decay_constant": math.nan}, "decay_constant"),
    (GenerationOptions, {"num_entries": 1, "batch_size": 0}, "batch_size"),
    (GenerationOptions, {"num_entries": 1, "min_num_tokens": -1}, "min_num_tokens"),
    (PostprocessOptions, {"min_num_words": -1}, "min_num_words"),
    (PostprocessOptions, {"max_num_text_b_for_text_a_and_label": 0}, "max_num_text_b_for_text_a_and_label"),
    (Sampling, {"temperature": -0.5}, "temperature"),
    (Sampling, {"temperature": math.inf}, "temperature"),
    (Sampling, {"top_p": 1.5}, "top_p"),
    (Sampling, {"max_tokens": 0}, "max_tokens"),
    (lambda **kw: BootstrapConfig(num_instructions=1, **kw).check(), {"seed": 1.5}, "seed"),
    (lambda **kw: BootstrapConfig(num_instructions=1, **kw).check(), {"blocklist": ("ok", " ")}, "blocklist"),
    (lambda **kw: BootstrapConfig(num_instructions=1, **kw).check(), {"context_window": 0}, "context_window"),
    (
        lambda **kw: BootstrapConfig(num_instructions=1, **kw).check(),
        {"similarity_threshold": math.nan},
        "similarity_threshold",
    ),
    (lambda **kw: DocumentsOptions(**kw).check(), {"temperature": math.nan}, "temperature"),
    (lambda **kw: DocumentsOptions(**kw).check(), {"min_chunk_chars": -1}, "min_chunk_chars"),
    (lambda **kw: DocumentsOptions(**kw).check(), {"min_content_words": -1}, "min_content_words"),
    (lambda **kw: DocumentsOptions(**kw).check(), {"dedup_threshold": 2.0}, "dedup_threshold"),
    (lambda **kw: DocumentsOptions(**kw).check(), {"seed": 0.5}, "seed"),
    (lambda **kw: NearDuplicateFilter(0.7, **kw), {"workers": 0}, "workers"),
    (lambda **kw: NearDuplicateFilter(0.7, **kw), {"max_tokens": 0}, "max_tokens"),
    (lambda **kw: DocumentsOptions(**kw).check(), {"max_file_bytes": 0}, "max_file_bytes"),
    (ReleaseOptions, {"shard_rows": 0}, "shard_rows"),
    (ReleaseOptions, {"shard_rows": 2.5}, "shard_rows"),
]


@pytest.mark.parametrize(("make", "fields", "field"), LIBRARY_CASES, ids=[str(c[1]) for c in LIBRARY_CASES])
def test_options_types_refuse_a_bad_field_naming_it(
    make: Callable[..., object], fields: dict[str, Any], field: str
) -> None:
    with pytest.raises(OptionError) as caught:
        make(**fields)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field} ")


def test_the_decontamination_row_bound_is_checked_before_any_file_is_read(tmp_path: Path) -> None:
    with pytest.raises(OptionError) as caught:
        run_decontamination(tmp_path / "absent", [], _CRAWL_OPTIONS, max_rows=0)
    assert caught.value.field == "max_rows"
    assert not (tmp_path / "absent").exists()


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: CrawlOptions(timeout=math.nan), "timeout"),
        (lambda: CrawlOptions(timeout=math.inf), "timeout"),
        (lambda: RetryPolicy(base_wait=math.nan), "retry waits"),
        (lambda: RetryPolicy(not_ready_wait=math.inf), "retry waits"),
        (lambda: Quota(10, window=math.nan), "quota"),
        (lambda: PolicyOptions(languages=()), "languages"),
        (lambda: PolicyOptions(min_fields=0), "min fields"),
        (lambda: FaultConfig(slow_seconds=math.nan), "slow_seconds"),
        (lambda: QuotaConfig(window_seconds=math.nan), "window_seconds"),
        (lambda: MirrorServer("/nonexistent", latency=math.inf), "latency"),
    ],
)
def test_crawl_and_mirror_settings_refuse_values_that_are_not_finite(
    make: Callable[[], object], words: str
) -> None:
    with pytest.raises(ValueError, match=words):
        make()


@pytest.mark.parametrize(
    ("check", "value", "problem"),
    [
        (lambda f, v: checks.at_least(f, v, 1), 0, "must be at least 1, got 0"),
        (lambda f, v: checks.at_least(f, v, 1), False, "must be a whole number, got False"),
        (lambda f, v: checks.at_least(f, v, 1), "3", "must be a whole number, got '3'"),
        (checks.positive, math.nan, "must be a finite number, got nan"),
        (checks.positive, 0, "must be a positive number, got 0"),
        (checks.non_negative, -math.inf, "must be a finite number, got -inf"),
        (
            lambda f, v: checks.between(f, v, 0, 1, low_included=False),
            0.0,
            "must be above 0 up to 1, got 0.0",
        ),
        (lambda f, v: checks.between(f, v, 0.5, 1), 1.01, "must be from 0.5 up to 1, got 1.01"),
        (lambda f, v: checks.whole_between(f, v, 0, 5), 6, "must be from 0 to 5, got 6"),
        (lambda f, v: checks.members(f, v, ("a", "b")), [], "must name at least one of a, b"),
        (lambda f, v: checks.members(f, v, ("a", "b")), ["c"], "has an unknown value 'c'; choose from a, b"),
        (checks.names, ["x", ""], "must not name a blank value, got ['x', '']"),
    ],
)
def test_each_check_says_what_is_wrong(
    check: Callable[[str, object], None], value: object, problem: str
) -> None:
    with pytest.raises(OptionError) as caught:
        check("field", value)
    assert caught.value.field == "field" and caught.value.problem == problem


def test_the_argparse_types_agree_with_the_checks() -> None:
    assert _option_types.positive_int("3") == 3 and _option_types.non_negative_int("0") == 0
    assert _option_types.fraction("1") == 1.0 and _option_types.share("0") == 0.0
    assert _option_types.names_csv(" a,b ,a") == ("a", "b")
    for parse, text in [
        (_option_types.positive_int, "0"),
        (_option_types.positive_int, "1.0"),
        (_option_types.positive_float, "nan"),
        (_option_types.positive_float, "-inf"),
        (_option_types.non_negative_float, "x"),
        (_option_types.fraction, "0"),
        (_option_types.names_csv, " , "),
        (_option_types.csv_of(("a",)), "a,b"),
    ]:
        with pytest.raises(argparse.ArgumentTypeError):
            parse(text)
