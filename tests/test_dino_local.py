"""``dynosaur dino`` end to end on a tiny local model built in the test (no download anywhere)."""

from __future__ import annotations

import json

import pytest

from dynosaur.commands.dino import main as dino_main
from tests.support.tiny_lm import build_tiny_lm, force_offline

SINGLE = {
    "task_name": "movies",
    "labels": {
        "0": {"instruction": 'Task: Write a review for a bad movie.\nMovie: "', "counter_labels": ["1"]},
        "1": {"instruction": 'Task: Write a review for a good movie.\nMovie: "', "counter_labels": ["0"]},
    },
}
PAIR = {
    "task_name": "sts",
    "labels": {
        "1": {
            "instruction": 'Task: Write two sentences that mean the same thing.\nSentence 1: "<X1>"\n'
            'Sentence 2: "',
            "counter_labels": [],
        },
        "0": {
            "instruction": "Task: Write two sentences that are on completely different topics.\n"
            'Sentence 1: "<X1>"\nSentence 2: "',
            "counter_labels": ["1"],
        },
    },
}


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    force_offline(monkeypatch)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Tiny models whose quotes close sometimes (3), always at once (30) and never (-30); "context"
    closes sometimes and depends more on its prompt."""
    root = tmp_path_factory.mktemp("models")
    built = {bias: str(build_tiny_lm(root / f"bias{bias}", quote_bias=float(bias))) for bias in (3, 30, -30)}
    built["context"] = str(build_tiny_lm(root / "context", quote_bias=3.0, logit_scale=0.3))
    return built


def _spec(tmp_path, data, name="spec.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def _dino(model, *args):
    return dino_main(
        [
            "--engine",
            "transformers",
            "--model",
            model,
            "--device",
            "cpu",
            "--no-progress",
            "--max-output-length",
            "6",
            "--batch-size",
            "4",
            *args,
        ]
    )


def _read(out, stem):
    dataset = [json.loads(line) for line in (out / f"{stem}-dataset.jsonl").read_text().splitlines()]
    summary = json.loads((out / f"{stem}-summary.json").read_text())
    return dataset, summary


def test_single_text_spec_gives_a_labelled_dataset_and_summary(tmp_path, models, capsys):
    out = tmp_path / "out"
    code = _dino(
        models[3],
        "--task-file",
        _spec(tmp_path, SINGLE),
        "--num-entries-per-label",
        "6",
        "--top-k",
        "0",
        "--top-p",
        "1.0",
        "--output-dir",
        str(out),
    )
    assert code == 0
    dataset, summary = _read(out, "movies")
    assert summary["mode"] == "single" and summary["engine"] == "transformers" and summary["seed"] == 42
    assert summary["model"] == models[3]
    assert summary["counter_labels"] == {
        "in_spec": True,
        "honoured": True,
        "ignored": False,
        "method": "self-debiasing",
    }
    for label in ("0", "1"):
        row = summary["labels"][label]
        assert row["generated"] == 6
        assert row["kept"] == 6 - sum(row["removed"].values())
        assert row["kept"] == sum(1 for entry in dataset if entry["label"] == label)
    assert summary["total"]["kept"] == len(dataset) > 0
    for entry in dataset:
        assert set(entry) == {"text_a", "label"}
        assert '"' not in entry["text_a"] and entry["text_a"].strip()
    printed = capsys.readouterr().out
    assert "counter labels honoured" in printed and "movies-dataset.jsonl" in printed

    from datasets import load_dataset

    loaded = load_dataset("json", data_files=str(out / "movies-dataset.jsonl"), split="train")
    assert loaded.num_rows == len(dataset) and loaded.column_names == ["text_a", "label"]


def test_pair_spec_pairs_every_input_with_generated_texts(tmp_path, models):
    inputs = tmp_path / "inputs.jsonl"
    inputs.write_text(
        '{"text_a": "the dog runs in the park"}\n{"text_a": "a cat sits on the house"}\nnot json\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    code = _dino(
        models[3],
        "--task-file",
        _spec(tmp_path, PAIR),
        "--input-file",
        str(inputs),
        "--input-file-type",
        "jsonl",
        "--num-entries-per-input-and-label",
        "4",
        "--top-k",
        "0",
        "--keep-outputs-without-eos",
        "--min-num-words",
        "0",
        "--no-remove-duplicates",
        "--output-dir",
        str(out),
    )
    assert code == 0
    dataset, summary = _read(out, "sts")
    assert summary["mode"] == "pair"
    assert summary["inputs"] == {
        "file": "inputs.jsonl",
        "type": "jsonl",
        "text_field": "text_a",
        "texts": 2,
        "skipped": {"not a JSON line": 1},
    }
    assert len(dataset) == 2 * 2 * 4  # nothing removed: every output kept
    assert {entry["text_a"] for entry in dataset} == {"the dog runs in the park", "a cat sits on the house"}
    assert all(set(entry) == {"text_a", "text_b", "label"} for entry in dataset)
    assert [entry["label"] for entry in dataset] == ["1"] * 8 + ["0"] * 8


def test_texts_are_cut_at_the_closing_quote_and_unclosed_ones_dropped_with_a_count(tmp_path, models):
    spec = _spec(tmp_path, {"task_name": "q", "labels": {"x": {"instruction": 'Movie: "'}}})
    common = [
        "--task-file",
        spec,
        "--num-entries-per-label",
        "12",
        "--top-k",
        "0",
        "--top-p",
        "1.0",
        "--no-remove-duplicates",
    ]
    assert _dino(models[3], *common, "--output-dir", str(tmp_path / "some")) == 0
    dataset, summary = _read(tmp_path / "some", "q")
    removed = summary["labels"]["x"]["removed"]
    assert 0 < removed["no_closing_quote"] < 12  # some closed, some ran to the token limit
    assert all('"' not in entry["text_a"] and len(entry["text_a"].split()) < 6 for entry in dataset)

    assert (
        _dino(models[3], *common, "--keep-outputs-without-eos", "--output-dir", str(tmp_path / "keep")) == 0
    )
    kept, summary_keep = _read(tmp_path / "keep", "q")
    assert summary_keep["labels"]["x"]["removed"]["no_closing_quote"] == 0
    assert len([e for e in kept if len(e["text_a"].split()) == 6]) == removed["no_closing_quote"]

    assert _dino(models[-30], *common, "--output-dir", str(tmp_path / "never")) == 0
    never, summary_never = _read(tmp_path / "never", "q")
    assert never == [] and summary_never["labels"]["x"]["removed"]["no_closing_quote"] == 12

    assert _dino(models[30], *common, "--output-dir", str(tmp_path / "at-once")) == 0
    empty, summary_empty = _read(tmp_path / "at-once", "q")
    assert empty == [] and summary_empty["labels"]["x"]["removed"]["too_few_words"] == 12


def test_same_seed_gives_identical_files_and_another_seed_differs(tmp_path, models):
    spec = _spec(tmp_path, SINGLE)
    args = ["--task-file", spec, "--num-entries-per-label", "4"]
    for name, seed in (("a", "5"), ("b", "5"), ("c", "6")):
        assert _dino(models[3], *args, "--seed", seed, "--output-dir", str(tmp_path / name)) == 0
    files = ["movies-dataset.jsonl", "movies-summary.json", "movies-generated.jsonl"]
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a" / files[2]).read_bytes() != (tmp_path / "c" / files[2]).read_bytes()


def test_counter_labels_change_what_is_generated_and_can_be_ignored(tmp_path, models):
    spec = _spec(tmp_path, SINGLE)
    args = ["--task-file", spec, "--num-entries-per-label", "8", "--keep-outputs-without-eos", "--top-k", "0"]
    assert _dino(models["context"], *args, "--output-dir", str(tmp_path / "debiased")) == 0
    assert (
        _dino(models["context"], *args, "--ignore-counter-labels", "--output-dir", str(tmp_path / "plain"))
        == 0
    )
    debiased, _ = _read(tmp_path / "debiased", "movies")
    plain, summary = _read(tmp_path / "plain", "movies")
    assert summary["counter_labels"] == {"in_spec": True, "honoured": False, "ignored": True, "method": None}
    assert debiased != plain


def test_an_interrupted_run_resumes_without_duplicates(tmp_path, models):
    spec = _spec(tmp_path, SINGLE)
    args = ["--task-file", spec, "--num-entries-per-label", "8", "--keep-outputs-without-eos"]
    assert _dino(models[3], *args, "--output-dir", str(tmp_path / "full")) == 0
    out = tmp_path / "resumed"
    out.mkdir()
    lines = (tmp_path / "full" / "movies-generated.jsonl").read_text().splitlines(keepends=True)
    assert len(lines) == 4  # 2 labels x 8 entries in batches of 4
    (out / "movies-generated.jsonl").write_text(lines[0] + lines[2] + lines[1][:40])  # killed mid-append
    assert _dino(models[3], *args, "--output-dir", str(out)) == 0
    full, _ = _read(tmp_path / "full", "movies")
    resumed, summary = _read(out, "movies")
    assert resumed == full
    assert summary["batches"] == {"planned": 4, "from_earlier_runs": 2, "generated_now": 2, "failed": 0}
    assert len((out / "movies-generated.jsonl").read_text().splitlines()) == 4
    # a rerun with nothing missing generates nothing
    assert _dino(models[3], *args, "--output-dir", str(out)) == 0
    assert _read(out, "movies")[1]["batches"]["generated_now"] == 0


def test_spec_and_option_mistakes_exit_with_a_message(tmp_path, models, capsys):
    single, pair = _spec(tmp_path, SINGLE, "single.json"), _spec(tmp_path, PAIR, "pair.json")
    inputs = tmp_path / "in.txt"
    inputs.write_text("a dog\n", encoding="utf-8")
    out = str(tmp_path / "out")
    cases = [
        (["--task-file", pair, "--num-entries-per-input-and-label", "1"], "text-pair spec"),
        (
            ["--task-file", single, "--input-file", str(inputs), "--num-entries-per-label", "1"],
            "single-text spec",
        ),
        (["--task-file", single, "--num-entries-per-input-and-label", "1"], "use --num-entries-per-label"),
        (["--task-file", single], "give --num-entries-per-label"),
        (
            ["--task-file", str(tmp_path / "absent.json"), "--num-entries-per-label", "1"],
            "cannot read task spec",
        ),
    ]
    for args, message in cases:
        assert _dino(models[3], *args, "--output-dir", out) == 2
        assert message in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:  # refused while parsing
        _dino(
            models[3],
            "--task-file",
            single,
            "--num-entries-per-label",
            "1",
            "--top-p",
            "0",
            "--output-dir",
            out,
        )
    assert exited.value.code == 2 and "argument --top-p" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
