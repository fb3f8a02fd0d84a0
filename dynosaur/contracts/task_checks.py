"""The rules that judge proposed tasks, shared by the propose and filter stages.

Each rule returns None (keep) or a reason. A reason reads ``"<kind>: <detail>"``; the kind
(before the colon) is what summaries count. Answer-level rules read the model's raw answer (does
it parse, was it cut off, are the items task objects, too many of them); task rules check one
task against its dataset-config's fields; the set rules then drop repeats in a fixed order (the
first proposal wins).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from dynosaur.contracts.artifacts import reason_kind
from dynosaur.contracts.fields import (
    Field,
    is_alternatives,
    is_id_like,
    is_locator,
    is_url,
    name_words,
    sample_values,
    schema_fields,
)
from dynosaur.contracts.instruction_copies import CARD_KEYS, CopyIndex, links, words
from dynosaur.contracts.label_lists import coverage_reason
from dynosaur.contracts.tasks import Task
from dynosaur.contracts.values import cell_text
from dynosaur.core import prompts
from dynosaur.core.jsonparse import JSONParseError, parse_json_list

# The propose prompt's modes and system template: an instruction that echoes a sentence of it is
# rejected by every stage that judges tasks.
MODES = ("aware", "unaware")
SYSTEM_TEMPLATE = "propose_system.jinja"
COMPACT_SYSTEM_TEMPLATE = "propose_compact_system.jinja"  # the compact prompt style's
DEMONSTRATIONS = "propose_demonstrations.yaml"  # worked examples: an instruction must not copy them

# Rejections decided from the answer itself; re-validation keeps them as they are.
ANSWER_KINDS = frozenset(
    {"unparseable answer", "truncated answer", "empty answer", "not a task object", "too many tasks"}
)
WITHHELD = "[withheld: the instruction echoes the prompt]"


# --- the answer --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    """One item of an answer: the task's parts, or why the item is not a task."""

    instruction: str = ""
    input_fields: tuple[str, ...] = ()
    output_field: tuple[str, ...] = ()
    reason: str | None = None


def _names(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value.strip(),) if value.strip() else ()
    if isinstance(value, (list, tuple)):
        return tuple(str(v).strip() for v in value if v is not None and str(v).strip())
    return (str(value),)


def _item(item: Any) -> Proposal:
    if not isinstance(item, dict):
        return Proposal(reason=f"not a task object: the answer holds a {type(item).__name__}")
    instruction = item.get("instruction")
    inputs = item.get("input_fields", item.get("input_field", item.get("inputs")))
    outputs = item.get("output_field", item.get("output_fields", item.get("output")))
    return Proposal(
        instruction=" ".join(instruction.split()) if isinstance(instruction, str) else "",
        input_fields=_names(inputs),
        output_field=_names(outputs),
    )


def parse_answer(text: str, finish_reason: str = "stop", max_tasks: int = 3) -> list[Proposal]:
    """The proposals in an answer; a single rejected Proposal when the answer itself is unusable.

    An answer cut off by the token limit (``finish_reason == "length"``) that does not parse is a
    ``truncated answer``; items beyond ``max_tasks`` are kept as ``too many tasks`` rejections.
    """
    try:
        items = parse_json_list(text)
    except JSONParseError as exc:
        if finish_reason == "length" or exc.kind == "truncated":
            return [Proposal(reason=f"truncated answer: {exc} (finish_reason {finish_reason})")]
        if exc.kind == "empty":
            return [Proposal(reason="empty answer: the model answered nothing")]
        return [Proposal(reason=f"unparseable answer: {exc}")]
    proposals = [_item(item) for item in items]
    for index in range(max_tasks, len(proposals)):
        proposals[index] = replace(
            proposals[index], reason=f"too many tasks: only {max_tasks} were asked for"
        )
    return proposals


# --- one task against its dataset ----------------------------------------------------------------


@dataclass
class DatasetFields:
    """A dataset-config's fields, as validation needs them."""

    metadata: dict[str, Any]
    fields: dict[str, Field]

    @classmethod
    def of(cls, metadata: dict[str, Any]) -> DatasetFields:
        return cls(metadata, schema_fields(metadata))

    def has(self, name: str) -> bool:
        return name in self.fields or any(True for _ in sample_values(self.metadata, name))

    def get(self, name: str) -> Field | None:
        return self.fields.get(name)

    @cached_property
    def card(self) -> CopyIndex:
        """The spans of the card's text (description, supported tasks, field descriptions)."""
        return CopyIndex.of(str(self.metadata.get(key) or "") for key in CARD_KEYS)

    @cached_property
    def own_words(self) -> frozenset[str]:
        """The words of the dataset's field and label names."""
        names = [*self.fields, *(label for f in self.fields.values() for label in f.labels)]
        return frozenset(word for name in names for word in words(name))

    def own_texts(self, names: Iterable[str]) -> set[str]:
        """Label names of every field and the sample values of ``names``, lower-cased."""
        texts = {label.strip().lower() for f in self.fields.values() for label in f.labels}
        for name in names:
            for value in sample_values(self.metadata, name):
                items = value if isinstance(value, list) else [value]
                texts.update(item.strip().lower() for item in items if isinstance(item, str))
        return texts


TaskRule = Callable[[Task, DatasetFields], "str | None"]


def empty_instruction(task: Task, data: DatasetFields) -> str | None:
    return None if task.instruction.strip() else "empty instruction: the task has no instruction"


def output_count(task: Task, data: DatasetFields) -> str | None:
    if not task.output_field:
        return "empty output: the task names no output field"
    if len(task.output_field) > 1:
        return f"multi-field output: {list(task.output_field)} (exactly one field is allowed)"
    return None


def no_input(task: Task, data: DatasetFields) -> str | None:
    return None if task.input_fields else "no input field: the task names no input field"


def unknown_field(task: Task, data: DatasetFields) -> str | None:
    for name in (*task.input_fields, *task.output_field):
        if not data.has(name):
            return f"unknown field: {name!r} is not a field of {task.task_name}"
    return None


def id_field(task: Task, data: DatasetFields) -> str | None:
    for name in (*task.input_fields, *task.output_field):
        if is_id_like(name):
            return f"id field: {name!r} identifies rows, it is not task content"
    return None


def media_field(task: Task, data: DatasetFields) -> str | None:
    for name in (*task.input_fields, *task.output_field):
        info = data.get(name)
        if info is not None and info.kind == "media":
            return f"media field: {name!r} holds images, audio or video"
    return None


def output_is_input(task: Task, data: DatasetFields) -> str | None:
    shared = [name for name in task.output_field if name in task.input_fields]
    return f"output used as input: {shared[0]!r} is both" if shared else None


def output_not_text(task: Task, data: DatasetFields) -> str | None:
    """Judged from the features first, then from the sample rows."""
    name = task.output_field[0]
    info = data.get(name)
    if info is not None and info.kind in ("struct", "struct_list", "translation", "media"):
        return f"output not text: {name!r} is a {info.kind.replace('_', ' ')}"
    if info is not None and info.kind != "other":
        return None
    for value in sample_values(data.metadata, name):
        problem = _not_text(value)
        if problem:
            return f"output not text: {name!r} holds {problem}"
    return None


def _not_text(value: Any) -> str | None:
    if isinstance(value, dict):
        texts = value.get("text")
        if isinstance(texts, list) and all(isinstance(t, str) for t in texts):
            return None
        return "structs"
    if isinstance(value, list) and any(isinstance(item, (dict, list)) for item in value):
        return "lists of structs or lists"
    return None


def locator_output(task: Task, data: DatasetFields) -> str | None:
    """An output that only points somewhere (a URL, a character offset) is not an answer."""
    name = task.output_field[0]
    if is_locator(name):
        return f"locator output: {name!r} holds a URL, offset or position, not an answer"
    values = [v for v in sample_values(data.metadata, name) if v not in (None, "")]
    if values and all(is_url(v) for v in values):
        return f"locator output: {name!r} holds URLs, not an answer"
    return None


# words of a number field's name that say what the number measures, so an instruction can ask
# for a text that fits it ("Write a review that would get the given rating")
MEASURE_WORDS = frozenset(
    {"rating", "ratings", "score", "scores", "stars", "star", "grade", "level", "year", "age", "length"}
)
_CODE_LABEL = re.compile(r"^(label_?)?-?\d+$|^[a-z]$", re.IGNORECASE)


def _scalar_kind(data: DatasetFields, name: str) -> str:
    info = data.get(name)
    if info is not None and info.kind != "other":
        return info.kind
    values = [v for v in sample_values(data.metadata, name) if v is not None]
    if values and all(isinstance(v, bool) for v in values):
        return "bool"
    if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "number"
    return "other"


def bare_input(task: Task, data: DatasetFields) -> str | None:
    """An input made only of true/false values, numbers or coded labels says nothing to write
    from, unless the instruction names what the number measures."""
    said = _norm(task.instruction)
    for name in task.input_fields:
        kind = _scalar_kind(data, name)
        info = data.get(name)
        if kind == "number":
            measure = name_words(name) & MEASURE_WORDS
            if measure and any(re.search(rf"\b{m}\b", said) for m in measure):
                continue
        if (
            kind == "label"
            and info is not None
            and info.labels
            and not all(_CODE_LABEL.match(label) for label in info.labels)
        ):
            continue
        if kind not in ("bool", "number", "label"):
            return None  # some input carries text
    what = " and ".join(repr(n) for n in task.input_fields)
    return f"bare input: {what} holds only true/false values, numbers or coded labels"


def list_output(task: Task, data: DatasetFields) -> str | None:
    """A list output with several items per row is either alternatives (one record each) or
    parts of one answer that no record can show faithfully (never a comma-joined string)."""
    name = task.output_field[0]
    info = data.get(name)
    if info is None or info.kind != "text_list" or is_alternatives(name):
        return None
    for value in sample_values(data.metadata, name):
        if isinstance(value, list) and len([v for v in value if v not in (None, "")]) > 1:
            return f"list output: {name!r} holds several items per row, not alternatives of one answer"
    return None


def output_texts(data: DatasetFields, name: str) -> list[str]:
    """The sample rows' outputs of ``name`` as records show them (each item of a list)."""
    info = data.get(name)
    dtype = info.dtype if info is not None else ""
    texts: list[str] = []
    for value in sample_values(data.metadata, name):
        if isinstance(value, dict) and isinstance(value.get("text"), list):
            value = value["text"][:1]
        items = value if isinstance(value, list) else [value]
        for item in items:
            text = cell_text(item, dtype)
            if text is not None and text.strip():
                texts.append(text)
    return texts


def labels_cover_outputs(task: Task, data: DatasetFields) -> str | None:
    """An instruction that lists labels must name every output of the sample rows."""
    return coverage_reason(task.instruction, output_texts(data, task.output_field[0]))


def url_instruction(task: Task, data: DatasetFields) -> str | None:
    """An instruction names a task, it links nowhere; a domain that is one of the dataset's labels
    or values (``imgur.com`` as a class) is what the task is about, not a link."""
    found = links(task.instruction)
    if not found:
        return None
    own = data.own_texts((*task.input_fields, *task.output_field))
    for link in found:
        if link.lower() not in own:
            return f"instruction has a URL: {link!r} (an instruction names a task, it links nowhere)"
    return None


def card_copy(task: Task, data: DatasetFields) -> str | None:
    """A sentence-long span of the card is the card talking, not an instruction for the rows."""
    span = data.card.copied(task.instruction, data.own_words)
    return f"instruction copies the card: {span!r} is the card's text" if span else None


TASK_RULES: list[TaskRule] = [
    empty_instruction,
    output_count,
    no_input,
    unknown_field,
    id_field,
    media_field,
    output_is_input,
    output_not_text,
    locator_output,
    list_output,
    bare_input,
    labels_cover_outputs,
    url_instruction,
    card_copy,
]


def first_reason(task: Task, data: DatasetFields) -> str | None:
    """The first rule that rejects ``task``, or None."""
    for rule in TASK_RULES:
        reason = rule(task, data)
        if reason:
            return reason
    return None


def echoes_prompt(instruction: str, sentences: Iterable[str]) -> bool:
    """Whether the instruction repeats a sentence of the system prompt."""
    text = " ".join(instruction.lower().split())
    return any(sentence in text for sentence in sentences)


# --- the whole set ---------------------------------------------------------------------------


def _norm(instruction: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", instruction.lower()).strip()


def judge(
    tasks: list[Task],
    metadata: dict[str, dict[str, Any]],
    prompt_sentences: Iterable[str] = (),
    demonstrations: CopyIndex | None = None,
) -> list[Task]:
    """Every task marked valid or rejected with a reason, in the given (fixed) order.

    An instruction that repeats a span of the prompt's demonstrations (``demonstrations``, see
    ``demonstration_index``), or one of their instructions word for word, copies a worked
    example of another dataset.

    A mapping already proposed for the dataset (the same input fields, in any order, and the same
    output field), whichever mode proposed it, is kept once: the first; a second instruction over
    the same fields is a rewording, not a new task. An instruction repeated for a dataset with
    other fields is rejected too.
    """
    sentences = list(prompt_sentences)
    views: dict[str, DatasetFields] = {}
    seen_tasks: dict[tuple[str, frozenset[str], tuple[str, ...]], Task] = {}
    seen_instructions: set[tuple[str, str]] = set()
    judged: list[Task] = []
    for task in tasks:
        if task.reason and reason_kind(task.reason) in ANSWER_KINDS:
            judged.append(task.judged(task.reason))
            continue
        if task.instruction == WITHHELD or echoes_prompt(task.instruction, sentences):
            task = replace(task, instruction=WITHHELD)
            judged.append(task.judged("instruction echoes the prompt: withheld from every artifact"))
            continue
        if task.task_name not in metadata:
            judged.append(task.judged(f"unknown dataset: no metadata line for {task.task_name!r}"))
            continue
        if task.task_name not in views:
            views[task.task_name] = DatasetFields.of(metadata[task.task_name])
        reason = first_reason(task, views[task.task_name])
        if reason is None and demonstrations is not None:
            span = demonstrations.copied(task.instruction, views[task.task_name].own_words)
            if span:
                reason = f"instruction copies a demonstration: {span!r} is from a worked example"
        if reason is None:
            key = (task.task_name, frozenset(task.input_fields), task.output_field)
            said = (task.task_name, _norm(task.instruction))
            first = seen_tasks.get(key)
            if first is not None and _norm(first.instruction) == said[1]:
                reason = "duplicate task: the same task was proposed earlier for this dataset"
            elif first is not None:
                by = f" ({first.mode} mode)" if first.mode else ""
                reason = (
                    f"duplicate mapping: the same input and output fields were already proposed{by} "
                    f"as {first.instruction!r}"
                )
            elif said in seen_instructions:
                reason = "repeated instruction: the dataset already has a task with this instruction"
            seen_tasks.setdefault(key, task)
            seen_instructions.add(said)
        judged.append(task.judged(reason))
    return judged


def judge_answer_tasks(
    text: str, metadata: dict[str, Any], finish_reason: str = "stop", max_tasks: int = 3
) -> list[dict[str, Any]]:
    """Parse and judge one answer for one metadata line: ``[{instruction, input_fields,
    output_field, reason}]`` (a convenience for checks and tests)."""
    name = str(metadata.get("task_name", ""))
    tasks = [
        Task(name, p.instruction, p.input_fields, p.output_field, source="", reason=p.reason)
        for p in parse_answer(text, finish_reason, max_tasks)
    ]
    return [{**t.published(), "reason": t.reason} for t in judge(tasks, {name: metadata})]


def prompt_sentences(
    max_tasks: int = 3, directory: str | Path | None = None, min_chars: int = 24
) -> list[str]:
    """Distinctive sentences of every system prompt, lower-cased with whitespace collapsed.

    An instruction that contains one of them echoes the prompt (validation rejects it and keeps
    its text out of every artifact).
    """
    found: set[str] = set()
    templates = [SYSTEM_TEMPLATE]
    folder = Path(directory) if directory is not None else prompts.default_prompts_dir()
    if (folder / COMPACT_SYSTEM_TEMPLATE).exists():  # a prompts folder of its own may have no compact style
        templates.append(COMPACT_SYSTEM_TEMPLATE)
    texts = [
        prompts.render(template, directory, mode=mode, max_tasks=max_tasks)
        for template in templates
        for mode in MODES
    ]
    for raw in texts:
        text = " ".join(raw.lower().split())
        for sentence in re.split(r"(?<=[.:!?])\s+|\s+-\s+", text):
            sentence = sentence.strip(" -")
            if len(sentence) >= min_chars:
                found.add(sentence)
    return sorted(found)


def demonstration_index(directory: str | Path | None = None) -> CopyIndex:
    """The spans of the propose prompt's demonstrations: their cards, rows and instructions (each
    instruction also whole). A prompts folder without demonstrations gives an empty index."""
    folder = Path(directory) if directory is not None else prompts.default_prompts_dir()
    if not (folder / DEMONSTRATIONS).is_file():
        return CopyIndex()
    demos = prompts.load_data(DEMONSTRATIONS, directory)
    texts: list[str] = []
    instructions: list[str] = []
    for demo in demos if isinstance(demos, list) else []:
        if not isinstance(demo, dict):
            continue
        metadata = demo.get("metadata")
        if isinstance(metadata, dict):
            texts += [str(metadata.get(key) or "") for key in CARD_KEYS]
            texts += _strings(metadata.get("selected_data"))
        for task in demo.get("tasks") or []:
            if isinstance(task, dict) and isinstance(task.get("instruction"), str):
                instructions.append(task["instruction"])
    return CopyIndex.of(texts, exact=instructions)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []
