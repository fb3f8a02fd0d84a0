"""CSV: one line of text per row, each cell named by its column header ("header: value")."""

from __future__ import annotations

import csv
import io

from dynosaur.documents.readers.base import SkipDocument, decode_utf8


def read_csv(data: bytes) -> str:
    """Rows of a .csv file as text; the first row is taken as the header."""
    try:
        rows = [
            row
            for row in csv.reader(io.StringIO(decode_utf8(data), newline=""))
            if any(c.strip() for c in row)
        ]
    except csv.Error as exc:
        raise SkipDocument("invalid CSV", str(exc)) from exc
    if not rows:
        return ""
    header, body = [cell.strip() for cell in rows[0]], rows[1:]
    if not body:
        return "; ".join(cell for cell in header if cell)
    lines = []
    for row in body:
        cells = []
        for index, cell in enumerate(row):
            value = cell.strip()
            if not value:
                continue
            name = header[index] if index < len(header) and header[index] else f"column {index + 1}"
            cells.append(f"{name}: {value}")
        if cells:
            lines.append("; ".join(cells))
    return "\n".join(lines)
