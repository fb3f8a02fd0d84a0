"""Self-Instruct on the published 175 seed tasks (skipped when the shared corpus is absent)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dynosaur.cli import main
from dynosaur.contracts.seed_tasks import load_seed_tasks
from tests.support.openai_server import ScriptedOpenAIServer, user_text
from tests.test_self_instruct import Script

SEED_FILE = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "self_instruct_seed_tasks.jsonl"
pytestmark = pytest.mark.skipif(not SEED_FILE.exists(), reason="shared corpus not present")

ROUNDS = [
    "Task 9: Plan a three-day itinerary for a first visit to Lisbon.\n"
    "Task 10: Classify the genre of a song from its lyrics as rock, pop, or country.\n"
    "Task 11: Compose a polite reply declining a wedding invitation.",
    "9. Estimate how many liters of water a family of four uses per week.\n"
    "10. Turn the following bullet points into a formal cover letter paragraph.",
]


def shown_instructions(prompt: str) -> list[str]:
    return [
        re.sub(r"^Task \d+: ", "", line) for line in prompt.splitlines() if re.match(r"^Task \d+: ", line)
    ]


def test_bootstrap_from_the_published_seed_tasks(tmp_path):
    seeds = load_seed_tasks(SEED_FILE)
    seed_text = {" ".join(t.instruction.split()) for t in seeds}
    classification_seeds = {t.instruction for t in seeds if t.is_classification}
    with ScriptedOpenAIServer(Script(ROUNDS)) as server:
        code = main(["self-instruct", "--seed-tasks", str(SEED_FILE), "--num-instructions", "5",
                     "--output-dir", str(tmp_path / "out"), "--base-url", server.base_url,
                     "--no-progress", "--concurrency", "1"])  # fmt: skip
        assert code == 0
        prompts = [user_text(r) for r in server.requests]
    boots = [p for p in prompts if "Continue the list" in p]
    assert len(boots) == 2
    first, second = (shown_instructions(p) for p in boots)
    assert len(first) == 8 and all(text in seed_text for text in first)
    assert sum(text not in seed_text for text in second) == 2
    for prompt in (p for p in prompts if "Is it classification?" in p):
        shots = re.findall(r"^Task: (.*)\nIs it classification\? (Yes|No)$", prompt, flags=re.MULTILINE)
        assert len(shots) == 6
        assert all((text in classification_seeds) == (answer == "Yes") for text, answer in shots)

    tasks = load_seed_tasks(tmp_path / "out" / "self_instruct_tasks.jsonl")
    assert [t.instruction for t in tasks] == [
        "Plan a three-day itinerary for a first visit to Lisbon.",
        "Classify the genre of a song from its lyrics as rock, pop, or country.",
        "Compose a polite reply declining a wedding invitation.",
        "Estimate how many liters of water a family of four uses per week.",
        "Turn the following bullet points into a formal cover letter paragraph.",
    ]
    assert [t.is_classification for t in tasks] == [False, True, False, False, False]
    report = json.loads((tmp_path / "out" / "self_instruct_report.json").read_text(encoding="utf-8"))
    assert report["seed_tasks"] == 175 and report["records_written"] == 10


def test_classification_only_uses_the_26_classification_seeds(tmp_path):
    classification_seeds = {
        " ".join(t.instruction.split()) for t in load_seed_tasks(SEED_FILE) if t.is_classification
    }
    with ScriptedOpenAIServer(Script(ROUNDS[1:])) as server:
        code = main(["self-instruct", "--seed-tasks", str(SEED_FILE), "--num-instructions", "2",
                     "--output-dir", str(tmp_path / "out"), "--base-url", server.base_url,
                     "--no-progress", "--classification-only"])  # fmt: skip
        assert code == 0
        boot = next(user_text(r) for r in server.requests if "Continue the list" in user_text(r))
    shown = shown_instructions(boot)
    assert len(shown) == 8 and all(text in classification_seeds for text in shown)
