"""The ``dynosaur`` command: discovers the command modules and dispatches to one."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Callable
from types import ModuleType

import dynosaur.commands
from dynosaur import __version__
from dynosaur.commands._engine import settle_engine_defaults
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
    """The parser over ``modules`` (default: every command)."""
    parser = argparse.ArgumentParser(
        prog="dynosaur",
        description="Instruction-tuning data from the Hugging Face Hub, and generators on the same engines.",
    )
    parser.add_argument("--version", action="version", version=f"dynosaur {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in command_modules() if modules is None else modules:
        sub = subparsers.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(_run=module.run)
    return parser


def run_command(name: str, run: Callable[[argparse.Namespace], int | None], args: argparse.Namespace) -> int:
    """Run one command; a ``DynosaurError`` ends it as ``<name>: <message>`` with the error's exit code."""
    try:
        return int(run(args) or 0)
    except DynosaurError as exc:
        print(f"{name}: {exc.cli_message(cli_flag)}", file=sys.stderr)
        return exc.exit_code


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    argv = sys.argv[1:] if argv is None else argv
    command = named_command(argv)
    args = build_parser(None if command is None else [command]).parse_args(argv)
    settle_engine_defaults(args)  # before a command reads --concurrency into its own settings
    try:
        return run_command(args.command, args._run, args)
    except KeyboardInterrupt:
        print("interrupted; everything written so far is kept, rerun to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
