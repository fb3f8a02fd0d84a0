"""Decontamination: records/s and index memory against a plain Python set of n-gram strings.

A synthetic benchmark of about 1,000,000 distinct 13-grams (rows of 60 words drawn from a
Zipf-like vocabulary) is indexed two ways: the stage's sorted 64-bit hashes (NgramIndex) and the
reference, a Python ``set`` of the space-joined n-grams. Records (instruction + input + output,
about 120 words, 5% of them carrying a copied benchmark passage) are then checked by both: the
stage's batched OverlapChecker and a loop that builds each record's n-gram strings and counts
those in the set. Both must remove the same records; the ratio of records/s and of memory is
printed.

    python bench/decontaminate.py [--ngrams 1000000] [--records 20000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dynosaur.contracts.records import Record  # noqa: E402
from dynosaur.quality.decontaminate import DecontaminateOptions, NgramIndex, OverlapChecker  # noqa: E402
from dynosaur.quality.decontaminate.ngrams import WordHasher, ngram_hashes, normalized_words  # noqa: E402

N = 13
ROW_WORDS = 60


def vocabulary(rng: random.Random, size: int = 20_000) -> tuple[list[str], list[float]]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = list(dict.fromkeys("".join(rng.choices(letters, k=rng.randint(2, 9))) for _ in range(size)))
    weights = [1.0 / (rank + 1) for rank in range(len(words))]  # Zipf-like, as in text
    return words, weights


def benchmark_rows(rng: random.Random, words: list[str], weights: list[float], ngrams: int) -> list[str]:
    rows = ngrams // (ROW_WORDS - N + 1) + 1
    return [" ".join(rng.choices(words, weights, k=ROW_WORDS)).capitalize() + "." for _ in range(rows)]


def records(
    rng: random.Random, words: list[str], weights: list[float], bench: list[str], count: int
) -> list[Record]:
    out = []
    for i in range(count):
        text = " ".join(rng.choices(words, weights, k=100))
        if i % 20 == 0:  # a copied passage of 20 benchmark words
            row = rng.choice(bench).split()
            start = rng.randrange(len(row) - 20)
            text = f"{text} {' '.join(row[start : start + 20])}"
        out.append(
            Record("Answer the question below.", text, " ".join(rng.choices(words, k=15)), "mit", "", f"t{i}")
        )
    return out


def reference_set(bench: list[str]) -> set[str]:
    grams = set()
    for row in bench:
        w = normalized_words(row)
        grams.update(" ".join(w[i : i + N]) for i in range(len(w) - N + 1))
    return grams


def reference_check(recs: list[Record], grams: set[str]) -> list[int]:
    found = []
    for record in recs:
        w = normalized_words(f"{record.instruction}\n{record.input}\n{record.output}")
        found.append(sum(" ".join(w[i : i + N]) in grams for i in range(len(w) - N + 1)))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ngrams", type=int, default=1_000_000)
    parser.add_argument("--records", type=int, default=20_000)
    args = parser.parse_args()
    rng = random.Random(0)
    words, weights = vocabulary(rng)
    bench = benchmark_rows(rng, words, weights, args.ngrams)
    recs = records(rng, words, weights, bench, args.records)

    tracemalloc.start()
    start = time.perf_counter()
    hashes = ngram_hashes([normalized_words(row) for row in bench], N, WordHasher())[0]
    index = NgramIndex.build([("bench", hashes)])
    del hashes
    build_s = time.perf_counter() - start
    _, index_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    tracemalloc.start()
    start = time.perf_counter()
    grams = reference_set(bench)
    ref_build_s = time.perf_counter() - start
    ref_bytes, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    checker = OverlapChecker(index, DecontaminateOptions(n=N))
    start = time.perf_counter()
    matches = []
    for i in range(0, len(recs), 2048):
        matches.extend(o.matches if o else 0 for o in checker.check(recs[i : i + 2048]))
    stage_s = time.perf_counter() - start
    start = time.perf_counter()
    expected = reference_check(recs, grams)
    ref_s = time.perf_counter() - start
    same = matches == expected
    removed = sum(1 for m in matches if m)

    mib = 2**20
    print(f"benchmark n-grams: {len(index):,} distinct {N}-grams from {len(bench):,} rows")
    print(
        f"index: {index.nbytes / mib:.1f} MiB (arrays), build peak {index_peak / mib:.1f} MiB, {build_s:.2f} s; "
        f"set of strings: {ref_bytes / mib:.1f} MiB, {ref_build_s:.2f} s -> "
        f"index uses {ref_bytes / index.nbytes:.1f}x less memory"
    )
    print(
        f"check {len(recs):,} records: stage {len(recs) / stage_s:,.0f} records/s, "
        f"set reference {len(recs) / ref_s:,.0f} records/s -> {ref_s / stage_s:.2f}x; "
        f"removed {removed:,}; same matches as the reference: {same}"
    )
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
