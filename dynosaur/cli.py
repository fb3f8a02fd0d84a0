"""The ``dynosaur`` command: discovers the command modules and dispatches to one."""

from __future__ import annotations

import argparse
import ast
import importlib
import pkgutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import dynosaur.commands
from crawl.artifact_errors import ArtifactError, is_environment_error
from dynosaur import __version__
from dynosaur.core.errors import DynosaurError, cli_flag


def _module_names() -> list[str]:
    """The command modules' names, in order (``_private`` ones are helpers)."""
    return sorted(
        info.name
        for info in pkgutil.iter_modules(dynosaur.commands.__path__)
        if not info.name.startswith("_")
    )


def command_modules() -> list[ModuleType]:
    """Every command module of ``dynosaur.commands``, in name order."""
    return [importlib.import_module(f"dynosaur.commands.{name}") for name in _module_names()]


@dataclass(frozen=True)
class CommandInfo:
    """What ``dynosaur --help`` lists for one command, read without importing its module."""

    module: str  # the module's name in ``dynosaur.commands``
    name: str
    help: str


def _source_constant(source: str, variable: str) -> object:
    """The literal value of a top-level ``variable = ...`` in ``source``, or None if there is none.

    Only the assignment itself is parsed (a statement may span a few lines), not the whole module.
    """
    lines = source.splitlines()
    for start, line in enumerate(lines):
        if not line.startswith(f"{variable} ="):
            continue
        for end in range(start + 1, min(start + 20, len(lines)) + 1):
            try:
                tree = ast.parse("\n".join(lines[start:end]))
            except SyntaxError:
                continue
            statement = tree.body[0]
            if isinstance(statement, ast.Assign):
                try:
                    return ast.literal_eval(statement.value)
                except ValueError:
                    return None
            return None
    return None


def command_infos() -> list[CommandInfo]:
    """Every command's name and help line, in module order.

    They are read from each module's source, so listing the commands imports none of them; a module
    whose ``NAME`` or ``HELP`` is not a plain literal is imported instead.
    """
    infos = []
    for module_name in _module_names():
        path = Path(dynosaur.commands.__path__[0]) / f"{module_name}.py"
        try:
            source = path.read_text(encoding="utf-8")
        except OSError:
            source = ""
        name, help_text = _source_constant(source, "NAME"), _source_constant(source, "HELP")
        if not (isinstance(name, str) and isinstance(help_text, str)):
            module = importlib.import_module(f"dynosaur.commands.{module_name}")
            name, help_text = module.NAME, module.HELP
        infos.append(CommandInfo(module_name, name, help_text))
    return infos


def named_command(argv: list[str]) -> ModuleType | None:
    """The module of the command ``argv`` starts with, or None (then every command is loaded).

    A command lives in the module named like it (``self-instruct`` in ``self_instruct``), so a run
    imports only its own command's dependencies.
    """
    if not argv or argv[0].startswith("-"):
        return None
    module_name = argv[0].replace("-", "_")
    if module_name not in _module_names():
        return None
    module = importlib.import_module(f"dynosaur.commands.{module_name}")
    return module if argv[0] == module.NAME else None


def build_parser(modules: list[ModuleType] | None = None) -> argparse.ArgumentParser:
    """The parser over ``modules``; by default every command is listed, without its options.

    Listing every command (``dynosaur --help``, an unknown command) imports no command module;
    a command's own options come with its module.
    """
    parser = argparse.ArgumentParser(
        prog="dynosaur",
        description="Instruction-tuning data from the Hugging Face Hub, and generators on the same engines.",
    )
    parser.add_argument("--version", action="version", version=f"dynosaur {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    if modules is None:
        for info in command_infos():
            sub = subparsers.add_parser(info.name, help=info.help, description=info.help)
            sub.set_defaults(_module=info.module)
        return parser
    for module in modules:
        sub = subparsers.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(_run=module.run)
    return parser


def run_command(name: str, run: Callable[[argparse.Namespace], int | None], args: argparse.Namespace) -> int:
    """Run one command; a ``DynosaurError`` ends it as ``<name>: <message>`` with the error's exit code.

    So does an artifact that cannot be read or written, and a file the disk or the folder refused
    (full, read-only): exit code 2, the message names the file. Files written before stay as they were.
    The command's paths are checked first (``dynosaur.commands._paths``): an output that would overwrite an
    input or another output ends it before anything is written."""
    try:
        from dynosaur.commands._paths import check_command_paths

        check_command_paths(name, args)  # an output that would overwrite an input: refused first
        return int(run(args) or 0)
    except DynosaurError as exc:
        print(f"{name}: {exc.cli_message(cli_flag)}", file=sys.stderr)
        return exc.exit_code
    except ArtifactError as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        if exc.filename is None or not is_environment_error(exc):
            raise
        print(f"{name}: {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; Ctrl-C at any point ends it with exit code 130."""
    try:
        return _main(sys.argv[1:] if argv is None else argv)
    except KeyboardInterrupt:
        print("interrupted; everything written so far is kept, rerun to resume", file=sys.stderr)
        return 130


def _main(argv: list[str]) -> int:
    command = named_command(argv)
    args = build_parser(None if command is None else [command]).parse_args(argv)
    if not hasattr(args, "_run"):  # a command reached by an unusual spelling (after "--"): load it
        module = importlib.import_module(f"dynosaur.commands.{args._module}")
        args = build_parser([module]).parse_args(argv)
    if getattr(args, "_engine_prefix", None) is not None:  # a command with engine options
        from dynosaur.commands._engine import settle_engine_defaults

        settle_engine_defaults(args)  # before a command reads --concurrency into its own settings
    return run_command(args.command, args._run, args)


if __name__ == "__main__":
    sys.exit(main())
