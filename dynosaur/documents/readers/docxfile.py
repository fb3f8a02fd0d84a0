"""DOCX through python-docx: paragraphs, then tables row by row (cells joined by " | ")."""

from __future__ import annotations

import io
import zipfile

from dynosaur.documents.readers.base import SkipDocument


def read_docx(data: bytes) -> str:
    """The text of a .docx file."""
    # imported here: only a run that meets a .docx file pays for python-docx
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
        parts = [p.text.strip() for p in document.paragraphs if p.text.strip()]
        for table in document.tables:
            for row in table.rows:
                cells = [cell.text.strip() for cell in row.cells if cell.text.strip()]
                if cells:
                    parts.append(" | ".join(cells))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise SkipDocument("unreadable DOCX", f"{type(exc).__name__}: {exc}") from exc
    return "\n\n".join(parts)
