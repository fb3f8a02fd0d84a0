"""A task's type (classification, question answering, generation, ...) from its instruction and
the outputs of its records."""

from __future__ import annotations

import re
from collections.abc import Collection

CLASSIFICATION = "classification"
REGRESSION = "regression / scoring"
QA = "question answering"
MULTIPLE_CHOICE = "multiple choice"
SUMMARIZATION = "summarization"
TRANSLATION = "translation"
QUESTION_GENERATION = "question generation"
REWRITING = "rewriting"
GENERATION = "generation"
TYPES = (
    CLASSIFICATION,
    REGRESSION,
    MULTIPLE_CHOICE,
    QA,
    SUMMARIZATION,
    TRANSLATION,
    QUESTION_GENERATION,
    REWRITING,
    GENERATION,
)
_MAX_LABELS = 10
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _has(pattern: str, text: str) -> bool:
    return re.search(pattern, text) is not None


def task_type(instruction: str, outputs: Collection[str] = ()) -> str:
    """The task type; ``outputs`` are (a sample of) the task's record outputs."""
    text = instruction.lower()
    distinct = set(outputs)
    if _has(r"\btranslat", text):
        return TRANSLATION
    if _has(r"\bsummar|\bshorten|\btl;?dr\b", text):
        return SUMMARIZATION
    if _has(r"\b(write|generate|ask|create|compose) (a |an |the )?(\w+ )?questions?\b", text):
        return QUESTION_GENERATION
    if _has(r"\b(choose|pick|select)\b.*\b(option|choice|answer|ending)s?\b|\bmultiple[- ]choice\b", text):
        return MULTIPLE_CHOICE
    if (
        distinct
        and all(_NUMBER.match(o.strip()) for o in distinct)
        and _has(r"\b(score|rate|rating|how similar|predict)\b", text)
    ):
        return REGRESSION
    if "answers must be one of" in text or _has(
        r"\bclassif|\bcategori[sz]e|\blabel\b|\bdetermine whether\b|\bis (it|this|the)\b.*\?", text
    ):
        return CLASSIFICATION
    if len(outputs) >= 3 and 1 < len(distinct) <= _MAX_LABELS and len(distinct) < len(outputs):
        return CLASSIFICATION
    if _has(r"\banswer\b|\bquestion\b", text):
        return QA
    if _has(r"\b(rewrite|paraphrase|simplif|rephrase|correct|fix)\w*\b", text):
        return REWRITING
    return GENERATION
