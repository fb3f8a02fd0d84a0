"""CLI start-up stays light: help texts load no model, Arrow, API-client or document library.

Each check runs in a fresh interpreter (this one has long imported everything) and reads back
which of the heavy top-level modules ended up in ``sys.modules``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "transformers", "datasets", "pyarrow", "openai", "pypdf", "docx")

# Runs the code given as its argument in the checkout, then prints the heavy modules it loaded.
_PROBE = f"""
import contextlib, io, json, sys
with contextlib.redirect_stdout(io.StringIO()):
    try:
        exec(sys.argv[1], {{"__name__": "probe"}})
    except SystemExit:
        pass
print(json.dumps(sorted({{name.split(".")[0] for name in sys.modules}} & set({HEAVY!r}))))
"""


def heavy_modules_loaded_by(code: str) -> list[str]:
    """The heavy top-level modules a fresh interpreter holds after running ``code``."""
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
