"""Row generators for the demo Hub's text-to-text, QA, translation and non-text datasets."""

from __future__ import annotations

import operator
import random

from hubmirror.demo import vocab as v
from hubmirror.demo.rows import Row, balanced, event, fresh, join


def _profile(rng: random.Random) -> tuple[str, dict[str, str]]:
    person, city, activity = rng.choice(v.PEOPLE), rng.choice(v.PLACES), rng.choice(v.ACTIVITIES)
    fact, reason = rng.choice(v.SCIENCE_FACTS)
    context = f"{person} lives in {city}. Every weekend {person} enjoys {activity}. {fact} {reason}."
    answers = {
        f"Where does {person} live?": city,
        f"What does {person} enjoy every weekend?": activity,
        f"Why is it that {fact[0].lower() + fact[1:]}?": reason,
    }
    return context, answers


def _qa_item(rng: random.Random) -> tuple[str, str, str]:
    context, answers = _profile(rng)
    question, answer = rng.choice(sorted(answers.items()))
    return context, question, answer


def extractive_qa(rng: random.Random, n: int) -> list[Row]:
    seen: set[str] = set()
    rows: list[Row] = []
    for i in range(n):
        context, question, answer = fresh(rng, _qa_item, "\n".join, seen)
        rows.append(
            {
                "id": f"q{i:05d}",
                "title": context.split(" lives in ")[0],
                "context": context,
                "question": question,
                "answers": {"text": [answer], "answer_start": [context.index(answer)]},
            }
        )
    return rows


def question_generation(rng: random.Random, n: int) -> list[Row]:
    return [
        {"context": r["context"], "question": r["question"], "answer": r["answers"]["text"][0]}
        for r in extractive_qa(rng, n)
    ]


def _story(rng: random.Random) -> tuple[str, str, str]:
    topic = rng.choice(sorted(v.TOPICS))
    who, did, context = rng.choice(v.TOPICS[topic])
    city, person = rng.choice(v.PLACES), rng.choice(v.PEOPLE)
    title = f"{who.capitalize()} {did} {context}"
    document = (
        f"{city.upper()} - {who.capitalize()} {did} {context}, officials said {rng.choice(v.TIMES)}. "
        f'{person}, who followed the story closely, called it "a turning point". '
        f"Observers in {city} expect further announcements in the coming weeks. "
        f"The news was first reported by local media and quickly spread online."
    )
    summary = f"In {city}, {who} {did} {context}."
    return title, document, summary


def summarization(rng: random.Random, n: int) -> list[Row]:
    seen: set[str] = set()
    rows: list[Row] = []
    while len(rows) < n:
        _, document, summary = _story(rng)
        if document not in seen:
            seen.add(document)
            rows.append({"document": document, "summary": summary})
    return rows


def headlines(rng: random.Random, n: int) -> list[Row]:
    seen: set[str] = set()
    rows: list[Row] = []
    while len(rows) < n:
        title, document, _ = _story(rng)
        if document not in seen:
            seen.add(document)
            rows.append({"article": document, "title": title})
    return rows


_MCQ_TEMPLATES = [
    "{fact}. Why?",
    "What explains the following: {lower}?",
    "Which statement best explains why {lower}?",
    "{fact}. What is the reason?",
]


def multiple_choice(rng: random.Random, n: int) -> list[Row]:
    """Science questions with four choices (at most 48 distinct questions)."""
    pairs = [(f, t) for f in range(len(v.SCIENCE_FACTS)) for t in range(len(_MCQ_TEMPLATES))]
    rng.shuffle(pairs)
    rows: list[Row] = []
    for (f, t), y in zip(pairs[:n], balanced(rng, n, 4), strict=False):
        fact, reason = v.SCIENCE_FACTS[f]
        wrong = rng.sample([r for other, r in v.SCIENCE_FACTS if other != fact], 3)
        question = _MCQ_TEMPLATES[t].format(fact=fact, lower=fact[0].lower() + fact[1:])
        rows.append({"question": question, "choices": wrong[:y] + [reason] + wrong[y:], "answer": y})
    return rows


def translation(rng: random.Random, n: int) -> list[Row]:
    seen: set[str] = set()
    rows: list[Row] = []
    while len(rows) < n:
        (se, sf), (ve, vf), (oe, of), (te, tf) = (
            rng.choice(x) for x in (v.EN_FR_SUBJECTS, v.EN_FR_VERBS, v.EN_FR_OBJECTS, v.EN_FR_TIMES)
        )
        en = join(se, ve, oe, te) + "."
        if en not in seen:
            seen.add(en)
            rows.append({"translation": {"en": en, "fr": join(sf, vf, of, tf) + "."}})
    return rows


def recipes(rng: random.Random, n: int) -> list[Row]:
    rows: list[Row] = []
    for i in range(n):
        name, ingredients, step = v.RECIPES[i % len(v.RECIPES)]
        picked = rng.sample(ingredients, rng.randint(2, len(ingredients)))
        serves = 1 + i // len(v.RECIPES)
        instructions = f"Combine the {', '.join(picked)}, then {step}. Serves {serves}."
        rows.append({"name": f"{name} for {serves}", "ingredients": picked, "instructions": instructions})
    return rows


def simplification(rng: random.Random, n: int) -> list[Row]:
    seen: set[str] = set()
    rows: list[Row] = []
    while len(rows) < n:
        fact, reason = rng.choice(v.SCIENCE_FACTS)
        person = rng.choice(v.PEOPLE)
        source = f"As {person} explained at considerable length to the assembled audience, {fact[0].lower() + fact[1:]}, {reason}."
        if source not in seen:
            seen.add(source)
            rows.append({"source": source, "target": f"{fact}."})
    return rows


def essays(rng: random.Random, n: int) -> list[Row]:
    """Essays of more than 20,000 characters each."""
    rows: list[Row] = []
    for i in range(n):
        paragraphs: list[str] = []
        while sum(len(p) + 2 for p in paragraphs) < 20_500 + 150 * i:
            fact, reason = rng.choice(v.SCIENCE_FACTS)
            person, activity, place, when = event(rng)
            paragraphs.append(
                f"{fact} {reason}. {person} thought about this while {activity} {place} {when}."
            )
        rows.append(
            {"title": f"Essay {i + 1}: notes from {rng.choice(v.PLACES)}", "essay": "\n\n".join(paragraphs)}
        )
    return rows


_OPERATIONS = [("+", "add", operator.add), ("*", "multiply", operator.mul), ("-", "subtract", operator.sub)]


def code_snippets(rng: random.Random, n: int) -> list[Row]:
    rows: list[Row] = []
    for i in range(n):
        a, b = rng.randint(2, 9), rng.randint(10, 99)
        op, name, apply = rng.choice(_OPERATIONS)
        rows.append(
            {
                "prompt": f"Write a Python function `{name}_{i}` that returns {a} {op} x.",
                "code": f"def {name}_{i}(x):\n    return {a} {op} x\n\n\nassert {name}_{i}({b}) == {apply(a, b)}",
            }
        )
    return rows


def _chat(rng: random.Random, topic: str) -> list[str]:
    who, did, context = rng.choice(v.TOPICS[topic])
    return [
        f"Did you hear that {who} {did}?",
        f"Yes, {context}! {rng.choice(v.PEOPLE)} told me.",
        rng.choice(["Amazing.", "Really?", "I had no idea.", "Typical.", "Who would have thought?"]),
    ]


def dialogues(rng: random.Random, n: int) -> list[Row]:
    names = sorted(v.TOPICS)
    seen: set[str] = set()
    rows: list[Row] = []
    for y in balanced(rng, n, len(names)):
        turns = fresh(rng, lambda r, topic=names[y]: _chat(r, topic), "\n".join, seen)
        rows.append({"utterances": turns, "topic": y})
    return rows


def housing(rng: random.Random, n: int) -> list[Row]:
    rows: list[Row] = []
    for _ in range(n):
        rooms = rng.randint(1, 6)
        area = round(rng.uniform(25, 60) * rooms, 1)
        rows.append(
            {
                "rooms": rooms,
                "area_m2": area,
                "age_years": rng.randint(0, 80),
                "price_k": round(area * rng.uniform(2.5, 6.0), 1),
            }
        )
    return rows


def shapes(rng: random.Random, n: int, dataset: str = "vision/shapes", split: str = "train") -> list[Row]:
    rows: list[Row] = []
    for i, y in enumerate(balanced(rng, n, len(v.SHAPES))):
        size = rng.choice([64, 96, 128])
        src = (
            f"https://datasets-server.huggingface.co/assets/{dataset}/--/default/{split}/{i}/image/image.jpg"
        )
        rows.append(
            {"image": {"src": src, "height": size, "width": size}, "label": y, "color": rng.choice(v.COLORS)}
        )
    return rows


def words(rng: random.Random, n: int) -> list[Row]:
    pool = [f"{a}{b}" for a in v.WORDS for b in ("", "s", "ed", "ing")]
    return [{"word": w} for w in sorted(rng.sample(pool, n))]
