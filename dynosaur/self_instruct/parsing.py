"""Lenient parsing of model answers: numbered instruction lists, Yes/No, and instance lists.

Models answer in many shapes ("9. ...", "9) ...", "Task 9: ...", "**Task 9:** ...", "Instruction:
...", bullets, blank lines or none, a chatty preamble). The parsers take what is there and never
raise; an answer cut off by the token limit (finish_reason "length") loses its last item, which
is likely incomplete.
"""

from __future__ import annotations

import re

from dynosaur.contracts.seed_tasks import Instance

_EMPHASIS = r"(?:\*\*|__)?"
_ITEM_MARKER = re.compile(
    rf"""^\s*(?:[#>]+\s*)?{_EMPHASIS}\s*
    (?:
        (?:task|instruction)\s*\#?\s*(?P<task_number>\d+)\s*{_EMPHASIS}\s*(?:[:.)\]\-–—]|$)
      | \(?(?P<number>\d+)\s*[.):\]](?!\d)
      | (?:task|instruction)\s*{_EMPHASIS}\s*:
      | [-*•]\s+
    )
    \s*{_EMPHASIS}\s*""",
    re.IGNORECASE | re.VERBOSE,
)
# Lines that follow an instruction but are not part of it (a model adding an example).
_NOT_INSTRUCTION = re.compile(
    rf"^\s*{_EMPHASIS}\s*(?:input|output|example|answer|response|class\s*label|label)\b", re.IGNORECASE
)


def _clean(text: str) -> str:
    text = " ".join(text.split())
    for wrapper in ("**", "__", '"', "“"):
        closing = "”" if wrapper == "“" else wrapper
        if len(text) > 2 * len(wrapper) and text.startswith(wrapper) and text.endswith(closing):
            text = text[len(wrapper) : -len(closing)].strip()
    return text.strip()


def parse_numbered_list(text: str, truncated: bool = False, first_number: int | None = None) -> list[str]:
    """The instructions of a numbered (or bulleted) list, in order.

    An instruction may wrap over several lines; a blank line, the next marker, or a line such as
    "Input:"/"Output:" ends it. Text before the first marker is a preamble and is ignored, unless
    the first marker is numbered ``first_number + 1``: then the preamble is item ``first_number``
    (the model continued the list without repeating its number).
    """
    items: list[list[str]] = []
    preamble: list[str] = []
    first_marker_number: int | None = None
    open_item = False
    for line in text.splitlines():
        marker = _ITEM_MARKER.match(line)
        if marker:
            number = marker.group("task_number") or marker.group("number")
            if not items and number is not None:
                first_marker_number = int(number)
            items.append([line[marker.end() :]])
            open_item = True
        elif not line.strip() or _NOT_INSTRUCTION.match(line):
            open_item = False
        elif open_item:
            items[-1].append(line)
        elif not items:
            preamble.append(line)
    parsed = [_clean(" ".join(parts)) for parts in items]
    if first_number is not None and first_marker_number == first_number + 1:
        lead = _clean(" ".join(preamble))
        if lead and not lead.endswith(":"):
            parsed.insert(0, lead)
    parsed = [item for item in parsed if item]
    if truncated and parsed:
        parsed.pop()
    return parsed


_YES_NO = re.compile(r"\b(yes|no|true|false)\b", re.IGNORECASE)


def parse_yes_no(text: str) -> bool | None:
    """The first Yes/No (or True/False) in an answer; None when there is neither."""
    found = _YES_NO.search(text)
    if found is None:
        return None
    return found.group(1).lower() in {"yes", "true"}


_FIELD = re.compile(
    rf"^\s*{_EMPHASIS}\s*(?P<field>input|output|class\s*label|label)\s*(?:\d+\s*)?{_EMPHASIS}\s*:"
    rf"\s*{_EMPHASIS}\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_EXAMPLE = re.compile(
    rf"^\s*(?:#+\s*)?{_EMPHASIS}\s*example\s*\d*\s*[:.)]?\s*{_EMPHASIS}\s*(?P<rest>.*)$", re.I
)
_NEXT_TASK = re.compile(r"^\s*(?:\*\*|__)?\s*task\s*\d*\s*:", re.IGNORECASE)
_NO_INPUT = {"", "<noinput>", "<no input>", "none", "n/a", "na", "no input", "null", "(none)", "-", "empty"}


def _field_value(lines: list[str] | None) -> str:
    if lines is None:
        return ""
    return "\n".join(lines).strip().strip("*").strip()


def _input_value(lines: list[str] | None) -> str:
    value = _field_value(lines)
    return "" if value.lower().rstrip(".") in _NO_INPUT else value


def parse_instances(text: str, truncated: bool = False) -> list[Instance]:
    """Input/output examples from an answer, in either order.

    Understands "Example 1 / Input: ... / Output: ..." (input first), "Class label: ... / Input:
    ..." (output first), examples without headers, multi-line values, and "Input: None" for tasks
    without input. An example missing its output comes back with an empty output (for the filters
    to count). A following "Task:" line ends the answer.
    """
    examples: list[dict[str, list[str]]] = []
    current: dict[str, list[str]] = {}
    last: str | None = None

    def close() -> None:
        nonlocal current, last
        if current:
            examples.append(current)
        current, last = {}, None

    for line in text.splitlines():
        if _NEXT_TASK.match(line) and (examples or current):
            break
        header = _EXAMPLE.match(line)
        if header:
            close()
            line = header.group("rest")
            if not line.strip():
                continue
        field = _FIELD.match(line)
        if field:
            role = "input" if field.group("field").lower() == "input" else "output"
            if role in current:
                close()
            current[role] = [field.group("rest")]
            last = role
        elif last is not None:
            current[last].append(line)
    close()
    if truncated and examples:
        examples.pop()
    return [
        Instance(_input_value(example.get("input")), _field_value(example.get("output")))
        for example in examples
    ]
