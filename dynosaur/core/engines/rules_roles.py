"""What the fields of a dataset-config are for, guessed from their names, types and sample values.

The rules engine builds its tasks on these roles: questions, contexts, answers, answer options,
sentence pairs, labels, long texts and their short targets (summaries, titles), translations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from dynosaur.contracts.fields import Field, is_id_like, is_locator, sample_values, schema_fields

QUESTION = {"question", "query", "q", "questions", "problem"}
# a prompt asks for a solution (code, a completion), it is not a question to answer from a passage
PROMPT = {"prompt", "problem", "instruction", "instructions", "docstring", "description", "nl", "intent"}
SOLUTION = {"solution", "code", "completion", "program", "function", "sql", "implementation", "body"}
# the main text of a classification dataset, most telling first
PRIMARY = (
    "claim",
    "text",
    "sentence",
    "content",
    "review",
    "tweet",
    "statement",
    "comment",
    "post",
    "utterance",
    "message",
    "sms",
    "document",
    "article",
    "passage",
    "body",
    "abstract",
    "headline",
    "title",
)
# names of a label field (its last word), whatever its values look like
LABEL_NAMES = {"label", "labels", "gold_label", "class", "category", "verdict", "stance", "sentiment"}
CONTEXT = {
    "context",
    "passage",
    "paragraph",
    "document",
    "article",
    "story",
    "support",
    "background",
    "evidence",
    "text",
    "content",
    "body",
    "doc",
    "contexts",
}
ANSWER = {"answer", "answers", "response", "solution", "responses", "completion"}
CHOICES = {"choices", "options", "endings", "candidates", "alternatives", "choice", "option", "ending"}
LABEL = {
    "label",
    "labels",
    "category",
    "categories",
    "class",
    "sentiment",
    "topic",
    "intent",
    "emotion",
    "genre",
    "stance",
    "polarity",
    "rating",
    "score",
    "verdict",
    "gold",
    "coarse",
    "fine",
    "tag",
}
TARGET = {
    "summary",
    "summaries",
    "highlights",
    "title",
    "headline",
    "abstract",
    "tldr",
    "caption",
    "headlines",
    "titles",
}
LONG = {
    "document",
    "article",
    "text",
    "content",
    "body",
    "dialogue",
    "dialog",
    "story",
    "passage",
    "transcript",
    "report",
    "source",
    "conversation",
}
PAIRS = [
    ("premise", "hypothesis"),
    ("sentence1", "sentence2"),
    ("text_a", "text_b"),
    ("text1", "text2"),
    ("sentence_a", "sentence_b"),
    ("question1", "question2"),
    ("s1", "s2"),
    ("sent1", "sent2"),
    ("claim", "evidence"),
]
TEXT2TEXT = [
    ("source", "target"),
    ("src", "tgt"),
    ("input", "output"),
    ("prompt", "completion"),
    ("instruction", "output"),
    ("instruction", "response"),
    ("input", "target"),
    ("informal", "formal"),
    ("prompt", "code"),
    ("description", "code"),
    ("docstring", "code"),
    ("instruction", "code"),
    ("question", "sql"),
    ("question", "query"),
    ("text", "code"),
    ("question", "answer"),
]
LANGUAGES = {
    "en": "English",
    "fr": "French",
    "de": "German",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "ru": "Russian",
    "zh": "Chinese",
    "ja": "Japanese",
    "ko": "Korean",
    "ar": "Arabic",
    "hi": "Hindi",
    "tr": "Turkish",
    "pl": "Polish",
    "sv": "Swedish",
    "cs": "Czech",
    "ro": "Romanian",
    "fi": "Finnish",
    "da": "Danish",
    "el": "Greek",
    "he": "Hebrew",
    "vi": "Vietnamese",
    "id": "Indonesian",
    "uk": "Ukrainian",
    "et": "Estonian",
    "lt": "Lithuanian",
    "lv": "Latvian",
    "hu": "Hungarian",
}
LONG_TEXT_CHARS = 200
SHORT_LABEL_CHARS = 30


def words(name: str) -> set[str]:
    """The words of a field name: ``answer_text`` / ``answerText`` -> {answer, text}."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name.rsplit(".", 1)[-1])
    return {w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w} | {name.rsplit(".", 1)[-1].lower()}


def humanize(name: str) -> str:
    """A field name as words: ``sentence_1`` -> ``sentence 1``, ``questionText`` -> ``question text``."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name.rsplit(".", 1)[-1])
    return " ".join(re.split(r"[^A-Za-z0-9]+", spaced)).strip().lower() or name


def language_name(code: str) -> str:
    """``en`` / ``en-GB`` -> ``English``; an unknown code is returned as is."""
    return LANGUAGES.get(code.lower().replace("_", "-").split("-")[0], code)


def language_of(name: str) -> tuple[str, str] | None:
    """``(group, code)`` when a field name ends in a known language code, else None.

    ``translation.en`` (a Translation feature's text), ``translation_en`` (the crawler's
    flattened form), ``text_fr`` and a bare ``de`` all name one language's text; the group
    (``translation``, ``text``, ``""``) says which fields are translations of each other.
    """
    for separator in (".", "_"):
        group, found, code = name.rpartition(separator)
        if found and group and language_name(code) != code:
            return group, code
    return ("", name) if language_name(name) != name else None


@dataclass
class Roles:
    """The usable fields of one metadata line and what each seems to hold."""

    metadata: dict[str, Any]
    fields: dict[str, Field] = field(default_factory=dict)

    @classmethod
    def of(cls, metadata: dict[str, Any]) -> Roles:
        usable = {
            name: f
            for name, f in schema_fields(metadata).items()
            if not is_id_like(name)
            and not is_locator(name)
            and not _urls_only(metadata, name)
            and (f.text_like or f.kind == "translation")
        }
        return cls(metadata, usable)

    def named(self, vocabulary: set[str], kinds: tuple[str, ...] = ("text",)) -> list[str]:
        return [n for n, f in self.fields.items() if f.kind in kinds and words(n) & vocabulary]

    def first(
        self, vocabulary: set[str], kinds: tuple[str, ...] = ("text",), exclude: tuple[str, ...] = ()
    ) -> str | None:
        return next((n for n in self.named(vocabulary, kinds) if n not in exclude), None)

    def samples(self, name: str) -> list[Any]:
        return list(sample_values(self.metadata, name))

    def mean_length(self, name: str) -> float:
        texts = [v for v in self.samples(name) if isinstance(v, str)]
        return sum(map(len, texts)) / len(texts) if texts else 0.0

    def texts(self, exclude: tuple[str, ...] = ()) -> list[str]:
        """Plain text fields, longest first (ties in field order)."""
        names = [n for n, f in self.fields.items() if f.kind == "text" and n not in exclude]
        return sorted(names, key=lambda n: -self.mean_length(n))

    def labels(self, name: str) -> list[str]:
        """A label field's label names (ClassLabel names, else distinct sample values)."""
        f = self.fields[name]
        if f.labels:
            return list(f.labels)
        seen: dict[str, None] = {}
        for value in self.samples(name):
            if isinstance(value, (str, int, float)) and not isinstance(value, bool):
                seen[str(value)] = None
        return list(seen)

    def is_label(self, name: str) -> bool:
        """A ClassLabel, a bool, or a label-named short text / number field."""
        f = self.fields.get(name)
        if f is None:
            return False
        if f.kind in ("label", "bool"):
            return True
        if not words(name) & LABEL:
            return False
        if f.kind == "text" and name.rsplit(".", 1)[-1].lower() in LABEL_NAMES:
            return True
        if f.kind == "number":
            return True
        values = [v for v in self.samples(name) if v is not None]
        return (
            f.kind == "text"
            and bool(values)
            and all(
                isinstance(v, str) and len(v) <= SHORT_LABEL_CHARS and len(v.split()) <= 3 for v in values
            )
        )

    def translation_pairs(self) -> list[tuple[tuple[str, str], tuple[str, str]]]:
        """Pairs of text fields holding the same text in two languages: ``((field, code), ...)``.

        Fields pair up within a group (``translation_en`` with ``translation_fr``, never with
        ``title_de``); pairs with English come first, then in field order.
        """
        groups: dict[str, list[tuple[str, str]]] = {}
        for name, f in self.fields.items():
            found = language_of(name) if f.kind == "text" else None
            if found is not None:
                groups.setdefault(found[0], []).append((name, found[1]))
        pairs = [
            (first, second)
            for members in groups.values()
            for i, first in enumerate(members)
            for second in members[i + 1 :]
            if first[1] != second[1]
        ]
        # English leads each pair, so its "from English" task comes first
        pairs = [(b, a) if language_name(b[1]) == "English" else (a, b) for a, b in pairs]
        english = [p for p in pairs if language_name(p[0][1]) == "English"]
        return english + [p for p in pairs if p not in english]

    def label_fields(self) -> list[str]:
        return [n for n in self.fields if self.is_label(n)]

    def is_score(self, name: str) -> bool:
        """A number that grades something (``relatedness_score``, ``rating``), not a class."""
        f = self.fields.get(name)
        return f is not None and f.kind == "number" and not f.labels

    def is_long(self, name: str) -> bool:
        return self.fields[name].kind == "text" and (
            self.mean_length(name) >= LONG_TEXT_CHARS or bool(words(name) & LONG)
        )


def _urls_only(metadata: dict[str, Any], name: str) -> bool:
    values = [v for v in sample_values(metadata, name) if v not in (None, "")]
    return bool(values) and all(isinstance(v, str) and v.startswith(("http://", "https://")) for v in values)
