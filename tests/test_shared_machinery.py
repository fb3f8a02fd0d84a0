"""The machinery declared once: artifact names, the reason convention and the error tree."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from dynosaur.cli import run_command
from dynosaur.contracts import artifacts
from dynosaur.contracts.records import MissingLicense
from dynosaur.contracts.seed_tasks import SeedTaskError
from dynosaur.core.engines import BudgetExceeded, EngineError, UnsupportedRequest
from dynosaur.core.errors import DynosaurError, MissingArtifact, OptionError, cli_flag
from dynosaur.core.prompts import PromptError
from dynosaur.core.resources import ResourceNotFound
from dynosaur.dino.inputs import InputError
from dynosaur.dino.spec import SpecError
from dynosaur.hub.publish.run import PublishError

ROOT = Path(__file__).resolve().parents[1]
NAMES = {
    value
    for key, value in vars(artifacts).items()
    if key.isupper() and isinstance(value, str) and "." in value
}


# where the crawl declares the names of the files it writes (it knows nothing of dynosaur)
CRAWL_DECLARATIONS = {"crawl/outputs.py", "crawl/state.py"}


def spelled_artifact_names(root: Path) -> list[str]:
    """``"module: name"`` for every string constant outside the declaring modules that is an artifact name."""
    found = []
    paths = sorted((root / "dynosaur").rglob("*.py")) + sorted((root / "crawl").rglob("*.py"))
    for path in paths:
        if path.name == "artifacts.py" and path.parent.name == "contracts":
            continue
        if path.relative_to(root).as_posix() in CRAWL_DECLARATIONS:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in NAMES and id(node) not in docstrings:
                found.append(f"{path.relative_to(root)}: {node.value}")
    return found


def test_artifact_names_are_spelled_only_in_contracts() -> None:
    assert {"llm_cache.sqlite", "tasks.jsonl", "llm_batches.json", "crawl_state.sqlite"} <= NAMES
    assert spelled_artifact_names(ROOT) == []


def test_a_respelled_artifact_name_is_caught(tmp_path: Path) -> None:
    (tmp_path / "dynosaur").mkdir()
    (tmp_path / "dynosaur" / "stage.py").write_text('CACHE = "llm_cache.sqlite"\n', encoding="utf-8")
    (tmp_path / "crawl").mkdir()
    (tmp_path / "crawl" / "resume.py").write_text('STATE = "crawl_state.sqlite"\n', encoding="utf-8")
    (tmp_path / "dynosaur" / "batches.py").write_text('STATE = "llm_batches.json"\n', encoding="utf-8")
    assert spelled_artifact_names(tmp_path) == [
        "dynosaur/batches.py: llm_batches.json",
        "dynosaur/stage.py: llm_cache.sqlite",
        "crawl/resume.py: crawl_state.sqlite",
    ]


def test_reason_kind_is_the_text_before_the_first_colon() -> None:
    assert artifacts.reason_kind("imbalanced labels: 'x' is 90%") == "imbalanced labels"
    assert artifacts.reason_kind(" unknown field : 'y'") == "unknown field"
    assert artifacts.reason_kind(None) == ""


@pytest.mark.parametrize(
    ("error", "builtin"),
    [
        (EngineError, RuntimeError),
        (UnsupportedRequest, RuntimeError),
        (BudgetExceeded, RuntimeError),
        (PromptError, ValueError),
        (SeedTaskError, ValueError),
        (InputError, ValueError),
        (SpecError, ValueError),
        (PublishError, RuntimeError),
        (ResourceNotFound, FileNotFoundError),
        (MissingLicense, ValueError),
        (MissingArtifact, FileNotFoundError),
        (OptionError, ValueError),
    ],
)
def test_library_errors_share_one_root_and_keep_their_builtin_base(error: type, builtin: type) -> None:
    assert issubclass(error, DynosaurError) and issubclass(error, builtin)


def test_an_option_error_names_fields_and_the_cli_spells_them_as_flags() -> None:
    error = OptionError(
        "num_prompt_seed", "must be at most num_prompt_instructions", mentions=("num_prompt_instructions",)
    )
    assert str(error) == "num_prompt_seed must be at most num_prompt_instructions"
    assert error.cli_message(cli_flag) == "--num-prompt-seed must be at most --num-prompt-instructions"


def test_run_command_turns_a_library_error_into_its_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    def failing(_args: object) -> int:
        raise OptionError("chunk_size", "must be at least 1, got 0")

    assert run_command("documents", failing, None) == 2  # type: ignore[arg-type]
    assert capsys.readouterr().err == "documents: --chunk-size must be at least 1, got 0\n"


def test_run_command_lets_a_bug_through() -> None:
    def buggy(_args: object) -> int:
        raise KeyError("not a DynosaurError")

    with pytest.raises(KeyError):
        run_command("x", buggy, None)  # type: ignore[arg-type]


def test_the_cache_wrapper_forwards_what_the_engine_reports(tmp_path: Path) -> None:
    from dynosaur.core.cache import CachedEngine, ResponseCache
    from dynosaur.core.engines.openai import OpenAIEngine

    inner = OpenAIEngine(model="m", base_url="http://127.0.0.1:9/v1", concurrency=3)
    cache = ResponseCache(tmp_path / artifacts.RESPONSE_CACHE_FILE)
    try:
        wrapped = CachedEngine(inner, cache)
        assert wrapped.concurrency == 3 and wrapped.usage is inner.usage
        assert wrapped.stats is not None and inner.stats is None
        assert wrapped.price is inner.price  # any other attribute is the engine's
        with pytest.raises(AttributeError):
            _ = wrapped.no_such_attribute
    finally:
        cache.close()


def test_engines_open_from_options_through_the_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    from dynosaur.core.engines import EngineOptions, open_engine_by_name
    from dynosaur.core.errors import ConfigError

    assert open_engine_by_name("rules", EngineOptions(model="ignored", concurrency=2)).name == "rules"
    opened = open_engine_by_name(
        "openai", EngineOptions(model="m", base_url="http://127.0.0.1:9/v1", concurrency=2)
    )
    assert (opened.model, opened.concurrency) == ("m", 2)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="needs OPENAI_API_KEY"):
        open_engine_by_name("openai", EngineOptions())
    with pytest.raises(ConfigError, match="unknown engine 'nope'"):
        open_engine_by_name("nope", EngineOptions())


def cache_constructions(root: Path) -> list[str]:
    """``"module: Name"`` for every ``ResponseCache(...)`` or ``CachedEngine(...)`` call outside
    ``dynosaur/core`` (where ``open_engine`` builds them)."""
    found = []
    for path in sorted((root / "dynosaur").rglob("*.py")):
        if "core" in path.relative_to(root / "dynosaur").parts[:1]:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in ("ResponseCache", "CachedEngine", "create_engine", "open_engine_by_name"):
                    found.append(f"{path.relative_to(root)}: {name}")
    return found


def test_only_open_engine_builds_engines_and_caches() -> None:
    assert cache_constructions(ROOT) == []


def test_a_command_building_its_own_cache_is_caught(tmp_path: Path) -> None:
    (tmp_path / "dynosaur" / "commands").mkdir(parents=True)
    (tmp_path / "dynosaur" / "commands" / "x.py").write_text(
        "from dynosaur.core import cache\nengine = cache.CachedEngine(e, cache.ResponseCache(p))\n",
        encoding="utf-8",
    )
    assert cache_constructions(tmp_path) == [
        "dynosaur/commands/x.py: CachedEngine",
        "dynosaur/commands/x.py: ResponseCache",
    ]


def test_open_engine_stacks_batch_and_cache(tmp_path: Path) -> None:
    from dynosaur.core.cache import CachedEngine
    from dynosaur.core.engines import BatchOptions, EngineOptions
    from dynosaur.core.engines.batch import BatchEngine
    from dynosaur.core.engines.opening import open_engine
    from dynosaur.core.errors import ConfigError

    with open_engine(EngineOptions(engine="rules"), tmp_path) as engine:
        assert (
            isinstance(engine, CachedEngine) and engine.cache.path == tmp_path / artifacts.RESPONSE_CACHE_FILE
        )
    with open_engine(EngineOptions(engine="rules", use_cache=False), tmp_path) as engine:
        assert engine.name == "rules" and not isinstance(engine, CachedEngine)
    options = EngineOptions(
        engine="openai",
        model="m",
        base_url="http://127.0.0.1:9/v1",
        batch=BatchOptions(file_only=tmp_path / "batches"),
        cache=tmp_path / "elsewhere.sqlite",
    )
    with open_engine(options, tmp_path) as engine:
        assert isinstance(engine, CachedEngine) and isinstance(engine.engine, BatchEngine)
        assert engine.cache.path == tmp_path / "elsewhere.sqlite"
    with pytest.raises(ConfigError, match="need `engine` openai"):
        open_engine(EngineOptions(engine="rules", batch=BatchOptions(submit=True)), tmp_path)


_FLAG = re.compile(r"(?<![\w`-])--[a-z][a-z-]*")


def flags_in_raised_messages(root: Path) -> list[str]:
    """``"module:line: text"`` for each raise outside the CLI whose message spells a ``--flag``."""
    found = []
    for path in sorted((root / "dynosaur").rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if relative.startswith("dynosaur/commands/") or relative == "dynosaur/cli.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Raise) or node.exc is None:
                continue
            for part in ast.walk(node.exc):
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    text = re.sub(r"`[^`]*`", "", part.value)  # a quoted shell command may use its own flags
                    if _FLAG.search(text):
                        found.append(f"{relative}:{node.lineno}: {part.value}")
    return found


def test_library_errors_name_fields_not_flags() -> None:
    assert flags_in_raised_messages(ROOT) == []


def test_a_flag_in_a_library_error_is_caught(tmp_path: Path) -> None:
    (tmp_path / "dynosaur" / "commands").mkdir(parents=True)
    (tmp_path / "dynosaur" / "stage.py").write_text(
        'def f():\n    raise ValueError(f"give --input-file {1}")\n', encoding="utf-8"
    )
    (tmp_path / "dynosaur" / "commands" / "stage.py").write_text(
        'def f():\n    raise ValueError("give --input-file")\n', encoding="utf-8"
    )
    assert flags_in_raised_messages(tmp_path) == ["dynosaur/stage.py:2: give --input-file "]


def test_the_cli_spells_mentioned_fields_as_flags() -> None:
    error = SpecError("give input_file with the texts (input_files stays)", mentions=("input_file",))
    assert str(error) == "give input_file with the texts (input_files stays)"
    assert error.cli_message(cli_flag) == "give --input-file with the texts (input_files stays)"
    quoted = PublishError("version 1 is taken: leave out `version`", mentions=("version",))
    assert quoted.cli_message(cli_flag) == "version 1 is taken: leave out --version"


_FAN_OUT = {"gather", "Semaphore", "BoundedSemaphore", "as_completed", "TaskGroup", "wait"}


def hand_written_fan_outs(root: Path) -> list[str]:
    """``"module:line: asyncio.name"`` for every asyncio fan-out primitive used outside ``dynosaur/core``
    (where ``core.fanout.ask_many`` is the one "ask many" loop)."""
    found = []
    for path in sorted((root / "dynosaur").rglob("*.py")):
        relative = path.relative_to(root)
        if relative.parts[1] == "core":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "asyncio"
                and node.attr in _FAN_OUT
            ):
                found.append(f"{relative.as_posix()}:{node.lineno}: asyncio.{node.attr}")
            elif isinstance(node, ast.ImportFrom) and node.module == "asyncio":
                found += [
                    f"{relative.as_posix()}:{node.lineno}: asyncio.{alias.name}"
                    for alias in node.names
                    if alias.name in _FAN_OUT
                ]
    return found


def test_stages_fan_out_only_through_core_fanout() -> None:
    assert hand_written_fan_outs(ROOT) == []
    used = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "dynosaur").rglob("*.py")
        if "ask_many" in path.read_text(encoding="utf-8")
    }
    assert {
        "dynosaur/hub/propose/run.py",
        "dynosaur/self_instruct/run.py",
        "dynosaur/self_instruct/bootstrap.py",
        "dynosaur/documents/generate.py",
        "dynosaur/dino/generate.py",
        "dynosaur/quality/judge/run.py",
    } <= used


def test_a_hand_written_fan_out_is_caught(tmp_path: Path) -> None:
    (tmp_path / "dynosaur" / "dino").mkdir(parents=True)
    (tmp_path / "dynosaur" / "core").mkdir()
    (tmp_path / "dynosaur" / "dino" / "x.py").write_text(
        "import asyncio\nfrom asyncio import Semaphore as S\n\n"
        "async def f(jobs):\n    return await asyncio.gather(*jobs)\n",
        encoding="utf-8",
    )
    (tmp_path / "dynosaur" / "core" / "fanout.py").write_text(
        "import asyncio\ngate = asyncio.Semaphore(2)\n", encoding="utf-8"
    )
    assert hand_written_fan_outs(tmp_path) == [
        "dynosaur/dino/x.py:2: asyncio.Semaphore",
        "dynosaur/dino/x.py:5: asyncio.gather",
    ]
