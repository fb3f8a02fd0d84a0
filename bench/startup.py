"""CLI start-up: ``dynosaur --help`` and ``dynosaur dedup --help`` against loading every command.

Each figure is the median of ``--repeat`` fresh interpreters, run in turns (reference, then each
command, then again) so that a change of machine load hits all of them alike. The reference is the
parser built over every command module, imported (what ``dynosaur --help`` cost when every command
loaded its dependencies); the floor is a bare ``python -c pass``. CPU time and peak resident
memory come from the child's own rusage. Goal: ``dynosaur --help`` takes at most a quarter of the
reference's CPU time and loads no command module.

    python bench/startup.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL = 0.25  # at most this share of the reference's CPU time

RUNS = {
    "python -c pass": ["-c", "pass"],
    "every command loaded (reference)": [
        "-c",
        "from dynosaur.cli import build_parser, command_modules; build_parser(command_modules()).format_help()",
    ],
    "dynosaur --help": ["-m", "dynosaur.cli", "--help"],
    "dynosaur dedup --help": ["-m", "dynosaur.cli", "dedup", "--help"],
}
PROBE = """
import contextlib, io, json, sys
from dynosaur.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main(["--help"])
    except SystemExit:
        pass
print(json.dumps(sorted(sys.modules)))
"""


# A forked child's rusage peak counts the parent's pages from before exec, so the child reports its
# own high-water mark (VmHWM, which exec resets) as it exits; the wrapper imports nothing of note.
WRAP = """
import atexit, os, runpy, sys
def report():
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    os.write(2, f"\\npeak_kib={peak}\\n".encode())
atexit.register(report)
kind, target, *rest = sys.argv[1:]
sys.argv = [target, *rest]
if kind == "-c":
    exec(target, {"__name__": "__main__"})
else:
    runpy.run_module(target, run_name="__main__", alter_sys=True)
"""


def run_once(args: list[str]) -> tuple[float, float, float]:
    """One fresh interpreter: (wall seconds, CPU seconds, peak RSS MiB)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    child = subprocess.run(
        [sys.executable, "-c", WRAP, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if child.returncode != 0:
        raise RuntimeError(f"{args} exited with {child.returncode}: {child.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peak_kib = int(child.stderr.rsplit("peak_kib=", 1)[1].split()[0])
    return wall, cpu, peak_kib / 1024


def loaded_commands() -> list[str]:
    """The command modules a fresh ``dynosaur --help`` imports."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        check=True,
    )
    modules = json.loads(out.stdout.strip().splitlines()[-1])
    return [m for m in modules if m.startswith("dynosaur.commands.")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    samples: dict[str, list[tuple[float, float, float]]] = {label: [] for label in RUNS}
    for argv in RUNS.values():  # warm the file cache once
        run_once(argv)
    for _ in range(args.repeat):
        for label, argv in RUNS.items():
            samples[label].append(run_once(argv))
    medians = {
        label: tuple(statistics.median(s[k] for s in runs) for k in range(3))
        for label, runs in samples.items()
    }
    print(f"load average {os.getloadavg()[0]:.2f}; medians of {args.repeat} runs, taken in turns")
    print(f"{'':34} {'wall ms':>8} {'CPU ms':>8} {'peak MiB':>9} {'CPU vs reference':>17}")
    ref_cpu = medians["every command loaded (reference)"][1]
    for label, (wall, cpu, rss) in medians.items():
        print(f"{label:34} {wall * 1000:>8.0f} {cpu * 1000:>8.0f} {rss:>9.1f} {cpu / ref_cpu:>16.2f}x")
    commands = loaded_commands()
    share = medians["dynosaur --help"][1] / ref_cpu
    print(f"command modules loaded by dynosaur --help: {commands or 'none'}")
    if commands or share > GOAL:
        print(f"GOAL MISSED: dynosaur --help should load no command module and take <= {GOAL:.2f}x the CPU")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
