"""Organize throughput against Dynosaur's plain in-memory loop, and peak memory at two sizes.

The reference is the organizer as Dynosaur wrote it: read every data line into memory, loop over
the tasks and their rows formatting each record, keep every record in a list, then dump them one
``json.dumps`` a line. On the synthetic input here it writes exactly the bytes the project writes
(checked), so both do the same work; the project also writes the Parquet file and the report and
applies its rules, in one streaming pass.

Each size is generated into a temp folder; the reference and the project then run in turns
(A, B, A, B ...) for ``--rounds`` rounds, each run in a fresh subprocess that reports its wall
time, its CPU time (user + system, all threads) and peak resident memory (ru_maxrss). Modules
are imported before the clock starts (pandas too, which pyarrow imports on its first conversion;
start-up is ``bench/startup.py``'s). Printed: records per CPU second of each (median, with the
spread of the rounds) and their ratio (goal >= 1.0x at the largest size), records per wall second
and their ratio, peak memory of each, and the project's peak at the largest size over the
smallest (goal <= 1.1x: memory flat in the number of records). The goal is judged in CPU time:
on 2 shared cores, wall time also counts other processes and the disk, and the project fsyncs
its atomic writes (tens of ms that a busy disk stretches), which the reference does not. Every
figure prints before the exit status says whether a goal was missed.

    python bench/organize.py [--sizes 10000 100000] [--rows-per-config 100] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
LABELS = ["negative", "neutral", "positive"]
TEXT = {"dtype": "string", "_type": "Value"}


def reference(folder: Path, out: Path) -> int:
    """Dynosaur's organizer loop: every line and every record in memory, then one dump."""
    with open(folder / "huggingface_data.jsonl", encoding="utf-8") as handle:
        datasets = {line["task_name"]: line for line in map(json.loads, handle)}
    tasks = json.loads((folder / "instructions-full.json").read_text(encoding="utf-8"))
    records = []
    for task in tasks:
        line = datasets[task["task_name"]]
        fields, output_field = task["input_fields"], task["output_field"][0]
        pairs = []
        for row in line["selected_data"]:
            parts = []
            for field in fields:
                value = row[field]
                if isinstance(value, list):
                    options = ", ".join(f"{chr(65 + i)}. '{option}'" for i, option in enumerate(value))
                    parts.append(f"{field} are {options}.")
                else:
                    parts.append(f"{field} is '{value}'.")
            input_ = "\n".join(parts) if len(fields) > 1 else str(row[fields[0]])
            output = row[output_field]
            if isinstance(output, dict):
                output = output["text"][0]
            pairs.append((input_, str(output)))
        instruction = task["instruction"]
        labels = sorted({output for _, output in pairs}, key=lambda label: (label.casefold(), label))
        if len(labels) <= 10 and len(labels) < len(pairs):
            instruction = f"{instruction} Answers must be one of {', '.join(labels)}."
        for input_, output in pairs:
            records.append(
                {
                    "instruction": instruction,
                    "input": input_,
                    "output": output,
                    "license": line["license"],
                    "website": line["website"],
                    "taskname": task["task_name"],
                    "split": line["split"],
                    "row_idx": None,
                }
            )
    with open(out, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
    return len(records)


def project(folder: Path, out: Path) -> int:
    """``dynosaur organize`` as a library call (JSONL, Parquet and report)."""
    from dynosaur.hub.organize.run import organize

    return organize(folder, output_path=out, progress=False).records


def child(mode: str, folder: Path, out: Path) -> None:
    """One timed run in this process; prints its figures as one JSON line."""
    import resource

    if mode == "project":  # imports are start-up, not throughput
        import pyarrow
        import pyarrow.parquet  # noqa: F401

        import dynosaur.hub.organize.run  # noqa: F401

        pyarrow.array([""])  # pyarrow imports pandas on its first conversion
    start, cpu_start = time.perf_counter(), time.process_time()
    records = (reference if mode == "reference" else project)(folder, out)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"records": records, "seconds": seconds, "cpu": cpu, "peak_mib": peak}))


def config_line(index: int, rows_per_config: int) -> dict[str, Any]:
    """One synthetic dataset-config; three kinds of tasks take turns."""
    kind = index % 3
    name = f"bench/ds{index:05d}"
    features: dict[str, Any]
    if kind == 0:
        rows: list[dict[str, Any]] = [
            {"text": f"review {index} {i} " + "words " * (i % 40), "label": LABELS[i % 3]}
            for i in range(rows_per_config)
        ]
        features = {"text": TEXT, "label": TEXT}
    elif kind == 1:
        rows = [
            {
                "question": f"question {index}-{i}?",
                "context": "context " * (20 + i % 30),
                "answers": {"text": [f"answer {i}", f"alt {i}"], "answer_start": [0, 3]},
            }
            for i in range(rows_per_config)
        ]
        answers = {"text": {"_type": "List", "feature": TEXT}, "answer_start": {"_type": "List"}}
        features = {"question": TEXT, "context": TEXT, "answers": answers}
    else:
        rows = [
            {"goal": f"goal {index}-{i}", "choices": [f"plan a{i}", f"plan b{i}"], "label": f"plan a{i}"}
            for i in range(rows_per_config)
        ]
        features = {"goal": TEXT, "choices": {"_type": "List", "feature": TEXT}, "label": TEXT}
    return {
        "task_name": name,
        "dataset": name,
        "config": "default",
        "split": "train",
        "revision": "0" * 40,
        "license": ["mit", "apache-2.0", "cc-by-4.0"][index % 3],
        "website": f"https://huggingface.co/datasets/{name}",
        "features": [{"feature_idx": i, "name": k, "type": v} for i, (k, v) in enumerate(features.items())],
        "selected_data": rows,
    }


def task_for(index: int) -> dict[str, Any]:
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


def generate(folder: Path, records: int, rows_per_config: int) -> None:
    configs = max(1, records // rows_per_config)
    with open(folder / "huggingface_data.jsonl", "w", encoding="utf-8") as handle:
        for index in range(configs):
            handle.write(json.dumps(config_line(index, rows_per_config)) + "\n")
    (folder / "instructions-full.json").write_text(json.dumps([task_for(i) for i in range(configs)]))


def run_child(mode: str, folder: Path, out: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(folder), str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(records: int, rows_per_config: int, rounds: int) -> dict[str, Any]:
    """Reference and project in turns on one generated input; medians and the output check."""
    with tempfile.TemporaryDirectory(prefix="dynosaur-bench-") as tmp:
        folder = Path(tmp)
        generate(folder, records, rows_per_config)
        runs: dict[str, list[dict[str, Any]]] = {"reference": [], "project": []}
        for _ in range(rounds):
            for mode in ("reference", "project"):
                runs[mode].append(run_child(mode, folder, folder / f"{mode}.jsonl"))
        same = (folder / "reference.jsonl").read_bytes() == (folder / "project.jsonl").read_bytes()
        result: dict[str, Any] = {"records": records, "identical": same}
        for mode, results in runs.items():
            per_cpu_s = [r["records"] / r["cpu"] for r in results]
            result[mode] = {
                "records": results[0]["records"],
                "per_s": statistics.median(r["records"] / r["seconds"] for r in results),
                "per_cpu_s": statistics.median(per_cpu_s),
                "spread": (min(per_cpu_s), max(per_cpu_s)),
                "peak_mib": max(r["peak_mib"] for r in results),
            }
        return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000], help="records")
    parser.add_argument("--rows-per-config", type=int, default=100, help="the crawl's default row count")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--child", nargs=3, metavar=("MODE", "FOLDER", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return 0
    missed = []
    results = []
    print(
        f"{'records':>9} {'ref/CPU s':>10} {'proj/CPU s':>11} {'ratio':>6} {'ref/s':>8} {'proj/s':>8} {'ratio':>6} "
        f"{'ref MiB':>8} {'proj MiB':>9} identical"
    )
    for size in sorted(args.sizes):
        r = measure(size, args.rows_per_config, args.rounds)
        results.append(r)
        ref, proj = r["reference"], r["project"]
        print(
            f"{proj['records']:>9,} {ref['per_cpu_s']:>10,.0f} {proj['per_cpu_s']:>11,.0f} "
            f"{proj['per_cpu_s'] / ref['per_cpu_s']:>5.2f}x {ref['per_s']:>8,.0f} {proj['per_s']:>8,.0f} "
            f"{proj['per_s'] / ref['per_s']:>5.2f}x {ref['peak_mib']:>8.1f} {proj['peak_mib']:>9.1f} "
            f"{'yes' if r['identical'] else 'NO'}",
            flush=True,
        )
        if not r["identical"] or proj["records"] != ref["records"]:
            missed.append(f"identical output at {size:,}")
    last = results[-1]
    ref, proj = last["reference"], last["project"]
    ratio = proj["per_cpu_s"] / ref["per_cpu_s"]
    print(
        f"throughput at {last['records']:,} records, median of {args.rounds} rounds: {ratio:.2f}x the reference "
        f"in CPU time (goal >= 1.0x; rounds {proj['spread'][0]:,.0f}-{proj['spread'][1]:,.0f} against "
        f"{ref['spread'][0]:,.0f}-{ref['spread'][1]:,.0f} records per CPU second), "
        f"{proj['per_s'] / ref['per_s']:.2f}x in wall time"
    )
    if ratio < 1.0:
        missed.append("throughput")
    if len(results) > 1:
        first = results[0]
        growth = last["project"]["peak_mib"] / first["project"]["peak_mib"]
        ref_growth = last["reference"]["peak_mib"] / first["reference"]["peak_mib"]
        print(
            f"peak memory {last['records']:,} / {first['records']:,} records: project {growth:.2f}x "
            f"(goal <= 1.1x), reference {ref_growth:.2f}x"
        )
        if growth > 1.1:
            missed.append("flat memory")
    print(f"goals missed: {', '.join(missed)}" if missed else "all goals met")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
