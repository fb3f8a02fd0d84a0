"""Decontamination through the mirror: benchmark rows read with the viewer, overlapping records dropped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from crawl.benchmarks import parse_benchmark
from dynosaur.cli import main
from dynosaur.contracts.records import Record, RecordWriter
from dynosaur.quality.decontaminate import (
    REMOVED_FILE,
    REPORT_FILE,
    DecontaminateOptions,
    NgramIndex,
    OverlapChecker,
    run_decontamination,
)
from dynosaur.quality.decontaminate.ngrams import WordHasher, ngram_hashes, normalized_words
from hubmirror import MirrorServer
from tests.support.mirror_fixtures import STRING, write_snapshot
from tests.test_crawl_support import card, make_dataset, options

QUESTIONS = [
    "Which river flows through the ancient city that the travellers visited on the third day of their long journey?",
    "How many silver coins did the merchant pay for the painted wooden box with the golden lock at the market?",
    "What colour was the lantern that the old lighthouse keeper lit every evening before the fishing boats returned?",
]
ANSWERS = ["The slow green river", "Seven silver coins", "A pale blue lantern"]
BENCH = "evals/quiz-bench"


def _bench_dataset() -> Any:
    rows = [
        {"question": q, "answer": a, "label": i}
        for i, (q, a) in enumerate(zip(QUESTIONS, ANSWERS, strict=True))
    ]
    features = {"question": STRING, "answer": STRING, "label": {"dtype": "int64", "_type": "Value"}}
    configs = {
        "default": {"test": {"features": features, "rows": rows}, "train": {"features": features, "rows": []}}
    }
    return make_dataset(BENCH, card=card(), configs=configs)


def _record(i: int, instruction: str, input_: str, output: str) -> Record:
    return Record(
        instruction, input_, output, "mit", f"https://huggingface.co/datasets/acme/d{i}", f"acme/d{i}"
    )


def _write_records(data_dir: Path, records: list[Record]) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    with RecordWriter(data_dir / "dynosaur-full.jsonl", data_dir / "dynosaur-full.parquet") as writer:
        for record in records:
            writer.write(record)


def _twelve_words(text: str) -> str:
    return " ".join(text.split()[:12])


PLANTED = [
    _record(0, "Answer the question.", f"question is '{QUESTIONS[0]}'", ANSWERS[0]),
    # Case and punctuation do not hide an overlap.
    _record(1, "Reply briefly.", QUESTIONS[1].upper().replace(" ", " , "), "Seven."),
]
KEPT = [
    _record(
        2, "Answer the question.", "question is 'Where do the swallows spend the winter months?'", "South."
    ),
    # 12 words of a benchmark question, then other words: below a 13-gram.
    _record(
        3,
        "Continue the text.",
        _twelve_words(QUESTIONS[2]) + " and sang quietly to the sleeping cat",
        "Done.",
    ),
    _record(4, "Say hello.", "", "Hello."),
]


@pytest.fixture
def bench_hub(tmp_path: Path) -> Path:
    return write_snapshot(tmp_path / "hub", [_bench_dataset()])


def _run(mirror: MirrorServer, data_dir: Path, specs: list[str], **kwargs: Any) -> Any:
    fetch = options(mirror, data_dir)
    return run_decontamination(data_dir, [parse_benchmark(s) for s in specs], fetch, **kwargs)


def test_planted_overlaps_are_dropped_and_look_alikes_below_the_threshold_kept(
    tmp_path: Path, bench_hub: Path
) -> None:
    data_dir = tmp_path / "data"
    _write_records(data_dir, [*PLANTED, *KEPT])
    with MirrorServer(bench_hub) as mirror:
        report = _run(mirror, data_dir, [BENCH])
    kept = [json.loads(line) for line in (data_dir / "dynosaur-full.jsonl").read_text().splitlines()]
    assert kept == [r.to_json() for r in KEPT]
    assert pq.read_table(data_dir / "dynosaur-full.parquet").to_pylist() == kept
    removed = [json.loads(line) for line in (data_dir / REMOVED_FILE).read_text().splitlines()]
    assert [line["taskname"] for line in removed] == ["acme/d0", "acme/d1"]
    first = removed[0]
    assert first["reason"] == "benchmark_overlap" and first["benchmark"] == f"{BENCH}:default:test"
    assert first["ngram"] == " ".join(normalized_words(QUESTIONS[0])[:13])
    # the question's 7 13-grams, and 4 more running on into the answer, as in the benchmark row
    assert first["matches"] == len(normalized_words(QUESTIONS[0])) - 12 + 4
    saved = json.loads((data_dir / REPORT_FILE).read_text())
    assert (saved["records_checked"], saved["records_kept"], saved["records_removed"]) == (5, 3, 2)
    assert saved["removed_per_benchmark"] == {f"{BENCH}:default:test": 2}
    assert saved["benchmarks"][0]["status"] == "indexed" and saved["benchmarks"][0]["parts"][0]["rows"] == 3
    assert report.records_removed == 2


def test_threshold_and_n_are_configurable(tmp_path: Path, bench_hub: Path) -> None:
    one_ngram = _record(5, "Q.", " ".join(QUESTIONS[0].split()[:13]), "x")
    data_dir = tmp_path / "data"
    _write_records(data_dir, [one_ngram, KEPT[1]])
    with MirrorServer(bench_hub) as mirror:
        at_two = _run(mirror, data_dir, [BENCH], options=DecontaminateOptions(threshold=2))
        assert at_two.records_removed == 0
        at_twelve = _run(mirror, data_dir, [BENCH], options=DecontaminateOptions(n=12))
    assert at_twelve.records_removed == 2  # the 12-word look-alike counts at n=12


def test_the_index_is_reused_on_a_rerun_without_viewer_requests(tmp_path: Path, bench_hub: Path) -> None:
    data_dir = tmp_path / "data"
    _write_records(data_dir, [*PLANTED, *KEPT])
    with MirrorServer(bench_hub) as mirror:
        _run(mirror, data_dir, [BENCH])
        assert mirror.count("viewer") == 2  # /splits and one /rows page
        mirror.reset_log()
        again = _run(mirror, data_dir, [BENCH])
        assert mirror.count("viewer") == 0 and mirror.count("api") == 1  # only the revision
    assert again.benchmarks[0].status == "reused"
    # The rerun found nothing new, and still accounts for what the first run removed.
    assert (again.records_checked, again.records_removed, again.removed_before) == (3, 2, 2)
    assert len((data_dir / REMOVED_FILE).read_text().splitlines()) == 2


def test_a_missing_benchmark_or_config_is_a_reported_skip(tmp_path: Path, bench_hub: Path) -> None:
    data_dir = tmp_path / "data"
    _write_records(data_dir, [*PLANTED, *KEPT])
    with MirrorServer(bench_hub) as mirror:
        report = _run(mirror, data_dir, ["evals/no-such-bench", f"{BENCH}:nope", BENCH])
    outcomes = {o.benchmark: (o.status, o.reason) for o in report.benchmarks}
    assert outcomes == {
        "evals/no-such-bench": ("skipped", "not_found: no such dataset on the Hub"),
        f"{BENCH}:nope": ("skipped", "config_not_found: nope"),
        BENCH: ("indexed", None),
    }
    assert report.records_removed == 2
    assert "benchmark skipped: evals/no-such-bench (not_found" in report.render()


def test_an_unreachable_hub_is_a_reported_skip_and_keeps_every_record(
    tmp_path: Path, bench_hub: Path
) -> None:
    data_dir = tmp_path / "data"
    _write_records(data_dir, [*PLANTED, *KEPT])
    with MirrorServer(bench_hub) as mirror:
        fetch = options(mirror, data_dir)
    report = run_decontamination(data_dir, [parse_benchmark(BENCH)], fetch)  # the mirror is gone
    assert report.benchmarks[0].status == "skipped"
    assert report.benchmarks[0].reason.startswith("hub_unreachable")
    assert report.records_kept == 5 and report.records_removed == 0


def test_the_command_reports_and_refuses_bad_options(tmp_path: Path, bench_hub: Path, capsys: Any) -> None:
    data_dir = tmp_path / "data"
    _write_records(data_dir, [*PLANTED, *KEPT])
    with MirrorServer(bench_hub) as mirror:
        where = [
            "--data-dir",
            str(data_dir),
            "--hub-endpoint",
            mirror.url,
            "--viewer-endpoint",
            mirror.viewer_url,
        ]
        assert main(["decontaminate", *where, "--against", BENCH]) == 0
        assert "removed 2, kept 3" in capsys.readouterr().out
        assert main(["decontaminate", *where, "--against", "a:b:c:d"]) == 2
        with pytest.raises(SystemExit) as exited:
            main(["decontaminate", *where, "--against", BENCH, "--ngram", "0"])
        assert exited.value.code == 2 and "argument --ngram" in capsys.readouterr().err
        mirror.reset_log()
        assert (
            main(["decontaminate", *where[2:], "--data-dir", str(tmp_path / "empty"), "--against", BENCH])
            == 1
        )
        assert mirror.count() == 0  # no records: refused before any request


def test_overlap_checker_matches_the_plain_set_of_ngrams() -> None:
    bench = [normalized_words(q) for q in QUESTIONS]
    hashes = ngram_hashes(bench, 5, WordHasher())[0]
    checker = OverlapChecker(NgramIndex.build([("b", hashes)]), DecontaminateOptions(n=5))
    records = [
        _record(i, "x", text, "") for i, text in enumerate([*QUESTIONS, "one two three four five six", ""])
    ]
    reference = {tuple(words[i : i + 5]) for words in bench for i in range(len(words) - 4)}
    for record, overlap in zip(records, checker.check(records), strict=True):
        words = normalized_words(f"{record.instruction}\n{record.input}\n{record.output}")
        expected = sum(tuple(words[i : i + 5]) in reference for i in range(len(words) - 4))
        assert (overlap.matches if overlap else 0) == expected


def test_the_release_card_states_what_was_checked_and_removed_per_benchmark(
    tmp_path: Path, bench_hub: Path
) -> None:
    from dynosaur.hub.publish.run import build_release

    data_dir = tmp_path / "data"
    _write_records(data_dir, [*PLANTED, *KEPT])
    (data_dir / "organize_report.json").write_text(json.dumps({"sources": {}, "tasks": []}))
    with MirrorServer(bench_hub) as mirror:
        _run(mirror, data_dir, [BENCH, "evals/no-such-bench"])
    release = build_release(data_dir, tmp_path / "release", repo_id="me/dyno", date="2026-01-02")
    card = (release.folder / "README.md").read_text()
    section = card.split("## Decontamination", 1)[1].split("## Sources", 1)[0]
    assert "at least 1 13-gram(s)" in section and "2 records in all" in section
    assert f"| {BENCH} |" in section and "| default:test | 2 |" in section
    assert "| evals/no-such-bench | `` | not checked: not_found: no such dataset on the Hub | - |" in section
    assert release.manifest.decontamination["records_removed"] == 2
    assert release.manifest.records == 3

    # Records rewritten after the check (organize ran again): the card no longer claims it.
    _write_records(data_dir, [*PLANTED, *KEPT])
    again = build_release(data_dir, tmp_path / "release2", repo_id="me/dyno", date="2026-01-02")
    assert "not checked against evaluation benchmarks" in (again.folder / "README.md").read_text()
