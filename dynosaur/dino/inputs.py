"""Input texts for text-pair specs, from three kinds of file.

- ``plain``: one text per line; blank lines are skipped.
- ``jsonl``: one JSON object per line, the text in a named field (``text_a`` by default, so the
  output of a single-text DINO run feeds a pair run directly).
- ``stsb``: the GLUE STS-B tab-separated file with a header row; the texts of its ``sentence1``
  and ``sentence2`` columns.

Texts are stripped and kept once each, in file order. A line that cannot be used is skipped with
its reason counted; a file with no usable text at all is an error.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from crawl.artifact_errors import not_utf8_in
from dynosaur.core.errors import DynosaurError

INPUT_FILE_TYPES = ("plain", "jsonl", "stsb")


class InputError(DynosaurError, ValueError):
    """An input file that cannot be read or holds no usable text."""


@dataclass
class Inputs:
    """The usable texts of an input file and the reasons lines were skipped."""

    texts: list[str]
    skipped: Counter[str] = field(default_factory=Counter)

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for text in self.texts:
            digest.update(text.encode("utf-8") + b"\0")
        return digest.hexdigest()


def _read_lines(path: Path) -> list[str]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read input file {str(path)!r}: {exc.strerror or exc}") from exc
    try:
        return data.decode("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise InputError(f"input file {str(path)!r}, {not_utf8_in(data, exc)}") from exc


def _plain(lines: list[str], _field: str) -> tuple[list[str], Counter[str]]:
    return [line for line in lines if line.strip()], Counter()


def _jsonl(lines: list[str], text_field: str) -> tuple[list[str], Counter[str]]:
    texts: list[str] = []
    skipped: Counter[str] = Counter()
    for line in lines:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            skipped["not a JSON line"] += 1
            continue
        value = record.get(text_field) if isinstance(record, dict) else None
        if not isinstance(value, str) or not value.strip():
            skipped[f"no text in field {text_field!r}"] += 1
            continue
        texts.append(value)
    return texts, skipped


def _stsb(lines: list[str], _field: str) -> tuple[list[str], Counter[str]]:
    rows = list(csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))
    header = rows[0] if rows else []
    columns = [header.index(name) for name in ("sentence1", "sentence2") if name in header]
    if not columns:
        raise InputError("an stsb input file needs a header row with 'sentence1' and 'sentence2' columns")
    texts: list[str] = []
    skipped: Counter[str] = Counter()
    for row in rows[1:]:
        if len(row) <= max(columns):
            skipped["row with too few columns"] += 1
            continue
        texts.extend(row[column] for column in columns if row[column].strip())
    return texts, skipped


_READERS = {"plain": _plain, "jsonl": _jsonl, "stsb": _stsb}


def read_inputs(path: str | Path, file_type: str = "plain", text_field: str = "text_a") -> Inputs:
    """The distinct input texts of ``path`` in file order."""
    if file_type not in _READERS:
        raise InputError(f"unknown input file type {file_type!r}; use one of {', '.join(INPUT_FILE_TYPES)}")
    path = Path(path)
    texts, skipped = _READERS[file_type](_read_lines(path), text_field)
    unique = list(dict.fromkeys(text.strip() for text in texts))
    if len(unique) < len(texts):
        skipped["duplicate input text"] += len(texts) - len(unique)
    if not unique:
        reasons = "; ".join(f"{reason}: {count}" for reason, count in sorted(skipped.items()))
        raise InputError(
            f"input file {str(path)!r} holds no usable text" + (f" ({reasons})" if reasons else "")
        )
    return Inputs(texts=unique, skipped=skipped)
