"""The ``rules`` engine: offline, deterministic task proposals from the schema, card and rows.

It reads ``ChatRequest.context`` (``{"kind": "propose", "mode", "metadata", "max_tasks"}``) instead
of the prose, and answers with the JSON an LLM would give (``{"tasks": [...]}``), so parsing,
validation, the cache and provenance work exactly as with a model. Patterns, in order: multiple
choice (an options list, or enumerated option fields with an index label), questions judged
against a text (yes/no, does the sentence answer it, is the answer right), question answering,
sentence pairs (NLI, paraphrase, similarity scores worded as ratings; both texts always read),
translation both ways, summaries, source-to-target pairs (code from its prompt, a target from its
only source), then classification of a dataset's main text when nothing above applied. Label
lists come from the schema's ClassLabel names, never from sample rows. No inverse tasks (a text
written from a label or a score) and no generic "given X, write Y": a dataset no pattern fits gets
no task. The description-aware mode also reads the card (task ids, summary) to name the kind of
text and what a label judges, and to leave question answering to datasets whose card does not
say they are for classification; the unaware mode proposes from the schema alone, so its
mappings mostly repeat the aware ones (validation then keeps one of each).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from dynosaur.core.engines import EngineOptions, register_engine
from dynosaur.core.engines.base import DEFAULT_CONCURRENCY, ChatRequest, Completion, UnsupportedRequest
from dynosaur.core.engines.rules_roles import (
    ANSWER,
    CHOICES,
    CONTEXT,
    PAIRS,
    PRIMARY,
    PROMPT,
    QUESTION,
    SOLUTION,
    TARGET,
    TEXT2TEXT,
    Roles,
    humanize,
    language_name,
    words,
)
from dynosaur.core.engines.rules_wording import EQUIVALENCE_LABELS, Wording, is_code_name

RULES_VERSION = "rules-2"

Task = dict[str, Any]


@register_engine("rules")
class RulesEngine:
    """Task proposals from field names, types and sample values; no model, no network."""

    name = "rules"
    capabilities = frozenset({"context"})
    concurrency = DEFAULT_CONCURRENCY
    usage = None  # no model, nothing to meter
    stats = None

    @classmethod
    def from_options(cls, options: EngineOptions) -> RulesEngine:
        """The rules engine; model options do not apply to it."""
        return cls()

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
    seen: set[tuple[frozenset[str], str]] = set()
    claimed: set[str] = set()  # fields of earlier patterns: a later, vaguer pattern leaves them be
    for pattern in PATTERNS:
        if pattern is classification and chosen:
            break  # a dataset's structure already said what it is for
        used: set[str] = set()
        for task in pattern(roles, words_, frozenset(claimed)):
            output = task["output_field"][0]
            key = (frozenset(task["input_fields"]), output)
            if key in seen or output in task["input_fields"] or output in claimed:
                continue
            seen.add(key)
            used |= {output, *task["input_fields"]}
            chosen.append(task)
            if len(chosen) >= max_tasks:
                return chosen
        claimed |= used
    return chosen


def _task(instruction: str, inputs: list[str], output: str) -> Task:
    return {"instruction": instruction, "input_fields": inputs, "output_field": [output]}


# --- what fields are ---------------------------------------------------------------------------

_ENUMERATED = re.compile(r"^(.*?)[_ ]?([0-9]|[A-Da-d])$")
OPTION_STEMS = CHOICES | {"answer", "sol", "candidate", "alternative", "hypothesis"}


def _enumerated_options(roles: Roles) -> list[str]:
    """Text fields that enumerate options of one answer: ``answer0..answer3``, ``answerA..C``,
    ``choice1``/``choice2``, ``ending0..3``."""
    groups: dict[str, list[str]] = {}
    for name, f in roles.fields.items():
        last = name.rsplit(".", 1)[-1]
        match = _ENUMERATED.match(last)
        if f.kind == "text" and match and words(match.group(1)) & OPTION_STEMS:
            groups.setdefault(match.group(1).lower(), []).append(name)
    found = [members for members in groups.values() if len(members) >= 2]
    return found[0] if found else []


def _index_label(roles: Roles, exclude: set[str]) -> str | None:
    """The field that says which option is right: a label, an index, an answer key."""
    for name, f in roles.fields.items():
        if name in exclude:
            continue
        if roles.is_label(name) or (f.kind in ("number", "text") and words(name) & {"answerkey", "key"}):
            return name
        if f.kind == "number" and words(name) & {"label", "answer", "correct"}:
            return name
    return None


def _question(roles: Roles, exclude: set[str] = frozenset()) -> str | None:  # type: ignore[assignment]
    return next(
        (
            n
            for n, f in roles.fields.items()
            if f.kind == "text" and n not in exclude and words(n) & QUESTION and not roles.is_label(n)
        ),
        None,
    )


def _contexts(roles: Roles, exclude: set[str]) -> list[str]:
    return [
        n
        for n, f in roles.fields.items()
        if f.kind == "text" and n not in exclude and words(n) & (CONTEXT | {"premise", "goal", "ctx"})
    ]


def _answer(roles: Roles, exclude: set[str]) -> str | None:
    return next(
        (
            n
            for n, f in roles.fields.items()
            if n not in exclude
            and f.kind in ("text", "answers", "text_list")
            and words(n) & ANSWER
            and not words(n) & CHOICES
        ),
        None,
    )


def _class_labels(roles: Roles, exclude: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    """ClassLabel, bool and label-named fields (not scores)."""
    return [n for n in roles.label_fields() if n not in exclude and roles.fields[n].kind != "number"]


# --- patterns ----------------------------------------------------------------------------------


def multiple_choice(roles: Roles, w: Wording, claimed: frozenset[str]) -> Iterator[Task]:
    listed = next(
        (n for n, f in roles.fields.items() if f.kind in ("text_list", "answers") and words(n) & CHOICES),
        None,
    )
    options = [listed] if listed else _enumerated_options(roles)
    if not options:
        return
    answer = _index_label(roles, set(options)) or _answer(roles, set(options))
    if answer is None:
        return
    question = _question(roles, {answer, *options})
    stems = [*(_contexts(roles, {answer, *options, question or ""})[:1]), *([question] if question else [])]
    if not stems:  # no question: the options continue or complete a pair of sentences
        pair = _pair(roles)
        stems = [n for n in pair or () if n not in options and n != answer]
    if not stems:
        return
    asked = "question" if question else "text"
    phrase = w.label_phrase(answer)
    if roles.fields[answer].kind == "text" and not roles.is_label(answer):
        how = "Answer with the text of the correct option."
    else:
        how = f"Answer{phrase}." if phrase else "Answer with the label of the correct option."
    yield _task(f"Read the {asked} and choose the correct option. {how}", [*stems, *options], answer)


def judged_questions(roles: Roles, w: Wording, claimed: frozenset[str]) -> Iterator[Task]:
    """A question and a text with a label: yes/no questions about a passage, whether a sentence
    answers the question, whether a given answer is right."""
    question = _question(roles)
    if question is None or _pair(roles) is not None:
        return  # two questions (or sentences) are a pair, judged together
    labels = _class_labels(roles, {question})
    if not labels:
        return
    label = labels[0]
    if roles.fields[label].kind == "label" and not 2 <= len(roles.fields[label].labels) <= 3:
        return  # a judgement of the question is yes/no-like; more classes classify the text
    answer = _answer(roles, {question, label})
    texts = [n for n, f in roles.fields.items() if f.kind == "text" and n not in {question, label, answer}]
    texts = [n for n in texts if not roles.is_label(n)]
    if len(texts) != 1:
        return
    text, phrase = texts[0], w.label_phrase(label)
    if answer is not None and roles.fields[answer].kind == "text":
        yield _task(
            f"Given the {w.noun(text)}, is the answer to the question correct? Answer{phrase}.",
            [text, question, answer],
            label,
        )
    elif words(text) & CONTEXT:
        yield _task(f"Answer the question using the {w.noun(text)}. Answer{phrase}.", [text, question], label)
    else:
        yield _task(f"Does the {w.noun(text)} answer the question? Answer{phrase}.", [question, text], label)


def question_answering(roles: Roles, w: Wording, claimed: frozenset[str]) -> Iterator[Task]:
    if roles.fields and any(roles.fields[n].kind == "label" for n in roles.fields):
        return  # a class label says what the dataset is for; its questions are text to classify
    if w.aware and w.task_categories and not w.task_categories & QA_CATEGORIES:
        return  # the card says the dataset is for something else
    question = _question(roles)
    if question is None:
        return
    answer = _answer(roles, {question})
    if answer is None:
        return
    contexts = _contexts(roles, {question, answer})
    if contexts:
        context = contexts[0]
        yield _task(f"Answer the question using the {w.noun(context)}.", [context, question], answer)
    else:
        yield _task("Answer the question.", [question], answer)


QA_CATEGORIES = frozenset(
    {"question-answering", "multiple-choice", "text2text-generation", "text-generation"}
)


def _pair(roles: Roles) -> tuple[str, str] | None:
    """Two texts read together: a known pair of names, else two names that differ only in a
    trailing ``1``/``2`` or ``A``/``B`` (the shortest such names)."""
    texts = {n.rsplit(".", 1)[-1]: n for n, f in roles.fields.items() if f.kind == "text"}
    lower = {k.lower(): n for k, n in texts.items()}
    for first, second in PAIRS:
        if first in lower and second in lower:
            return lower[first], lower[second]
    candidates = []
    for short, name in texts.items():
        for one, two in (("1", "2"), ("A", "B"), ("a", "b")):
            if short.endswith(one) and short[: -len(one)] + two in texts:
                candidates.append((len(short), name, texts[short[: -len(one)] + two]))
    if candidates:
        _, a, b = min(candidates)
        return a, b
    return None


PAIR_EXTRAS = {"word", "term", "pronoun", "entity", "keyword"}


def sentence_pairs(roles: Roles, w: Wording, claimed: frozenset[str]) -> Iterator[Task]:
    pair = _pair(roles)
    if pair is None:
        return
    a, b = pair
    extras = [n for n, f in roles.fields.items() if f.kind == "text" and words(n) & PAIR_EXTRAS]
    inputs = [a, b, *extras[:1]]
    first, second = _pair_nouns(a, b)
    for label in roles.label_fields():
        if label in (a, b):
            continue
        names = {n.lower() for n in roles.labels(label)} if roles.fields[label].kind == "label" else set()
        phrase = w.label_phrase(label)
        kind = roles.fields[label].kind
        if kind == "number":
            if not (words(label) & {"label", "score", "similarity", "relatedness", "rating"}):
                continue
            what = "related" if words(label) & {"relatedness", "related"} else "similar"
            yield _task(
                f"Rate how {what} the {first} and the {second} are in meaning, as a number "
                f"(a higher {humanize(label) if not words(label) & {'label'} else 'score'} means more {what}).",
                [a, b],
                label,
            )
        elif any("entail" in n for n in names) or (first == "premise" and names):
            yield _task(f"Does the {first} entail the {second}? Answer{phrase}.", inputs, label)
        elif names and names <= EQUIVALENCE_LABELS:
            both = f"two {_plural(a)}" if first.startswith("first ") else f"{first} and the {second}"
            yield _task(f"Do the {both} mean the same thing? Answer{phrase}.", inputs, label)
        elif extras and names and names <= BOOLEAN_LABELS:
            yield _task(
                f"Is the {humanize(extras[0])} used with the same meaning in the {first} and the "
                f"{second}? Answer{phrase}.",
                inputs,
                label,
            )
        elif phrase and any("paraphrase" in t for t in w.task_ids):
            both = f"two {_plural(a)}" if first.startswith("first ") else f"{first} and the {second}"
            yield _task(f"Are the {both} paraphrases of each other? Answer{phrase}.", inputs, label)
        elif phrase and any("similarity" in t for t in w.task_ids):
            yield _task(
                f"Are the {first} and the {second} similar in meaning? Answer{phrase}.", inputs, label
            )
        else:
            yield _task(
                f"Judge the relation between the {first} and the {second}. Answer{phrase}.", inputs, label
            )


BOOLEAN_LABELS = {"true", "false", "yes", "no"}


def _pair_nouns(a: str, b: str) -> tuple[str, str]:
    """``premise``/``hypothesis`` as they are; ``sentence1``/``sentence2`` as the first and the
    second sentence."""
    ha, hb = humanize(a), humanize(b)
    base_a, base_b = (
        ha.rsplit(" ", 1)[0] if " " in ha else ha.rstrip("12ab"),
        hb.rsplit(" ", 1)[0] if " " in hb else hb.rstrip("12ab"),
    )
    if base_a == base_b and base_a and not is_code_name(base_a):
        return f"first {base_a}", f"second {base_a}"
    if base_a == base_b:
        return "first text", "second text"
    return ha, hb


def summaries(roles: Roles, w: Wording, claimed: frozenset[str]) -> Iterator[Task]:
    has_question = _question(roles) is not None
    for target in [n for n, f in roles.fields.items() if f.kind == "text" and words(n) & SUMMARY_TARGETS]:
        if words(target) & {"title", "headline", "titles", "headlines"} and (
            has_question or "summarization" not in w.task_categories
        ):
            continue  # a title names a text; only a summarization card says it was written from it
        sources = [
            n
            for n, f in roles.fields.items()
            if f.kind == "text"
            and n != target
            and words(n) & (CONTEXT | {"dialogue", "dialog", "transcript", "conversation", "report"})
        ]
        if not sources:
            continue
        source = sources[0]
        if words(target) & {"highlights"}:
            yield _task(f"Write the highlights of the {w.noun(source)}.", [source], target)
        elif words(target) & {"summary", "summaries", "tldr", "abstract"}:
            yield _task(f"Summarize the {w.noun(source)}.", [source], target)
        else:
            kind = humanize(target)
            yield _task(f"Write {_article(kind)} {kind} for the {w.noun(source)}.", [source], target)


# The condensed-output targets of the role table, less captions (which describe media, not text).
SUMMARY_TARGETS = TARGET - {"caption"}


def translations(roles: Roles, w: Wording, claimed: frozenset[str]) -> Iterator[Task]:
    """Both directions of each language pair, pairs with English first."""
    for (a, code_a), (b, code_b) in roles.translation_pairs():
        for source, target, src, tgt in ((a, b, code_a, code_b), (b, a, code_b, code_a)):
            yield _task(
                f"Translate the {language_name(src)} {w.unit(source)} into {language_name(tgt)}.",
                [source],
                target,
            )


RESPONSES = {"response", "responses", "output", "completion", "reply"}


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
    # a text written to a given title, where the card says the dataset is for writing texts
    titles = [n for n in lower.values() if words(n) & {"title", "headline", "topic", "subject"}]
    bodies = [n for n in lower.values() if n not in titles and not roles.is_label(n)]
    if w.task_categories & {"text-generation"} and len(titles) == 1 and len(bodies) == 1:
        noun = w.noun(bodies[0])
        yield _task(f"Write {_article(noun)} {noun} with the given {humanize(titles[0])}.", titles, bodies[0])
        return
    prompts = [n for n in lower.values() if words(n) & PROMPT]
    solutions = [n for n in lower.values() if words(n) & SOLUTION and n not in prompts]
    if prompts and solutions:
        yield _task(w.rewrite(prompts[0], solutions[0]), [prompts[0]], solutions[0])
        return
    # an instruction-following row: a prompt, maybe a context, and the response to it
    responses = [n for n in lower.values() if words(n) & RESPONSES and n not in prompts]
    if prompts and responses:
        contexts = [n for n in _contexts(roles, {prompts[0], responses[0]}) if n in lower.values()]
        how = f", using the {w.noun(contexts[0])}" if contexts else ""
        yield _task(f"Respond to the {w.noun(prompts[0])}{how}.", [prompts[0], *contexts[:1]], responses[0])
        return
    # a target written from the only other content field (concepts -> sentence, data -> text)
    targets = [n for n in lower.values() if n.rsplit(".", 1)[-1].lower() in {"target", "output", "reference"}]
    others = [
        n
        for n, f in roles.fields.items()
        if f.kind in ("text", "text_list") and n not in targets and not roles.is_label(n)
    ]
    if len(targets) == 1 and len(others) == 1:
        yield _task(
            f"Write the {humanize(targets[0])} for the given {humanize(others[0])}.", others, targets[0]
        )


def classification(roles: Roles, w: Wording, claimed: frozenset[str]) -> Iterator[Task]:
    texts = [
        n
        for n, f in roles.fields.items()
        if f.kind in ("text", "text_list") and not roles.is_label(n) and n not in claimed
    ]
    inputs = _main_text(roles, texts)
    if not inputs:
        return
    noun = w.noun(inputs[0])
    if len(inputs) > 1:  # the main text, read with what goes with it
        rest = [w.noun(n) for n in inputs[1:]]
        noun += (
            ", given the " + (rest[0] if len(rest) == 1 else ", ".join(rest[:-1]) + " and " + rest[-1]) + ","
        )
    for label in roles.label_fields():
        if label in claimed or label in inputs:
            continue
        subject = w.subject(label)
        phrase = w.label_phrase(label)
        if roles.fields[label].kind == "number":
            if not words(label) & MEASURES:
                continue
            yield _task(f"Predict the {subject} of the {noun.rstrip(',')} as a number.", inputs, label)
        elif subject == "category":
            yield _task(f"Classify the {noun if phrase else noun.rstrip(',')}{phrase}.", inputs, label)
        else:
            yield _task(
                f"Classify the {subject} of the {noun if phrase else noun.rstrip(',')}{phrase}.",
                inputs,
                label,
            )


MEASURES = {"score", "rating", "stars", "star", "grade", "scores", "ratings"}
EVIDENCE = {"evidence", "text", "context", "passage", "document", "article"}


def _main_text(roles: Roles, texts: list[str]) -> list[str]:
    """The text(s) a label judges: the best-named main text (a claim with its evidence text),
    else every text when there are at most three; none when it is unclear."""
    for key in PRIMARY:
        named = [n for n in texts if key in words(n)]
        if named:
            main = named[0]
            if key == "claim":
                evidence = [n for n in texts if n != main and words(n) & EVIDENCE]
                return [main, *evidence[:1]]
            # spans of the main text named after it (``text``, ``span1_text``) are read with it
            return named if len(named) <= 3 and roles.fields[main].kind == "text" else [main]
    plain = [n for n in texts if roles.fields[n].kind == "text"]
    if 1 <= len(texts) <= 3 and (plain or len(texts) == 1):
        return texts
    return []


PATTERNS: list[Callable[[Roles, Wording, frozenset[str]], Iterator[Task]]] = [
    multiple_choice,
    judged_questions,
    question_answering,
    sentence_pairs,
    translations,
    summaries,
    text_to_text,
    classification,
]


def _plural(name: str) -> str:
    base = humanize(name).rstrip("0123456789 ").rsplit(" ", 1)[-1] or "text"
    if base in ("text", "a", "b"):
        return "texts"
    return base if base.endswith("s") else base + "s"


def _article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeiou" else "a"
