"""Row generators for the demo Hub: each is ``(rng, n) -> rows`` composed from the vocabularies.

Labels are dealt round-robin and shuffled, so classes are balanced; texts are drawn until they
are distinct, so no two rows of a split read the same.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from hubmirror.demo import vocab as v

Row = dict[str, Any]
T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Draw(Protocol[T_co]):
    """Makes one value from the generator (a lambda may bind loop variables as extra defaults)."""

    def __call__(self, rng: random.Random, /) -> T_co: ...


def balanced(rng: random.Random, n: int, k: int) -> list[int]:
    """``n`` labels out of ``k`` classes, as even as possible, in a shuffled order."""
    labels = [i % k for i in range(n)]
    rng.shuffle(labels)
    return labels


def distinct(rng: random.Random, make: Draw[str], seen: set[str]) -> str:
    """A text from ``make`` not in ``seen`` (a counter is appended if the vocabulary runs dry)."""
    for _ in range(50):
        text = make(rng)
        if text not in seen:
            break
    else:
        text = f"{text} ({len(seen)})"
    seen.add(text)
    return text


def fresh(rng: random.Random, draw: Draw[T], key: Callable[[T], str], seen: set[str]) -> T:
    """A draw whose ``key`` is not in ``seen`` yet (the vocabularies leave thousands of choices)."""
    for _ in range(1000):
        value = draw(rng)
        if key(value) not in seen:
            break
    seen.add(key(value))
    return value


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def review(rng: random.Random, positive: bool) -> str:
    verdict = rng.choice(v.PRAISE if positive else v.COMPLAINTS)
    opener = rng.choice(v.OPENERS)
    subject = f"the {rng.choice(v.PRODUCTS)}" if opener else f"The {rng.choice(v.PRODUCTS)}"
    return join(opener, f"{subject} {verdict}.", rng.choice(v.GOOD_CLOSERS if positive else v.BAD_CLOSERS))


def sentiment(rng: random.Random, n: int) -> list[Row]:
    seen: set[str] = set()
    return [
        {"text": distinct(rng, lambda r, y=y: review(r, bool(y)), seen), "label": y}
        for y in balanced(rng, n, 2)
    ]


def scored_reviews(rng: random.Random, n: int) -> list[Row]:
    seen: set[str] = set()
    rows = []
    for score in (s + 1 for s in balanced(rng, n, 5)):
        text = distinct(
            rng, lambda r, s=score: review(r, s >= 4) + ("" if s not in (3,) else " It is just okay."), seen
        )
        rows.append({"text": text, "score": score})
    return rows


def event(rng: random.Random) -> tuple[str, str, str, str]:
    person, place = rng.choice(v.PEOPLE), rng.choice(v.PLACES_INSIDE)
    return person, rng.choice(v.ACTIVITIES), place, rng.choice(v.TIMES)


def paraphrase_pairs(rng: random.Random, n: int) -> list[Row]:
    seen: set[str] = set()
    rows = []
    for y in balanced(rng, n, 2):
        person, activity, place, when = fresh(rng, event, " ".join, seen)
        first = f"{person} was {activity} {place} {when}."
        if y:
            second = f"{_capital(when)}, {person} was {place} {activity}."
        else:
            other = rng.choice([a for a in v.ACTIVITIES if a != activity])
            second = f"{_capital(when)}, {rng.choice(v.PEOPLE)} was {other} {rng.choice(v.PLACES_INSIDE)}."
        rows.append({"sentence1": first, "sentence2": second, "label": y})
    return rows


def nli(rng: random.Random, n: int) -> list[Row]:
    seen: set[str] = set()
    rows = []
    for y in balanced(rng, n, 3):
        person, activity, place, when = fresh(rng, event, " ".join, seen)
        premise = f"{person} is {activity} {place} {when}."
        if y == 0:
            hypothesis = f"Someone is {activity}."
        elif y == 1:
            hypothesis = f"{person} is {activity} for a friend."
        else:
            hypothesis = f"{person} is {rng.choice([a for a in v.ACTIVITIES if a != activity])} {place}."
        rows.append({"premise": premise, "hypothesis": hypothesis, "label": y})
    return rows


def topics(rng: random.Random, n: int) -> list[Row]:
    names = sorted(v.TOPICS)
    seen: set[str] = set()
    rows = []
    for y in balanced(rng, n, len(names)):

        def make(r: random.Random, name: str = names[y]) -> str:
            who, did, context = r.choice(v.TOPICS[name])
            return f"{r.choice(v.PLACES)}: {who} {did} {context}"

        rows.append({"title": distinct(rng, make, seen), "label": y})
    return rows


def acceptability(rng: random.Random, n: int) -> list[Row]:
    seen: set[str] = set()
    rows = []
    for y in balanced(rng, n, 2):
        person, activity, place, when = event(rng)
        words = f"{person} was {activity} {place} {when}".split()
        if not y:
            rng.shuffle(words)
        rows.append({"sentence": distinct(rng, lambda r, w=words: " ".join(w) + ".", seen), "label": y})
    return rows


def single_sentences(rng: random.Random, n: int) -> list[Row]:
    seen: set[str] = set()
    return [
        {"sentence": distinct(rng, lambda r: "{} was {} {} {}.".format(*event(r)), seen)} for _ in range(n)
    ]


def greetings(rng: random.Random, n: int) -> list[Row]:
    langs = sorted(v.GREETINGS)
    seen: set[str] = set()
    rows = []
    for y in balanced(rng, n, len(langs)):
        text = distinct(
            rng, lambda r, lang=langs[y]: f"{r.choice(v.PEOPLE)}: {r.choice(v.GREETINGS[lang])}", seen
        )
        rows.append({"text": text, "language": y})
    return rows


def french_reviews(rng: random.Random, n: int) -> list[Row]:
    seen: set[str] = set()
    rows = []
    for y in balanced(rng, n, 2):

        def make(r: random.Random, good: bool = bool(y)) -> str:
            avis = r.choice(v.FR_BIEN if good else v.FR_MAL)
            return join(f"{r.choice(v.FR_PRODUITS).capitalize()} {avis}.", r.choice(v.FR_FINS))

        rows.append({"review": distinct(rng, make, seen), "label": y})
    return rows


def emotions(rng: random.Random, n: int) -> list[Row]:
    seen: set[str] = set()
    rows = []
    for y in balanced(rng, n, len(v.EMOTIONS)):
        cue = v.EMOTION_CUES[v.EMOTIONS[y]]
        rows.append(
            {"text": distinct(rng, lambda r, c=cue: f"i {r.choice(c)} {r.choice(v.TIMES)}", seen), "label": y}
        )
    return rows


def tickets(rng: random.Random, n: int) -> list[Row]:
    kinds = [
        ["I was charged twice for my {p} order", "My invoice for the {p} shows the wrong amount"],
        ["The app crashes when I open the {p} page", "Search returns nothing for {p}"],
        ["Please add a wishlist for the {p}", "Could you support gift wrapping for the {p}?"],
    ]
    seen: set[str] = set()
    return [
        {
            "text": distinct(
                rng,
                lambda r, k=y: r.choice(kinds[k]).format(p=r.choice(v.PRODUCTS)) + f" ({r.choice(v.PEOPLE)})",
                seen,
            ),
            "label": y,
        }
        for y in balanced(rng, n, 3)
    ]
