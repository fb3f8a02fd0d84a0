"""No command writes an output over one of its inputs or over another of its outputs.

Each case names the same file twice (as given, as ``./name``, through a symlink or a hard link):
the command exits 2 naming both options, and every file that existed is byte-identical after.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dynosaur.cli import main
from dynosaur.core.paths import PathClash, check_paths, same_file
from tests.support.file_tree import tree_digest

LINES = [
    {"instruction": "Name a colour."},
    {"instruction": "Name a colour!"},
    {"instruction": "Add 2 and 3."},
]


def jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def refused(argv: list[str], root: Path, capsys: pytest.CaptureFixture[str], *mentioned: str) -> str:
    """Run ``argv``: exit 2, a message naming each of ``mentioned``, and ``root`` unchanged."""
    before = tree_digest(root)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{argv[0]}: ") and "Traceback" not in err
    for name in mentioned:
        assert name in err, (name, err)
    assert tree_digest(root) == before
    return err


# --- the comparison itself ---


def test_one_file_under_several_names_is_the_same_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    target = jsonl(tmp_path / "a.jsonl", LINES)
    (tmp_path / "link.jsonl").symlink_to(target)
    os.link(target, tmp_path / "hard.jsonl")
    (tmp_path / "sub").mkdir()
    for alias in ("a.jsonl", "./a.jsonl", "sub/../a.jsonl", str(target), "link.jsonl", "hard.jsonl"):
        assert same_file(alias, "a.jsonl"), alias
    jsonl(tmp_path / "b.jsonl", LINES)  # same bytes, another file
    assert not same_file("b.jsonl", "a.jsonl") and not same_file("missing.jsonl", "a.jsonl")


def test_check_paths_rules(tmp_path):
    docs, out = tmp_path / "docs", tmp_path / "out"
    with pytest.raises(PathClash, match="--a and --b are the same file"):
        check_paths(outputs={"--a": out / "x", "--b": out / "y" / ".." / "x"})
    with pytest.raises(PathClash, match="--o is the same file as --i"):
        check_paths(inputs={"--i": docs / "x"}, outputs={"--o": docs / "x"})
    with pytest.raises(PathClash, match="is inside --in"):
        check_paths(outputs={"--o": docs / "deep" / "x"}, input_dirs={"--in": docs})
    with pytest.raises(PathClash, match="holds --i"):
        check_paths(inputs={"--i": out / "data" / "x"}, output_dirs={"--d": out})
    with pytest.raises(PathClash, match="must be separate folders"):
        check_paths(output_dirs={"--d": out, "--r": out / "rec"})
    check_paths(  # distinct paths, None and overlapping read-only folders are fine
        inputs={"--i": docs / "x", "--none": None},
        outputs={"--o": out / "x", "--p": out / "y"},
        input_dirs={"--in": docs, "--in2": docs / "deep"},
        output_dirs={"--d": tmp_path / "d", "--r": tmp_path / "r"},
    )


# --- dedup ---


@pytest.mark.parametrize(
    "removed, output, mentioned",
    [
        ("in.jsonl", "kept.jsonl", ("--removed", "the input file")),
        ("./in.jsonl", "kept.jsonl", ("--removed", "the input file")),
        ("kept.jsonl", "kept.jsonl", ("--output", "--removed")),
        ("link.jsonl", "kept.jsonl", ("--removed", "the input file")),
        ("hard.jsonl", "kept.jsonl", ("--removed", "the input file")),
        ("removed.jsonl", "in.jsonl", ("--output", "the input file")),
    ],
)
def test_dedup_refuses_an_output_that_is_its_input_or_its_other_output(
    tmp_path, monkeypatch, capsys, removed, output, mentioned
):
    monkeypatch.chdir(tmp_path)
    source = jsonl(tmp_path / "in.jsonl", LINES)
    (tmp_path / "link.jsonl").symlink_to(source)
    os.link(source, tmp_path / "hard.jsonl")
    jsonl(tmp_path / "kept.jsonl", [{"earlier": "output"}])
    argv = ["dedup", "in.jsonl", "--output", output, "--removed", removed, "--no-progress"]
    refused(argv, tmp_path, capsys, *mentioned)


def test_dedup_with_separate_outputs_still_runs(tmp_path, capsys):
    source = jsonl(tmp_path / "in.jsonl", LINES)
    out, removed = tmp_path / "kept.jsonl", tmp_path / "removed.jsonl"
    argv = ["dedup", str(source), "--output", str(out), "--removed", str(removed), "--no-progress"]
    assert main(argv) == 0
    assert len(out.read_text().splitlines()) == 2 and len(removed.read_text().splitlines()) == 1


# --- organize, report ---


def test_organize_refuses_an_output_over_its_data_file_or_its_tasks(tmp_path, capsys):
    data = tmp_path / "data"
    jsonl(data / "huggingface_data.jsonl", [{"task_name": "a"}])
    (data / "instructions-full.json").write_text("[]")
    base = ["organize", "--data-dir", str(data), "--no-progress"]
    refused(
        [*base, "--output", str(data / "huggingface_data.jsonl")], tmp_path, capsys, "--output", "--data-file"
    )
    refused([*base, "--output", str(data / "instructions-full.json")], tmp_path, capsys, "--instructions")
    refused(  # NAME.parquet beside NAME.parquet: the records and their Parquet file collide
        [*base, "--output", str(data / "records.parquet")], tmp_path, capsys, "--output", "Parquet"
    )
    other = jsonl(tmp_path / "rows.jsonl", [{"task_name": "a"}])
    refused([*base, "--data-file", str(other), "--output", str(other)], tmp_path, capsys, "--data-file")


@pytest.mark.parametrize("target", ["dynosaur-full.jsonl", "rejected_tasks.jsonl", "judge_scores.jsonl"])
def test_report_refuses_to_write_the_page_over_what_it_reads(tmp_path, capsys, target):
    data = tmp_path / "data"
    for name in ("dynosaur-full.jsonl", "rejected_tasks.jsonl", "judge_scores.jsonl"):
        jsonl(data / name, [{"instruction": "x", "input": "", "output": "y"}])
    err = refused(
        ["report", "--data-dir", str(data), "--output", str(data / target)], tmp_path, capsys, "--output"
    )
    assert target in err


# --- the generators: dino, self-instruct, documents ---


def test_dino_refuses_an_input_or_cache_that_is_one_of_its_outputs(tmp_path, capsys):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"task_name": "sts", "labels": {"1": {"instruction": 'Same as "<X1>": "'}}}))
    out = tmp_path / "out"
    inputs = jsonl(out / "sts-dataset.jsonl", [{"text_a": "earlier output, kept as input"}])
    base = ["dino", "--task-file", str(spec), "--output-dir", str(out), "--engine", "openai"]
    refused(
        [*base, "--input-file", str(inputs), "--num-entries-per-input-and-label", "1"],
        tmp_path,
        capsys,
        "--input-file",
        "--output-dir's sts-dataset.jsonl",
    )
    refused(
        [*base, "--num-entries-per-label", "1", "--cache", str(spec)],
        tmp_path,
        capsys,
        "--cache",
        "--task-file",
    )


def test_self_instruct_refuses_seed_tasks_it_would_overwrite(tmp_path, capsys):
    out = tmp_path / "out"
    seeds = jsonl(out / "self_instruct_tasks.jsonl", [{"id": "seed_1", "instruction": "x", "instances": []}])
    base = ["self-instruct", "--num-instructions", "1", "--output-dir", str(out)]
    refused([*base, "--seed-tasks", str(seeds)], tmp_path, capsys, "--seed-tasks", "--output-dir")
    other = jsonl(tmp_path / "seeds.jsonl", [{"id": "seed_1"}])
    refused(
        [*base, "--seed-tasks", str(other), "--cache", str(other)],
        tmp_path,
        capsys,
        "--cache",
        "--seed-tasks",
    )


def test_documents_refuses_to_write_among_the_documents_it_reads(tmp_path, capsys):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "report.html").write_text("<p>a document the user wrote</p>")
    (docs / "notes.txt").write_text("Plain notes.")
    base = ["documents", "--input-dir", str(docs), "--engine", "rules", "--no-progress"]
    refused([*base, "--output-dir", str(docs)], tmp_path, capsys, "--output-dir", "--input-dir")
    refused([*base, "--output-dir", str(docs / "out")], tmp_path, capsys, "--input-dir")
    refused(
        [*base, "--output-dir", str(tmp_path / "out"), "--cache", str(docs / "notes.txt")],
        tmp_path,
        capsys,
        "--cache",
        "--input-dir",
    )
    refused(  # Self-Instruct's folder in the output folder must not be the documents' folder
        [
            *base,
            "--output-dir",
            str(tmp_path),
            "--input-dir",
            str(tmp_path / "self_instruct"),
            "--self-instruct",
        ],
        tmp_path,
        capsys,
        "--self-instruct",
    )


# --- the Hub chain: propose, judge, crawl, run, grow, publish ---


@pytest.mark.parametrize("command", ["propose", "judge"])
def test_the_response_cache_must_not_be_one_of_the_chain_files(tmp_path, capsys, command):
    data = tmp_path / "data"
    jsonl(data / "huggingface_metadata.jsonl", [{"task_name": "a"}])
    jsonl(data / "dynosaur-full.jsonl", [{"instruction": "x"}])
    for target in ("huggingface_metadata.jsonl", "dynosaur-full.jsonl"):
        argv = [command, "--data-dir", str(data), "--cache", str(data / target), "--no-progress"]
        refused(argv, tmp_path, capsys, "--cache", f"--data-dir's {target}")


@pytest.mark.parametrize("command", ["crawl", "run", "grow"])
@pytest.mark.parametrize("record", ["data", "data/snapshot", "."])
def test_a_recorded_snapshot_goes_to_its_own_folder(tmp_path, monkeypatch, capsys, command, record):
    monkeypatch.chdir(tmp_path)
    jsonl(tmp_path / "data" / "huggingface_data.jsonl", [{"task_name": "kept from an earlier crawl"}])
    argv = [command, "--data-dir", "data", "--record", record, "--hub-endpoint", "http://127.0.0.1:9"]
    refused([*argv, "--no-progress"], tmp_path, capsys, "--data-dir", "--record")


def test_the_chain_cache_must_not_be_a_chain_file(tmp_path, capsys):
    data = tmp_path / "data"
    jsonl(data / "tasks.jsonl", [{"task_name": "a"}])
    argv = ["run", "--data-dir", str(data), "--cache", str(data / "tasks.jsonl"), "--no-progress"]
    refused([*argv, "--hub-endpoint", "http://127.0.0.1:9"], tmp_path, capsys, "--cache", "tasks.jsonl")


@pytest.mark.parametrize("dry_run", ["data", "."])
def test_publish_dry_run_folder_must_not_hold_the_data_dir(tmp_path, monkeypatch, capsys, dry_run):
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data"
    jsonl(data / "dynosaur-full.jsonl", [{"instruction": "x"}])
    (data / "dynosaur-full.parquet").write_bytes(b"PAR1")
    (tmp_path / "manifest.json").write_text("{}")  # as if "." held an earlier release
    (data / "data").mkdir()  # would be cleared as that release's shards
    (data / "data" / "keep.txt").write_text("keep")
    argv = ["publish", "--data-dir", "data", "--repo-id", "me/dyno", "--dry-run", dry_run]
    refused(argv, tmp_path, capsys, "--dry-run", "--data-dir")


def test_dedup_file_refuses_the_same_clash_by_its_fields(tmp_path):
    from dynosaur.dedup import dedup_file

    source = jsonl(tmp_path / "in.jsonl", LINES)
    before = tree_digest(tmp_path)
    with pytest.raises(PathClash, match="`removed_output` is the same file as `path`"):
        dedup_file(source, tmp_path / "kept.jsonl", removed_output=tmp_path / "." / "in.jsonl")
    with pytest.raises(PathClash, match="`output` and `removed_output` are the same file"):
        dedup_file(source, tmp_path / "kept.jsonl", removed_output=tmp_path / "kept.jsonl")
    assert tree_digest(tmp_path) == before
