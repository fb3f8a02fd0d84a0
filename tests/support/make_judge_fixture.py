"""Write the judge's labelled fixture: sound tasks people wrote and planted corruptions of them,
on real dataset schemas, each with the records the organizer makes of it.

Good tasks are PromptSource's ``original_task`` templates (``../shared/corpus/promptsource_tasks.jsonl``)
of the datasets whose real cards and feature schemas ``tests/support/real_schemas.py`` holds: the
template's field mapping, and as instruction its prompt text without the Jinja placeholders
(left out: templates that read their target among the inputs, and templates whose text spells out
choices other than the label's names, "True, False or Neither" over entailment labels, since
Dynosaur's records show the names and no instruction of that shape can fit them). Bad
tasks are made from the good ones, one kind at a time, the kinds the pairing checks guard
against: an id / offset / URL output; an input that is only a label, bool or number; a score under
an instruction that lists labels; labels that miss the outputs; input and output swapped. Each
task keeps three records of the schema's synthetic rows, rendered by the organizer's renderer
(without its drop rules, which would remove most flaws before a judge saw them); a task no row
renders for is left out.

The fixture is committed (tests/fixtures/judge_agreement/), so tests and ``bench/judge.py`` run
without ``../shared``; rerun this script to regenerate it:

    python -m tests.support.make_judge_fixture [--corpus ../shared/corpus/promptsource_tasks.jsonl]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from dynosaur.contracts.fields import is_id_like, is_locator  # noqa: E402
from dynosaur.contracts.label_lists import listed_labels, normalize  # noqa: E402
from dynosaur.hub.organize.rules import OrganizeConfig  # noqa: E402
from dynosaur.hub.organize.rules import Task as OrganizeTask  # noqa: E402
from dynosaur.hub.organize.run import _Source, _TaskRun  # noqa: E402
from tests.support.real_schemas import SCHEMAS, RealSchema, features, synthetic_rows  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "promptsource_tasks.jsonl"
OUT = ROOT / "tests" / "fixtures" / "judge_agreement"
RECORDS_PER_TASK = 3
ROWS = 12
BAD_PER_KIND = 45
KINDS = ("id/offset output", "label-only input", "score worded as a label", "labels miss outputs", "swapped")
# label lists that belong to other kinds of task, planted where a task's labels are not them
FOREIGN_LABELS = (
    ["positive", "negative"],
    ["entailment", "neutral", "contradiction"],
    ["yes", "no"],
    ["sports", "business", "world"],
)


def instruction_of(jinja: str) -> str:
    """A template's prompt text (before ``|||``) without its placeholders and statements."""
    prompt = jinja.split("|||", 1)[0]
    prompt = re.sub(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}", " ", prompt, flags=re.S)
    lines = [" ".join(line.split()) for line in prompt.splitlines()]
    text = " ".join(line for line in lines if line and not re.fullmatch(r"[\W\d_]*\w{0,12}:?[\W]*", line))
    text = re.sub(r"([\"'“”])\s*\1|\(\s*\)|\[\s*\]", " ", text)  # quotes a placeholder filled
    text = re.sub(r"\s+([?.,:;!])", r"\1", " ".join(text.split()))
    return text.strip(" -:")


def _config(schema: RealSchema, config: str | None) -> str | None:
    if config in schema.configs:
        return config
    if len(schema.configs) == 1:
        return next(iter(schema.configs))
    return None


def _kind(spec: Any) -> str:
    if isinstance(spec, list):
        return "label"
    if isinstance(spec, str):
        if spec == "string":
            return "text"
        return "bool" if spec == "bool" else "float" if spec.startswith("float") else "int"
    return "struct"


def _resolved(schema: RealSchema, config: str) -> list[dict[str, Any]]:
    """Synthetic rows with ClassLabel indices named, as the crawler writes them."""
    spec = schema.configs[config]
    rows = synthetic_rows(schema, config, ROWS)
    for row in rows:
        for name, value in row.items():
            if isinstance(spec[name], list) and isinstance(value, int):
                row[name] = spec[name][value]
    return rows


def _metadata(schema: RealSchema, config: str) -> dict[str, Any]:
    name = schema.repo if len(schema.configs) == 1 else f"{schema.repo}-{config}"
    return {
        "task_name": name,
        "dataset": schema.repo,
        "config": config,
        "license": schema.license or "mit",
        "website": f"https://huggingface.co/datasets/{schema.repo}",
        "features": features(schema.configs[config]),
        "selected_data": _resolved(schema, config),
    }


def good_tasks(corpus: Path) -> list[dict[str, Any]]:
    schemas = {s.repo: s for s in SCHEMAS}
    found, seen = [], set()
    for raw in corpus.read_text(encoding="utf-8").splitlines():
        line = json.loads(raw)
        schema = schemas.get(line["dataset"])
        if not line["original_task"] or schema is None or len(line["output_fields"]) != 1:
            continue
        config = _config(schema, line["config"])
        if config is None:
            continue
        spec = schema.configs[config]
        fields = [*line["input_fields"], *line["output_fields"]]
        instruction = instruction_of(line["jinja"])
        if not all(f in spec for f in fields) or len(instruction.split()) < 3:
            continue
        out = line["output_fields"][0]
        if out in line["input_fields"]:
            continue  # the target shuffled among the inputs: no Dynosaur task reads its output
        listed = listed_labels(instruction)
        if isinstance(spec[out], list) and listed and {normalize(n) for n in spec[out]} != set(listed):
            continue  # choices verbalized ("True, False or Neither") where records show the names
        key = (schema.repo, config, instruction)
        if key in seen:
            continue
        seen.add(key)
        found.append(
            {
                "schema": schema,
                "config": config,
                "instruction": instruction,
                "input_fields": list(line["input_fields"]),
                "output_field": [line["output_fields"][0]],
            }
        )
    return found


def _fields(task: dict[str, Any], kinds: set[str]) -> list[str]:
    spec = task["schema"].configs[task["config"]]
    return [name for name, s in spec.items() if _kind(s) in kinds]


def corruptions(task: dict[str, Any], rng: random.Random) -> list[tuple[str, dict[str, Any]]]:
    """Every planted flaw this task's schema allows, one per kind."""
    spec = task["schema"].configs[task["config"]]
    out, inputs = task["output_field"][0], task["input_fields"]
    made: list[tuple[str, dict[str, Any]]] = []
    pointers = [n for n in spec if (is_id_like(n) or is_locator(n)) and n not in inputs and n != out]
    if pointers:
        made.append(("id/offset output", {**task, "output_field": [rng.choice(pointers)]}))
    bare = [n for n in spec if _kind(spec[n]) in ("bool", "int", "float") and n != out]
    texts = [n for n in _fields(task, {"text"}) if n not in inputs or len(inputs) > 1]
    if bare and texts:
        target = rng.choice(texts)
        label = rng.choice(bare)
        made.append(
            (
                "label-only input",
                {
                    **task,
                    "instruction": f"Write a {target.replace('_', ' ')} with the given {label.replace('_', ' ')}.",
                    "input_fields": [label],
                    "output_field": [target],
                },
            )
        )
    scores = [n for n in _fields(task, {"float", "int"}) if not is_id_like(n) and n not in inputs]
    if scores:
        labels = rng.choice(FOREIGN_LABELS)
        made.append(
            (
                "score worded as a label",
                {
                    **task,
                    "instruction": f"{task['instruction']} Answer {', '.join(labels[:-1])} or {labels[-1]}.",
                    "output_field": [rng.choice(scores)],
                },
            )
        )
    if _kind(spec[out]) == "label":
        names = {n.lower() for n in spec[out]}
        foreign = [labels for labels in FOREIGN_LABELS if not names & set(labels)]
        if foreign:
            labels = rng.choice(foreign)
            made.append(
                (
                    "labels miss outputs",
                    {
                        **task,
                        "instruction": f"{task['instruction']} Answer {', '.join(labels[:-1])} or {labels[-1]}.",
                    },
                )
            )
    text_inputs = [n for n in inputs if _kind(spec[n]) == "text"]
    if text_inputs and out not in inputs:
        made.append(("swapped", {**task, "input_fields": [out], "output_field": [text_inputs[0]]}))
    return made


def _rendered(task: dict[str, Any], metadata: dict[str, Any]) -> list[dict[str, str]]:
    """Three records the task makes, rendered by the organizer's own renderer but without its
    drop rules (they would drop most planted flaws before any judge saw them); none when no row
    renders."""
    fields = {k: task[k] for k in ("instruction", "input_fields", "output_field")}
    parsed = OrganizeTask.from_json({"task_name": metadata["task_name"], **fields})
    source = _Source(metadata, {"license": metadata["license"], "website": metadata["website"]})
    pairs, _reason = _TaskRun(parsed, source, OrganizeConfig()).pairs()
    return [
        {"instruction": parsed.instruction, "input": text, "output": output}
        for text, output, _raw, _row_idx in pairs[:RECORDS_PER_TASK]
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    if not args.corpus.is_file():
        sys.exit(f"{args.corpus} not found: the fixture is made from PromptSource's templates in ../shared")
    rng = random.Random(14)
    good = good_tasks(args.corpus)
    planted: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    for task in good:
        for kind, bad in corruptions(task, rng):
            planted[kind].append(bad)
    chosen = [("good", "promptsource", t) for t in good]
    for kind in KINDS:
        rng.shuffle(planted[kind])
        chosen += [("bad", kind, t) for t in planted[kind][: BAD_PER_KIND * 2]]
    metadata: dict[str, dict[str, Any]] = {}
    lines: list[dict[str, Any]] = []
    kept: Counter = Counter()
    left_out: Counter = Counter()
    for label, kind, task in chosen:
        if label == "bad" and kept[kind] >= BAD_PER_KIND:
            continue
        meta = metadata.setdefault(
            f"{task['schema'].repo}/{task['config']}", _metadata(task["schema"], task["config"])
        )
        records = _rendered(task, meta)
        if not records:
            left_out[kind] += 1
            continue
        kept[kind] += 1
        lines.append(
            {
                "id": len(lines) + 1,
                "label": label,
                "kind": kind,
                "task": {
                    "task_name": meta["task_name"],
                    "instruction": task["instruction"],
                    "input_fields": task["input_fields"],
                    "output_field": task["output_field"],
                },
                "records": records,
            }
        )
    used = {line["task"]["task_name"] for line in lines}
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "metadata.jsonl").open("w", encoding="utf-8") as handle:
        for meta in sorted(metadata.values(), key=lambda m: m["task_name"]):
            if meta["task_name"] in used:
                handle.write(
                    json.dumps({**meta, "selected_data": meta["selected_data"][:2]}, ensure_ascii=False)
                    + "\n"
                )
    with (args.out / "tasks.jsonl").open("w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
    print(f"{len(lines)} labelled tasks on {len(used)} dataset-configs -> {args.out}")
    for kind in ("promptsource", *KINDS):
        print(f"  {kind:26s} {kept[kind]:4d}  (left out, no records: {left_out[kind]})")


if __name__ == "__main__":
    main()
