"""Reading a user's documents: one reader per format, and a clear reason for every file skipped."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import docx
import pytest
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from dynosaur.documents.discover import find_documents
from dynosaur.documents.readers import SkipDocument, read_document


def write_pdf(path: Path, pages: list[list[str]], user_password: str | None = None) -> Path:
    """A real PDF whose pages show the given lines in Helvetica (made with pypdf)."""
    writer = PdfWriter()
    for lines in pages:
        page = writer.add_blank_page(612, 792)
        font = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
        ops = ["BT", "/F1 12 Tf", "14 TL", "72 720 Td"]
        for line in lines:
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({escaped}) Tj T*")
        ops.append("ET")
        stream = DecodedStreamObject()
        stream.set_data("\n".join(ops).encode("latin-1"))
        page.replace_contents(stream)
    if user_password is not None:
        writer.encrypt(user_password=user_password, owner_password="owner-secret")
    with open(path, "wb") as handle:
        writer.write(handle)
    return path


def skip_of(path: Path) -> tuple[str, str]:
    with pytest.raises(SkipDocument) as caught:
        read_document(path)
    return caught.value.reason, caught.value.detail


def test_text_and_markdown_are_read_as_utf8_with_bom_and_crlf_normalised(tmp_path):
    (tmp_path / "a.txt").write_bytes("\ufeffTea grows on hills.\r\nIt is picked by hand.".encode())
    (tmp_path / "b.md").write_text("# Kettles\n\nA *kettle* boils water — fast.", encoding="utf-8")
    assert read_document(tmp_path / "a.txt") == "Tea grows on hills.\nIt is picked by hand."
    assert read_document(tmp_path / "b.md") == "# Kettles\n\nA *kettle* boils water — fast."


def test_html_keeps_visible_text_as_paragraphs_and_drops_scripts_and_styles(tmp_path):
    (tmp_path / "page.html").write_text(
        "<html><head><title>Bees</title><style>p {color: red}</style>"
        "<script>var hidden = 'never shown';</script></head><body>"
        "<nav><a href='/'>Home</a></nav><h1>Honey   bees</h1><p>Bees make <b>honey</b> &amp; wax.</p>"
        "<noscript>enable scripts</noscript><ul><li>Queen</li><li>Workers</li></ul>"
        "<script>alert('x')</script></body></html>",
        encoding="utf-8",
    )
    text = read_document(tmp_path / "page.html")
    assert text == "Bees\n\nHoney bees\n\nBees make honey & wax.\n\nQueen\n\nWorkers"
    assert (
        "hidden" not in text and "color" not in text and "enable scripts" not in text and "Home" not in text
    )


def test_json_and_jsonl_give_every_string_value_in_document_order(tmp_path):
    (tmp_path / "faq.json").write_text(
        json.dumps(
            {
                "title": "Bicycle care",
                "items": [
                    {"q": "How often to oil?", "a": "Monthly.", "n": 3},
                    {"q": "Tyre pressure?", "ok": True},
                ],
            }
        ),
        encoding="utf-8",
    )
    (tmp_path / "notes.jsonl").write_text(
        '{"text": "First note."}\n\n{"text": "Second", "tags": ["x"]}\n', encoding="utf-8"
    )
    assert read_document(tmp_path / "faq.json").split("\n\n") == [
        "Bicycle care",
        "How often to oil?",
        "Monthly.",
        "Tyre pressure?",
    ]
    assert read_document(tmp_path / "notes.jsonl").split("\n\n") == ["First note.", "Second", "x"]


def test_csv_rows_become_lines_of_header_value_pairs(tmp_path):
    (tmp_path / "trees.csv").write_text(
        'name,height,note\nOak,40 m,"Lives long, very long"\nBirch,,White bark\n', encoding="utf-8"
    )
    assert read_document(tmp_path / "trees.csv") == (
        "name: Oak; height: 40 m; note: Lives long, very long\nname: Birch; note: White bark"
    )


def test_pdf_text_is_extracted_page_by_page(tmp_path):
    path = write_pdf(
        tmp_path / "guide.pdf",
        [["Rivers carry sediment (silt).", "Deltas form at mouths."], ["Floods spread silt on plains."]],
    )
    assert read_document(path).split("\n\n") == [
        "Rivers carry sediment (silt).\nDeltas form at mouths.",
        "Floods spread silt on plains.",
    ]


def test_pdf_encrypted_with_an_empty_user_password_is_still_read(tmp_path):
    path = write_pdf(tmp_path / "open.pdf", [["Readable although encrypted."]], user_password="")
    assert read_document(path) == "Readable although encrypted."


def test_docx_paragraphs_and_table_rows_are_read(tmp_path):
    document = docx.Document()
    document.add_heading("Garden plan", level=1)
    document.add_paragraph("Tomatoes need full sun.")
    document.add_paragraph("   ")
    table = document.add_table(rows=2, cols=2)
    for row, values in zip(table.rows, [("Plant", "Month"), ("Basil", "May")], strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.save(tmp_path / "plan.docx")
    assert read_document(tmp_path / "plan.docx").split("\n\n") == [
        "Garden plan",
        "Tomatoes need full sun.",
        "Plant | Month",
        "Basil | May",
    ]


def test_password_protected_pdf_is_skipped_with_reason(tmp_path):
    path = write_pdf(tmp_path / "secret.pdf", [["Hidden words."]], user_password="s3cret")
    assert skip_of(path)[0] == "encrypted PDF"


def test_pdf_without_text_is_skipped_as_having_no_text(tmp_path):
    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    with open(tmp_path / "scan.pdf", "wb") as handle:
        writer.write(handle)
    assert skip_of(tmp_path / "scan.pdf")[0] == "no text extracted"


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage without xref", "unreadable PDF"),
        ("broken.docx", b"PK\x03\x04 this is not a real zip archive", "unreadable DOCX"),
        ("latin1.txt", "Caf\xe9 cr\xe8me".encode("latin-1"), "not UTF-8 text"),
        ("latin1.html", "<p>Gr\xfc\xdfe</p>".encode("latin-1"), "not UTF-8 text"),
        ("bad.json", b'{"title": "unfinished', "invalid JSON"),
        ("bad.jsonl", b'{"text": "ok"}\n{"text": \n', "invalid JSON"),
        ("empty.md", b"", "empty file"),
        ("blank.txt", b"  \n\n\t ", "empty file"),
        ("only-markup.html", b"<html><script>x=1</script><p>  </p></html>", "no text extracted"),
        ("numbers.json", b'{"a": 1, "b": [true, null]}', "no text extracted"),
        ("image.png", b"\x89PNG\r\n\x1a\n", "unsupported file type"),
        ("README", b"no suffix at all", "unsupported file type"),
    ],
)
def test_unusable_files_are_skipped_with_a_clear_reason(tmp_path, name, data, reason):
    (tmp_path / name).write_bytes(data)
    assert skip_of(tmp_path / name)[0] == reason


def test_skip_details_say_what_went_wrong(tmp_path):
    (tmp_path / "bad.jsonl").write_bytes(b'{"a": "x"}\n\n{oops}\n')
    (tmp_path / "x.xyz").write_bytes(b"data")
    assert skip_of(tmp_path / "bad.jsonl")[1].startswith("line 3")
    assert skip_of(tmp_path / "x.xyz")[1] == ".xyz"


def test_damaged_pdf_prints_nothing_beyond_its_skip_reason(tmp_path):
    # pypdf logs its repairs ("EOF marker not found"); without a handler Python prints them on
    # stderr, unattributed, in the middle of the command's summary. A fresh interpreter is needed:
    # pytest's own log capture would hide the stray line.
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    script = (
        "import sys\n"
        "from dynosaur.documents.readers import SkipDocument, read_document\n"
        "try:\n"
        "    read_document(sys.argv[1])\n"
        "except SkipDocument as skip:\n"
        "    print(skip.reason)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "broken.pdf")], capture_output=True, text=True
    )
    assert (done.stdout, done.stderr) == ("unreadable PDF\n", "")


def test_oversized_file_is_skipped_before_it_is_read(tmp_path):
    (tmp_path / "big.txt").write_text("word " * 100, encoding="utf-8")
    with pytest.raises(SkipDocument) as caught:
        read_document(tmp_path / "big.txt", max_bytes=100)
    assert caught.value.reason == "file too large"


def test_files_in_subfolders_are_found_in_sorted_order_with_hidden_entries_reported(tmp_path):
    for name in [
        "b.txt",
        "a/z.md",
        "a/b/c.html",
        "A.csv",
        ".secret",
        ".git/config",
        "out/documents_report.jsonl",
    ]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    found = find_documents(tmp_path, exclude=(tmp_path / "out",))
    assert [(f.relpath, f.skip) for f in found] == [
        (".git/", "hidden folder"),
        (".secret", "hidden file"),
        ("A.csv", None),
        ("a/b/c.html", None),
        ("a/z.md", None),
        ("b.txt", None),
    ]
    assert found == find_documents(tmp_path, exclude=(tmp_path / "out",))
