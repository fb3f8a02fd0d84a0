"""How the rules engine words its instructions: what kind of text a field holds, what a label
judges and which labels to list. The description-aware mode also reads the card (summary, task ids)."""

from __future__ import annotations

import re
from typing import Any

from dynosaur.core.engines.rules_roles import Roles, humanize, words

MAX_LISTED_LABELS = 6
MAX_SENTENCE_CHARS = 300
# a sentence end followed by more text: the value holds more than one sentence
_SENTENCE_BREAK = re.compile(r"(?:[.!?]\s+|[。！？])\S")
# Kinds of text a card's summary may name, most specific first; used for a generic text field.
DOMAIN_NOUNS = (
    "movie review",
    "film review",
    "product review",
    "restaurant review",
    "hotel review",
    "book review",
    "customer review",
    "app review",
    "news article",
    "news story",
    "news headline",
    "tweet",
    "email",
    "forum post",
    "scientific abstract",
    "scientific paper",
    "legal document",
    "medical question",
    "recipe",
    "poem",
    "song lyric",
    "review",
    "article",
    "comment",
    "post",
)
GENERIC_TEXT = {"text", "sentence", "content", "document", "input", "body", "passage", "data"}
GENERIC_LABEL = {"label", "labels", "class", "category", "categories", "gold", "tag", "coarse", "fine"}
# (words in task ids / the summary, subject); a subject is used only when exactly one matches
SUBJECT_HINTS = (
    ("sentiment", "sentiment"),
    ("topic", "topic"),
    ("intent", "intent"),
    ("emotion", "emotion"),
    ("hate", "hatefulness"),
    ("toxic", "toxicity"),
    ("fact-checking", "veracity"),
    ("acceptability", "grammatical acceptability"),
    ("language-identification", "language"),
    ("stance", "stance"),
    ("sarcasm", "sarcasm"),
    ("spam", "spam status"),
)
SENTIMENT_LABELS = {
    "positive",
    "negative",
    "neutral",
    "mixed",
    "pos",
    "neg",
    "very positive",
    "very negative",
}
EMOTION_LABELS = {
    "joy",
    "sadness",
    "anger",
    "fear",
    "love",
    "surprise",
    "disgust",
    "happy",
    "sad",
    "angry",
    "happiness",
    "trust",
    "anticipation",
    "optimism",
}
ACCEPTABILITY_LABELS = {"acceptable", "unacceptable"}
EQUIVALENCE_LABELS = {
    "equivalent",
    "not_equivalent",
    "paraphrase",
    "not_paraphrase",
    "duplicate",
    "not_duplicate",
    "same",
    "different",
}
# (words in the summary / task ids, instruction template for a source -> target rewrite)
REWRITES = (
    ("simplif", "Rewrite the {source} in plain, simpler words."),
    ("paraphras", "Paraphrase the {source}."),
    ("grammatical error", "Correct the grammatical errors in the {source}."),
    ("grammar correction", "Correct the grammatical errors in the {source}."),
    ("detoxif", "Rewrite the {source} so that it is no longer offensive."),
    ("formal", "Rewrite the {source} in a formal style."),
)


class Wording:
    """Nouns, subjects and label phrases for one metadata line."""

    def __init__(self, roles: Roles, aware: bool) -> None:
        self.roles = roles
        self.aware = aware
        metadata = roles.metadata
        self.summary = str(metadata.get("summary") or "").lower() if aware else ""
        self.task_ids = [str(t).lower() for t in _listify(metadata.get("task_ids"))] if aware else []
        self.task_categories = (
            {str(t).lower() for t in _listify(metadata.get("task_category"))} if aware else set()
        )
        # the dataset's name is shown in both modes, so both may read it
        self.name = f"{metadata.get('dataset') or ''} {metadata.get('config') or ''}".lower()

    def noun(self, name: str) -> str:
        """What a text field holds: ``movie review`` rather than ``text`` where the card says so;
        ``text`` for a name that is a code (``opb``, ``exid``)."""
        plain = humanize(name)
        if is_code_name(name):
            return "text"
        if self.aware and words(name) & GENERIC_TEXT:
            for noun in DOMAIN_NOUNS:
                plural = noun[:-1] + "(?:y|ies)" if noun.endswith("y") else noun + "s?"
                if re.search(rf"\b{plural}\b", self.summary):
                    return noun
        return "text" if plain in ("source", "src", "input") else plain

    def subject(self, label: str) -> str:
        """What a label field judges: its name, else what the label names or the card say."""
        if not words(label) & GENERIC_LABEL and not is_code_name(label):
            return humanize(label)
        names = {n.lower() for n in self.roles.labels(label)}
        if names and names <= SENTIMENT_LABELS:
            return "sentiment"
        if names and len(names & EMOTION_LABELS) * 2 > len(names):
            return "emotion"
        if names and names <= ACCEPTABILITY_LABELS:
            return "grammatical acceptability"
        hinted = {subject for key, subject in SUBJECT_HINTS if any(key in t for t in self.task_ids)}
        if not hinted:
            hinted = {subject for key, subject in SUBJECT_HINTS if re.search(rf"\b{key}", self.summary)}
        return hinted.pop() if len(hinted) == 1 else "category"

    def label_names(self, label: str) -> list[str]:
        """The labels worth listing in an instruction: a ClassLabel's names from the schema (none
        when there are too many), ``true``/``false`` for a bool; never values seen in a few sample
        rows, which are not a label set."""
        field = self.roles.fields[label]
        if field.kind == "bool":
            return ["true", "false"]
        names = list(field.labels) if field.kind == "label" else []
        if 2 <= len(names) <= MAX_LISTED_LABELS and all(len(n) <= 20 for n in names):
            return names
        return []

    def label_phrase(self, label: str) -> str:
        """`` as positive or negative`` when the label set is short, else ``""``."""
        names = self.label_names(label)
        return " as " + ", ".join(names[:-1]) + " or " + names[-1] if names else ""

    def unit(self, name: str) -> str:
        """``sentence`` when every sample of a text field is one short sentence, else ``text``."""
        values = [v for v in self.roles.samples(name) if isinstance(v, str) and v.strip()]
        single = all(len(v) <= MAX_SENTENCE_CHARS and not _SENTENCE_BREAK.search(v.strip()) for v in values)
        return "sentence" if values and single else "text"

    def rewrite(self, source: str, target: str) -> str:
        """The instruction of a source -> target text pair."""
        hints = " ".join([self.summary, *self.task_ids, self.name])
        for key, template in REWRITES:
            if key in hints:
                return template.format(source=self.noun(source))
        if words(target) & {"code", "sql", "query", "program", "function", "solution", "completion"}:
            return f"Write the {self.noun(target)} that the {self.noun(source)} asks for."
        return f"Given the {self.noun(source)}, write the {self.noun(target)}."


_VOWELS = set("aeiouy")


def is_code_name(name: str) -> bool:
    """Whether a field name is an abbreviation no reader would understand (``opb``, ``cop``,
    ``nl``): every word vowel-less, or at most three letters and not a known word."""
    tokens = humanize(name).split()
    return bool(tokens) and all(
        t.isalpha() and (not _VOWELS & set(t) or (len(t) <= 3 and t not in KNOWN_SHORT_WORDS)) for t in tokens
    )


# short field-name words a reader understands
KNOWN_SHORT_WORDS = frozenset({"age", "tag", "sms", "url", "day", "end", "key", "map", "job", "law"})


def _listify(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]
