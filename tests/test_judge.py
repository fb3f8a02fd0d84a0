"""``dynosaur judge``: the offline judge scores planted flaws low and sound tasks high; the openai
judge goes through the cache with propose's structured-output fallbacks; organize drops low scores."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dynosaur.cli import main
from dynosaur.contracts.judge_scores import TaskScore, read_scores
from dynosaur.quality.judge.prompt import JudgementError, parse_judgement
from dynosaur.quality.judge.rules import RulesJudge, record_flaw
from tests.support.openai_server import Reply, ScriptedOpenAIServer, user_text

LABELS = ["negative", "positive"]


def _feature(name: str, kind: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "type": kind}


STRING = {"dtype": "string", "_type": "Value"}
INT = {"dtype": "int64", "_type": "Value"}
FLOAT = {"dtype": "float32", "_type": "Value"}
CLASS = {"names": LABELS, "_type": "ClassLabel"}

ROWS = [
    {
        "id": 1000 + i,
        "review": f"The film number {i} was {'dull and slow' if i % 2 == 0 else 'bright and moving'}, "
        "with a cast that carried every scene of its long second act.",
        "sentiment": LABELS[i % 2],
        "stars": float(i % 5) + 0.5,
        "source_url": f"https://example.org/review/{i}",
    }
    for i in range(6)
]
METADATA = {
    "task_name": "acme/reviews",
    "dataset": "acme/reviews",
    "config": "default",
    "license": "mit",
    "website": "https://huggingface.co/datasets/acme/reviews",
    "features": [
        _feature("id", INT),
        _feature("review", STRING),
        _feature("sentiment", CLASS),
        _feature("stars", FLOAT),
        _feature("source_url", STRING),
    ],
    "selected_data": ROWS[:2],
}


def _value(row: dict[str, Any], field: str) -> str:
    return str(row[field])


def _records(task: dict[str, Any]) -> list[dict[str, str]]:
    found = []
    for row in ROWS:
        fields = task["input_fields"]
        text = (
            _value(row, fields[0])
            if len(fields) == 1
            else "\n".join(f"{f} is '{_value(row, f)}'." for f in fields)
        )
        found.append(
            {
                "instruction": task["instruction"],
                "input": text,
                "output": _value(row, task["output_field"][0]),
                "license": "mit",
                "website": METADATA["website"],
                "taskname": "acme/reviews",
            }
        )
    return found


GOOD = [
    {
        "instruction": "Classify the sentiment of the review as negative or positive.",
        "inputs": ["review"],
        "out": "sentiment",
    },
    {"instruction": "Predict the star rating of the review.", "inputs": ["review"], "out": "stars"},
]
BAD = {
    "id output": {"instruction": "Write the id of the review.", "inputs": ["review"], "out": "id"},
    "locator output": {
        "instruction": "Give the page of the review.",
        "inputs": ["review"],
        "out": "source_url",
    },
    "score worded as a label": {
        "instruction": "Is the review negative or positive? Answer negative or positive.",
        "inputs": ["review"],
        "out": "stars",
    },
    "swapped": {
        "instruction": "Classify the sentiment of the review.",
        "inputs": ["sentiment"],
        "out": "review",
    },
}


def _task(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "task_name": "acme/reviews",
        "instruction": spec["instruction"],
        "input_fields": spec["inputs"],
        "output_field": [spec["out"]],
    }


def _data_dir(tmp_path: Path, specs: list[dict[str, Any]]) -> Path:
    tasks = [_task(s) for s in specs]
    (tmp_path / "instructions-full.json").write_text(json.dumps(tasks), encoding="utf-8")
    (tmp_path / "huggingface_metadata.jsonl").write_text(json.dumps(METADATA) + "\n", encoding="utf-8")
    (tmp_path / "huggingface_data.jsonl").write_text(
        json.dumps({**METADATA, "selected_data": ROWS}) + "\n", encoding="utf-8"
    )
    (tmp_path / "license_info.json").write_text(
        json.dumps({"acme/reviews": {"license": "mit", "website": METADATA["website"]}}), encoding="utf-8"
    )
    lines = [json.dumps(r) for t in tasks for r in _records(t)]
    (tmp_path / "dynosaur-full.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path


def _scores(data_dir: Path) -> dict[str, TaskScore]:
    return {s.instruction: s for s in read_scores(data_dir / "judge_scores.jsonl")}


def test_rules_judge_scores_sound_tasks_high_and_each_planted_flaw_low(tmp_path: Path, capsys) -> None:
    data = _data_dir(tmp_path, [*GOOD, *BAD.values()])
    assert main(["judge", "--data-dir", str(data), "--no-progress"]) == 0
    scores = _scores(data)
    for spec in GOOD:
        assert scores[spec["instruction"]].score >= 4, scores[spec["instruction"]]
    expected = {
        "id output": "id field",
        "locator output": "locator output",
        "score worded as a label": "labels miss outputs",
        "swapped": "bare input",
    }
    for kind, spec in BAD.items():
        score = scores[spec["instruction"]]
        assert score.score == 1 and score.reason.startswith(expected[kind]), (kind, score)
        assert len(score.records) == 3 and all(r.score == 1 for r in score.records)
    report = json.loads((data / "judge_report.json").read_text(encoding="utf-8"))
    assert report["score_distribution"]["1"] == len(BAD) and report["tasks_scored"] == len(GOOD) + len(BAD)
    assert "scored 1-2:" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("instruction", "text", "output", "score", "reason"),
    [
        ("Summarize the text.", "a b c", "", 1, "empty output"),
        ("Answer as yes or no.", "Is it raining?", "maybe", 1, "labels miss outputs"),
        ("Write a title for the article.", "Long article text here.", "4821", 1, "bare output"),
        (
            "Answer the question using the context.",
            "The sky is blue.",
            "What colour is the sky?",
            1,
            "swapped",
        ),
        ("Classify the sentiment of the text.", "positive", "a " * 40, 1, "swapped"),
        ("Write a question about the context.", "What is it?", "The answer is here.", 1, "swapped"),
        ("Rewrite the text.", "Same words here.", "same words here", 2, "copy"),
        ("Write a review with the given rating.", "rating is '4'.", "Great film.", 2, "bare input"),
        (
            "Summarize the text.",
            "Short text.",
            "A much longer text that says a great deal more than the input",
            2,
            "swapped",
        ),
        ("Answer as yes or no.", "Is it raining?", "yes", 5, "the output is one of the labels"),
        (
            "Answer the question using the context.",
            "context is 'Paris is in France.'.",
            "France",
            5,
            "the output is an answer found",
        ),
        ("Translate the sentence into French.", "Good morning.", "Bonjour.", 4, "no check found a flaw"),
        ("Write an essay with the given title.", "On rivers", "Rivers carve valleys " * 20, 4, "no check"),
        ("Write a title for the article.", "Rivers run.", "Rivers run and run " * 5, 2, "swapped"),
    ],
)
def test_each_record_check(instruction: str, text: str, output: str, score: int, reason: str) -> None:
    found = record_flaw(instruction, text, output)
    assert found[0] == score and found[1].startswith(reason), found


def test_a_task_without_metadata_is_judged_on_its_records_alone() -> None:
    judge = RulesJudge()
    scores = judge.judge(_task(GOOD[0]), None, _records(_task(GOOD[0]))[:2])
    assert [s.score for s in scores] == [5, 5]


def test_judgement_answers_are_parsed_leniently_and_bad_ones_refused() -> None:
    assert parse_judgement('{"score": 4, "reason": "fits"}') == (4, "fits")
    assert parse_judgement('Sure!\n```json\n{"score": "2", "reason": "the  output\\nis off"}\n```') == (
        2,
        "the output is off",
    )
    assert parse_judgement('{"score": 5.0}') == (5, "no reason given")
    for bad in ("no json here", '{"score": 9, "reason": "x"}', '{"reason": "x"}', '{"score": true}'):
        with pytest.raises(JudgementError):
            parse_judgement(bad)


def _llm_answer(body: dict[str, Any]) -> Reply | str:
    text = user_text(body)
    output = text.split("<output>\n", 1)[1].split("\n</output>", 1)[0]
    if output.startswith("https://"):
        return "The output is a link. " + json.dumps({"score": 1, "reason": "a URL is not an answer"})
    if output in LABELS:
        return json.dumps({"score": 5, "reason": "the label fits the review"})
    return json.dumps({"score": 3})


def test_openai_judge_scores_through_the_cache(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-judge-secret")
    data = _data_dir(tmp_path, [GOOD[0], BAD["locator output"], GOOD[1]])
    argv = ["judge", "--data-dir", str(data), "--engine", "openai", "--model", "judge-model", "--no-progress"]
    with ScriptedOpenAIServer(_llm_answer) as server:
        assert main([*argv, "--base-url", server.base_url]) == 0
        assert server.calls == 9
        assert server.requests[0]["response_format"]["type"] == "json_schema"
        first = (data / "judge_scores.jsonl").read_bytes()
        assert main([*argv, "--base-url", server.base_url]) == 0
        assert server.calls == 9  # the rerun is answered by the cache
    assert (data / "judge_scores.jsonl").read_bytes() == first
    scores = _scores(data)
    assert scores[GOOD[0]["instruction"]].score == 5
    assert scores[BAD["locator output"]["instruction"]].reason == "a URL is not an answer"
    assert scores[GOOD[1]["instruction"]].score == 3
    assert (
        scores[GOOD[1]["instruction"]].judge == "openai"
        and scores[GOOD[1]["instruction"]].model == "judge-model"
    )
    assert all(len(r.cache_key) == 64 for s in scores.values() for r in s.records)
    assert "cache hits 9" in capsys.readouterr().out
    for path in data.iterdir():
        assert b"sk-judge-secret" not in path.read_bytes(), path


def test_a_server_without_json_schema_still_judges(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-x")
    data = _data_dir(tmp_path, [GOOD[0]])
    with ScriptedOpenAIServer(_llm_answer, flavor="llama-cpp-python") as server:
        argv = ["judge", "--data-dir", str(data), "--engine", "openai", "--base-url", server.base_url]
        assert main([*argv, "--no-progress"]) == 0
    assert _scores(data)[GOOD[0]["instruction"]].score == 5


def test_unusable_answers_leave_the_task_unscored_and_say_why(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-x")
    data = _data_dir(tmp_path, [GOOD[0]])
    with ScriptedOpenAIServer(lambda body: "I would rather not say.") as server:
        argv = ["judge", "--data-dir", str(data), "--engine", "openai", "--base-url", server.base_url]
        assert main([*argv, "--no-progress", "--max-retries", "0"]) == 1
    assert _scores(data) == {}
    report = json.loads((data / "judge_report.json").read_text(encoding="utf-8"))
    assert len(report["failures"]) == 3 and "unparseable judgement" in report["failures"][0]["reason"]
    assert "not scored acme/reviews" in capsys.readouterr().out


def test_judge_refuses_a_folder_without_tasks(tmp_path: Path, capsys) -> None:
    assert main(["judge", "--data-dir", str(tmp_path), "--no-progress"]) == 2
    assert "instructions-full.json not found" in capsys.readouterr().err


def test_organize_drops_tasks_below_the_minimum_judge_score(tmp_path: Path, capsys) -> None:
    data = _data_dir(tmp_path, [GOOD[0], BAD["score worded as a label"]])
    assert main(["organize", "--data-dir", str(data), "--min-judge-score", "3", "--no-progress"]) == 2
    assert "min_judge_score needs" in capsys.readouterr().err
    assert main(["judge", "--data-dir", str(data), "--no-progress"]) == 0
    (data / "judge_scores.jsonl").write_text(
        "\n".join(
            json.dumps({**s.to_json(), "score": 2 if s.instruction.startswith("Is the") else s.score})
            for s in read_scores(data / "judge_scores.jsonl")
        )
        + "\n",
        encoding="utf-8",
    )
    assert main(["organize", "--data-dir", str(data), "--min-judge-score", "3", "--no-progress"]) == 0
    report = json.loads((data / "organize_report.json").read_text(encoding="utf-8"))
    dropped = {t["instruction"]: t["reason"] for t in report["tasks"] if t["status"] == "dropped"}
    assert list(dropped) == [BAD["score worded as a label"]["instruction"]]
    assert dropped[BAD["score worded as a label"]["instruction"]].startswith(
        "judge score: 2 is below 3 (rules:"
    )
    assert report["tasks_dropped_by_reason"] == {"judge score": 1}
    assert report["config"]["min_judge_score"] == 3
    records = [json.loads(line) for line in (data / "dynosaur-full.jsonl").read_text().splitlines()]
    assert {r["instruction"].split(" Answers")[0] for r in records} == {GOOD[0]["instruction"]}
