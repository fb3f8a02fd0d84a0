"""DINO's four published task specs load and generate a few entries per label on a tiny model.

Skipped when the shared corpus (``../shared/corpus`` beside the repository) is absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dynosaur.commands.dino import main as dino_main
from dynosaur.dino.spec import load_spec
from tests.support.tiny_lm import build_tiny_lm, force_offline

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
SPECS = sorted(CORPUS.glob("dino_*.json")) if CORPUS.is_dir() else []
INPUTS = ["a man is playing a guitar", "the movie was a great story"]

pytestmark = pytest.mark.skipif(not SPECS, reason=f"shared corpus with dino_*.json not found at {CORPUS}")


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return str(build_tiny_lm(tmp_path_factory.mktemp("tiny-lm"), quote_bias=3.0))


def test_the_four_published_specs_are_there():
    assert [path.name for path in SPECS] == [
        "dino_imdb-movies.json",
        "dino_imdb-reviews.json",
        "dino_sts-x1.json",
        "dino_sts-x2.json",
    ]


@pytest.mark.parametrize("spec_path", SPECS, ids=[path.stem for path in SPECS])
def test_published_spec_generates_entries_for_every_label(spec_path, model, tmp_path, monkeypatch):
    force_offline(monkeypatch)
    spec = load_spec(spec_path)
    out = tmp_path / "out"
    args = [
        "--engine",
        "transformers",
        "--model",
        model,
        "--device",
        "cpu",
        "--no-progress",
        "--task-file",
        str(spec_path),
        "--output-dir",
        str(out),
        "--max-output-length",
        "5",
        "--keep-outputs-without-eos",
        "--min-num-words",
        "0",
        "--no-remove-duplicates",
        "--no-remove-identical-pairs",
    ]
    if spec.is_pair:
        inputs = tmp_path / "inputs.txt"
        inputs.write_text("\n".join(INPUTS) + "\n", encoding="utf-8")
        args += ["--input-file", str(inputs), "--num-entries-per-input-and-label", "1"]
        per_label = len(INPUTS)
    else:
        args += ["--num-entries-per-label", "2"]
        per_label = 2
    assert dino_main(args) == 0
    summary = json.loads((out / f"{spec.file_stem}-summary.json").read_text())
    dataset = [
        json.loads(line) for line in (out / f"{spec.file_stem}-dataset.jsonl").read_text().splitlines()
    ]
    assert list(summary["labels"]) == list(spec.labels)
    assert summary["counter_labels"]["honoured"] == spec.has_counter_labels
    assert all(row["generated"] == row["kept"] == per_label for row in summary["labels"].values())
    assert len(dataset) == per_label * len(spec.labels)
    assert all(entry["label"] in spec.labels for entry in dataset)
    if spec.is_pair:
        assert {entry["text_a"] for entry in dataset} == set(INPUTS)
