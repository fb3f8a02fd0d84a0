"""A deterministic, deliberately varied organize input, and its expected outputs.

``write_inputs(folder)`` writes ``huggingface_data.jsonl``, ``instructions-full.json`` and
``license_info.json``: dataset-configs whose cells mix text (quotes, backslashes, newlines,
control characters, non-ASCII, over-long cells), numbers (int, float, float32 columns, bools),
lists (choices, tokens, alternatives, parts of one answer, lists of dicts), answer structs, dotted
struct fields, missing and empty cells, duplicate rows, row indices present or not, and lines
that are not dataset-configs at all; tasks that are kept, dropped by every kind of rule, repeated
or orphaned.

The expected files under ``tests/fixtures/organize_varied/`` were written by the organizer as it
was before its per-task compiled rendering and pre-encoded records; they pin the output bytes.
Regenerate them (``python -m tests.support.organize_varied``) only for an intended output change.
"""

from __future__ import annotations

import gzip
import json
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "organize_varied"
TEXT = {"dtype": "string", "_type": "Value"}
WORDS = [
    "alpha", "beta", "naïve", "café", "東京", "emoji😀", "it's", 'say "hi"', "back\\slash", "tab\there",
    "line\nbreak", "ctrl\x01char", "ümlaut", "zero", "x", "", "  ", "Ω", "—dash", "a'b'c", "{json}",
]  # fmt: skip


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def _features(names: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"feature_idx": i, "name": k, "type": v} for i, (k, v) in enumerate(names.items())]


def _line(name: str, rows: list[Any], features: dict[str, Any], rng: random.Random, **extra: Any) -> dict:
    line: dict[str, Any] = {
        "task_name": name,
        "dataset": name.split("-")[0],
        "config": "default",
        "split": rng.choice(["train", "validation", "test"]),
        "revision": "b" * 40,
        "license": rng.choice(["mit", "apache-2.0", "cc-by-4.0", "cc-by-sa-4.0"]),
        "website": f"https://huggingface.co/datasets/{name}",
        "features": _features(features),
        "selected_data": rows,
    }
    if rng.random() < 0.6:
        indices: list[Any] = [rng.randrange(10_000) for _ in rows]
        if indices and rng.random() < 0.3:
            indices[0] = True  # not an index: written as null
        line["row_indices"] = indices
    line.update(extra)
    return line


def _task(name: str, inputs: list[str], output: str, instruction: str = "Do the task.") -> dict:
    return {"task_name": name, "instruction": instruction, "input_fields": inputs, "output_field": [output]}


def build(seed: int = 11) -> tuple[list[Any], list[Any], dict[str, Any]]:
    """The data lines (objects, or raw strings for broken lines), the tasks and the license info."""
    rng = random.Random(seed)
    lines: list[Any] = []
    tasks: list[Any] = []
    labels3 = ["positive", "negative", "neutral"]
    for i in range(12):
        # classification with a ClassLabel, a free-text label column, long and short labels
        name = f"cls/ds{i}"
        names = labels3 if i % 3 else ["entailment", "neutral", "contradiction_of_the_premise"]
        rows: list[Any] = [
            {"text": _text(rng, rng.randrange(1, 9)), "label": rng.choice(names), "n": rng.randrange(100)}
            for _ in range(rng.randrange(5, 40))
        ]
        if i % 4 == 0 and rows:
            rows.append(dict(rows[0]))  # a duplicate row
            rows.append("not a row")
        feature = {"names": names, "_type": "ClassLabel"} if i % 2 else TEXT
        lines.append(
            _line(
                name, rows, {"text": TEXT, "label": feature, "n": {"dtype": "int32", "_type": "Value"}}, rng
            )
        )
        tasks.append(_task(name, ["text"], "label", rng.choice(["Classify.", "Is it positive or negative?"])))
        tasks.append(_task(name, ["label"], "text", "Write a text with this label."))
        tasks.append(_task(name, ["text"], "label", "Same mapping again."))  # a duplicate mapping
        tasks.append(_task(name, ["n"], "label"))  # bare numbers as input
    for i in range(10):
        # question answering over SQuAD-style answer structs, dotted fields and over-long contexts
        name = f"qa/ds{i}-cfg{i % 2}"
        rows = []
        for _ in range(rng.randrange(3, 30)):
            context = _text(rng, rng.randrange(3, 30)) * (200 if rng.random() < 0.1 else 1)
            answers = [_text(rng, 2) for _ in range(rng.randrange(0, 3))]
            rows.append(
                {
                    "question": _text(rng, 4) + "?",
                    "context": context,
                    "answers": {"text": answers, "answer_start": [0] * len(answers)},
                    "meta": {"title": _text(rng, 2), "score": rng.random()},
                }
            )
        struct = {"title": TEXT, "score": {"dtype": "float32", "_type": "Value"}}
        lines.append(
            _line(name, rows, {"question": TEXT, "context": TEXT, "answers": {}, "meta": struct}, rng)
        )
        tasks.append(_task(name, ["question", "context"], "answers", "Answer from the context."))
        tasks.append(_task(name, ["context", "meta.title"], "question", "Ask a question."))
        tasks.append(_task(name, ["meta.score"], "meta.title", "Title from a score."))
        tasks.append(_task(name, ["answers.text"], "question"))
    for i in range(8):
        # choices, numbers of every kind, alternatives, parts of one answer, lists of dicts
        name = f"mix/ds{i}"
        rows = []
        for j in range(rng.randrange(4, 25)):
            options = [_text(rng, 2) for _ in range(rng.randrange(2, 30 if i == 3 else 5))]
            rows.append(
                {
                    "goal": _text(rng, 3) if rng.random() > 0.1 else rng.choice(["", None, "   "]),
                    "choices": options,
                    "label": rng.choice(options),
                    "score": rng.choice([0.1, 2.5, 1e-7, 3.0, 1 / 3, 12345678.9]),
                    "flag": rng.random() < 0.5,
                    "count": rng.randrange(-5, 5),
                    "tokens": [_text(rng, 1) for _ in range(3)] + ([None] if j % 3 == 0 else []),
                    "references": [_text(rng, 2) for _ in range(rng.randrange(1, 3))],
                    "tags": [_text(rng, 1) for _ in range(1 if i % 2 else 2)],
                    "spans": [{"start": 0, "end": 1}] if j % 5 == 0 else [],
                    "ids": [j, j + 1],
                }
            )
        if i == 5:
            rows = [row | {"goal": "same goal", "choices": ["a", "b"], "label": "a"} for row in rows]
        features = {
            "goal": TEXT, "choices": {"_type": "List", "feature": TEXT}, "label": TEXT,
            "score": {"dtype": "float32" if i % 2 else "float64", "_type": "Value"},
            "flag": {"dtype": "bool", "_type": "Value"}, "count": {"dtype": "int64", "_type": "Value"},
            "tokens": {"_type": "List", "feature": TEXT}, "references": {"_type": "List", "feature": TEXT},
            "tags": {"_type": "List", "feature": TEXT}, "spans": {"_type": "List", "feature": {}},
            "ids": {"_type": "List", "feature": {"dtype": "int64", "_type": "Value"}},
        }  # fmt: skip
        lines.append(_line(name, rows, features, rng))
        tasks.append(_task(name, ["goal", "choices"], "label", "Pick the right plan."))
        tasks.append(_task(name, ["goal", "score", "count"], "references", "Write a reference."))
        tasks.append(_task(name, ["tokens", "flag"], "tags", "Tag it."))
        tasks.append(_task(name, ["goal", "spans"], "label", "Spans."))
        tasks.append(_task(name, ["goal", "ids"], "flag", "Is it flagged? Answer true or false."))
        tasks.append(_task(name, ["choices"], "score"))
    # rows that drop their task: a struct output, a media field, a missing license, no rows at all
    lines.append(
        _line("drop/struct", [{"q": "a", "o": {"k": 1}}, {"q": "b", "o": {"k": 2}}], {"q": TEXT}, rng)
    )
    tasks.append(_task("drop/struct", ["q"], "o"))
    lines.append(
        _line(
            "drop/image",
            [{"img": "x.png", "caption": "a cat"}],
            {"img": {"_type": "Image"}, "caption": TEXT},
            rng,
        )
    )
    tasks.append(_task("drop/image", ["img"], "caption"))
    lines.append(
        _line(
            "drop/nolicense",
            [{"q": "a", "a": "b"}, {"q": "c", "a": "d"}],
            {"q": TEXT, "a": TEXT},
            rng,
            license="",
        )
    )
    tasks.append(_task("drop/nolicense", ["q"], "a"))
    lines.append(_line("drop/norows", [], {"q": TEXT, "a": TEXT}, rng))
    tasks.append(_task("drop/norows", ["q"], "a"))
    lines.append(
        _line("drop/ids", [{"id": "1", "q": "x"}, {"id": "2", "q": "y"}], {"id": TEXT, "q": TEXT}, rng)
    )
    tasks.append(_task("drop/ids", ["q"], "id"))
    lines.append(
        _line(
            "drop/urls",
            [{"q": "x", "u": "https://a.example/1"}, {"q": "y", "u": "https://a.example/2"}],
            {"q": TEXT, "u": TEXT},
            rng,
        )
    )
    tasks.append(_task("drop/urls", ["q"], "u"))
    lines.append(_line("drop/vanished", [{"q": "x", "a": "y"}], {"q": TEXT, "a": TEXT}, rng))
    tasks.append(_task("drop/vanished", ["nope"], "a"))
    skewed = [{"q": f"q{k}", "a": "yes" if k < 9 else "no"} for k in range(12)]
    lines.append(_line("drop/skewed", skewed, {"q": TEXT, "a": TEXT}, rng))
    tasks.append(_task("drop/skewed", ["q"], "a", "Answer yes or no."))
    # a license from license_info.json overrides the line's; lines that are not dataset-configs
    lines.append(
        _line(
            "lic/override",
            [{"q": "one", "a": "two"}, {"q": "three", "a": "four"}],
            {"q": TEXT, "a": TEXT},
            rng,
            license="",
        )
    )
    tasks.append(_task("lic/override", ["q"], "a"))
    lines.append("{broken json")
    lines.append(json.dumps([1, 2]))
    lines.append(json.dumps({"task_name": "bad/rows", "selected_data": {"not": "a list"}}))
    lines.append(
        _line("cls/ds1", [{"text": "again", "label": "positive"}], {"text": TEXT}, rng)
    )  # duplicate name
    tasks.append(_task("gone/ds", ["q"], "a"))  # its dataset-config is not in the data file
    tasks.append(
        {"task_name": "cls/ds2", "instruction": "", "input_fields": ["text"], "output_field": ["label"]}
    )
    tasks.append("not a task")
    license_info = {"lic/override": {"license": "odc-by", "website": "https://example.org/override"}}
    return lines, tasks, license_info


def write_inputs(folder: Path, seed: int = 11) -> Path:
    """Write the varied input into ``folder`` (created) and return it."""
    lines, tasks, license_info = build(seed)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "huggingface_data.jsonl", "w", encoding="utf-8") as handle:
        for line in lines:
            handle.write((line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)) + "\n")
    (folder / "instructions-full.json").write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    (folder / "license_info.json").write_text(json.dumps(license_info), encoding="utf-8")
    return folder


def expected_records() -> bytes:
    """The expected ``dynosaur-full.jsonl`` bytes."""
    return gzip.decompress((FIXTURE / "dynosaur-full.jsonl.gz").read_bytes())


def expected_report() -> dict[str, Any]:
    """The expected ``organize_report.json``."""
    return json.loads((FIXTURE / "organize_report.json").read_text(encoding="utf-8"))


def _regenerate() -> None:
    from dynosaur.hub.organize.run import organize

    with tempfile.TemporaryDirectory() as tmp:
        folder = write_inputs(Path(tmp))
        organize(folder, progress=False, crawled_at="2026-01-01T00:00:00Z")
        FIXTURE.mkdir(parents=True, exist_ok=True)
        records = (folder / "dynosaur-full.jsonl").read_bytes()
        (FIXTURE / "dynosaur-full.jsonl.gz").write_bytes(gzip.compress(records, mtime=0))
        (FIXTURE / "organize_report.json").write_bytes((folder / "organize_report.json").read_bytes())
        count = records.count(b"\n")
        print(f"{count} records, {len(records)} bytes", file=sys.stderr)


if __name__ == "__main__":
    _regenerate()
