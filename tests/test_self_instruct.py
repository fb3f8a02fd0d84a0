"""``dynosaur self-instruct`` end to end against a scripted OpenAI-compatible server."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from dynosaur.cli import main
from dynosaur.contracts.seed_tasks import load_seed_tasks
from dynosaur.core.cache import CachedEngine, ResponseCache
from dynosaur.core.engines import ChatRequest, Completion, UnsupportedRequest
from dynosaur.self_instruct import BootstrapConfig, self_instruct
from dynosaur.self_instruct.prompting import round_seed
from tests.support.openai_server import Reply, ScriptedOpenAIServer, user_text
from tests.support.seed_examples import SEEDS


def write_seeds(path: Path, seeds=SEEDS) -> Path:
    lines = [
        json.dumps({"id": f"seed_task_{i}", "name": f"seed_{i}", "instruction": instruction,
                    "instances": [{"input": inp, "output": out}], "is_classification": cls})
        for i, (instruction, cls, inp, out) in enumerate(seeds)
    ]  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def asked_task(text: str) -> str:
    """The instruction a classify/instances prompt asks about (its last 'Task:' line)."""
    return re.findall(r"^Task: (.*)$", text, flags=re.MULTILINE)[-1]


def default_classify(instruction: str) -> str:
    return "Yes" if re.search(r"classify|sentiment|whether|label the", instruction, re.I) else "No"


def default_instances(instruction: str, output_first: bool) -> str:
    if output_first:
        return "Class label: positive\nInput: I loved every minute.\n\nClass label: negative\nInput: It was awful."
    return f"Example 1\nInput: first input\nOutput: answer to {instruction[:20]}\n\nExample 2\nInput: <noinput>\nOutput: a second answer"


class Script:
    """Answers by kind of prompt; bootstrap answers by round (read from the request's seed)."""

    def __init__(
        self,
        rounds: list[Reply | str] | Callable[[int], Reply | str],
        classify: Callable[[str], str] = default_classify,
        instances: Callable[[str, bool], Reply | str] = default_instances,
        seed: int = 0,
    ) -> None:
        self.rounds = rounds
        self.classify = classify
        self.instances = instances
        self.round_of = {round_seed(seed, r): r for r in range(1, 500)}
        self.kinds: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, body: dict) -> Reply | str:
        text = user_text(body)
        if "Continue the list" in text:
            kind = "bootstrap"
            number = self.round_of[body["seed"]]
            if callable(self.rounds):
                reply = self.rounds(number)
            else:
                reply = self.rounds[min(number, len(self.rounds)) - 1]
        elif "Is it classification?" in text:
            kind, reply = "classify", self.classify(asked_task(text))
        else:
            kind, reply = "instances", self.instances(asked_task(text), "Class label:" in text)
        with self.lock:
            self.kinds.append(kind)
        return reply


ROUND_1 = (
    "9. Label the emotion expressed in a tweet as joy, anger, fear or sadness.\n"
    "10. Suggest a catchy name for a bakery that sells vegan pastries.\n"
    "11. Explain why the sky appears blue during a clear day."
)
ROUND_2 = (
    "Task 9: Convert a temperature given in Celsius into Fahrenheit.\n\n"
    "Task 10: List three benefits of regular exercise for older adults.\n\n"
    "Task 11: Write a short motivational message for a student before an exam."
)


def run_cli(tmp_path: Path, server: ScriptedOpenAIServer, *extra: str, out: str = "out") -> int:
    seeds = tmp_path / "seeds.jsonl"
    if not seeds.exists():
        write_seeds(seeds)
    return main(
        ["self-instruct", "--seed-tasks", str(seeds), "--output-dir", str(tmp_path / out),
         "--base-url", server.base_url, "--model", "gpt-4o-mini", "--no-progress", "--concurrency", "1",
         "--max-retries", "0", *extra]
    )  # fmt: skip


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_run_writes_tasks_records_instructions_and_report(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-value-123")
    script = Script([ROUND_1, ROUND_2])
    with ScriptedOpenAIServer(script) as server:
        assert run_cli(tmp_path, server, "--num-instructions", "5") == 0
        assert server.requests[0]["_headers"]["authorization"] == "Bearer sk-secret-value-123"
    out = tmp_path / "out"
    tasks = load_seed_tasks(out / "self_instruct_tasks.jsonl")  # the seed format: it can seed a new run
    assert [t.id for t in tasks] == [f"gen_task_{i:04d}" for i in range(1, 6)]
    assert [t.instruction for t in tasks] == [
        "Label the emotion expressed in a tweet as joy, anger, fear or sadness.",
        "Suggest a catchy name for a bakery that sells vegan pastries.",
        "Explain why the sky appears blue during a clear day.",
        "Convert a temperature given in Celsius into Fahrenheit.",
        "List three benefits of regular exercise for older adults.",
    ]
    assert [t.is_classification for t in tasks] == [True, False, False, False, False]
    assert tasks[0].instances[0].output == "positive" and tasks[0].instances[1].input == "It was awful."
    assert tasks[1].instances[1].input == ""  # <noinput>
    records = read_jsonl(out / "self_instruct_records.jsonl")
    assert len(records) == 10 and list(records[0]) == ["instruction", "input", "output"]
    assert records[0] == {
        "instruction": tasks[0].instruction,
        "input": "I loved every minute.",
        "output": "positive",
    }
    provenance = read_jsonl(out / "self_instruct_instructions.jsonl")
    assert [p["round"] for p in provenance] == [1, 1, 1, 2, 2] and all(
        len(p["cache_key"]) == 64 for p in provenance
    )
    report = json.loads((out / "self_instruct_report.json").read_text(encoding="utf-8"))
    assert report["stop_reason"] == "reached the requested number of instructions"
    assert report["bootstrap"]["rounds"] == 2 and report["bootstrap"]["kept"] == 5
    assert report["classification"] == {"yes": 1, "no": 4, "unparseable": 0}
    assert report["engine"]["calls"] == 2 + 5 + 5 and report["engine"]["cache_hits"] == 0
    printed = capsys.readouterr().out
    assert "5 new instructions of 5 requested" in printed and "wrote 5 tasks and 10 records" in printed
    page = (out / "report.html").read_text(encoding="utf-8")  # the run's own report
    assert 'data-key="records">10<' in page and 'data-key="tasks">5<' in page
    for path in out.iterdir():  # the key reaches no artifact and not the cache
        assert b"sk-secret-value-123" not in path.read_bytes()


def test_rerun_with_the_same_cache_makes_no_calls_and_writes_the_same_files(tmp_path, capsys):
    script = Script([ROUND_1, ROUND_2])
    with ScriptedOpenAIServer(script) as server:
        assert run_cli(tmp_path, server, "--num-instructions", "5") == 0
        calls = server.calls
        first = {p.name: p.read_bytes() for p in (tmp_path / "out").glob("self_instruct_*.jsonl")}
        assert run_cli(tmp_path, server, "--num-instructions", "5") == 0
        assert server.calls == calls
    second = {p.name: p.read_bytes() for p in (tmp_path / "out").glob("self_instruct_*.jsonl")}
    assert second == first
    report = json.loads((tmp_path / "out" / "self_instruct_report.json").read_text(encoding="utf-8"))
    assert report["engine"]["calls"] == 0 and report["engine"]["cache_hits"] == calls
    assert "0 calls, 12 cache hits" in capsys.readouterr().out


def test_interrupted_run_resumes_from_the_cache(tmp_path):
    # A run that stopped early (here: asked for fewer) is continued by a bigger one; what was
    # already answered comes from the cache, only the new requests reach the server.
    script = Script([ROUND_1, ROUND_2])
    with ScriptedOpenAIServer(script) as server:
        assert run_cli(tmp_path, server, "--num-instructions", "2") == 0
        assert server.calls == 1 + 2 + 2
        assert run_cli(tmp_path, server, "--num-instructions", "5") == 0
        assert server.calls == 5 + 1 + 3 + 3  # round 2, and 3 new tasks' classify + instances
    tasks = load_seed_tasks(tmp_path / "out" / "self_instruct_tasks.jsonl")
    assert len(tasks) == 5


def test_a_model_that_repeats_itself_ends_after_the_unproductive_round_bound(tmp_path, capsys):
    repeat = "9. Give three tips for staying healthy during winter.\n10. Translate the given sentence into Spanish."
    script = Script([ROUND_1, repeat])
    with ScriptedOpenAIServer(script) as server:
        code = run_cli(tmp_path, server, "--num-instructions", "50", "--max-unproductive-rounds", "4")
    assert code == 0
    assert script.kinds.count("bootstrap") == 1 + 4
    report = json.loads((tmp_path / "out" / "self_instruct_report.json").read_text(encoding="utf-8"))
    assert report["bootstrap"]["rounds"] == 5 and report["bootstrap"]["productive_rounds"] == 1
    assert report["bootstrap"]["rejected"] == {"near-duplicate (ROUGE-L > 0.7)": 8}
    assert report["stop_reason"].startswith("stopped after 4 consecutive rounds without a new instruction")
    assert "stopped after 4 consecutive rounds" in capsys.readouterr().out
    rejected = read_jsonl(tmp_path / "out" / "self_instruct_rejected.jsonl")
    assert rejected[0]["most_similar"] == "Give three tips for staying healthy during the winter."
    assert rejected[0]["rouge_l"] > 0.7
    assert len(load_seed_tasks(tmp_path / "out" / "self_instruct_tasks.jsonl")) == 3


def test_blocked_keywords_and_other_filters_are_counted_and_listed(tmp_path):
    answer = (
        "9. Draw a cat sitting on a mat with a hat.\n"
        "10. Describe the image shown above in detail.\n"
        "11. Hello there.\n"
        "12. ...and then summarize the whole conversation.\n"
        "13. ¿Puedes traducir esta frase al inglés?\n"
        "14. Write a haiku about autumn leaves falling.\n"
        "15. Write a haiku about autumn leaves falling down."
    )
    with ScriptedOpenAIServer(Script([answer])) as server:
        assert run_cli(tmp_path, server, "--num-instructions", "1") == 0
    report = json.loads((tmp_path / "out" / "self_instruct_report.json").read_text(encoding="utf-8"))
    assert report["bootstrap"]["rejected"] == {
        "blocked keyword 'draw'": 1,
        "blocked keyword 'image'": 1,
        "starts with a non-ASCII character": 1,
        "starts with punctuation": 1,
        "too short (at most 3 words)": 1,
    }
    rejected = read_jsonl(tmp_path / "out" / "self_instruct_rejected.jsonl")
    assert {"stage": "instruction", "round": 1, "instruction": "Hello there.",
            "reason": "too short (at most 3 words)"} in rejected  # fmt: skip
    # the run stops at the requested count: the 15th item is neither kept nor counted
    assert report["bootstrap"]["candidates"] == 6


def test_custom_blocklist(tmp_path):
    answer = "9. Write a poem about the quiet sea at night.\n10. Describe the image of a sunset in words."
    with ScriptedOpenAIServer(Script([answer])) as server:
        assert run_cli(tmp_path, server, "--num-instructions", "1", "--blocklist", "poem") == 0
    tasks = load_seed_tasks(tmp_path / "out" / "self_instruct_tasks.jsonl")
    assert [t.instruction for t in tasks] == ["Describe the image of a sunset in words."]


def test_truncated_answer_drops_its_last_item(tmp_path):
    cut = Reply(content=ROUND_1 + "\n12. Write a story about a dragon who", finish_reason="length")
    with ScriptedOpenAIServer(Script([cut, ROUND_2])) as server:
        assert run_cli(tmp_path, server, "--num-instructions", "4") == 0
    provenance = read_jsonl(tmp_path / "out" / "self_instruct_instructions.jsonl")
    assert [p["round"] for p in provenance] == [1, 1, 1, 2]
    assert not any("dragon" in p["instruction"] for p in provenance)
    report = json.loads((tmp_path / "out" / "self_instruct_report.json").read_text(encoding="utf-8"))
    assert report["bootstrap"]["truncated_answers"] == 1


def test_malformed_instance_lists_are_filtered_and_counted(tmp_path):
    answers = {
        "Suggest a catchy name for a bakery that sells vegan pastries.": "I'm sorry, I cannot do that.",
        "Explain why the sky appears blue during a clear day.": (
            "Example 1\nInput: why blue\nOutput: why blue\n\nExample 2\nInput: a\nOutput: b\n\n"
            "Example 3\nInput: a\nOutput: b\n\nExample 4\nInput: c\nOutput:\n\nExample 5\nInput: d\nOutput: e"
        ),
    }

    def instances(instruction: str, output_first: bool) -> str:
        return answers.get(instruction) or default_instances(instruction, output_first)

    with ScriptedOpenAIServer(Script([ROUND_1], instances=instances)) as server:
        assert run_cli(tmp_path, server, "--num-instructions", "3") == 0
    out = tmp_path / "out"
    tasks = load_seed_tasks(out / "self_instruct_tasks.jsonl")
    assert [t.id for t in tasks] == ["gen_task_0001", "gen_task_0003"]  # 0002 had no usable instance
    assert [(i.input, i.output) for i in tasks[1].instances] == [("a", "b"), ("d", "e")]
    report = json.loads((out / "self_instruct_report.json").read_text(encoding="utf-8"))
    assert report["instances"]["dropped"] == {
        "duplicate instance": 1,
        "empty output": 1,
        "output repeats the input": 1,
    }
    assert report["tasks_dropped"] == {"no usable instances": 1}
    rejected = read_jsonl(out / "self_instruct_rejected.jsonl")
    assert {"stage": "task", "id": "gen_task_0002", "instruction": tasks[0].instruction.replace(
        tasks[0].instruction, "Suggest a catchy name for a bakery that sells vegan pastries."),
        "reason": "no usable instances"} in rejected  # fmt: skip
    assert sum(1 for r in rejected if r["stage"] == "instance") == 3


def test_unclear_classification_answer_falls_back_to_input_first(tmp_path):
    with ScriptedOpenAIServer(Script([ROUND_1], classify=lambda _: "Hmm, hard to say.")) as server:
        assert run_cli(tmp_path, server, "--num-instructions", "1") == 0
    report = json.loads((tmp_path / "out" / "self_instruct_report.json").read_text(encoding="utf-8"))
    assert report["classification"] == {"yes": 0, "no": 0, "unparseable": 1}
    assert load_seed_tasks(tmp_path / "out" / "self_instruct_tasks.jsonl")[0].is_classification is False


def test_prompts_show_eight_numbered_instructions_and_vary_between_rounds(tmp_path):
    script = Script(lambda n: ROUND_1 if n == 1 else "9. Summarize the news article in three bullet points.")
    with ScriptedOpenAIServer(script) as server:
        assert run_cli(tmp_path, server, "--num-instructions", "4") == 0
        boots = [r for r in server.requests if "Continue the list" in user_text(r)]
    assert len(boots) == 2
    first, second = (user_text(r) for r in boots)
    assert len(re.findall(r"^Task \d+: ", first, flags=re.MULTILINE)) == 8
    assert "Task 9" in first and "Task 8: " in first
    seed_texts = {s[0] for s in SEEDS}
    shown = [
        re.sub(r"^Task \d+: ", "", line) for line in second.splitlines() if re.match(r"^Task \d+: ", line)
    ]
    assert sum(text not in seed_texts for text in shown) == 2  # 6 seeds + 2 generated so far
    assert boots[0]["seed"] != boots[1]["seed"] and first != second
    assert boots[0]["temperature"] == 0.7 and boots[0]["top_p"] == 0.5


def test_classification_only_prompts_show_only_classification_seeds(tmp_path):
    script = Script([ROUND_1])
    with ScriptedOpenAIServer(script) as server:
        assert run_cli(tmp_path, server, "--num-instructions", "1", "--classification-only") == 0
        prompt = user_text(next(r for r in server.requests if "Continue the list" in user_text(r)))
    shown = [
        re.sub(r"^Task \d+: ", "", line) for line in prompt.splitlines() if re.match(r"^Task \d+: ", line)
    ]
    assert sorted(shown) == sorted(s[0] for s in SEEDS if s[1])  # only 3 exist: all of them
    assert "classification tasks" in prompt


def test_concurrent_rounds_give_the_same_result_as_sequential_ones(tmp_path):
    rounds = [ROUND_1, ROUND_2, "9. Summarize the news article in three bullet points."]
    with ScriptedOpenAIServer(Script(rounds)) as server:
        assert run_cli(tmp_path, server, "--num-instructions", "7", "--concurrency", "3", out="a") == 0
    tasks = load_seed_tasks(tmp_path / "a" / "self_instruct_tasks.jsonl")
    assert [t.instruction for t in tasks][:6] == [
        "Label the emotion expressed in a tweet as joy, anger, fear or sadness.",
        "Suggest a catchy name for a bakery that sells vegan pastries.",
        "Explain why the sky appears blue during a clear day.",
        "Convert a temperature given in Celsius into Fahrenheit.",
        "List three benefits of regular exercise for older adults.",
        "Write a short motivational message for a student before an exam.",
    ]
    assert tasks[6].instruction == "Summarize the news article in three bullet points."


def test_budget_stops_the_run_cleanly_and_keeps_what_it_has(tmp_path, capsys):
    def rounds(n: int) -> str:  # a new, dissimilar instruction every round
        return f"9. Explain w{n}a w{n}b w{n}c w{n}d to a curious reader."

    with ScriptedOpenAIServer(Script(rounds)) as server:
        code = run_cli(
            tmp_path, server, "--num-instructions", "50", "--budget-usd", "0.002", "--max-tokens", "200"
        )
        calls = server.calls
    assert code == 0 and 0 < calls < 50
    report = json.loads((tmp_path / "out" / "self_instruct_report.json").read_text(encoding="utf-8"))
    assert report["stop_reason"] == "the budget is spent"
    assert report["engine"]["usage"]["cost_usd"] <= 0.002
    kept = load_seed_tasks(tmp_path / "out" / "self_instruct_tasks.jsonl") if report["tasks_written"] else []
    assert len(kept) == report["tasks_written"]
    assert "the budget is spent" in capsys.readouterr().out


def test_server_errors_count_as_failed_rounds(tmp_path):
    rounds = [Reply(status=500), ROUND_1]
    with ScriptedOpenAIServer(Script(rounds)) as server:
        assert run_cli(tmp_path, server, "--num-instructions", "1") == 0
    report = json.loads((tmp_path / "out" / "self_instruct_report.json").read_text(encoding="utf-8"))
    assert report["bootstrap"]["failed_rounds"] == 1 and report["bootstrap"]["rounds"] == 2
    assert report["bootstrap"]["errors"][0].startswith("round 1:")


def test_rules_engine_is_refused_with_a_clear_message(tmp_path, capsys):
    seeds = write_seeds(tmp_path / "seeds.jsonl")
    code = main(["self-instruct", "--seed-tasks", str(seeds), "--num-instructions", "3",
                 "--output-dir", str(tmp_path / "out"), "--engine", "rules", "--no-progress"])  # fmt: skip
    assert code == 2
    assert "engine 'rules' cannot be used for Self-Instruct" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--num-instructions", "0"], "argument --num-instructions: must be at least 1"),
        (["--num-instructions", "3", "--num-prompt-seed", "9"], "--num-prompt-seed must be between"),
        (
            ["--num-instructions", "3", "--similarity-threshold", "2"],
            "argument --similarity-threshold: must be from 0",
        ),
    ],
)
def test_bad_settings_are_refused_before_any_call(tmp_path, capsys, args, message):
    with ScriptedOpenAIServer(Script([ROUND_1])) as server:
        try:
            code = run_cli(tmp_path, server, *args)
        except SystemExit as exited:  # refused by the option's own type, while parsing
            code = exited.code
        assert code == 2
        assert server.calls == 0
    assert message in capsys.readouterr().err


def test_bad_seed_file_is_reported_without_any_call(tmp_path, capsys):
    (tmp_path / "seeds.jsonl").write_text('{"id": "a"}\nnot json\n', encoding="utf-8")
    with ScriptedOpenAIServer(Script([ROUND_1])) as server:
        assert run_cli(tmp_path, server, "--num-instructions", "3") == 2
        assert server.calls == 0
    err = capsys.readouterr().err
    assert "line 1: missing fields name, instruction, instances, is_classification" in err
    assert "line 2: not valid JSON" in err


class InProcessChat:
    """A chat engine without HTTP, answering from a Script: Self-Instruct needs only "chat"."""

    name = "in-process"
    model = "scripted"
    capabilities = frozenset({"chat"})

    def __init__(self, script: Script) -> None:
        self.script = script

    async def complete(self, request: ChatRequest) -> Completion:
        reply = self.script({"messages": list(request.messages), "seed": request.params.seed})
        reply = Reply(content=reply) if isinstance(reply, str) else reply
        return Completion(text=reply.content, finish_reason=reply.finish_reason, model=self.model)

    async def aclose(self) -> None:
        pass


def test_any_chat_engine_works_through_the_python_api(tmp_path):
    seeds = load_seed_tasks(write_seeds(tmp_path / "seeds.jsonl"))
    engine = CachedEngine(InProcessChat(Script([ROUND_1])), ResponseCache(tmp_path / "cache.sqlite"))
    report = asyncio.run(self_instruct(engine, seeds, BootstrapConfig(num_instructions=3), tmp_path / "out"))
    assert report.data["tasks_written"] == 3 and report.data["engine"]["name"] == "in-process"
    assert report.data["engine"]["usage"] is None  # this engine keeps no usage; the report says so
    assert len(read_jsonl(tmp_path / "out" / "self_instruct_records.jsonl")) == 6


def test_an_engine_without_chat_is_refused_by_the_python_api(tmp_path):
    engine = InProcessChat(Script([ROUND_1]))
    engine.capabilities = frozenset({"context"})
    seeds = load_seed_tasks(write_seeds(tmp_path / "seeds.jsonl"))
    with pytest.raises(UnsupportedRequest, match="cannot be used for Self-Instruct"):
        asyncio.run(self_instruct(engine, seeds, BootstrapConfig(num_instructions=3), tmp_path / "out"))
    assert not (tmp_path / "out").exists()
