"""Dataset cards: YAML front matter and the markdown sections the later stages read.

A card that cannot be read whole still yields what it can: malformed YAML or non-UTF-8 bytes add
a note (the crawl then falls back to the listing's ``cardData``) instead of failing the dataset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from typing import Any

import yaml

_FRONT_MATTER_RE = re.compile(
    r"\A\s*---[ \t]*\r?\n(.*?)(?:\r?\n)?^---[ \t]*$\r?\n?", re.DOTALL | re.MULTILINE
)
_HEADING_RE = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$")
_FENCE_RE = re.compile(r"^ {0,3}(```|~~~)")
_PLACEHOLDERS = ("[more information needed]", "more information needed", "[needs more information]")

# Section key -> accepted heading texts (compared lower-case, without markup or a trailing colon).
SECTIONS: dict[str, tuple[str, ...]] = {
    "summary": ("dataset summary",),
    "supported_task": ("supported tasks and leaderboards", "supported tasks"),
    "data_fields": ("data fields",),
}


@dataclass
class Card:
    """What a README.md contributes: its metadata (None when unusable), sections and notes."""

    metadata: dict[str, Any] | None
    sections: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML fragment, leaving out scripts, styles and comments."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("br", "p", "div", "li", "tr"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def strip_html(text: str) -> str:
    """Plain text of markdown that may embed HTML: tags and comments dropped, entities decoded."""
    if "<" not in text and "&" not in text:
        return text
    parser = _TextExtractor()
    parser.feed(text)
    parser.close()
    return unescape("".join(parser.parts))


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    tidy = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return "" if tidy.lower() in _PLACEHOLDERS else tidy


def _heading_key(title: str) -> str:
    """A heading's text without markdown emphasis, links, HTML or a trailing colon, lower-case."""
    text = strip_html(title)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[*_`]", "", text)
    return " ".join(text.split()).rstrip(":").strip().lower()


def split_front_matter(text: str) -> tuple[str | None, str]:
    """(YAML text or None, markdown body)."""
    text = text.lstrip("\ufeff")
    match = _FRONT_MATTER_RE.match(text)
    if not match:
        return None, text
    return match.group(1), text[match.end() :]


def parse_metadata(front: str) -> tuple[dict[str, Any] | None, str | None]:
    """(metadata, note): the YAML as a mapping, or None and why it is unusable."""
    try:
        data = yaml.safe_load(front)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        return None, f"card_yaml_malformed{where}"
    if data is None:
        return {}, None
    if not isinstance(data, dict):
        return None, f"card_yaml_not_a_mapping: {type(data).__name__}"
    return data, None


def extract_sections(body: str) -> dict[str, str]:
    """The plain text of each wanted section, any heading level, first non-empty one wins.

    A section runs until the next heading of the same or a higher level, so its subsections
    (e.g. one "Data Fields" subsection per config) are part of it. Code fences are not headings.
    """
    wanted = {title: key for key, titles in SECTIONS.items() for title in titles}
    found: dict[str, str] = {}
    current: tuple[str, int] | None = None
    buffer: list[str] = []
    in_fence = False

    def close() -> None:
        if current is not None and current[0] not in found:
            text = _tidy(strip_html("\n".join(buffer)))
            if text:
                found[current[0]] = text

    for line in body.splitlines():
        if _FENCE_RE.match(line):
            in_fence = not in_fence
        match = None if in_fence else _HEADING_RE.match(line)
        if match:
            level = len(match.group(1))
            key = wanted.get(_heading_key(match.group(2)))
            # A deeper heading stays inside the section, unless it starts another wanted one.
            if current is not None and (level <= current[1] or key is not None):
                close()
                current, buffer = None, []
            if current is None and key is not None and key not in found:
                current, buffer = (key, level), []
                continue
        if current is not None:
            buffer.append(line)
    close()
    return {key: found.get(key, "") for key in SECTIONS}


def parse_card(data: bytes) -> Card:
    """Parse README.md bytes into a :class:`Card`; never raises on bad input."""
    notes: list[str] = []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        notes.append(f"card_not_utf8 at byte {exc.start}")
        return Card(metadata=None, sections={key: "" for key in SECTIONS}, notes=notes)
    front, body = split_front_matter(text)
    metadata: dict[str, Any] | None = None
    if front is not None:
        metadata, note = parse_metadata(front)
        if note:
            notes.append(note)
    return Card(metadata=metadata, sections=extract_sections(body), notes=notes)
