"""Dataset cards: YAML front matter and the markdown sections the later stages read.

A card that cannot be read whole still yields what it can: malformed YAML or non-UTF-8 bytes add
a note (the crawl then falls back to the listing's ``cardData``) instead of failing the dataset.
Headings are found by a CommonMark parser (markdown-it-py): ATX (``## Title``) and setext
(``Title`` underlined with ``===`` or ``---``) alike, never inside code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from typing import Any

import yaml
from markdown_it import MarkdownIt

_FRONT_MATTER_RE = re.compile(
    r"\A\s*---[ \t]*\r?\n(.*?)(?:\r?\n)?^---[ \t]*$\r?\n?", re.DOTALL | re.MULTILINE
)
_MARKDOWN = MarkdownIt("commonmark")
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


# libyaml's safe loader when PyYAML was built with it (same results, a tenth of the time).
_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
        data = yaml.load(front, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        return None, f"card_yaml_malformed{where}"
    if data is None:
        return {}, None
    if not isinstance(data, dict):
        return None, f"card_yaml_not_a_mapping: {type(data).__name__}"
    return data, None


def _headings(body: str) -> list[tuple[int, int, int, str]]:
    """(level, first line, line after it, text) of each top-level heading of normalized ``body``."""
    tokens = _MARKDOWN.parse(body)
    found = []
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.level == 0 and token.map:
            title = tokens[index + 1].content if index + 1 < len(tokens) else ""
            found.append((int(token.tag[1]), token.map[0], token.map[1], title))
    return found


def extract_sections(body: str) -> dict[str, str]:
    """The plain text of each wanted section, any heading level, first non-empty one wins.

    A section runs until the next heading of the same or a higher level, so its subsections
    (e.g. one "Data Fields" subsection per config) are part of it, unless one of them starts
    another wanted section.
    """
    wanted = {title: key for key, titles in SECTIONS.items() for title in titles}
    body = re.sub(r"\r\n?", "\n", body)  # as the parser counts lines
    lines = body.split("\n")
    headings = _headings(body)
    found: dict[str, str] = {}
    for position, (level, _, text_start, title) in enumerate(headings):
        key = wanted.get(_heading_key(title))
        if key is None or key in found:
            continue
        end = len(lines)
        for next_level, next_start, _, next_title in headings[position + 1 :]:
            if next_level <= level or wanted.get(_heading_key(next_title)) is not None:
                end = next_start
                break
        if text := _tidy(strip_html("\n".join(lines[text_start:end]))):
            found[key] = text
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
