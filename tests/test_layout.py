"""The package boundaries the layout promises: stages import only ``core`` and ``contracts``,
``core`` and ``contracts`` know no stage, and ``crawl`` never imports ``dynosaur`` or the mirror."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STAGES = (
    "dynosaur.hub.propose",
    "dynosaur.hub.filter",
    "dynosaur.hub.organize",
    "dynosaur.hub.publish",
    "dynosaur.quality",
    "dynosaur.self_instruct",
    "dynosaur.dino",
    "dynosaur.documents",
    "dynosaur.dedup",
)
SHARED = ("dynosaur.core", "dynosaur.contracts")


def _group(module: str) -> str:
    for prefix in (*STAGES, *SHARED, "dynosaur.commands", "dynosaur.cli"):
        if module == prefix or module.startswith(prefix + "."):
            return prefix
    return module.split(".")[0]


def _imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return [name for name in found if name.split(".")[0] in {"dynosaur", "crawl", "hubmirror"}]


def _allowed(source: str, target: str) -> bool:
    if source == target:
        return True
    if source == "crawl":
        return False
    if source in STAGES or source in SHARED:
        return target in SHARED or target == "crawl"
    return True


def boundary_violations(root: Path = ROOT) -> list[str]:
    """``"module -> imported"`` for every import that crosses a boundary the layout forbids."""
    violations = []
    for package in ("crawl", "hubmirror", "dynosaur"):
        for path in sorted((root / package).rglob("*.py")):
            module = ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
            source = _group(module)
            for name in _imports(path):
                if not _allowed(source, _group(name)):
                    violations.append(f"{module} -> {name}")
    return violations


def test_no_stage_imports_another_stage_and_crawl_stands_alone() -> None:
    assert boundary_violations() == []


@pytest.mark.parametrize(
    ("planted", "source"),
    [
        ("dynosaur/hub/filter/_planted.py", "from dynosaur.hub.propose.run import propose\n"),
        ("dynosaur/core/_planted.py", "import dynosaur.hub.organize.run\n"),
        ("crawl/_planted.py", "from dynosaur.core.io import read_jsonl\n"),
        ("crawl/_planted2.py", "from hubmirror import MirrorServer\n"),
    ],
)
def test_a_planted_cross_stage_import_is_caught(tmp_path: Path, planted: str, source: str) -> None:
    for package in ("crawl", "hubmirror", "dynosaur"):
        (tmp_path / package).mkdir()
    target = tmp_path / planted
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(source, encoding="utf-8")
    assert len(boundary_violations(tmp_path)) == 1
