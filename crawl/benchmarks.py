"""Evaluation benchmarks: the datasets a crawl skips and the texts decontamination checks against.

A benchmark is named ``ID[:config[:split]]``. Without a config every config the viewer lists is
read; without a split, the evaluation splits (``test`` and ``validation``) that exist. The crawl's
``benchmark`` rule skips a dataset whose repo id, or a ``source_datasets`` entry of its card,
names one (by id or by one of its old names).
"""

from __future__ import annotations

from dataclasses import dataclass

EVALUATION_SPLITS = ("test", "validation")


class BenchmarkSpecError(ValueError):
    """A ``--against`` value that is not ``ID[:config[:split]]``."""


@dataclass(frozen=True)
class Benchmark:
    """One benchmark on the Hub: the repo, which configs and splits hold its evaluation rows."""

    id: str
    configs: tuple[str, ...] = ()  # empty: every config
    splits: tuple[str, ...] = EVALUATION_SPLITS
    aliases: tuple[str, ...] = ()  # other names cards use for it in source_datasets

    @property
    def names(self) -> tuple[str, ...]:
        """The lower-case names that identify the benchmark."""
        return tuple(dict.fromkeys(name.lower() for name in (self.id, *self.aliases)))

    @property
    def spec(self) -> str:
        """``ID[:config[:split]]`` as a user writes it (one config and split at most)."""
        parts = [self.id]
        if len(self.configs) == 1:
            parts.append(self.configs[0])
            if len(self.splits) == 1:
                parts.append(self.splits[0])
        return ":".join(parts)


def parse_benchmark(spec: str) -> Benchmark:
    """``ID[:config[:split]]`` -> :class:`Benchmark` (a default benchmark keeps its old names)."""
    parts = spec.strip().split(":")
    if len(parts) > 3 or not parts[0] or any(not part for part in parts[1:]):
        raise BenchmarkSpecError(f"a benchmark is ID[:config[:split]], got {spec!r}")
    repo_id, config, split = parts[0], parts[1:2], parts[2:3]
    known = next((b for b in DEFAULT_BENCHMARKS if b.id.lower() == repo_id.lower()), None)
    return Benchmark(
        repo_id,
        configs=tuple(config) or (known.configs if known else ()),
        splits=tuple(split) or (known.splits if known and not config else EVALUATION_SPLITS),
        aliases=known.aliases if known else (),
    )


DEFAULT_BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark(
        "Muennighoff/natural-instructions",
        splits=("test",),
        aliases=("super_natural_instructions", "super-natural-instructions", "natural_instructions"),
    ),
    Benchmark("cais/mmlu", configs=("all",), splits=("test",), aliases=("mmlu", "hendrycks_test")),
    Benchmark("Rowan/hellaswag", splits=("validation", "test"), aliases=("hellaswag",)),
    Benchmark(
        "allenai/ai2_arc", configs=("ARC-Challenge", "ARC-Easy"), splits=("test",), aliases=("ai2_arc",)
    ),
    Benchmark(
        "truthfulqa/truthful_qa",
        configs=("generation", "multiple_choice"),
        splits=("validation",),
        aliases=("truthful_qa",),
    ),
    Benchmark("openai/gsm8k", configs=("main",), splits=("test",), aliases=("gsm8k",)),
    Benchmark(
        "allenai/winogrande", configs=("winogrande_xl",), splits=("validation",), aliases=("winogrande",)
    ),
    Benchmark("google/boolq", splits=("validation",), aliases=("boolq",)),
    Benchmark("allenai/openbookqa", configs=("main",), splits=("test",), aliases=("openbookqa",)),
    Benchmark("openai/openai_humaneval", splits=("test",), aliases=("openai_humaneval", "humaneval")),
)

DEFAULT_BENCHMARK_NAMES: tuple[str, ...] = tuple(name for b in DEFAULT_BENCHMARKS for name in b.names)


def source_name(entry: str) -> str:
    """A card's ``source_datasets`` entry as a dataset name: ``extended|glue`` -> ``glue``."""
    return entry.strip().lower().split("|")[-1].strip()


def benchmark_named(names: tuple[str, ...], candidates: list[str]) -> str | None:
    """The first of ``candidates`` (repo ids or source names) that ``names`` lists, as written."""
    wanted = {name.lower() for name in names}
    return next((c for c in candidates if source_name(c) in wanted), None)
