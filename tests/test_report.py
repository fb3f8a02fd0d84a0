"""``report.html``: the demo run's report shows every section, with the artifacts' own numbers."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

from dynosaur.cli import main
from dynosaur.commands._report import hub_spec
from dynosaur.contracts.task_checks import reason_kind
from dynosaur.quality.report import build_report, write_report
from dynosaur.quality.report.licenses import policy_class
from dynosaur.quality.report.render import SECTIONS
from dynosaur.quality.report.task_types import task_type
from dynosaur.quality.report.verbs import verb_noun


class _Tables(HTMLParser):
    """Sections by id, each with its tables as lists of rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, list[list[list[str]]]] = {}
        self.tags: Counter = Counter()
        self.section: str | None = None
        self.cell: list[str] | None = None
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        values = dict(attrs)
        for key in ("src", "href"):
            if values.get(key):
                self.urls.append(str(values[key]))
        if tag == "section":
            self.section = str(values.get("id"))
            self.sections[self.section] = []
        elif tag == "table" and self.section:
            self.sections[self.section].append([])
        elif tag == "tr" and self.section and self.sections[self.section]:
            self.sections[self.section][-1].append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None and self.section:
            self.sections[self.section][-1][-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def _parse(html: str) -> _Tables:
    parser = _Tables()
    parser.feed(html)
    return parser


def _rows(table: list[list[str]]) -> dict[str, list[str]]:
    return {row[0]: row[1:] for row in table[1:]}


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo-report") / "data"
    with pytest.MonkeyPatch.context() as env, contextlib.redirect_stdout(io.StringIO()):
        env.delenv("OPENAI_BASE_URL", raising=False)
        assert main(["demo", "--demo-dir", str(out), "--quiet"]) == 0
    return out


def test_the_demo_writes_a_report_with_every_section(demo: Path) -> None:
    page = _parse((demo / "report.html").read_text(encoding="utf-8"))
    assert [name for name, _ in SECTIONS] == list(page.sections)
    assert page.tags["script"] == 0 and page.tags["svg"] >= 8
    assert all(url.startswith("#") for url in page.urls), page.urls  # nothing fetched at view time


def test_report_numbers_equal_the_artifacts(demo: Path) -> None:
    records = _lines(demo / "dynosaur-full.jsonl")
    organized = json.loads((demo / "organize_report.json").read_text(encoding="utf-8"))
    page = _parse((demo / "report.html").read_text(encoding="utf-8"))

    summary = _rows(page.sections["summary"][0])
    assert summary["records"] == [str(len(records))]
    assert summary["tasks"] == [str(organized["tasks_kept"])]

    per_source = Counter(r["taskname"] for r in records)
    tasks_per_source = Counter(t["task_name"] for t in organized["tasks"] if t["status"] == "kept")
    sources = _rows(page.sections["sources"][0])
    assert {s: [str(tasks_per_source[s]), str(n)] for s, n in per_source.items()} == sources

    per_license = Counter(r["license"] for r in records)
    licenses = _rows(page.sections["licenses"][0])
    assert {k: [policy_class(k), str(n)] for k, n in per_license.items()} == {
        k: [v[0], v[2]] for k, v in licenses.items()
    }
    assert sum(int(v[1]) for v in licenses.values()) == organized["tasks_kept"]
    classes = _rows(page.sections["licenses"][1])
    assert sum(int(v[1]) for v in classes.values()) == len(records)

    crawl = Counter(
        reason_kind(line["reason"])
        if line["status"] == "skipped"
        else f"failed: {reason_kind(line['reason'])}"
        for line in _lines(demo / "crawl_report.jsonl")
        if line["status"] != "kept"
    )
    rejections = page.sections["rejections"]
    assert {k: int(v[0]) for k, v in _rows(rejections[0]).items()} == crawl
    filtered = Counter(reason_kind(line["reason"]) for line in _lines(demo / "rejected_tasks.jsonl"))
    assert {k: int(v[0]) for k, v in _rows(rejections[1]).items()} == filtered

    types = _rows(page.sections["task-types"][0])
    assert sum(int(v[0]) for v in types.values()) == organized["tasks_kept"]
    # the demo's translation dataset is skipped by default (crawl --keep-translation keeps it)
    assert int(types["classification"][0]) >= 5 and "translation" not in types

    tasks = json.loads((demo / "instructions-full.json").read_text(encoding="utf-8"))
    verbs = Counter(verb_noun(t["instruction"])[0] or "(no imperative verb)" for t in tasks)
    shown = Counter()
    for verb, _noun, count in page.sections["verb-noun"][0][1:]:
        shown[verb] += int(count)
    assert shown == verbs

    lengths = _rows(page.sections["lengths"][0])
    longest = max(len(r["output"].split()) for r in records)
    assert lengths["output"][2] == str(longest)


def test_sampled_records_are_real_records_and_the_seed_fixes_them(demo: Path) -> None:
    records = {(r["input"], r["output"]) for r in _lines(demo / "dynosaur-full.jsonl")}
    data, html = build_report(hub_spec(demo), seed=0)
    samples = _parse(html).sections["samples"]
    assert len(samples) == len(data.tasks)
    for table in samples:
        assert len(table) == 1 + 3
    for task in data.tasks:
        assert all((s["input"], s["output"]) in records for s in task.samples)
    again = build_report(hub_spec(demo), seed=0)[1]
    assert again == html
    other = build_report(hub_spec(demo), seed=1)[0]
    assert [t.samples for t in other.tasks] != [t.samples for t in data.tasks]


def test_unreadable_lines_are_counted_and_a_missing_file_is_said(tmp_path: Path) -> None:
    (tmp_path / "dynosaur-full.jsonl").write_text(
        '{"instruction": "Summarize the text.", "input": "a b c", "output": "a", "license": "mit", '
        '"website": "w", "taskname": "x/y"}\nnot json\n[1, 2]\n',
        encoding="utf-8",
    )
    result = write_report(hub_spec(tmp_path))
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    summary = _rows(_parse(page).sections["summary"][0])
    assert result.records == 1 and summary["unreadable lines skipped"] == ["2"]
    assert "no crawl_report.jsonl in this folder" in page
    assert "No judge scores in this folder" in page

    empty = tmp_path / "empty"
    empty.mkdir()
    write_report(hub_spec(empty))
    assert "dynosaur-full.jsonl not found: no records to show" in (empty / "report.html").read_text()


def test_report_command_refuses_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--data-dir", str(tmp_path / "nowhere")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_the_report_renders_in_headless_chromium_without_errors(demo: Path, tmp_path: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (`make test` installs Debian's chromium package with apt-get)")
    completed = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
            (demo / "report.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    console = [line for line in completed.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == []
    dom = _parse(completed.stdout)
    assert list(dom.sections) == [name for name, _ in SECTIONS]
    assert dom.tags["svg"] >= 8


def test_the_demo_summary_says_how_the_tasks_were_judged_and_where_the_report_is(demo: Path) -> None:
    from dynosaur.commands.demo import summarize

    judge = json.loads((demo / "judge_report.json").read_text(encoding="utf-8"))
    spread = ", ".join(f"{k}: {v}" for k, v in judge["score_distribution"].items())
    lines = summarize(demo).splitlines()
    assert f"  tasks judged      {judge['tasks_scored']:6d}  by rules (scores {spread})" in lines
    assert lines[-1] == f"  report                    -> {demo / 'report.html'} (open it in a browser)"


def test_the_demo_judges_every_valid_task_and_the_report_shows_its_scores(demo: Path) -> None:
    tasks = json.loads((demo / "instructions-full.json").read_text(encoding="utf-8"))
    scores = [json.loads(line) for line in (demo / "judge_scores.jsonl").read_text().splitlines()]
    assert [(s["task_name"], s["instruction"]) for s in scores] == [
        (t["task_name"], t["instruction"]) for t in tasks
    ]
    assert all(1 <= s["score"] <= 5 and s["reason"] and len(s["records"]) == 3 for s in scores)
    page = _parse((demo / "report.html").read_text(encoding="utf-8"))
    shown = {k: int(v[0]) for k, v in _rows(page.sections["judge"][0]).items()}
    assert shown == {str(k): sum(1 for s in scores if s["score"] == k) for k in range(1, 6)}
    summary = _rows(page.sections["summary"][0])
    assert summary["judge"] == ["rules (rules-judge-1)"]


def test_a_release_carries_the_report_and_its_card_states_the_judge(demo: Path, tmp_path: Path) -> None:
    folder = tmp_path / "release"
    with contextlib.redirect_stdout(io.StringIO()):
        assert (
            main(["publish", "--data-dir", str(demo), "--repo-id", "me/demo", "--dry-run", str(folder)]) == 0
        )
    assert (folder / "report.html").read_bytes() == (demo / "report.html").read_bytes()
    card = (folder / "README.md").read_text(encoding="utf-8")
    judge = json.loads((demo / "judge_report.json").read_text(encoding="utf-8"))
    assert "[report.html](report.html)" in card
    assert "scored 1-5 by the `rules` (`rules-judge-1`) judge on 3 of its records" in card
    spread = judge["score_distribution"]
    assert "| tasks | " + " | ".join(str(spread[str(k)]) for k in range(1, 6)) + " |" in card
    agreement = judge["agreement"]
    assert f"precision {agreement['precision']:.2f}, recall {agreement['recall']:.2f}" in card
    assert f"Cohen's kappa {agreement['kappa']:.2f}" in card
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["report"] == "report.html" and manifest["judge"]["tasks_scored"] == judge["tasks_scored"]


def test_a_translation_instruction_is_counted_as_translation() -> None:
    # the demo skips its translation dataset by default, so the type is checked on its own here
    assert task_type("Translate the English sentence into French.") == "translation"
    assert task_type("Classify the sentiment of the review.", ["pos", "neg", "pos"]) == "classification"


def test_policy_classes_are_the_crawl_policys() -> None:
    assert policy_class("mit") == "permissive" and policy_class("cc-by-sa-4.0") == "copyleft"
    assert policy_class("cc-by-nc-sa-4.0") == "nc" and policy_class("cc-by-nd-4.0") == "nd"
    assert policy_class(None) == policy_class("(none)") == policy_class("made-up-license") == "unrecognized"
