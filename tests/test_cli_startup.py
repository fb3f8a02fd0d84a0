"""CLI start-up stays light: help texts load no model, Arrow, API-client or document library,
and a command loads only its own command module.

Each check runs in a fresh interpreter (this one has long imported everything) and reads back
what ended up in ``sys.modules``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dynosaur.cli import _source_constant, build_parser, command_infos, command_modules, named_command

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "transformers", "datasets", "pyarrow", "openai", "pypdf", "docx", "matplotlib")

# Runs the code given as its argument in the checkout, then prints every module it loaded.
_PROBE = """
import contextlib, io, json, sys
with contextlib.redirect_stdout(io.StringIO()):
    try:
        exec(sys.argv[1], {"__name__": "probe"})
    except SystemExit:
        pass
print(json.dumps(sorted(sys.modules)))
"""


def modules_loaded_by(code: str) -> list[str]:
    """Every module a fresh interpreter holds after running ``code``."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def heavy_modules_loaded_by(code: str) -> list[str]:
    """The heavy top-level modules a fresh interpreter holds after running ``code``."""
    return sorted({name.split(".")[0] for name in modules_loaded_by(code)} & set(HEAVY))


@pytest.mark.parametrize("argv", [["--help"], ["dedup", "--help"], ["self-instruct", "--help"]])
def test_help_loads_no_heavy_library(argv: list[str]) -> None:
    code = f"from dynosaur.cli import main; main({argv!r})"
    assert heavy_modules_loaded_by(code) == []


def test_the_probe_sees_a_heavy_library_once_a_command_needs_it() -> None:
    code = (
        "import dynosaur.core.engines.openai\n"
        "from dynosaur.documents.readers import SkipDocument, read_pdf\n"
        "try:\n"
        "    read_pdf(b'not a pdf')\n"
        "except SkipDocument:\n"
        "    pass\n"
    )
    assert heavy_modules_loaded_by(code) == ["openai", "pypdf"]


def test_a_command_loads_only_its_own_command_module() -> None:
    loaded = modules_loaded_by("from dynosaur.cli import main; main(['dedup', '--help'])")
    commands = [name for name in loaded if name.startswith("dynosaur.commands.")]
    assert "dynosaur.commands.dedup" in commands
    helpers = ("dynosaur.commands._engine", "dynosaur.commands._option_types")
    assert [name for name in commands if name not in ("dynosaur.commands.dedup", *helpers)] == []


def test_every_command_is_found_by_its_name_and_other_words_load_them_all() -> None:
    modules = command_modules()
    assert len(modules) > 10
    assert [named_command([m.NAME, "--help"]) for m in modules] == modules
    for argv in ([], ["--help"], ["--version"], ["no-such-command"], ["_engine"], ["self_instruct"]):
        assert named_command(argv) is None


def test_the_command_list_loads_no_command_module() -> None:
    loaded = modules_loaded_by("from dynosaur.cli import main; main(['--help'])")
    assert [name for name in loaded if name.startswith("dynosaur.commands.")] == []


def test_the_command_list_read_from_sources_is_that_of_the_modules() -> None:
    infos = command_infos()
    modules = command_modules()
    assert [(i.module, i.name, i.help) for i in infos] == [
        (m.__name__.rsplit(".", 1)[1], m.NAME, m.HELP) for m in modules
    ]
    help_text = build_parser().format_help()
    assert all(info.name in help_text for info in infos)


def test_constants_are_read_from_source_only_when_they_are_plain_literals() -> None:
    source = 'import x\nNAME = "crawl"\nHELP = (\n    "two "\n    "lines"\n)\nOTHER = f"{x}"\n'
    assert _source_constant(source, "NAME") == "crawl"
    assert _source_constant(source, "HELP") == "two lines"
    assert _source_constant(source, "OTHER") is None  # not a literal: the module is imported instead
    assert _source_constant(source, "MISSING") is None
    assert _source_constant("NAME: str = 'x'\n", "NAME") is None
