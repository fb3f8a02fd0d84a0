"""Near-duplicate filter against the plain rouge_score loop, on real instructions.

The reference is Self-Instruct's filter: for each instruction, rouge_score's ROUGE-L (no stemming)
against every instruction kept so far; keep it when the maximum is <= 0.7. It runs on a prefix of
``../shared/corpus/instructions.jsonl`` until about ``--seconds`` have passed; the project's filter
then runs on the same prefix (best of three) and must keep exactly the same instructions, and on the
whole file. Prints the speed-up ratio, in process and for the whole ``dynosaur dedup`` process
(interpreter start-up, imports, reading and writing the file included).

    python bench/dedup.py [--seconds 60] [--threshold 0.7]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "corpus" / "instructions.jsonl"

from dynosaur.dedup import NearDuplicateFilter  # noqa: E402


def reference(texts: list[str], threshold: float, seconds: float) -> tuple[list[int], int, float]:
    """The plain rouge_score loop, stopped after ``seconds``: (kept indices, prefix length, time)."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    kept: list[int] = []
    start = time.perf_counter()
    for i, text in enumerate(texts):
        scores = [scorer.score(text, texts[j])["rougeL"].fmeasure for j in kept]
        if max(scores, default=0.0) <= threshold:
            kept.append(i)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return kept, i + 1, elapsed
    return kept, len(texts), time.perf_counter() - start


def ours(texts: list[str], threshold: float, workers: int, repeat: int = 3) -> tuple[list[int], float]:
    """The project's filter: (kept indices, best time of ``repeat`` runs)."""
    best = float("inf")
    kept: list[int] = []
    for _ in range(repeat):
        start = time.perf_counter()
        decisions = NearDuplicateFilter(threshold, workers=workers).add_many(texts)
        best = min(best, time.perf_counter() - start)
        kept = [i for i, d in enumerate(decisions) if d is None]
    return kept, best


def whole_process(lines: list[str], threshold: float, repeat: int = 3) -> tuple[list[str], float]:
    """``dynosaur dedup`` as a subprocess on ``lines``: (kept lines, best wall time of ``repeat``)."""
    best = float("inf")
    with tempfile.TemporaryDirectory() as tmp:
        source, output = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        source.write_text("".join(lines), encoding="utf-8")
        command = [sys.executable, "-m", "dynosaur.cli", "dedup", str(source), "--output", str(output)]
        command += ["--threshold", str(threshold), "--no-progress"]
        for _ in range(repeat):
            start = time.perf_counter()
            subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
            best = min(best, time.perf_counter() - start)
        return output.read_text(encoding="utf-8").splitlines(keepends=True), best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="reference time budget (default 60)")
    parser.add_argument("--threshold", type=float, default=0.7)
    args = parser.parse_args()
    if not CORPUS.exists():
        print(f"skipped: {CORPUS} is absent (the shared corpus sits beside the repository)")
        return 0
    with open(CORPUS, encoding="utf-8") as handle:
        lines = [line if line.endswith("\n") else line + "\n" for line in handle if line.strip()]
    texts = [json.loads(line)["instruction"] for line in lines]

    ref_kept, prefix, ref_s = reference(texts, args.threshold, args.seconds)
    print(f"reference rouge_score loop: {prefix} instructions, kept {len(ref_kept)}, {ref_s:.1f} s")
    for workers in (1, -1):
        kept, our_s = ours(texts[:prefix], args.threshold, workers)
        if kept != ref_kept:
            print(f"MISMATCH: the filter (workers={workers}) kept {len(kept)}, the reference {len(ref_kept)}")
            return 1
        print(
            f"filter, workers={workers:>2}: same {len(kept)} kept, {our_s * 1000:.1f} ms, "
            f"speed-up x{ref_s / our_s:,.0f}"
        )
    kept_lines, process_s = whole_process(lines[:prefix], args.threshold)
    if kept_lines != [lines[i] for i in ref_kept]:
        print(f"MISMATCH: dynosaur dedup kept {len(kept_lines)} lines, the reference {len(ref_kept)}")
        return 1
    print(
        f"dynosaur dedup process:  same {len(kept_lines)} kept, {process_s * 1000:.0f} ms end to end, "
        f"speed-up x{ref_s / process_s:,.0f}"
    )
    for workers in (1, -1):
        kept, whole_s = ours(texts, args.threshold, workers, repeat=1)
        print(
            f"whole file, workers={workers:>2}: {len(texts)} instructions, kept {len(kept)}, {whole_s:.2f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
