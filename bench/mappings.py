"""How often the rules engine proposes the field mappings people wrote: precision and recall
against PromptSource's ``original_task`` templates.

Serves the real cards and feature schemas of tests/support/real_schemas.py (synthetic rows) through
the loopback Hub mirror, crawls them with the real crawler (policy rules that judge licenses and
benchmarks switched off: the engine is measured, not the crawl policy), then runs ``dynosaur
propose --engine rules`` (both modes, validation included) once with this checkout and once with an
earlier revision of the code (``--before``, default the last revision before the engine rework).
A proposed valid task ``(input_fields, output_field)`` is right when PromptSource has an original
task of that dataset-config reading exactly those input fields with that field among its target's
fields (fields its ``answer_choices`` read are not counted as targets). Precision counts proposals
on dataset-configs that have an original task; recall counts those configs' distinct mappings.

    python bench/mappings.py [--before REV] [--corpus ../shared/corpus/promptsource_tasks.jsonl]
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawl.crawler import run_crawl  # noqa: E402
from crawl.options import CrawlOptions  # noqa: E402
from crawl.policy import PolicyOptions  # noqa: E402
from crawl.ratelimit import plan_quotas  # noqa: E402
from crawl.snapshot import Snapshot  # noqa: E402
from crawl.transport import RetryPolicy  # noqa: E402
from hubmirror import MirrorServer  # noqa: E402
from tests.support.real_schemas import HELD_OUT, SCHEMAS, snapshot_dataset  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "promptsource_tasks.jsonl"
# main before the rules engine and the pairing checks were reworked for real schemas
BEFORE = "7197d41"
OFF_RULES = ("benchmark", "benchmark_source", "license", "detected_language")

Mapping = tuple[frozenset[str], str]


@dataclass
class Score:
    """Precision and recall of one run's valid proposals."""

    proposed: int = 0
    right: int = 0
    gold: int = 0
    found: int = 0
    configs: int = 0
    configs_found: int = 0
    elsewhere: int = 0  # valid proposals on configs PromptSource has no original task for
    by_mode: dict[str, list[int]] = field(default_factory=dict)
    wrong: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.right / self.proposed if self.proposed else 0.0

    @property
    def recall(self) -> float:
        return self.found / self.gold if self.gold else 0.0


def load_gold(path: Path) -> dict[tuple[str, str | None], set[tuple[frozenset[str], frozenset[str]]]]:
    """``{(dataset, config): {(input fields, target fields)}}`` of PromptSource's original tasks."""
    gold: dict[tuple[str, str | None], set[tuple[frozenset[str], frozenset[str]]]] = defaultdict(set)
    for line in path.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if not item["original_task"]:
            continue
        inputs = frozenset(item["input_fields"])
        targets = set(item["output_fields"]) - set(item["answer_choices_fields"])
        gold[(item["dataset"], item["config"])].add((inputs, frozenset(targets or item["output_fields"])))
    return gold


def crawl_schemas(work: Path) -> Path:
    """Serve the real schemas through the mirror and crawl them; returns the data dir."""
    hub = work / "hub"
    snapshot = Snapshot(hub)
    for schema in SCHEMAS:
        snapshot.write_dataset(snapshot_dataset(schema))
    data = work / "crawl"
    with MirrorServer(hub) as mirror:
        options = CrawlOptions(
            hub_endpoint=mirror.url,
            viewer_endpoint=mirror.viewer_url,
            data_dir=data,
            quotas=plan_quotas("pro", api=100_000, resolvers=100_000, window=1.0),
            retry=RetryPolicy(attempts=4, base_wait=0.005, max_wait=0.05),
            policy=PolicyOptions(disabled_rules=OFF_RULES),
            progress=False,
        )
        run_crawl(options)
    return data


def checkout(rev: str, dest: Path) -> Path:
    """The repository's files at ``rev`` (``git archive``), to run an earlier engine."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True, capture_output=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def propose(tree: Path, crawl_dir: Path, out: Path) -> list[dict[str, Any]]:
    """``dynosaur propose --engine rules`` of the code in ``tree`` over the crawled metadata."""
    out.mkdir(parents=True)
    (out / "huggingface_metadata.jsonl").write_bytes((crawl_dir / "huggingface_metadata.jsonl").read_bytes())
    command = [sys.executable, "-m", "dynosaur.cli", "propose", "--engine", "rules", "--data-dir", str(out),
               "--cache", str(out / "cache"), "--no-progress"]  # fmt: skip
    subprocess.run(command, cwd=tree, check=True, capture_output=True)
    lines = (out / "tasks.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def gold_for(gold: dict[tuple[str, str | None], Any], dataset: str, config: str) -> Any:
    if (dataset, config) in gold:
        return gold[(dataset, config)]
    configs = {c for d, c in gold if d == dataset}
    return gold[(dataset, None)] if configs == {None} else None


def score(
    tasks: list[dict[str, Any]],
    metadata: list[dict[str, Any]],
    gold: dict[Any, Any],
    only: set[str] | None = None,
) -> Score:
    """Match valid proposals against the gold mappings of their dataset-config (``only`` those
    datasets when given)."""
    result = Score()
    by_name = {line["task_name"]: line for line in metadata if only is None or line["dataset"] in only}
    found: set[tuple[str, frozenset[str], frozenset[str]]] = set()
    for line in by_name.values():
        mappings = gold_for(gold, line["dataset"], line["config"])
        if mappings:
            result.configs += 1
            result.gold += len(mappings)
    hit_configs: set[str] = set()
    for task in tasks:
        if not task.get("valid") or task["task_name"] not in by_name:
            continue
        line = by_name[task["task_name"]]
        mappings = gold_for(gold, line["dataset"], line["config"])
        if not mappings:
            result.elsewhere += 1
            continue
        inputs, output = frozenset(task["input_fields"]), task["output_field"][0]
        matched = [(i, o) for i, o in mappings if i == inputs and output in o]
        mode = result.by_mode.setdefault(task["mode"], [0, 0])
        mode[0] += 1
        result.proposed += 1
        if matched:
            result.right += 1
            mode[1] += 1
            hit_configs.add(task["task_name"])
            found.update((task["task_name"], i, o) for i, o in matched)
        else:
            result.wrong.append(f"{task['task_name']}: {sorted(inputs)} -> {output} ({task['instruction']})")
    result.found = len(found)
    result.configs_found = len(hit_configs)
    return result


def report(label: str, result: Score) -> str:
    modes = ", ".join(f"{m} {r}/{n}" for m, (n, r) in sorted(result.by_mode.items()))
    return (
        f"{label:7s} precision {result.precision:.2f} ({result.right}/{result.proposed})  "
        f"recall {result.recall:.2f} ({result.found}/{result.gold} mappings; "
        f"{result.configs_found}/{result.configs} configs)  right by mode: {modes or 'none'}; "
        f"{result.elsewhere} valid tasks on configs without an original task"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default=BEFORE, help=f"revision to compare with (default {BEFORE})")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--show-wrong", action="store_true", help="list the proposals that miss")
    args = parser.parse_args(argv)
    if not args.corpus.is_file():  # a fresh clone has no ../shared; make bench goes on
        print(f"skipped: no PromptSource corpus at {args.corpus}")
        return 0
    gold = load_gold(args.corpus)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        crawl_dir = crawl_schemas(work)
        metadata = [
            json.loads(x) for x in (crawl_dir / "huggingface_metadata.jsonl").read_text().splitlines()
        ]
        print(f"{len(SCHEMAS)} datasets, {len(metadata)} dataset-configs crawled")
        runs = [("after", ROOT)]
        try:
            runs.insert(0, (f"before ({args.before})", checkout(args.before, work / "before")))
        except subprocess.CalledProcessError:
            print(f"before: revision {args.before} is not in this clone")
        held_out = {schema.repo for schema in HELD_OUT}
        for label, tree in runs:
            tasks = propose(tree, crawl_dir, work / f"run-{label.split()[0]}")
            result = score(tasks, metadata, gold)
            print(report(label.split()[0], result))
            print(report("  of which held out", score(tasks, metadata, gold, held_out)))
            if args.show_wrong:
                for line in result.wrong:
                    print("   miss", line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
