"""Report build time for 1,000,000 records, against a bare parse of the same file.

Writes a synthetic ``dynosaur-full.jsonl`` of N records over 1,000 tasks (three kinds, four
licenses) into a temp folder, times a bare ``json.loads`` of every line (the reference: no
report can read the records faster than parsing them once), then ``write_report`` on the same
folder, and prints both times, their ratio and the peak memory of the report (in a fresh
subprocess, so the figure is the report's own).

    python bench/report.py [--records 1000000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LICENSES = ["apache-2.0", "cc-by-4.0", "mit", "cc-by-sa-4.0"]
LABELS = ["negative", "neutral", "positive"]

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from dynosaur.quality.report import ReportSpec, write_report

data = Path(sys.argv[1])
records = data / "dynosaur-full.jsonl"
start = time.perf_counter()
with open(records, "rb") as handle:
    for raw in handle:
        json.loads(raw)
parse_s = time.perf_counter() - start
result = write_report(ReportSpec("bench", records, data / "report.html"))
print(json.dumps({"records": result.records, "tasks": result.tasks, "report_s": result.seconds,
                  "parse_s": parse_s, "bytes": (data / "report.html").stat().st_size,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def record(index: int, tasks: int) -> dict[str, str]:
    task = index % tasks
    kind = task % 3
    if kind == 0:
        instruction, text, output = (
            "Classify the sentiment of the review as negative, neutral or positive.",
            f"review {index} " + "words " * (index % 60),
            LABELS[index % 3],
        )
    elif kind == 1:
        instruction, text, output = (
            f"Answer the question using the context of set {task}.",
            f"question is 'q {index}?'.\ncontext is '" + "context " * (20 + index % 80) + "'.",
            f"answer {index}",
        )
    else:
        instruction, text, output = (
            f"Write a title for the article number {task}.",
            "article " * (50 + index % 300),
            f"title {index} of the article",
        )
    return {
        "instruction": instruction,
        "input": text,
        "output": output,
        "license": LICENSES[task % len(LICENSES)],
        "website": f"https://huggingface.co/datasets/bench/ds{task:04d}",
        "taskname": f"bench/ds{task:04d}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--tasks", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dynosaur-bench-report-") as tmp:
        data = Path(tmp)
        with (data / "dynosaur-full.jsonl").open("w", encoding="utf-8") as handle:
            for index in range(args.records):
                handle.write(json.dumps(record(index, args.tasks), ensure_ascii=False) + "\n")
        size = (data / "dynosaur-full.jsonl").stat().st_size / 2**20
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(data)], capture_output=True, text=True, check=True, cwd=ROOT
        )
        figures = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"report of {figures['records']:,} records ({size:.0f} MiB JSONL, {figures['tasks']:,} tasks):")
    print(f"  reference: json.loads of every line  {figures['parse_s']:6.1f} s")
    print(
        f"  write_report                          {figures['report_s']:6.1f} s  "
        f"({figures['report_s'] / figures['parse_s']:.1f}x the parse time, "
        f"{figures['records'] / figures['report_s']:,.0f} records/s)"
    )
    print(f"  peak memory {figures['peak_mib']:.0f} MiB; report.html {figures['bytes'] / 2**10:.0f} KiB")


if __name__ == "__main__":
    main()
