"""``dynosaur dino``: a labelled dataset generated from a DINO task spec."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from dynosaur.commands import _report
from dynosaur.commands._engine import add_engine_arguments
from dynosaur.commands._engine import engine_options as shared_engine_options
from dynosaur.commands._option_types import (
    fraction,
    non_negative_float,
    non_negative_int,
    positive_int,
    whole_number,
)
from dynosaur.core.engines import EngineOptions
from dynosaur.core.engines.opening import open_engine
from dynosaur.dino.generate import GenerationOptions
from dynosaur.dino.inputs import INPUT_FILE_TYPES, read_inputs
from dynosaur.dino.postprocess import PostprocessOptions
from dynosaur.dino.run import DinoJob, run_dino
from dynosaur.dino.spec import SpecError, TaskSpec, check_mode, load_spec

NAME = "dino"
HELP = "Generate a labelled dataset {text_a, text_b?, label} from a DINO task spec (counter labels on local models)."
DEFAULT_MODELS = {"transformers": "gpt2-xl", "openai": "gpt-4o-mini"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    gen = GenerationOptions(num_entries=1)
    post = PostprocessOptions()
    parser.add_argument("--task-file", required=True, help="task spec JSON {task_name, labels{...}}")
    parser.add_argument(
        "--output-dir", required=True, help="where STEM-dataset.jsonl and STEM-summary.json go"
    )
    parser.add_argument("--input-file", help="input texts for a text-pair spec (<X1> in its instructions)")
    parser.add_argument(
        "--input-file-type",
        choices=INPUT_FILE_TYPES,
        default="plain",
        help="plain: a text per line; jsonl: a field per line; stsb: GLUE STS-B tsv (default %(default)s)",
    )
    parser.add_argument(
        "--input-jsonl-text-field",
        default="text_a",
        help="the field holding the text in jsonl inputs (default %(default)s)",
    )
    parser.add_argument(
        "--num-entries-per-label", type=positive_int, help="entries to generate per label (single-text specs)"
    )
    parser.add_argument(
        "--num-entries-per-input-and-label",
        type=positive_int,
        help="entries to generate per input text and label (text-pair specs)",
    )

    group = parser.add_argument_group("engine")
    add_engine_arguments(
        group,
        default_engine="transformers",
        engines=sorted(DEFAULT_MODELS),
        engine_help="transformers: a local model (counter labels supported); openai: an "
        "OpenAI-compatible server, also in batch mode (--batch; a batch per --batch-size entries, "
        "so raise --batch-size to send more at once) (default %(default)s)",
        model_help="local path or model id in the local HF cache, or the API model name "
        "(default: gpt2-xl for transformers, gpt-4o-mini for openai)",
    )
    group.add_argument(
        "--device",
        choices=["auto", "cpu", "cuda"],
        default="auto",
        help="where a local model runs (default %(default)s)",
    )
    group.add_argument(
        "--allow-download",
        action="store_true",
        help="let transformers download a model missing from the local cache",
    )
    group.add_argument("--cache", help="response cache for API engines (default OUTPUT_DIR/llm_cache.sqlite)")
    group.add_argument("--no-cache", action="store_true", help="do not use the response cache")

    group = parser.add_argument_group("generation")
    group.add_argument(
        "--top-p", type=fraction, default=gen.top_p, help="nucleus sampling (default %(default)s)"
    )
    group.add_argument(
        "--top-k",
        type=non_negative_int,
        default=gen.top_k,
        help="top-k sampling, 0 for off (default %(default)s)",
    )
    group.add_argument(
        "--max-output-length",
        type=positive_int,
        default=gen.max_output_length,
        help="most tokens per generated text (default %(default)s)",
    )
    group.add_argument(
        "--decay-constant",
        type=non_negative_float,
        default=gen.decay_constant,
        help="self-debiasing strength λ for counter labels (default %(default)s)",
    )
    group.add_argument(
        "--batch-size",
        type=positive_int,
        default=gen.batch_size,
        help="entries generated together (each with its counter prompts) (default %(default)s)",
    )
    group.add_argument(
        "--seed", type=whole_number, default=gen.seed, help="sampling seed (default %(default)s)"
    )
    group.add_argument(
        "--min-num-tokens",
        type=non_negative_int,
        default=gen.min_num_tokens,
        help="no closing quote before this many tokens (local models) (default %(default)s)",
    )
    group.add_argument(
        "--ignore-counter-labels",
        action="store_true",
        help="generate without counter labels (needed for engines that cannot honour them)",
    )
    group.add_argument(
        "--keep-outputs-without-eos",
        action="store_true",
        help="keep texts that never closed their quotation mark",
    )

    group = parser.add_argument_group("post-processing")
    group.add_argument(
        "--min-num-words",
        type=non_negative_int,
        default=post.min_num_words,
        help="drop generated texts with fewer words (default %(default)s)",
    )
    group.add_argument(
        "--remove-duplicates",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="drop exact duplicate entries (default on)",
    )
    group.add_argument(
        "--remove-identical-pairs",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="drop pairs whose second text repeats the first (default on)",
    )
    group.add_argument(
        "--max-num-text-b-for-text-a-and-label",
        type=positive_int,
        help="keep at most this many second texts per (first text, label), STS-style",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _check_numbers(args: argparse.Namespace, spec: TaskSpec) -> int:
    """The entries count, from the option the spec's mode takes (the other one is refused)."""
    if spec.is_pair:
        count, wanted = args.num_entries_per_input_and_label, "--num-entries-per-input-and-label"
        wrong = "--num-entries-per-label" if args.num_entries_per_label is not None else None
    else:
        count, wanted = args.num_entries_per_label, "--num-entries-per-label"
        wrong = (
            "--num-entries-per-input-and-label" if args.num_entries_per_input_and_label is not None else None
        )
    if wrong:
        kind = "text-pair" if spec.is_pair else "single-text"
        raise SpecError(f"spec {spec.task_name!r} is a {kind} spec: use {wanted}, not {wrong}")
    if count is None or count < 1:
        raise SpecError(f"give {wanted} N (N ≥ 1)")
    return count


def engine_options(args: argparse.Namespace) -> EngineOptions:
    """The engine the options name. A local model is seeded, so its scoring path is deterministic
    and is not routed through the response cache; an API engine's answers are cached."""
    local = args.engine == "transformers"
    if local and args.no_progress:
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # its weight-loading bar, too
    return replace(
        shared_engine_options(args),
        model=args.model or DEFAULT_MODELS[args.engine],
        base_url=None if local else args.base_url,
        device=args.device,
        allow_download=args.allow_download,
        use_cache=not local and not args.no_cache,
    )


def _job(args: argparse.Namespace) -> DinoJob:
    spec = load_spec(args.task_file)
    check_mode(spec, args.input_file is not None)
    count = _check_numbers(args, spec)
    inputs = None
    input_info: dict[str, Any] | None = None
    if args.input_file:
        inputs = read_inputs(args.input_file, args.input_file_type, args.input_jsonl_text_field)
        input_info = {"file": Path(args.input_file).name, "type": args.input_file_type}
        if args.input_file_type == "jsonl":
            input_info["text_field"] = args.input_jsonl_text_field
    options = GenerationOptions(
        num_entries=count,
        top_p=args.top_p,
        top_k=args.top_k,
        max_output_length=args.max_output_length,
        decay_constant=args.decay_constant,
        batch_size=args.batch_size,
        seed=args.seed,
        min_num_tokens=args.min_num_tokens,
        keep_outputs_without_eos=args.keep_outputs_without_eos,
        ignore_counter_labels=args.ignore_counter_labels,
    )
    post = PostprocessOptions(
        min_num_words=args.min_num_words,
        remove_identical_pairs=args.remove_identical_pairs,
        remove_duplicates=args.remove_duplicates,
        max_num_text_b_for_text_a_and_label=args.max_num_text_b_for_text_a_and_label,
    )
    return DinoJob(
        spec=spec,
        output_dir=Path(args.output_dir),
        options=options,
        postprocess=post,
        inputs=inputs,
        input_info=input_info,
        task_file=Path(args.task_file).name,
        progress=not args.no_progress,
    )


def run(args: argparse.Namespace) -> int:
    job = _job(args)
    with open_engine(engine_options(args), job.output_dir) as engine:
        result = run_dino(job, engine, close_engine=True)
    print(result.render())
    spec = _report.dino_spec(
        result.dataset_path,
        result.summary_path,
        job.spec.file_stem,
        pairs=result.summary.get("mode") == "pair",
    )
    print(_report.write(spec))
    return 1 if result.summary["stopped"] else 0


def main(argv: list[str] | None = None) -> int:
    """Run this command on its own, with the same options: ``python -m dynosaur.commands.dino``."""
    parser = argparse.ArgumentParser(prog="dynosaur dino", description=HELP)
    add_arguments(parser)
    from dynosaur.cli import run_command  # the CLI imports every command; this one only when run alone

    return run_command(NAME, run, parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
