"""`dynosaur demo`: the whole chain offline on the bundled demo Hub, as a newcomer runs it."""

from __future__ import annotations

import contextlib
import io
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from dynosaur.cli import main
from hubmirror.demo.rows_bench import BENCHMARK_ID, benchmark_rows
from tests.support.openai_server import ScriptedOpenAIServer, user_text


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("demo") / "data"
    stdout = io.StringIO()
    with pytest.MonkeyPatch.context() as env, contextlib.redirect_stdout(stdout):
        env.delenv("OPENAI_BASE_URL", raising=False)
        code = main(["demo", "--demo-dir", str(out), "--quiet"])
    assert code == 0
    return out, stdout.getvalue()


def test_every_kept_text_config_gets_a_valid_task_and_records(demo: tuple[Path, str]) -> None:
    out, _ = demo
    configs = {line["task_name"] for line in _lines(out / "huggingface_metadata.jsonl")}
    tasks = json.loads((out / "instructions-full.json").read_text(encoding="utf-8"))
    records = _lines(out / "dynosaur-full.jsonl")
    assert len(configs) >= 15
    assert configs <= {task["task_name"] for task in tasks}
    assert configs <= {record["taskname"] for record in records}


def test_every_record_carries_the_license_and_page_of_its_source(demo: tuple[Path, str]) -> None:
    out, _ = demo
    licenses = json.loads((out / "license_info.json").read_text(encoding="utf-8"))
    for record in _lines(out / "dynosaur-full.jsonl"):
        assert list(record) == [
            "instruction", "input", "output", "license", "website", "taskname", "split", "row_idx",
        ]  # fmt: skip
        assert record["website"].startswith("https://huggingface.co/datasets/")
        assert record["split"] in ("train", "validation") and isinstance(record["row_idx"], int)
        assert record["license"] and record["license"] == licenses[record["taskname"]]["license"]
        assert record["website"] == licenses[record["taskname"]]["website"]
        assert record["instruction"] and record["input"] and record["output"]


def test_the_demo_hub_exercises_the_skip_reasons_and_a_failure(demo: tuple[Path, str]) -> None:
    out, _ = demo
    report = _lines(out / "crawl_report.jsonl")
    reasons = Counter((line["reason"] or "").split(":")[0] for line in report if line["status"] == "skipped")
    for reason in (
        "gated",
        "disabled",
        "license_missing",
        "license_denied",
        "no_card",
        "modality",
        "no_train_split",
        "translation",
        "viewer_error",
    ):
        assert reasons[reason] >= 1, reason
    failed = [line for line in report if line["status"] == "failed"]
    assert [line["reason"] for line in failed] == ["viewer_failed: http 500 ResponseNotReady"]
    # the default license policy is permissive: non-commercial, share-alike and no-derivatives go
    denied = {
        line["dataset"]: line["reason"] for line in report if "license_denied" in (line["reason"] or "")
    }
    assert denied == {
        "critics/product-verdicts": "license_denied: cc-by-nc-nd-4.0 (nd; policy permissive)",
        "labs/annotated-headlines": "license_denied: cc-by-nc-4.0 (nc; policy permissive)",
        "wiki/shared-definitions": "license_denied: cc-by-sa-4.0 (copyleft; policy permissive)",
    }
    policy = json.loads((out / "crawl_policy.json").read_text(encoding="utf-8"))
    assert policy["license_policy"]["name"] == "permissive" and policy["splits"] == ["train", "validation"]


def test_summary_counts_match_the_artifacts(demo: tuple[Path, str]) -> None:
    out, printed = demo
    records = _lines(out / "dynosaur-full.jsonl")
    by_license = Counter(record["license"] for record in records)
    assert re.search(rf"records written\s+{len(records)}\b", printed)
    for license_, count in by_license.items():
        assert re.search(rf"\b{count}\s+{re.escape(license_)}\b", printed), license_
    assert "documents: skipped — set OPENAI_BASE_URL" in printed
    steps = json.loads((out / "demo_report.json").read_text(encoding="utf-8"))["steps"]
    assert [step["name"] for step in steps] == [
        "crawl",
        "propose",
        "filter",
        "organize",
        "decontaminate",
        "judge",
        "report",
    ]
    assert all(step["ok"] for step in steps)


def test_the_demo_removes_exactly_the_records_of_the_rows_copied_from_its_benchmark(
    demo: tuple[Path, str],
) -> None:
    out, printed = demo
    copied = {row["question"] for row in benchmark_rows()}
    crawl = {line["dataset"]: line for line in _lines(out / "crawl_report.jsonl")}
    assert crawl[BENCHMARK_ID]["reason"] == f"benchmark: {BENCHMARK_ID}"
    removed = _lines(out / "decontaminated_records.jsonl")
    kept = [r for r in _lines(out / "dynosaur-full.jsonl") if r["taskname"] == "acme/trivia-mix"]
    assert removed and all(r["benchmark"] == f"{BENCHMARK_ID}:default:test" for r in removed)
    assert all(copied & {r["input"], r["output"]} for r in removed)
    assert not any(copied & {r["input"], r["output"]} for r in kept)
    report = json.loads((out / "decontamination_report.json").read_text(encoding="utf-8"))
    assert report["removed_per_benchmark"] == {f"{BENCHMARK_ID}:default:test": len(removed)}
    assert re.search(rf"records removed\s+{len(removed)}\b", printed)


# Databases the stages keep for themselves (the crawl state, the response caches): SQLite does not
# promise their bytes (page layout follows insertion order; cache rows carry when they were made).
_STORES = {"crawl_state.sqlite", "rules_cache.sqlite", "llm_cache.sqlite"}


def _artifacts(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name not in _STORES
    }


def test_two_demo_runs_write_byte_identical_artifacts(demo: tuple[Path, str], tmp_path: Path) -> None:
    first, _ = demo
    again = tmp_path / "data"
    runs = []
    with pytest.MonkeyPatch.context() as env, contextlib.redirect_stdout(io.StringIO()):
        env.delenv("OPENAI_BASE_URL", raising=False)
        for _ in range(2):  # a fresh folder (another port), then a rerun into the same folder
            assert main(["demo", "--demo-dir", str(again), "--quiet"]) == 0
            runs.append(_artifacts(again))
    expected = _artifacts(first)
    assert len(expected) >= 12 and "dynosaur-full.parquet" in expected and "demo_report.json" in expected
    for found in runs:
        assert sorted(found) == sorted(expected)
        assert [name for name in expected if found[name] != expected[name]] == []
    assert b"127.0.0.1" not in b"".join(expected.values())


def _grounded_answer(body: dict) -> str:
    passage = re.search(r'"""\n(.*?)\n"""', user_text(body), re.DOTALL)
    sentence = re.split(r"(?<=[.!?])\s", passage.group(1).strip())[0] if passage else "nothing"
    return json.dumps(
        {"pairs": [{"instruction": "What does the passage state first?", "input": "", "output": sentence}]}
    )


def test_with_an_llm_server_the_demo_also_turns_the_example_documents_into_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with ScriptedOpenAIServer(_grounded_answer) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-demo-secret")
        assert main(["demo", "--demo-dir", str(tmp_path / "data"), "--quiet"]) == 0
        assert server.calls > 0
    records = _lines(tmp_path / "data" / "documents" / "documents_instructions.jsonl")
    assert records and all(record["source_file"] and record["output"] for record in records)
    assert "sk-demo-secret" not in "".join(
        p.read_text(errors="ignore") for p in (tmp_path / "data").rglob("*.json*")
    )
    assert "documents:" in capsys.readouterr().out


def test_the_demo_runs_without_torch_or_transformers(tmp_path: Path) -> None:
    """`make demo` installs the package without the local extra; nothing the demo runs needs it."""
    import subprocess
    import sys

    block = "import sys; sys.modules['torch'] = None; sys.modules['transformers'] = None\n"
    code = (
        block
        + "from dynosaur.cli import main\nsys.exit(main(['demo', '--demo-dir', sys.argv[1], '--quiet']))"
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "demo")], cwd=root, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "demo" / "report.html").exists()
