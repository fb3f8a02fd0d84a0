"""Which files and folders each command reads and writes, so that none overwrites another.

``dynosaur.cli.run_command`` checks a command's paths (:func:`check_command_paths`) before the
command runs: an output that names the same file as an input or as another output, an output
inside a folder the command reads, or two folders the command fills that overlap, end the run
with exit code 2 before anything is written. Paths are named by the options that set them (a
default path by the option that would change it). Only the command layer knows every stage's
file names, so they are gathered here, one function per command.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dynosaur.core.paths import Named, PathLike, check_paths

# Each function imports the artifact names itself: they come with the crawl's modules, which a
# command that names its own files (dedup) never loads.


@dataclass
class RunPaths:
    """What one run reads and writes (see :func:`dynosaur.core.paths.check_paths`)."""

    inputs: dict[str, PathLike | None] = field(default_factory=dict)
    outputs: dict[str, PathLike | None] = field(default_factory=dict)
    input_dirs: dict[str, PathLike | None] = field(default_factory=dict)
    output_dirs: dict[str, PathLike | None] = field(default_factory=dict)

    def add(self, other: RunPaths) -> RunPaths:
        for mine, theirs in (
            (self.inputs, other.inputs),
            (self.outputs, other.outputs),
            (self.input_dirs, other.input_dirs),
            (self.output_dirs, other.output_dirs),
        ):
            mine.update(theirs)
        return self

    def check(self) -> None:
        check_paths(
            inputs=self.inputs, outputs=self.outputs, input_dirs=self.input_dirs, output_dirs=self.output_dirs
        )


def _in(folder: Path, option: str, files: list[str]) -> Named:
    """``{"OPTION's NAME": folder/NAME}`` for each file the command keeps in ``folder``."""
    return {f"{option}'s {name}": folder / name for name in files}


def _engine(args: argparse.Namespace, folder: Path, option: str) -> RunPaths:
    """The engine options' files: the response cache (default ``folder/llm_cache.sqlite``) and the
    batch ids beside it, which are written; prices and batch results, which are read."""
    from dynosaur.contracts import artifacts as names

    paths = RunPaths()
    if not getattr(args, "no_cache", False):
        cache = Path(args.cache) if getattr(args, "cache", None) else None
        named = "--cache" if cache is not None else f"{option}'s {names.RESPONSE_CACHE_FILE}"
        cache = cache or folder / names.RESPONSE_CACHE_FILE
        paths.outputs[named] = cache
        paths.outputs[f"the batch ids beside {named}"] = cache.parent / names.BATCH_STATE_FILE
    if getattr(args, "prices", None):
        paths.inputs["--prices"] = args.prices
    for index, result in enumerate(getattr(args, "batch_results", None) or []):
        paths.inputs[f"--batch-results #{index + 1}"] = result
    if getattr(args, "batch_file_only", None):
        paths.output_dirs["--batch-file-only"] = args.batch_file_only
    return paths


def dedup(args: argparse.Namespace) -> RunPaths:
    return RunPaths(
        inputs={"the input file": args.file}, outputs={"--output": args.output, "--removed": args.removed}
    )


def organize(args: argparse.Namespace) -> RunPaths:
    from dynosaur.contracts import artifacts as names
    from dynosaur.hub.organize.run import report_path

    data_dir = Path(args.data_dir)
    output = Path(args.output) if args.output else data_dir / names.RECORDS_FILE
    return RunPaths(
        inputs={
            "--data-file": args.data_file or data_dir / names.DATA_FILE,
            "--instructions": args.instructions or data_dir / names.INSTRUCTIONS_FILE,
            **_in(data_dir, "--data-dir", [names.LICENSE_FILE, names.JUDGE_SCORES_FILE]),
        },
        outputs={
            "--output": output,
            "--output's Parquet file": output.with_suffix(".parquet"),
            "--output's report": report_path(output),
        },
    )


def report(args: argparse.Namespace) -> RunPaths:
    from dynosaur.commands.report import specs

    data_dir = Path(args.data_dir)
    paths = RunPaths(outputs={"--output": args.output})
    if args.output and data_dir.is_dir():
        for spec in specs(args.kind, data_dir):
            paths.inputs[f"the records file {spec.records.name}"] = spec.records
            for stage, rejections in spec.rejections:
                paths.inputs[f"the {stage} report {rejections.name}"] = rejections
            if spec.scores is not None:
                paths.inputs[f"the judge scores {spec.scores.name}"] = spec.scores
    return paths


def dino(args: argparse.Namespace) -> RunPaths:
    from dynosaur.contracts import artifacts as names
    from dynosaur.dino.spec import SpecError, load_spec

    folder = Path(args.output_dir)
    paths = RunPaths(inputs={"--task-file": args.task_file, "--input-file": args.input_file})
    try:
        stem = load_spec(args.task_file).file_stem
    except (OSError, ValueError, SpecError):
        stem = None  # the command itself says what is wrong with the spec
    if stem is not None:
        dataset = names.dino_dataset_file(stem)
        report_html = dataset.removesuffix("-dataset.jsonl") + "-" + names.REPORT_HTML_FILE
        paths.outputs.update(
            _in(folder, "--output-dir", [dataset, names.dino_summary_file(stem), report_html])
        )
    return paths.add(_engine(args, folder, "--output-dir"))


def self_instruct(args: argparse.Namespace) -> RunPaths:
    from dynosaur.contracts import artifacts as names

    folder = Path(args.output_dir)
    files = [
        names.SELF_INSTRUCT_TASKS_FILE,
        names.SELF_INSTRUCT_RECORDS_FILE,
        names.SELF_INSTRUCT_INSTRUCTIONS_FILE,
        names.SELF_INSTRUCT_REJECTED_FILE,
        names.SELF_INSTRUCT_REPORT_FILE,
        names.REPORT_HTML_FILE,
    ]
    paths = RunPaths(
        inputs={"--seed-tasks": args.seed_tasks}, outputs=dict(_in(folder, "--output-dir", files))
    )
    return paths.add(_engine(args, folder, "--output-dir"))


def documents(args: argparse.Namespace) -> RunPaths:
    from dynosaur.contracts import artifacts as names

    folder = Path(args.output_dir)
    files = [names.DOCUMENTS_INSTRUCTIONS_FILE, names.DOCUMENTS_REPORT_FILE, names.REPORT_HTML_FILE]
    paths = RunPaths(
        outputs=dict(_in(folder, "--output-dir", files)), input_dirs={"--input-dir": args.input_dir}
    )
    if args.self_instruct:
        paths.output_dirs["--self-instruct's folder"] = folder / names.DOCUMENTS_SELF_INSTRUCT_DIR
    return paths.add(_engine(args, folder, "--output-dir"))


def chain_files() -> list[str]:
    """The files of the Hub chain in DATA_DIR: what crawl, propose, filter, organize and judge write."""
    from dynosaur.contracts import artifacts as names

    return [
        names.DATA_FILE,
        names.METADATA_FILE,
        names.LICENSE_FILE,
        names.CRAWL_REPORT_FILE,
        names.CRAWL_STATE_FILE,
        names.TASKS_FILE,
        names.PROPOSE_REPORT_FILE,
        names.INSTRUCTIONS_FILE,
        names.REJECTED_FILE,
        names.FILTER_REPORT_FILE,
        names.RECORDS_FILE,
        names.RECORDS_PARQUET_FILE,
        names.ORGANIZE_REPORT_FILE,
        names.JUDGE_SCORES_FILE,
        names.JUDGE_REPORT_FILE,
        names.DECONTAMINATION_REPORT_FILE,
        names.DECONTAMINATED_RECORDS_FILE,
        names.REPORT_HTML_FILE,
    ]


def _data_dir_files(args: argparse.Namespace) -> Named:
    return _in(Path(args.data_dir), "--data-dir", chain_files())


def with_engine(args: argparse.Namespace) -> RunPaths:
    """propose and judge: the chain's files in ``--data-dir``, and the response cache."""
    return RunPaths(inputs=dict(_data_dir_files(args))).add(_engine(args, Path(args.data_dir), "--data-dir"))


def crawl(args: argparse.Namespace) -> RunPaths:
    return RunPaths(output_dirs={"--data-dir": args.data_dir, "--record": args.record})


def chain(args: argparse.Namespace) -> RunPaths:
    """run and grow: the crawl's folders, and the response cache apart from the files the chain
    writes in ``--data-dir``."""
    written = RunPaths(outputs=dict(_data_dir_files(args)))
    return crawl(args).add(written).add(_engine(args, Path(args.data_dir), "--data-dir"))


def publish(args: argparse.Namespace) -> RunPaths:
    """A dry run's folder is emptied of its release files: it must not hold the data dir's files."""
    if not args.dry_run:
        return RunPaths()
    return RunPaths(inputs=dict(_data_dir_files(args)), output_dirs={"--dry-run": args.dry_run})


COMMAND_PATHS: dict[str, Callable[[argparse.Namespace], RunPaths]] = {
    "dedup": dedup,
    "organize": organize,
    "report": report,
    "dino": dino,
    "self-instruct": self_instruct,
    "documents": documents,
    "propose": with_engine,
    "judge": with_engine,
    "crawl": crawl,
    "run": chain,
    "grow": chain,
    "publish": publish,
}


def check_command_paths(command: str, args: argparse.Namespace) -> None:
    """Refuse (``PathClash``) a run of ``command`` whose paths would overwrite one another."""
    paths = COMMAND_PATHS.get(command)
    if paths is not None and isinstance(args, argparse.Namespace):  # not parsed: nothing to check
        paths(args).check()
