"""The ``rules`` engine: offline, deterministic task proposals from the feature schema alone.

It reads ``ChatRequest.context`` (``{"kind": "propose", "mode", "metadata", "max_tasks"}``) instead
of the prose, and answers with the JSON an LLM would give (``{"tasks": [...]}``), so parsing,
validation, the cache and provenance work exactly as with a model. Patterns, in order:
multiple choice, question answering and question generation, sentence-pair classification (NLI,
paraphrase, similarity) and its inverse, translation both ways, summarization / title writing,
text-to-text pairs, classification by a label and its inverse generation, then a generic
"given X, write Y". The description-aware mode also reads the card (pretty name, task ids,
summary) to name the kind of text and what a label means.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from dynosaur.core.engines import register_engine
from dynosaur.core.engines.base import ChatRequest, Completion, UnsupportedRequest
from dynosaur.core.engines.rules_roles import (
    ANSWER,
    CHOICES,
    CONTEXT,
    PAIRS,
    QUESTION,
    TARGET,
    TEXT2TEXT,
    Roles,
    humanize,
    language_name,
    words,
)
from dynosaur.core.engines.rules_wording import EQUIVALENCE_LABELS, Wording

RULES_VERSION = "rules-1"

Task = dict[str, Any]


@register_engine("rules")
class RulesEngine:
    """Task proposals from field names, types and sample values; no model, no network."""

    name = "rules"
    capabilities = frozenset({"context"})

    def __init__(self, model: str = RULES_VERSION, **_options: Any) -> None:
        # options meant for model engines (base_url, concurrency...) do not apply here
        self.model = model

    async def complete(self, request: ChatRequest) -> Completion:
        context = request.context or {}
        if context.get("kind") != "propose" or not isinstance(context.get("metadata"), dict):
            raise UnsupportedRequest(
                "the rules engine only answers task-proposal requests (context kind 'propose'); "
                "it cannot write free text"
            )
        tasks = propose_tasks(
            context["metadata"], str(context.get("mode", "aware")), int(context.get("max_tasks", 3))
        )
        text = json.dumps({"tasks": tasks}, ensure_ascii=False)
        return Completion(text=text, finish_reason="stop", model=self.model)

    async def aclose(self) -> None:
        pass


def propose_tasks(metadata: dict[str, Any], mode: str = "aware", max_tasks: int = 3) -> list[Task]:
    """Up to ``max_tasks`` tasks for one metadata line, most specific patterns first."""
    roles = Roles.of(metadata)
    words_ = Wording(roles, aware=(mode == "aware"))
    chosen: list[Task] = []
    seen: set[tuple[tuple[str, ...], str]] = set()
    claimed: set[str] = set()  # outputs of earlier patterns: a later, vaguer pattern leaves them be
    for pattern in PATTERNS:
        outputs: set[str] = set()
        for task in pattern(roles, words_, frozenset(claimed)):
            output = task["output_field"][0]
            key = (tuple(task["input_fields"]), output)
            if key in seen or output in task["input_fields"] or output in claimed:
                continue
            seen.add(key)
            outputs.add(output)
            chosen.append(task)
            if len(chosen) >= max_tasks:
                return chosen
        claimed |= outputs
    return chosen


def _task(instruction: str, inputs: list[str], output: str) -> Task:
    return {"instruction": instruction, "input_fields": inputs, "output_field": [output]}


def multiple_choice(roles: Roles, w: Wording, claimed: frozenset[str]) -> Iterator[Task]:
    choices = roles.first(CHOICES, kinds=("text_list",))
    if choices is None:
        return
    answer = next(
        (
            n
            for n in roles.fields
            if n != choices
            and (roles.is_label(n) or words(n) & ANSWER)
            and roles.fields[n].kind in ("label", "number", "text")
        ),
        None,
    )
    if answer is None:
        return
    stems = [
        n
        for n in (roles.first(CONTEXT), roles.first(QUESTION | {"stem", "goal", "ctx", "sentence"}))
        if n and n not in (answer, choices)
    ]
    stems = list(dict.fromkeys(stems))
    asked = "question" if any(words(s) & QUESTION for s in stems) else humanize(stems[0]) if stems else "text"
    yield _task(
        f"Read the {asked} and choose the correct option from the {humanize(choices)}.",
        [*stems, choices],
        answer,
    )


def question_answering(roles: Roles, w: Wording, claimed: frozenset[str]) -> Iterator[Task]:
    question = roles.first(QUESTION)
    if question is None:
        return
    answer = roles.first(
        ANSWER, kinds=("text", "answers", "text_list", "label", "bool", "number"), exclude=(question,)
    )
    context = roles.first(CONTEXT, exclude=(question, answer or ""))
    if context is None:
        longest = roles.texts(exclude=(question, answer or ""))
        context = next((n for n in longest if roles.is_long(n)), None)
    if answer is not None and context is not None:
        yes_no = roles.fields[answer].kind == "bool"
        how = "with yes or no" if yes_no else "using the " + w.noun(context)
        yield _task(f"Answer the question {how}.", [context, question], answer)
        if roles.fields[answer].kind in ("text", "answers"):
            yield _task(
                f"Write a question about the {w.noun(context)} whose answer is the given answer.",
                [context, answer],
                question,
            )
    elif answer is not None:
        yield _task("Answer the question.", [question], answer)
        if roles.fields[answer].kind == "text":
            yield _task("Write a question that the given answer responds to.", [answer], question)
    elif context is not None:
        yield _task(f"Write a question that can be answered from the {w.noun(context)}.", [context], question)


def sentence_pairs(roles: Roles, w: Wording, claimed: frozenset[str]) -> Iterator[Task]:
    lower = {n.rsplit(".", 1)[-1].lower(): n for n in roles.fields if roles.fields[n].kind == "text"}
    for first, second in PAIRS:
        if first not in lower or second not in lower:
            continue
        a, b = lower[first], lower[second]
        label = next((n for n in roles.label_fields() if n not in (a, b)), None)
        if label is None:
            continue
        names = {n.lower() for n in roles.labels(label)}
        kind = roles.fields[label].kind
        if first == "premise" or names & {"entailment", "contradiction", "not_entailment"}:
            yield _task(
                f"Does the {humanize(a)} entail the {humanize(b)}? Answer{w.label_phrase(label)}.",
                [a, b],
                label,
            )
            yield _task(
                f"Write a {humanize(b)} that stands in the given relation to the {humanize(a)}.",
                [a, label],
                b,
            )
        elif names and names <= EQUIVALENCE_LABELS:
            yield _task(
                f"Do the two {_plural(a)} mean the same thing? Answer{w.label_phrase(label)}.", [a, b], label
            )
        elif kind == "number" and not roles.fields[label].labels:
            yield _task(f"Rate how similar the two {_plural(a)} are in meaning.", [a, b], label)
        else:
            subject = (
                w.subject(label) if not words(label) & {"label", "labels", "class", "gold"} else "relation"
            )
            if subject == "category":
                subject = "relation"
            yield _task(
                f"Judge the {subject} between the two {_plural(a)}{w.label_phrase(label)}.", [a, b], label
            )
        return


def summaries(roles: Roles, w: Wording, claimed: frozenset[str]) -> Iterator[Task]:
    for target in roles.named(TARGET):
        sources = [
            n
            for n in roles.texts(exclude=(target,))
            if roles.is_long(n) and roles.mean_length(n) >= roles.mean_length(target)
        ]
        if not sources:
            continue
        source = sources[0]
        kind = humanize(target)
        if words(target) & {"highlights"}:
            yield _task(f"Write the highlights of the {w.noun(source)}.", [source], target)
        elif words(target) & {"summary", "summaries", "tldr", "abstract"}:
            yield _task(f"Summarize the {w.noun(source)}.", [source], target)
        else:
            yield _task(f"Write {_article(kind)} {kind} for the {w.noun(source)}.", [source], target)


def translations(roles: Roles, w: Wording, claimed: frozenset[str]) -> Iterator[Task]:
    """Both directions of each language pair, pairs with English first."""
    for (a, code_a), (b, code_b) in roles.translation_pairs():
        for source, target, src, tgt in ((a, b, code_a, code_b), (b, a, code_b, code_a)):
            yield _task(
                f"Translate the {language_name(src)} {w.unit(source)} into {language_name(tgt)}.",
                [source],
                target,
            )


def text_to_text(roles: Roles, w: Wording, claimed: frozenset[str]) -> Iterator[Task]:
    lower = {n.rsplit(".", 1)[-1].lower(): n for n in roles.fields if roles.fields[n].kind == "text"}
    for first, second in TEXT2TEXT:
        if first in lower and second in lower:
            a, b = lower[first], lower[second]
            if (first, second) == ("informal", "formal"):
                yield _task("Rewrite the informal sentence in a formal style.", [a], b)
                yield _task("Rewrite the formal sentence in a casual, informal style.", [b], a)
            else:
                yield _task(w.rewrite(a, b), [a], b)
            return


def classification(roles: Roles, w: Wording, claimed: frozenset[str]) -> Iterator[Task]:
    for label in roles.label_fields():
        if label in claimed:
            continue  # already the answer of a pair or multiple-choice task
        texts = [n for n in roles.texts(exclude=(label,)) if not roles.is_label(n)]
        texts = texts or [n for n, f in roles.fields.items() if f.kind == "text_list" and n != label]
        if not texts:
            continue
        text = texts[0]
        subject = w.subject(label)
        noun = w.noun(text)
        if roles.fields[label].kind == "number":
            yield _task(f"Predict the {subject} of the {noun}.", [text], label)
        elif subject == "category":
            yield _task(f"Classify the {noun}{w.label_phrase(label)}.", [text], label)
        else:
            yield _task(f"Classify the {subject} of the {noun}{w.label_phrase(label)}.", [text], label)
        if roles.fields[text].kind == "text":
            yield _task(f"Write {_article(noun)} {noun} with the given {subject}.", [label], text)


def fallback(roles: Roles, w: Wording, claimed: frozenset[str]) -> Iterator[Task]:
    if claimed:
        return
    texts = roles.texts()
    others = [n for n in roles.fields if roles.fields[n].text_like and n not in texts[:1]]
    if texts and others:
        source, target = texts[0], others[-1]
        if (
            words(target) & (QUESTION | {"instruction", "instructions"})
            and roles.fields[target].kind == "text"
        ):
            source, target = target, source  # a prompt asks for the text, not the other way round
        yield _task(w.rewrite(source, target), [source], target)


PATTERNS: list[Callable[[Roles, Wording, frozenset[str]], Iterator[Task]]] = [
    multiple_choice,
    question_answering,
    sentence_pairs,
    translations,
    summaries,
    text_to_text,
    classification,
    fallback,
]


def _plural(name: str) -> str:
    base = humanize(name).rstrip("0123456789 ").rsplit(" ", 1)[-1] or "text"
    if base in ("text", "a", "b"):
        return "texts"
    return base if base.endswith("s") else base + "s"


def _article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeiou" else "a"
