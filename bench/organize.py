"""Organize throughput and peak memory at 100,000 and 1,000,000 rows.

Each size is generated into a temp folder and organized in a fresh subprocess that reports its
peak resident memory (ru_maxrss); the same subprocess also times a bare parse of the data file
(json.loads of every line) as the reference. Memory must stay flat as rows grow tenfold, since
organize holds one dataset-config's rows at a time.

    python bench/organize.py [--sizes 100000 1000000] [--rows-per-config 1000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LABELS = ["negative", "neutral", "positive"]

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from dynosaur.hub.organize.run import organize

data = Path(sys.argv[1])
start = time.perf_counter()
with open(data / "huggingface_data.jsonl", "rb") as handle:
    for raw in handle:
        json.loads(raw)
parse_s = time.perf_counter() - start
start = time.perf_counter()
report = organize(data, progress=False)
organize_s = time.perf_counter() - start
print(json.dumps({"records": report.records, "organize_s": organize_s, "parse_s": parse_s,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def config_line(index: int, rows_per_config: int) -> dict:
    """One synthetic dataset-config; three kinds of tasks take turns."""
    kind = index % 3
    name = f"bench/ds{index:05d}"
    if kind == 0:
        rows = [
            {"text": f"review {index} {i} " + "words " * (i % 40), "label": LABELS[i % 3]}
            for i in range(rows_per_config)
        ]
    elif kind == 1:
        rows = [
            {
                "question": f"question {index}-{i}?",
                "context": "context " * (20 + i % 30),
                "answers": {"text": [f"answer {i}", f"alt {i}"], "answer_start": [0, 3]},
            }
            for i in range(rows_per_config)
        ]
    else:
        rows = [
            {"goal": f"goal {index}-{i}", "choices": [f"plan a{i}", f"plan b{i}"], "label": f"plan a{i}"}
            for i in range(rows_per_config)
        ]
    return {
        "task_name": name,
        "dataset": name,
        "config": "default",
        "split": "train",
        "revision": "0" * 40,
        "license": ["mit", "apache-2.0", "cc-by-4.0"][index % 3],
        "website": f"https://huggingface.co/datasets/{name}",
        "features": {},
        "selected_data": rows,
    }


def task_for(index: int) -> dict:
    name = f"bench/ds{index:05d}"
    inputs, output = [
        (["text"], "label"),
        (["question", "context"], "answers"),
        (["goal", "choices"], "label"),
    ][index % 3]
    return {
        "task_name": name,
        "instruction": "Solve the task.",
        "input_fields": inputs,
        "output_field": [output],
    }


def generate(folder: Path, rows: int, rows_per_config: int) -> None:
    configs = max(1, rows // rows_per_config)
    with open(folder / "huggingface_data.jsonl", "w", encoding="utf-8") as handle:
        for index in range(configs):
            handle.write(json.dumps(config_line(index, rows_per_config)) + "\n")
    (folder / "instructions-full.json").write_text(json.dumps([task_for(i) for i in range(configs)]))


def measure(rows: int, rows_per_config: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="dynosaur-bench-") as tmp:
        folder = Path(tmp)
        generate(folder, rows, rows_per_config)
        size_mib = (folder / "huggingface_data.jsonl").stat().st_size / 2**20
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(folder)], cwd=ROOT, check=True, capture_output=True, text=True
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result.update(rows=rows, data_mib=size_mib)
        return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--rows-per-config", type=int, default=1000)
    args = parser.parse_args()
    results = []
    print(
        f"{'rows':>10} {'data MiB':>9} {'records':>10} {'seconds':>8} {'records/s':>10} "
        f"{'vs parse':>9} {'peak MiB':>9}"
    )
    for rows in args.sizes:
        r = measure(rows, args.rows_per_config)
        results.append(r)
        print(
            f"{r['rows']:>10,} {r['data_mib']:>9.1f} {r['records']:>10,} {r['organize_s']:>8.1f} "
            f"{r['records'] / r['organize_s']:>10,.0f} {r['organize_s'] / r['parse_s']:>8.1f}x "
            f"{r['peak_mib']:>9.1f}",
            flush=True,
        )
    if len(results) > 1:
        first, last = results[0], results[-1]
        print(
            f"peak memory ratio {last['rows']:,} / {first['rows']:,} rows: "
            f"{last['peak_mib'] / first['peak_mib']:.2f}x (flat is ~1x)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
