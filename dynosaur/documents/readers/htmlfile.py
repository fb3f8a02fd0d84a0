"""HTML: the visible text, with scripts, styles, navigation and other non-text elements dropped.

Block elements become paragraph breaks so that chunking can cut between them; runs of
whitespace inside a paragraph collapse to one space, as a browser shows them.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from dynosaur.documents.readers.base import decode_utf8

_HIDDEN = frozenset(
    {"script", "style", "noscript", "template", "head", "nav", "svg", "math", "iframe", "object"}
)
_BLOCKS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tr",
        "ul",
        "title",
    }
)
_SPACES = re.compile(r"\s+")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self._current: list[str] = []
        self._hidden_depth = 0
        self._title: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag in _HIDDEN:
            self._hidden_depth += 1
        if tag in _BLOCKS:
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in _HIDDEN and self._hidden_depth:
            self._hidden_depth -= 1
        if tag in _BLOCKS:
            self._break()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self._break()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title.append(data)
        elif not self._hidden_depth:
            self._current.append(data)

    def _break(self) -> None:
        text = _SPACES.sub(" ", "".join(self._current)).strip()
        if text:
            self.paragraphs.append(text)
        self._current = []

    def text(self) -> str:
        self._break()
        title = _SPACES.sub(" ", "".join(self._title)).strip()
        paragraphs = self.paragraphs
        if title and (not paragraphs or paragraphs[0] != title):
            paragraphs = [title, *paragraphs]
        return "\n\n".join(paragraphs)


def html_to_text(markup: str) -> str:
    """The visible text of an HTML document, one paragraph per block element."""
    collector = _TextCollector()
    collector.feed(markup)
    collector.close()
    return collector.text()


def read_html(data: bytes) -> str:
    """The visible text of an .html/.htm file."""
    return html_to_text(decode_utf8(data))
