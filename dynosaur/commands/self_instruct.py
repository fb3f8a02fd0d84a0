"""``dynosaur self-instruct``: bootstrap new tasks from seed tasks (Self-Instruct) with a chat engine."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from dynosaur.commands import _report
from dynosaur.commands._engine import add_engine_arguments, engine_options
from dynosaur.commands._option_types import (
    fraction,
    non_negative_float,
    non_negative_int,
    positive_int,
    share,
    whole_number,
)
from dynosaur.commands.propose import add_prompt_style_arguments
from dynosaur.contracts.seed_tasks import load_seed_tasks
from dynosaur.core.engines.opening import open_engine
from dynosaur.self_instruct import DEFAULT_BLOCKLIST, BootstrapConfig, Sampling, self_instruct
from dynosaur.self_instruct.instances import DEFAULT_MAX_TOKENS

NAME = "self-instruct"
HELP = "Bootstrap new instructions, instances and fine-tuning records from seed tasks (Self-Instruct)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = BootstrapConfig(num_instructions=1)
    sampling = Sampling()
    parser.add_argument("--seed-tasks", required=True, help="seed tasks in the tasks.jsonl seed format")
    parser.add_argument(
        "--num-instructions", type=positive_int, required=True, help="how many new instructions to generate"
    )
    parser.add_argument("--output-dir", required=True, help="where the self_instruct_* files go")
    parser.add_argument(
        "--num-prompt-instructions",
        type=positive_int,
        default=defaults.num_prompt_instructions,
        help="instructions shown in each prompt (default %(default)s)",
    )
    parser.add_argument(
        "--num-prompt-seed",
        type=non_negative_int,
        default=defaults.num_prompt_seed,
        help="of which seed instructions; the rest are generated ones when there are (default %(default)s)",
    )
    parser.add_argument(
        "--classification-only", action="store_true", help="prompt with classification seed tasks only"
    )
    parser.add_argument(
        "--blocklist",
        nargs="*",
        metavar="WORD",
        default=list(DEFAULT_BLOCKLIST),
        help="reject instructions containing any of these words; give none to turn it off "
        "(default: image, graph, picture, file, map, draw, plot, go to, video, audio, music, ...)",
    )
    parser.add_argument(
        "--max-unproductive-rounds",
        type=positive_int,
        default=defaults.max_unproductive_rounds,
        help="stop after this many rounds in a row without a new instruction (default %(default)s)",
    )
    parser.add_argument(
        "--similarity-threshold",
        type=share,
        default=defaults.similarity_threshold,
        help="reject a candidate whose ROUGE-L with the pool exceeds this (default %(default)s)",
    )
    parser.add_argument(
        "--temperature",
        type=non_negative_float,
        default=sampling.temperature,
        help="sampling temperature of the bootstrap requests (default %(default)s)",
    )
    parser.add_argument(
        "--top-p",
        type=fraction,
        default=sampling.top_p,
        help="nucleus sampling of the bootstrap requests (default %(default)s)",
    )
    parser.add_argument(
        "--max-tokens",
        type=positive_int,
        default=sampling.max_tokens,
        help="per bootstrap answer (default %(default)s)",
    )
    parser.add_argument(
        "--instance-max-tokens",
        type=positive_int,
        default=DEFAULT_MAX_TOKENS,
        help="per instances answer (default %(default)s)",
    )
    parser.add_argument(
        "--seed", type=whole_number, default=defaults.seed, help="seed of the demonstration sampling"
    )
    add_prompt_style_arguments(
        parser,
        styles="full (the Self-Instruct prompts: up to --num-prompt-instructions instructions, three "
        "seed tasks per example list), compact (for small models: at most four instructions, one seed "
        "task per example list, shorter wording)",
    )

    group = parser.add_argument_group("engine")
    add_engine_arguments(group, default_engine="openai", concurrency=defaults.concurrency)
    group.add_argument("--cache", help="response cache (default OUTPUT_DIR/llm_cache.sqlite)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")


async def _run(args: argparse.Namespace, settings: BootstrapConfig) -> int:
    seeds = load_seed_tasks(args.seed_tasks)
    output_dir = Path(args.output_dir)
    # refuses an engine that cannot chat before creating any file
    with open_engine(engine_options(args), output_dir, needs=("chat", "Self-Instruct")) as engine:
        try:
            report = await self_instruct(
                engine,
                seeds,
                settings,
                output_dir,
                instance_max_tokens=args.instance_max_tokens,
                progress=not args.no_progress,
            )
        finally:
            await engine.aclose()
    print(report.render())
    print(_report.write(_report.self_instruct_spec(output_dir), progress=not args.no_progress))
    return 0


def run(args: argparse.Namespace) -> int:
    settings = BootstrapConfig(
        num_instructions=args.num_instructions,
        num_prompt_instructions=args.num_prompt_instructions,
        num_prompt_seed=args.num_prompt_seed,
        classification_only=args.classification_only,
        blocklist=tuple(args.blocklist),
        max_unproductive_rounds=args.max_unproductive_rounds,
        similarity_threshold=args.similarity_threshold,
        concurrency=args.concurrency,
        seed=args.seed,
        sampling=Sampling(temperature=args.temperature, top_p=args.top_p, max_tokens=args.max_tokens),
        prompt_style=args.prompt_style,
        context_window=args.context_window,
    )
    settings.check()
    try:
        return asyncio.run(_run(args, settings))
    except OSError as exc:
        print(f"self-instruct: {exc}", file=sys.stderr)
        return 2
