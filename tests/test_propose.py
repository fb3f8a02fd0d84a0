"""`dynosaur propose` end to end with the offline rules engine, and how a metadata line is shown."""

from __future__ import annotations

import json
import shutil

import pytest

from dynosaur.cli import main
from dynosaur.core.cache import CachedEngine, ResponseCache
from dynosaur.core.engines import create_engine
from dynosaur.core.prompts import PROMPTS_DIR, PromptError, render
from dynosaur.hub.propose.metadata_view import compact_view
from dynosaur.hub.propose.prompt import build_request
from dynosaur.hub.propose.run import ProposeOptions, propose

STRING = {"dtype": "string", "_type": "Value"}


def _sst2():
    return {
        "task_name": "glue-sst2",
        "dataset": "glue",
        "config": "sst2",
        "split": "train",
        "revision": "r",
        "license": "cc-by-4.0",
        "website": "",
        "languages": ["en"],
        "multilinguality": "english",
        "summary": "Sentences from movie reviews with their sentiment.",
        "supported_task": "",
        "data_fields": "",
        "task_category": ["text-classification"],
        "task_ids": ["sentiment-classification"],
        "features": [
            {"feature_idx": 0, "name": "sentence", "type": STRING},
            {
                "feature_idx": 1,
                "name": "label",
                "type": {"names": ["negative", "positive"], "_type": "ClassLabel"},
            },
            {"feature_idx": 2, "name": "idx", "type": {"dtype": "int32", "_type": "Value"}},
        ],
        "selected_data": [
            {"sentence": "a gorgeous, witty film", "label": "positive", "idx": 0},
            {"sentence": "flat and lifeless", "label": "negative", "idx": 1},
        ],
    }


def _cola():
    line = _sst2()
    line.update(
        task_name="glue-cola",
        config="cola",
        summary="Sentences judged grammatically acceptable or not.",
        task_ids=["acceptability-classification"],
    )
    line["features"][1]["type"] = {"names": ["unacceptable", "acceptable"], "_type": "ClassLabel"}
    line["selected_data"] = [{"sentence": "The book was written by John.", "label": "acceptable", "idx": 0}]
    return line


def _data(tmp_path, lines, extra=""):
    data = tmp_path / "data"
    data.mkdir()
    (data / "huggingface_metadata.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines) + extra)
    return data


def _tasks(data):
    return [json.loads(line) for line in (data / "tasks.jsonl").read_text().splitlines()]


def test_propose_then_filter_with_rules_gives_instructions_for_every_config(tmp_path, capsys):
    data = _data(tmp_path, [_sst2(), _cola()])
    assert main(["propose", "--data-dir", str(data), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "2 dataset-configs, 4 requests (engine rules" in out
    assert "engine calls 4, cache hits 0" in out
    assert main(["filter", "--data-dir", str(data)]) == 0
    published = json.loads((data / "instructions-full.json").read_text())
    assert {t["task_name"] for t in published} == {"glue-sst2", "glue-cola"}
    assert {
        "task_name": "glue-sst2",
        "instruction": "Classify the sentiment of the movie review as negative or positive.",
        "input_fields": ["sentence"],
        "output_field": ["label"],
    } in published
    assert all(t["source"] == "rules" and t["prompts_version"] for t in _tasks(data))


def test_second_run_is_served_from_the_cache_and_rewrites_nothing_new(tmp_path, capsys):
    data = _data(tmp_path, [_sst2()])
    main(["propose", "--data-dir", str(data), "--no-progress"])
    first = (data / "tasks.jsonl").read_bytes()
    capsys.readouterr()
    main(["propose", "--data-dir", str(data), "--no-progress"])
    assert "engine calls 0, cache hits 2" in capsys.readouterr().out
    assert (data / "tasks.jsonl").read_bytes() == first


def test_two_fresh_runs_write_identical_tasks(tmp_path):
    outputs = []
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        data = _data(tmp_path / name, [_sst2(), _cola()])
        main(["propose", "--data-dir", str(data), "--no-progress"])
        outputs.append((data / "tasks.jsonl").read_bytes())
    assert outputs[0] == outputs[1]


def test_bad_metadata_lines_are_skipped_with_a_reason_in_the_report(tmp_path, capsys):
    no_fields = {"task_name": "org/empty", "features": {}, "selected_data": []}
    data = _data(tmp_path, [_sst2(), _sst2(), no_fields, {"dataset": "x"}], extra="{not json\n")
    assert main(["propose", "--data-dir", str(data), "--no-progress", "--modes", "aware"]) == 0
    report = json.loads((data / "propose_report.json").read_text())
    reasons = [item["reason"] for item in report["skipped_lines"]]
    assert reasons[0] == "duplicate task_name 'glue-sst2'"
    assert reasons[1] == "org/empty: no features and no sample rows"
    assert reasons[2] == "no task_name"
    assert reasons[3].startswith("invalid JSON")
    assert report["configs"] == 1
    assert "skipped huggingface_metadata.jsonl:2" in capsys.readouterr().out


def test_missing_metadata_file_is_a_clear_error(tmp_path, capsys):
    assert main(["propose", "--data-dir", str(tmp_path), "--no-progress"]) == 2
    assert "run `dynosaur crawl` first" in capsys.readouterr().err


def test_unknown_mode_is_a_clear_error(tmp_path, capsys):
    data = _data(tmp_path, [_sst2()])
    with pytest.raises(SystemExit) as exited:
        main(["propose", "--data-dir", str(data), "--modes", "aware,sideways", "--no-progress"])
    assert exited.value.code == 2
    assert "argument --modes: has an unknown value 'sideways'" in capsys.readouterr().err


def test_budget_for_an_unpriced_model_is_refused_before_any_call(tmp_path, capsys):
    data = _data(tmp_path, [_sst2()])
    code = main(
        [
            "propose",
            "--data-dir",
            str(data),
            "--engine",
            "openai",
            "--model",
            "my-llama",
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--budget-usd",
            "1",
            "--no-progress",
        ]
    )
    assert code == 2
    assert "needs a price for model 'my-llama'" in capsys.readouterr().err
    assert not (data / "tasks.jsonl").exists()


def test_metadata_is_rendered_compactly():
    line = _sst2()
    line["summary"] = "word " * 2000
    line["selected_data"][0]["sentence"] = "long " * 500
    line["selected_data"][0]["nested"] = {"deep": [{"k": "v" * 50} for _ in range(20)]}
    view = compact_view(line)
    assert len(view["summary"]) < 1300
    assert [f["name"] for f in view["fields"]] == ['"sentence"', '"label"', '"nested"']
    assert '"idx"' not in view["examples"][0]
    example = json.loads(view["examples"][0])
    assert len(example["sentence"]) <= 300 and example["nested"] == "[nested value left out]"


def test_aware_prompt_shows_the_card_and_unaware_does_not():
    aware = build_request(_sst2(), "aware").messages
    unaware = build_request(_sst2(), "unaware").messages
    assert "Sentences from movie reviews" in aware[-1]["content"]
    assert "Sentences from movie reviews" not in unaware[-1]["content"]
    assert aware[0]["role"] == "system" and aware[1]["role"] == "user" and aware[2]["role"] == "assistant"
    # the fixed part (system + demonstrations) is identical for every dataset: prefix caching reuses it
    assert build_request(_cola(), "aware").messages[:-1] == aware[:-1]


def test_template_with_a_missing_variable_fails_loudly(tmp_path):
    (tmp_path / "t.jinja").write_text("Hello {{ name }}")
    assert render("t.jinja", tmp_path, name="x") == "Hello x"
    with pytest.raises(PromptError, match="'name' is undefined"):
        render("t.jinja", tmp_path)
    with pytest.raises(PromptError, match="not found"):
        render("missing.jinja", tmp_path)


def test_broken_template_fails_before_touching_earlier_results(tmp_path, capsys):
    data = _data(tmp_path, [_sst2()])
    main(["propose", "--data-dir", str(data), "--no-progress"])
    before = (data / "tasks.jsonl").read_bytes()
    broken = tmp_path / "prompts"
    shutil.copytree(PROMPTS_DIR, broken)
    (broken / "propose_aware.jinja").write_text("{{ d.name }} {{ no_such_variable }}")
    assert main(["propose", "--data-dir", str(data), "--prompts-dir", str(broken), "--no-progress"]) == 2
    assert "'no_such_variable' is undefined" in capsys.readouterr().err
    assert (data / "tasks.jsonl").read_bytes() == before


class _InterruptedAfter:
    """The rules engine, with a Ctrl-C arriving during call number ``limit + 1``."""

    def __init__(self, limit):
        self.inner = create_engine("rules")
        self.name, self.model, self.capabilities = self.inner.name, self.inner.model, self.inner.capabilities
        self.limit, self.calls = limit, 0

    async def complete(self, request):
        self.calls += 1
        if self.calls > self.limit:
            raise KeyboardInterrupt
        return await self.inner.complete(request)

    async def aclose(self):
        pass


def test_interrupted_run_keeps_what_arrived_and_a_rerun_makes_only_the_missing_calls(tmp_path):
    data = _data(tmp_path, [_sst2(), _cola()])
    cache = ResponseCache(data / "llm_cache.sqlite")
    with pytest.raises(KeyboardInterrupt):
        propose(data, CachedEngine(_InterruptedAfter(2), cache), ProposeOptions(progress=False))
    assert {t["task_name"] for t in _tasks(data)} == {"glue-sst2"}  # both modes of the first config
    assert json.loads((data / "propose_report.json").read_text())["stopped"] == "interrupted"
    engine = _InterruptedAfter(100)
    propose(data, CachedEngine(engine, cache), ProposeOptions(progress=False))
    cache.close()
    assert engine.calls == 2
    assert {t["task_name"] for t in _tasks(data)} == {"glue-sst2", "glue-cola"}


def test_configs_without_a_task_are_skipped_with_their_reason_and_the_run_exits_0(tmp_path, capsys):
    from hubmirror import MirrorServer
    from tests.test_crawl_support import crawl, dataset, text_config, write_hub

    number = {"dtype": "int32", "_type": "Value"}
    links = [{"url": f"https://example.org/{i}", "idx": i} for i in range(4)]
    hub = write_hub(
        tmp_path / "hub",
        [
            dataset("org/reviews"),
            dataset("org/links", configs=text_config(links, features={"url": STRING, "idx": number})),
        ],
    )
    data = tmp_path / "data"
    with MirrorServer(hub) as mirror:
        assert crawl(mirror, data).exit_code == 0
    assert main(["propose", "--data-dir", str(data), "--no-progress"]) == 0
    assert "skipped org/links [aware]: no task proposed" in capsys.readouterr().out
    report = json.loads((data / "propose_report.json").read_text())
    assert report["failures"] == [] and report["not_asked"] == 0
    assert report["skipped_requests"] == [
        {"task_name": "org/links", "mode": mode, "reason": "no task proposed: the answer was an empty list"}
        for mode in ("aware", "unaware")
    ]
    assert {t["task_name"] for t in _tasks(data)} == {"org/reviews"}
    # the rerun answers from the cache and still has nothing to retry
    assert main(["propose", "--data-dir", str(data), "--no-progress"]) == 0
    assert "engine calls 0, cache hits 4" in capsys.readouterr().out
