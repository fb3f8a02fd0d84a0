"""Generating grounded records from documents against a scripted OpenAI-compatible server."""

from __future__ import annotations

import json
import re
from pathlib import Path

from dynosaur.core.engines import create_engine
from dynosaur.core.errors import cli_flag, spell_fields
from dynosaur.documents import run_documents
from dynosaur.documents.generate import parse_pairs
from tests.support.openai_server import Reply, ScriptedOpenAIServer, user_text

VOLCANO = (
    "Volcanoes form where magma reaches the surface of the crust. Most active volcanoes sit along "
    "plate boundaries around the Pacific Ocean, a belt called the Ring of Fire.\n\n"
    "Basalt lava is runny and builds wide shield volcanoes, such as Mauna Loa in Hawaii. "
    "Sticky andesite lava builds steep stratovolcanoes that can erupt explosively."
)
GLACIER = (
    "Glaciers are rivers of ice that move slowly downhill under their own weight. They carve "
    "U-shaped valleys and leave ridges of rock debris called moraines when they retreat."
)


def passage(body: dict) -> str:
    return re.search(r'"""\n(.*)\n"""', user_text(body), re.DOTALL).group(1)


def pairs(*items: tuple[str, str, str]) -> str:
    return json.dumps({"pairs": [{"instruction": i, "input": x, "output": o} for i, x, o in items]})


def grounded_responder(body: dict) -> str:
    text = passage(body)
    if "Ring of Fire" in text:
        return pairs(
            ("Where do most active volcanoes sit?", "", "Along plate boundaries around the Pacific."),
            ("What is the Ring of Fire?", "", "A belt of volcanoes around the Pacific Ocean."),
        )
    if "Mauna Loa" in text:
        return pairs(
            ("Which lava builds shield volcanoes?", "", "Runny basalt lava, as at Mauna Loa."),
            ("Sort these by steepness.", "shield volcano, stratovolcano", "Stratovolcano, shield volcano."),
        )
    return pairs(
        ("What do glaciers carve?", "", "U-shaped valleys."),
        ("What are moraines?", "", "Ridges of rock debris left by retreating glaciers."),
    )


def make_docs(root: Path) -> Path:
    docs = root / "docs"
    (docs / "earth").mkdir(parents=True)
    (docs / "earth" / "volcanoes.md").write_text(VOLCANO, encoding="utf-8")
    (docs / "glaciers.txt").write_text(GLACIER, encoding="utf-8")
    return docs


def engine_for(server: ScriptedOpenAIServer, **options):
    return create_engine(
        "openai",
        model="gpt-4o-mini",
        base_url=server.base_url,
        api_key="sk-test-secret",
        max_retries=0,
        retry_wait_initial=0.01,
        **options,
    )


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


SMALL = {"chunk_size": 250, "min_chunk_chars": 40, "min_content_words": 5, "samples_per_chunk": 2}


def test_records_carry_their_file_chunk_and_span_and_are_grounded(tmp_path):
    docs = make_docs(tmp_path)
    with ScriptedOpenAIServer(grounded_responder) as server:
        summary = run_documents(docs, tmp_path / "out", engine_for(server), progress=False, **SMALL)
    records = read_lines(tmp_path / "out" / "documents_instructions.jsonl")
    assert summary.records == len(records) == 6
    assert list(records[0]) == [
        "instruction",
        "input",
        "output",
        "source_file",
        "chunk_index",
        "char_start",
        "char_end",
    ]
    assert [(r["source_file"], r["chunk_index"]) for r in records] == [
        ("earth/volcanoes.md", 0),
        ("earth/volcanoes.md", 0),
        ("earth/volcanoes.md", 1),
        ("earth/volcanoes.md", 1),
        ("glaciers.txt", 0),
        ("glaciers.txt", 0),
    ]
    sources = {"earth/volcanoes.md": VOLCANO, "glaciers.txt": GLACIER}
    for record in records:
        span = sources[record["source_file"]][record["char_start"] : record["char_end"]]
        assert record["output"].split()[0].strip(".,").lower() in span.lower() or "Pacific" in span
    assert records[3]["input"] == "shield volcano, stratovolcano"


def test_requests_ask_for_structured_pairs_with_the_chunk_and_count(tmp_path):
    docs = make_docs(tmp_path)
    with ScriptedOpenAIServer(grounded_responder) as server:
        run_documents(docs, tmp_path / "out", engine_for(server), progress=False, **SMALL)
        sent = list(server.requests)
    assert len(sent) == 3
    for body in sent:
        assert body["response_format"]["type"] == "json_schema"
        assert body["response_format"]["json_schema"]["name"] == "document_instructions"
        assert "Write 2 instruction/answer pairs" in user_text(body)
    assert {passage(b) for b in sent} == {VOLCANO.split("\n\n")[0], VOLCANO.split("\n\n")[1], GLACIER}


def test_malformed_answers_are_counted_and_never_stop_the_run(tmp_path):
    docs = make_docs(tmp_path)

    def responder(body: dict) -> Reply | str:
        text = passage(body)
        if "Ring of Fire" in text:
            return "I am sorry, I cannot help with that."
        if "Mauna Loa" in text:
            return Reply(
                '{"pairs": [{"instruction": "Which lava is runny?", "output": "Basalt', finish_reason="length"
            )
        return (
            "Here you go:\n```json\n"
            + json.dumps(
                {
                    "pairs": [
                        "just a string",
                        {"instruction": "", "output": "U-shaped valleys."},
                        {"instruction": "What do glaciers carve?", "output": ["a", "list"]},
                        {"question": "What do glaciers carve?", "answer": "U-shaped valleys."},
                        {"instruction": "What are moraines?", "output": "Ridges of rock debris."},
                        {
                            "instruction": "How do glaciers move?",
                            "output": "Slowly downhill under their weight.",
                        },
                    ]
                }
            )
            + "\n```"
        )

    with ScriptedOpenAIServer(responder) as server:
        summary = run_documents(docs, tmp_path / "out", engine_for(server), progress=False, **SMALL)
    records = read_lines(tmp_path / "out" / "documents_instructions.jsonl")
    assert [r["instruction"] for r in records] == ["What do glaciers carve?", "What are moraines?"]
    assert summary.dropped() == {
        "malformed answer (no_json)": 1,
        "malformed answer (truncated)": 1,
        "malformed pair": 3,
        "pair beyond samples_per_chunk": 1,
    }
    # the report names the field; the command prints it as its flag
    assert "pair beyond --samples-per-chunk" in spell_fields(summary.render(), summary.mentions, cli_flag)
    chunk_lines = [
        line for line in read_lines(tmp_path / "out" / "documents_report.jsonl") if line["kind"] == "chunk"
    ]
    assert chunk_lines[0]["dropped"] == {"malformed answer (no_json)": 1}
    assert chunk_lines[2]["records"] == 2


def test_unsupported_answers_and_duplicates_are_dropped_with_counts(tmp_path):
    docs = make_docs(tmp_path)

    def responder(body: dict) -> str:
        if "Ring of Fire" in passage(body):
            return pairs(
                ("What is the Ring of Fire?", "", "A belt of volcanoes around the Pacific Ocean."),
                ("Who discovered fire?", "", "Prometheus, in Greek myth."),
            )
        if "Mauna Loa" in passage(body):
            return pairs(
                ("So what is the ring of fire?", "", "The Pacific belt of volcanoes."),
                ("Name a shield volcano.", "", "Mauna Loa."),
            )
        return pairs(("What do glaciers carve?", "", "U-shaped valleys."))

    with ScriptedOpenAIServer(responder) as server:
        summary = run_documents(docs, tmp_path / "out", engine_for(server), progress=False, **SMALL)
    records = read_lines(tmp_path / "out" / "documents_instructions.jsonl")
    assert [r["instruction"] for r in records] == [
        "What is the Ring of Fire?",
        "Name a shield volcano.",
        "What do glaciers carve?",
    ]
    assert summary.dropped() == {"answer not supported by chunk": 1, "near-duplicate": 1}
    file_line = read_lines(tmp_path / "out" / "documents_report.jsonl")[0]
    assert file_line == {
        "kind": "file",
        "source_file": "earth/volcanoes.md",
        "status": "kept",
        "chars": len(VOLCANO),
        "chunks": 2,
        "records": 2,
        "chunks_skipped": {},
        "dropped": {"answer not supported by chunk": 1, "near-duplicate": 1},
    }


def test_failed_requests_skip_their_chunk_and_keep_the_rest(tmp_path):
    docs = make_docs(tmp_path)

    def responder(body: dict) -> Reply | str:
        if "Glaciers" in passage(body):
            return Reply(status=500)
        return grounded_responder(body)

    with ScriptedOpenAIServer(responder) as server:
        summary = run_documents(docs, tmp_path / "out", engine_for(server), progress=False, **SMALL)
    assert summary.records == 4
    report = read_lines(tmp_path / "out" / "documents_report.jsonl")
    glacier_chunk = [
        line for line in report if line["source_file"] == "glaciers.txt" and line["kind"] == "chunk"
    ]
    assert glacier_chunk[0]["status"] == "skipped" and glacier_chunk[0]["reason"] == "engine error"
    assert "HTTP 500" in glacier_chunk[0]["detail"]
    assert "sk-test-secret" not in (tmp_path / "out" / "documents_report.jsonl").read_text(encoding="utf-8")


def test_rerun_is_served_from_the_cache_and_writes_identical_files(tmp_path):
    docs = make_docs(tmp_path)
    cache = tmp_path / "cache.sqlite"
    outputs = []
    with ScriptedOpenAIServer(grounded_responder) as server:
        for run in range(2):
            out = tmp_path / f"out{run}"
            summary = run_documents(docs, out, engine_for(server), cache=cache, progress=False, **SMALL)
            outputs.append(
                [
                    (out / name).read_bytes()
                    for name in ("documents_instructions.jsonl", "documents_report.jsonl")
                ]
            )
        assert server.calls == 3
    assert (summary.engine_calls, summary.cache_hits) == (0, 3)
    assert outputs[0] == outputs[1]
    assert b"sk-test-secret" not in cache.read_bytes()


def test_exhausted_budget_stops_asking_and_keeps_what_was_answered(tmp_path):
    docs = make_docs(tmp_path)
    with ScriptedOpenAIServer(grounded_responder) as server:
        summary = run_documents(
            docs, tmp_path / "out", engine_for(server, budget_usd=0.0), progress=False, **SMALL
        )
        assert server.calls == 0
    assert summary.records == 0
    assert summary.chunks_skipped() == {"budget exhausted": 3}
    assert (tmp_path / "out" / "documents_instructions.jsonl").read_text(encoding="utf-8") == ""


def test_bad_files_are_reported_and_outputs_inside_the_input_folder_are_not_reread(tmp_path):
    docs = make_docs(tmp_path)
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    (docs / "note.txt").write_text("Too short.", encoding="utf-8")
    out = docs / "generated"
    with ScriptedOpenAIServer(grounded_responder) as server:
        for _ in range(2):
            summary = run_documents(docs, out, engine_for(server), progress=False, **SMALL)
    assert [f.source_file for f in summary.files] == [
        "broken.pdf",
        "earth/volcanoes.md",
        "glaciers.txt",
        "note.txt",
    ]
    assert summary.files_skipped() == {"unreadable PDF": 1}
    assert summary.chunks_skipped() == {"chunk too short": 1}
    report = read_lines(out / "documents_report.jsonl")
    assert report[0]["source_file"] == "broken.pdf" and report[0]["reason"] == "unreadable PDF"
    assert report[-1] == {
        "kind": "chunk",
        "source_file": "note.txt",
        "chunk_index": 0,
        "char_start": 0,
        "char_end": 10,
        "status": "skipped",
        "reason": "chunk too short",
    }
    assert "broken.pdf" in summary.render() and "records: 6" in summary.render()


def test_rerun_after_failures_asks_only_for_the_chunks_still_missing(tmp_path):
    docs = make_docs(tmp_path)
    cache = tmp_path / "cache.sqlite"
    failing = {"on": True}

    def responder(body: dict) -> Reply | str:
        if failing["on"] and "Glaciers" in passage(body):
            return Reply(status=503)
        return grounded_responder(body)

    with ScriptedOpenAIServer(responder) as server:
        first = run_documents(
            docs, tmp_path / "out", engine_for(server), cache=cache, progress=False, **SMALL
        )
        failing["on"] = False
        calls_before = server.calls
        second = run_documents(
            docs, tmp_path / "out", engine_for(server), cache=cache, progress=False, **SMALL
        )
        assert server.calls - calls_before == 1
    assert (first.records, second.records) == (4, 6)
    assert first.chunks_skipped() == {"engine error": 1} and second.chunks_skipped() == {}
    assert (second.engine_calls, second.cache_hits) == (1, 2)


def test_answers_in_other_shapes_are_read_leniently():
    plain_list = '[{"instruction": "Name the belt.", "output": "Ring of Fire."}]'
    lone_pair = "Sure! {'question': 'Name the belt.', 'answer': 'Ring of Fire', 'input': None}"
    other_key = '{"items": [{"prompt": "Name the belt.", "response": "Ring of Fire."}], "note": "ok"}'
    for text in (plain_list, lone_pair, other_key):
        parsed = parse_pairs(text, limit=5)
        assert [(p.instruction, p.input) for p in parsed.pairs] == [("Name the belt.", "")], text
        assert not parsed.dropped
    assert parse_pairs('{"note": "nothing here"}', 5).dropped == {"malformed answer (no_json)": 1}
    assert parse_pairs('{"pairs": []}', 5).dropped == {"answer without pairs": 1}
    assert parse_pairs("", 5).dropped == {"malformed answer (empty)": 1}


def test_pdf_and_docx_documents_yield_records_and_a_locked_pdf_is_reported(tmp_path):
    import docx

    from tests.test_documents_readers import write_pdf

    docs = tmp_path / "docs"
    docs.mkdir()
    write_pdf(docs / "volcanoes.pdf", [[line] for line in VOLCANO.replace("\n\n", " ").split(". ")])
    write_pdf(docs / "locked.pdf", [["Secret volcano notes."]], user_password="pw")
    document = docx.Document()
    document.add_paragraph(GLACIER)
    document.save(docs / "glaciers.docx")
    with ScriptedOpenAIServer(grounded_responder) as server:
        summary = run_documents(
            docs, tmp_path / "out", engine_for(server), progress=False, **{**SMALL, "chunk_size": 2000}
        )
    assert summary.files_skipped() == {"encrypted PDF": 1}
    by_file = {item.source_file: item.records for item in summary.files}
    assert by_file == {"glaciers.docx": 2, "locked.pdf": 0, "volcanoes.pdf": 2}
