"""Tasks and records a user reads, for real dataset cards and feature schemas (synthetic rows).

The chain runs as a user runs it: the crawler reads the datasets through the mirror, then
``propose --engine rules``, ``filter`` and ``organize``. Each test names the defect it guards
against; the planted proposals show that validation rejects a wrong pairing whatever proposed it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from crawl.policy import PolicyOptions
from dynosaur.cli import main
from dynosaur.contracts.task_checks import judge
from dynosaur.contracts.tasks import Task
from hubmirror import MirrorServer
from tests.support.real_schemas import by_repo, snapshot_dataset
from tests.test_crawl_support import crawl, write_hub

REPOS = (
    "sem_eval_2014_task_1",
    "glue",
    "newsqa",
    "openai_humaneval",
    "metooma",
    "wiki_asp",
    "asnq",
    "fever",
    "common_gen",
)
# the policy rules about licenses and benchmarks are not what these tests are about
OFF = ("benchmark", "benchmark_source", "license", "detected_language")


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("real")
    hub = write_hub(root / "hub", [snapshot_dataset(by_repo(repo), rows=30) for repo in REPOS])
    data = root / "data"
    with MirrorServer(hub) as mirror:
        result = crawl(mirror, data, policy=PolicyOptions(disabled_rules=OFF))
    assert result.exit_code in (0, 3)
    cache = str(root / "cache")
    assert (
        main(["propose", "--data-dir", str(data), "--engine", "rules", "--cache", cache, "--no-progress"])
        == 0
    )
    assert main(["filter", "--data-dir", str(data)]) == 0
    assert main(["organize", "--data-dir", str(data), "--no-progress"]) == 0
    return data


def _tasks(data: Path, name: str) -> list[dict[str, Any]]:
    tasks = json.loads((data / "instructions-full.json").read_text(encoding="utf-8"))
    return [t for t in tasks if t["task_name"] == name]


def _records(data: Path, name: str) -> list[dict[str, Any]]:
    return [r for r in _lines(data / "dynosaur-full.jsonl") if r["taskname"] == name]


def _mappings(data: Path, name: str) -> set[tuple[tuple[str, ...], str]]:
    return {(tuple(sorted(t["input_fields"])), t["output_field"][0]) for t in _tasks(data, name)}


def test_a_pair_task_reads_both_texts_and_a_score_is_rated_as_a_number(chain: Path) -> None:
    """sem_eval_2014_task_1: both texts, an entailment label and a float32 relatedness score."""
    name = "sem_eval_2014_task_1"
    assert _mappings(chain, name) == {
        (("hypothesis", "premise"), "entailment_judgment"),
        (("hypothesis", "premise"), "relatedness_score"),
    }
    by_output = {t["output_field"][0]: t["instruction"] for t in _tasks(chain, name)}
    assert "entail" not in by_output["relatedness_score"] and "as a number" in by_output["relatedness_score"]
    assert "NEUTRAL, ENTAILMENT or CONTRADICTION" in by_output["entailment_judgment"]
    scores = [r for r in _records(chain, name) if r["instruction"] == by_output["relatedness_score"]]
    assert scores and all(len(r["output"]) <= 4 for r in scores)  # 2.11, not 2.109999895095825
    assert all(r["input"].startswith("premise is '") and "\nhypothesis is '" in r["input"] for r in scores)
    labels = {
        r["output"] for r in _records(chain, name) if r["instruction"] == by_output["entailment_judgment"]
    }
    assert labels <= {"NEUTRAL", "ENTAILMENT", "CONTRADICTION"}


def test_a_question_and_sentence_pair_is_judged_from_both(chain: Path) -> None:
    """glue qnli: classified from the question and the sentence, never from one field."""
    assert _mappings(chain, "glue-qnli") == {(("question", "sentence"), "label")}
    (task,) = _tasks(chain, "glue-qnli")
    assert (
        task["instruction"]
        == "Does the sentence answer the question? Answer as entailment or not_entailment."
    )
    records = _records(chain, "glue-qnli")
    assert records and {r["output"] for r in records} <= {"entailment", "not_entailment"}


def test_offsets_and_ids_are_never_answers(chain: Path) -> None:
    """newsqa: ``answer_char_ranges`` holds offsets, ``story_id`` an id; no task is better than one
    that answers with them."""
    assert _tasks(chain, "newsqa") == []
    assert _records(chain, "newsqa") == []


def test_code_is_written_from_its_prompt(chain: Path) -> None:
    """openai_humaneval: the solution from the prompt, not 'given the test, write the entry point'."""
    assert _mappings(chain, "openai_humaneval") == {(("prompt",), "canonical_solution")}
    (task,) = _tasks(chain, "openai_humaneval")
    assert task["instruction"] == "Write the canonical solution that the prompt asks for."


def test_labels_without_a_text_give_no_task(chain: Path) -> None:
    """metooma: only a tweet id and labels; no inverse 'write a tweet with the given label'."""
    assert _tasks(chain, "metooma") == []


def test_no_given_x_write_y_over_arbitrary_fields(chain: Path) -> None:
    """wiki_asp: an id, a list of sentences and aspect pairs; 'Given the exid, write the inputs.'
    was proposed before."""
    assert _tasks(chain, "wiki_asp") == []


def test_flags_are_not_the_answer_of_an_answer_selection_task(chain: Path) -> None:
    """asnq: the class label says whether the sentence answers; the two bool flags are no task."""
    assert _mappings(chain, "asnq") == {(("question", "sentence"), "label")}
    (task,) = _tasks(chain, "asnq")
    assert "yes or no" not in task["instruction"] and task["instruction"].endswith("as neg or pos.")


def test_a_claim_is_classified_with_the_labels_its_rows_hold(chain: Path) -> None:
    """fever: the label is a string; the instruction lists no labels seen in two rows, and the
    records say every label the rows hold; the wiki URL is never used."""
    assert _mappings(chain, "fever") == {(("claim",), "label")}
    records = _records(chain, "fever")
    assert records
    suffix = re.search(r"Answers must be one of (.*)\.$", records[0]["instruction"])
    assert suffix and set(suffix.group(1).split(", ")) == {r["output"] for r in records}
    assert all("wikipedia.org" not in r["input"] + r["output"] for r in records)


def test_unaware_mode_adds_no_rewording_of_an_aware_mapping(chain: Path) -> None:
    tasks = _lines(chain / "tasks.jsonl")
    seen: dict[tuple[str, frozenset[str], str], str] = {}
    for task in tasks:
        if task["valid"]:
            key = (task["task_name"], frozenset(task["input_fields"]), task["output_field"][0])
            assert key not in seen, f"{key} is proposed twice"
            seen[key] = task["mode"]
    reasons = {t["reason"].split(":")[0] for t in tasks if t["mode"] == "unaware" and not t["valid"]}
    assert reasons <= {"duplicate task", "duplicate mapping"}
    report = json.loads((chain / "propose_report.json").read_text(encoding="utf-8"))
    assert report["valid_by_mode"].get("unaware", 0) == 0
    assert report["mappings_added_by_mode"] == {"aware": len(seen), "unaware": 0}


# --- the checks, whatever the engine ----------------------------------------------------------


def _metadata(data: Path) -> dict[str, dict[str, Any]]:
    return {line["task_name"]: line for line in _lines(data / "huggingface_metadata.jsonl")}


PLANTED = [
    ("asnq", "Write a sentence with the given sentence in long answer.", ["sentence_in_long_answer"],
     "sentence", "bare input"),
    ("wiki_asp", "Given the exid, write the inputs.", ["exid"], "inputs", "id field"),
    ("sem_eval_2014_task_1", "Does the premise entail the hypothesis? Answer as entailment, neutral or "
     "contradiction.", ["premise", "hypothesis"], "relatedness_score", "labels miss outputs"),
    ("newsqa", "Answer the question using the story text.", ["story_text", "question"], "answer_char_ranges",
     "locator output"),
    ("fever", "Find the evidence page of the claim.", ["claim"], "evidence_wiki_url", "locator output"),
    ("fever", "Classify the claim as SUPPORTS or REFUTES.", ["claim"], "label", "labels miss outputs"),
    ("metooma", "Write the tweet id with the given sarcasm.", ["Sarcasm"], "TweetId", "id field"),
    ("common_gen", "Write the concepts of the target.", ["target"], "concepts", "list output"),
    ("glue-stsb", "Write the score.", ["idx"], "label", "id field"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "instruction", "inputs", "output", "kind"), PLANTED)
def test_planted_wrong_pairings_are_rejected_with_their_reason(
    chain: Path, name: str, instruction: str, inputs: list[str], output: str, kind: str
) -> None:
    metadata = _metadata(chain)
    task = Task(name, instruction, tuple(inputs), (output,), source="description-aware", mode="aware")
    (judged,) = judge([task], metadata)
    assert judged.reason is not None and judged.reason.split(":")[0] == kind, judged.reason


def test_a_mapping_is_kept_once_whichever_mode_proposed_it(chain: Path) -> None:
    metadata = _metadata(chain)
    first = Task("glue-qnli", "Does the sentence answer the question?", ("question", "sentence"), ("label",),
                 source="description-unaware", mode="unaware")  # fmt: skip
    second = Task("glue-qnli", "Is the question answered by the sentence?", ("sentence", "question"),
                  ("label",), source="description-aware", mode="aware")  # fmt: skip
    kept, dropped = judge([first, second], metadata)
    assert kept.valid and not dropped.valid
    assert dropped.reason.startswith(
        "duplicate mapping: the same input and output fields were already proposed"
    )


def test_the_propose_summary_says_when_a_mode_added_no_mapping() -> None:
    from collections import Counter

    from dynosaur.hub.propose.run import ProposeSummary

    summary = ProposeSummary(modes=("aware", "unaware"))
    summary.proposed, summary.valid = Counter(aware=3, unaware=3), Counter(aware=3)
    summary.repeats = Counter(unaware=3)
    assert (
        "  unaware mode added no mapping: its proposals repeat mappings already proposed" in summary.render()
    )
    assert summary.to_json()["mappings_added_by_mode"] == {"aware": 3, "unaware": 0}
    summary.repeats = Counter(unaware=1)
    assert "unaware mode added no mapping: none of its proposals is valid" in summary.render()
