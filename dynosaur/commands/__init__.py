"""One module per CLI command.

Each module defines ``NAME`` (the subcommand), ``HELP`` (one line), ``add_arguments(parser)`` and
``run(args) -> int``. The CLI discovers them, so adding a command touches no other file. A command
parses options, calls one stage function and prints its summary; the work lives in the stages.
"""
