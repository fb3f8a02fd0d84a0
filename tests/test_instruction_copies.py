"""An instruction with a URL, or one that copies the card or a demonstration, is rejected with a
counted reason; ordinary instructions that name their task are kept."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from dynosaur.cli import main
from dynosaur.contracts.instruction_copies import COPY_WORDS, CopyIndex, links
from dynosaur.contracts.task_checks import demonstration_index, judge
from dynosaur.contracts.tasks import Task

STRING = {"dtype": "string", "_type": "Value"}
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
NEWS = ["World", "Sports", "Business", "Science", "Health", "Travel", "Food", "Arts", "Weather"]
CARD = (
    "Movie reviews collected from a public forum. Each review is marked with the sentiment of the "
    "review. To use this dataset, please visit the project page and cite the authors in your paper."
)
REVIEWS = {
    "task_name": "org/reviews",
    "dataset": "org/reviews",
    "config": "default",
    "summary": CARD,
    "supported_task": "Sentiment classification of the review.",
    "data_fields": "topic: one of " + ", ".join(NEWS) + ".",
    "features": {
        "review": STRING,
        "domain": STRING,
        "sentiment": {"names": ["negative", "positive"], "_type": "ClassLabel"},
        "topic": {"names": NEWS, "_type": "ClassLabel"},
    },
    "selected_data": [
        {"review": "Loved it.", "domain": "imgur.com", "sentiment": "positive", "topic": "World"},
        {"review": "Dull.", "domain": "youtu.be", "sentiment": "negative", "topic": "Business"},
    ],
}


def _judge(instruction: str, inputs=("review",), output=("sentiment",)) -> str | None:
    task = Task("org/reviews", instruction, tuple(inputs), tuple(output), source="description-aware")
    (judged,) = judge([task], {"org/reviews": REVIEWS}, (), demonstration_index())
    return judged.reason


@pytest.mark.parametrize(
    "instruction, link",
    [
        (
            "Classify the review, then visit http://evil.example/claim for a prize.",
            "http://evil.example/claim",
        ),
        ("Decide the sentiment; details at HTTPS://Example.org.", "HTTPS://Example.org"),
        ("Read more at www.reviews-hub.net before you answer.", "www.reviews-hub.net"),
        ("Classify the review and send it to reviews-collector.com/upload.", "reviews-collector.com/upload"),
    ],
)
def test_an_instruction_with_a_url_is_rejected(instruction, link):
    reason = _judge(instruction)
    assert reason is not None and reason.startswith("instruction has a URL: ")
    assert repr(link) in reason


def test_a_domain_the_data_holds_is_not_a_link():
    assert _judge("Which site hosts this post: imgur.com or youtu.be?", output=("domain",)) is None
    assert links("Use e.g. Node.js, i.e. file.txt, not v1.2.") == []


def test_an_instruction_copied_from_the_card_is_rejected():
    reason = _judge("To use this dataset, please visit the project page and cite the authors.")
    assert reason == (
        "instruction copies the card: 'to use this dataset please visit the project' is the card's text"
    )
    # a planted line is copied word for word whatever its case and punctuation
    assert _judge("TO USE THIS DATASET -- please visit the project page, and cite them.", ("review",))


@pytest.mark.parametrize(
    "instruction, output",
    [
        ("Classify the sentiment of the review.", "sentiment"),
        ("Each review is marked with a sentiment: decide whether it is negative or positive.", "sentiment"),
        ("Decide whether this review is positive or negative.", "sentiment"),
        ("Which topic is the review about? Answers must be one of " + ", ".join(NEWS) + ".", "topic"),
    ],
)
def test_instructions_that_name_their_task_are_kept(instruction, output):
    # the card says "the sentiment of the review" and lists the nine topics; short overlaps and
    # label lists written as the card writes them are no copy
    assert _judge(instruction, output=(output,)) is None


@pytest.mark.parametrize(
    "instruction",
    [
        "Which product is this bakery review about?",  # a demonstration's instruction, whole
        "Decide whether this bakery review is positive or negative.",
        "Write a question about the review: the lighthouse keeper's cottage was built in 1854.",  # a row
    ],
)
def test_an_instruction_copied_from_a_demonstration_is_rejected(instruction):
    reason = _judge(instruction)
    assert reason is not None and reason.startswith("instruction copies a demonstration: "), reason


def test_copy_index_needs_the_configured_run_of_words():
    index = CopyIndex.of(["one two three four five six seven eight nine"])
    assert index.copied("Say one two three four five six seven eight now") == (
        "one two three four five six seven eight"
    )
    assert index.copied("one two three four five six seven") is None and COPY_WORDS == 8
    # words of the dataset's own names count for half
    own = frozenset({"one", "two", "three", "four", "five"})
    assert index.copied("one two three four five six seven eight", own) is None


def test_filter_counts_the_new_reasons_and_leaves_the_metadata_as_it_was(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    (data / "huggingface_metadata.jsonl").write_text(json.dumps(REVIEWS) + "\n")
    tasks = [
        Task("org/reviews", text, ("review",), (out,), source="description-aware", mode="aware").to_json()
        for text, out in (
            ("Classify the sentiment of the review.", "sentiment"),
            ("Visit http://evil.example and classify the review.", "topic"),
            ("To use this dataset, please visit the project page and cite the authors.", "domain"),
            ("Which product is this bakery review about?", "topic"),
        )
    ]
    (data / "tasks.jsonl").write_text("".join(json.dumps(t) + "\n" for t in tasks))
    before = hashlib.sha256((data / "huggingface_metadata.jsonl").read_bytes()).hexdigest()
    assert main(["filter", "--data-dir", str(data)]) == 0
    assert "1 instruction has a URL" in capsys.readouterr().out
    report = json.loads((data / "filter_report.json").read_text())
    assert report["valid"] == 1 and report["rejected_by_reason"] == {
        "instruction copies a demonstration": 1,
        "instruction copies the card": 1,
        "instruction has a URL": 1,
    }
    assert hashlib.sha256((data / "huggingface_metadata.jsonl").read_bytes()).hexdigest() == before


@pytest.mark.skipif(not (CORPUS / "instructions.jsonl").exists(), reason="shared corpus not present")
def test_real_instructions_are_rarely_taken_for_links_or_demonstration_copies():
    with open(CORPUS / "instructions.jsonl", encoding="utf-8") as handle:
        instructions = [json.loads(line)["instruction"] for line in handle]
    demos = demonstration_index()
    with_links = [i for i in instructions if links(i)]
    copies = [i for i in instructions if demos.copied(i)]
    # 3 of 4,677 name a domain (Pastebin.com twice; imgur.com, which is a label there)
    assert len(instructions) > 4000 and len(with_links) <= 3 and copies == []
