"""Self-Instruct's compact prompt style (small models, small context windows)."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from dynosaur.contracts.seed_tasks import load_seed_tasks
from dynosaur.core.errors import OptionError
from dynosaur.self_instruct.prompting import (
    Sampling,
    bootstrap_request,
    classify_request,
    instances_request,
)
from tests.support.openai_server import ScriptedOpenAIServer, user_text
from tests.test_self_instruct import (
    ROUND_1,
    SEEDS,
    asked_task,
    default_classify,
    default_instances,
    read_jsonl,
    run_cli,
    write_seeds,
)

NUMBERED = re.compile(r"^Task \d+: ", flags=re.MULTILINE)


def _compact_answer(body: dict) -> str:
    text = user_text(body)
    if text.startswith("Write new"):  # bootstrap
        first = int(re.findall(r"Write Task (\d+) to", text)[0])
        items = [line.split(". ", 1)[1] for line in ROUND_1.splitlines()]
        return "\n".join(f"Task {first + k}: {item}" for k, item in enumerate(items))
    if text.startswith("Is the task a classification task"):
        return default_classify(asked_task(text))
    return default_instances(asked_task(text), "Class label:" in text)


def _seeds(tmp_path: Path):
    return load_seed_tasks(write_seeds(tmp_path / "seeds.jsonl"))


def test_compact_requests_are_shorter_and_show_fewer_examples(tmp_path):
    seeds = _seeds(tmp_path)
    shown = [s[0] for s in SEEDS[:8]]
    full = bootstrap_request(shown, False, Sampling(), 1)
    compact = bootstrap_request(shown, False, Sampling(), 1, "compact")
    full_text, compact_text = full.messages[-1]["content"], compact.messages[-1]["content"]
    # the same eight demonstrations (a small model copies the first of fewer), in fewer words
    assert len(NUMBERED.findall(compact_text)) == 8 and "Write Task 9 to Task 11" in compact_text
    assert len(compact_text) < len(full_text) - 150
    for build in (
        lambda style: classify_request("Sort the words.", seeds, random.Random(0), style),
        lambda style: instances_request("Sort the words.", False, seeds, random.Random(0), 100, style),
    ):
        full_text, compact_text = (build(s).messages[-1]["content"] for s in ("full", "compact"))
        assert len(compact_text) < len(full_text) and compact_text.count("Task: ") == (
            3 if "classification" in compact_text else 2
        )
    with pytest.raises(OptionError, match="prompt_style"):
        bootstrap_request(shown, False, Sampling(), 1, "auto")


def test_a_small_context_window_picks_the_compact_prompts_and_a_rerun_makes_no_call(tmp_path, capsys):
    with ScriptedOpenAIServer(_compact_answer) as server:
        args = ("--num-instructions", "3", "--context-window", "2048")
        assert run_cli(tmp_path, server, *args) == 0
        bodies = list(server.requests)
        calls = server.calls
        assert run_cli(tmp_path, server, *args) == 0
        assert server.calls == calls  # all answered by the cache: the same style, the same requests
    printed = capsys.readouterr().out
    assert "prompt style compact" in printed
    report = (tmp_path / "out" / "self_instruct_report.json").read_text()
    assert '"context_window_from": "option"' in report and '"style": "compact"' in report
    texts = [user_text(body) for body in bodies]
    boots = [t for t in texts if t.startswith("Write new")]
    assert boots and all(len(NUMBERED.findall(t)) == 8 for t in boots)  # 6 seeds + 2 generated at most
    assert not any("Continue the list" in t or "Is it classification?" in t for t in texts)
    tasks = read_jsonl(tmp_path / "out" / "self_instruct_tasks.jsonl")
    assert len(tasks) == 3 and all(task["instances"] for task in tasks)


def test_full_is_kept_when_asked_for_whatever_the_window(tmp_path):
    from tests.test_self_instruct import ROUND_2, Script

    with ScriptedOpenAIServer(Script([ROUND_1, ROUND_2])) as server:
        assert (
            run_cli(
                tmp_path,
                server,
                "--num-instructions",
                "2",
                "--context-window",
                "1024",
                "--prompt-style",
                "full",
            )
            == 0
        )
        assert any("Continue the list" in user_text(body) for body in server.requests)
    report = (tmp_path / "out" / "self_instruct_report.json").read_text()
    assert '"requested": "full"' in report
