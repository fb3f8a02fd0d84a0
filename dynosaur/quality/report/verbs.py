"""The root verb of an instruction and its first noun object, as Self-Instruct's diversity figure.

No parser model installs from the package registries this project uses (spaCy's English models
are published outside PyPI), so this is a small, documented part-of-speech heuristic for the
imperative sentences instructions are written in:

- the sentence is the first one that is not a "Given ..." / "Based on ..." / "You are ..."
  preamble clause; a leading "Please" / "Now" / "Then" is skipped;
- the root verb is its first word when that word is not a question word, a pronoun, a
  determiner, a preposition or an auxiliary (questions such as "Is the review positive?" have
  no imperative root and count as ``None``);
- the noun object is the head of the first run of content words after the verb (words that are
  not determiners, pronouns, prepositions, conjunctions, numbers, adverbs or common adjectives),
  i.e. its last word: ``"Write a short product review about cats"`` -> ``("write", "review")``;
  plural nouns are singularized by a suffix rule.

Measured on real instructions it agrees with a dependency parse on the common imperative shapes
("Classify the sentiment", "Answer the question", "Generate a title"), which is what the figure
counts; odd phrasings fall out as ``None`` rather than as a wrong pair.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
_PREAMBLE = re.compile(
    r"^\s*(given|based on|using|with|for|in|from|according to|you are|you will|here is|here are|"
    r"below is|the following|consider|if)\b[^.?!:;]*?[,:]\s*",
    re.IGNORECASE,
)
_LEAD = frozenset({"please", "now", "then", "also", "kindly", "next", "finally", "first", "simply"})
_NOT_VERBS_TEXT = """
    a an the this that these those what which who whom whose when where why how is are was were be
    been being am do does did can could will would shall should may might must i you he she it we
    they me him her us them my your his its our their there here if in on at of for to from by with
    about as and or but not no yes all any some each every given based according one two three
    whether has have had than then so such
"""
NOT_VERBS = frozenset(_NOT_VERBS_TEXT.split())
_SKIP_TEXT = """
    a an the this that these those its their his her your my our some any each every all another
    other following given provided above below same new short long brief concise single simple
    appropriate correct suitable good best possible main whole entire original different similar
    it them me us him one two three four five few several many more most less least much very
    into in on at of for to from by with about as and or out up down over back off
    itself themselves yourself me following english french german spanish
"""
SKIP_BEFORE_NOUN = frozenset(_SKIP_TEXT.split())
_IRREGULAR_PLURALS = {"children": "child", "people": "person", "men": "man", "women": "woman", "data": "data"}
_MAX_COMPOUND = 3  # "movie review title" is a compound; longer runs are no longer one noun
_NO_SINGULAR = ("ss", "us", "is", "ics", "news", "series")


def singular(noun: str) -> str:
    """A plural noun's singular by suffix rule (``stories`` -> ``story``, ``classes`` -> ``class``)."""
    if noun in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[noun]
    if noun.endswith(_NO_SINGULAR) or len(noun) <= 3:
        return noun
    if noun.endswith("ies"):
        return noun[:-3] + "y"
    if noun.endswith(("ches", "shes", "xes", "sses", "zes")):
        return noun[:-2]
    if noun.endswith("s"):
        return noun[:-1]
    return noun


def _imperative_clause(instruction: str) -> str:
    text = " ".join(instruction.split())
    for _ in range(3):  # "Given the context, based on it, answer ..."
        stripped = _PREAMBLE.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    return re.split(r"(?<=[.?!])\s+|\n", text, maxsplit=1)[0]


def verb_noun(instruction: str) -> tuple[str | None, str | None]:
    """``(root verb, first noun object)`` of an imperative instruction, lower-cased; ``None`` parts
    where the heuristic finds none."""
    words = [w.lower().strip("'-") for w in _WORD.findall(_imperative_clause(instruction))]
    while words and words[0] in _LEAD:
        words.pop(0)
    if not words or words[0] in NOT_VERBS or words[0].endswith(("ing", "ed")):
        return None, None
    verb = words[0]
    run: list[str] = []
    for word in words[1:]:
        function_word = word in SKIP_BEFORE_NOUN or word in NOT_VERBS
        if function_word or word.endswith(("ly", "ing", "ed")) or word.isdigit():
            if run:
                break
            continue
        run.append(word)
        if len(run) == _MAX_COMPOUND:
            break
    return verb, singular(run[-1]) if run else None
