"""Real dataset cards and feature schemas, with synthetic rows, for conformance tests and benchmarks.

The card metadata (license, language, task_categories, task_ids, pretty name), the summaries and
the feature schemas are copied from the datasets' published cards (``dataset_info`` in the README
front matter, or ``dataset_infos.json``, of the ``datasets`` library's dataset scripts). Only the
rows are made up: :func:`synthetic_rows` fills every feature with values of its type (texts of
varied lengths that say nothing about the field's role, ClassLabel indices, float32-rounded floats,
lists of one to four items), so what a task proposer gets right comes from the schema and the card.

Features are written compactly: ``"string"``/``"int32"``/``"float32"``/``"bool"`` for a Value,
a list of names for a ClassLabel, ``{"seq": X}`` for a Sequence (a Sequence of a struct is stored
as a struct of lists, as ``datasets`` does), ``{"struct": {...}}`` for a struct.
"""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass, field
from typing import Any

from crawl.snapshot import SnapshotDataset
from hubmirror.demo.snapshot import card_text, make_dataset

NLI3 = ["entailment", "neutral", "contradiction"]
NLI2 = ["entailment", "not_entailment"]
FALSE_TRUE = ["False", "True"]
CHOICES = {"seq": {"text": "string", "label": "string"}}


@dataclass(frozen=True)
class RealSchema:
    """One dataset's card facts and the features of some of its configs."""

    repo: str
    task_categories: tuple[str, ...]
    task_ids: tuple[str, ...]
    configs: dict[str, dict[str, Any]]
    license: str = "mit"
    pretty_name: str = ""
    summary: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # added after the rules engine was written and scored apart: how it does on schemas unseen
    held_out: bool = False


SCHEMAS: tuple[RealSchema, ...] = (
    RealSchema(
        "glue",
        ("text-classification",),
        (
            "acceptability-classification",
            "natural-language-inference",
            "semantic-similarity-scoring",
            "sentiment-classification",
            "text-classification-other-coreference-nli",
            "text-classification-other-paraphrase-identification",
            "text-classification-other-qa-nli",
            "text-scoring",
        ),
        {
            "cola": {"sentence": "string", "label": ["unacceptable", "acceptable"], "idx": "int32"},
            "sst2": {"sentence": "string", "label": ["negative", "positive"], "idx": "int32"},
            "mrpc": {
                "sentence1": "string",
                "sentence2": "string",
                "label": ["not_equivalent", "equivalent"],
                "idx": "int32",
            },
            "qqp": {
                "question1": "string",
                "question2": "string",
                "label": ["not_duplicate", "duplicate"],
                "idx": "int32",
            },
            "stsb": {"sentence1": "string", "sentence2": "string", "label": "float32", "idx": "int32"},
            "mnli": {"premise": "string", "hypothesis": "string", "label": NLI3, "idx": "int32"},
            "qnli": {"question": "string", "sentence": "string", "label": NLI2, "idx": "int32"},
            "rte": {"sentence1": "string", "sentence2": "string", "label": NLI2, "idx": "int32"},
            "wnli": {
                "sentence1": "string",
                "sentence2": "string",
                "label": ["not_entailment", "entailment"],
                "idx": "int32",
            },
            "ax": {"premise": "string", "hypothesis": "string", "label": NLI3, "idx": "int32"},
        },
        license="cc-by-4.0",
        pretty_name="GLUE (General Language Understanding Evaluation benchmark)",
        summary="GLUE, the General Language Understanding Evaluation benchmark is a collection of "
        "resources for training, evaluating, and analyzing natural language understanding systems.",
    ),
    RealSchema(
        "super_glue",
        ("text-classification", "token-classification", "question-answering"),
        (
            "natural-language-inference",
            "word-sense-disambiguation",
            "coreference-resolution",
            "extractive-qa",
        ),
        {
            "boolq": {"question": "string", "passage": "string", "idx": "int32", "label": FALSE_TRUE},
            "cb": {
                "premise": "string",
                "hypothesis": "string",
                "idx": "int32",
                "label": ["entailment", "contradiction", "neutral"],
            },
            "copa": {
                "premise": "string",
                "choice1": "string",
                "choice2": "string",
                "question": "string",
                "idx": "int32",
                "label": ["choice1", "choice2"],
            },
            "multirc": {
                "paragraph": "string",
                "question": "string",
                "answer": "string",
                "idx": {"struct": {"paragraph": "int32", "question": "int32", "answer": "int32"}},
                "label": FALSE_TRUE,
            },
            "record": {
                "passage": "string",
                "query": "string",
                "entities": {"seq": "string"},
                "entity_spans": {"seq": {"text": "string", "start": "int32", "end": "int32"}},
                "answers": {"seq": "string"},
                "idx": {"struct": {"passage": "int32", "query": "int32"}},
            },
            "rte": {"premise": "string", "hypothesis": "string", "idx": "int32", "label": NLI2},
            "wic": {
                "word": "string",
                "sentence1": "string",
                "sentence2": "string",
                "start1": "int32",
                "start2": "int32",
                "end1": "int32",
                "end2": "int32",
                "idx": "int32",
                "label": FALSE_TRUE,
            },
            "wsc.fixed": {
                "text": "string",
                "span1_index": "int32",
                "span2_index": "int32",
                "span1_text": "string",
                "span2_text": "string",
                "idx": "int32",
                "label": FALSE_TRUE,
            },
            "axb": {"sentence1": "string", "sentence2": "string", "idx": "int32", "label": NLI2},
            "axg": {"premise": "string", "hypothesis": "string", "idx": "int32", "label": NLI2},
        },
        license="unknown",
        pretty_name="SuperGLUE",
        summary="SuperGLUE is a new benchmark styled after GLUE with a new set of more difficult "
        "language understanding tasks, improved resources, and a new public leaderboard. BoolQ is a QA "
        "task where each example consists of a short passage and a yes/no question about the passage.",
    ),
    RealSchema(
        "ag_news",
        ("text-classification",),
        ("topic-classification",),
        {"default": {"text": "string", "label": ["World", "Sports", "Business", "Sci/Tech"]}},
        license="unknown",
        pretty_name="AG’s News Corpus",
        summary="AG is a collection of more than 1 million news articles. The AG's news topic "
        "classification dataset is constructed from the dataset above.",
    ),
    RealSchema(
        "amazon_polarity",
        ("text-classification",),
        ("sentiment-classification",),
        {"amazon_polarity": {"label": ["negative", "positive"], "title": "string", "content": "string"}},
        license="apache-2.0",
        pretty_name="Amazon Review Polarity",
        summary="The Amazon reviews dataset consists of reviews from amazon. Reviews include product "
        "and user information, ratings, and a plaintext review.",
    ),
    RealSchema(
        "yahoo_answers_topics",
        ("text-classification",),
        ("topic-classification",),
        {
            "yahoo_answers_topics": {
                "id": "int32",
                "topic": [
                    "Society & Culture",
                    "Science & Mathematics",
                    "Health",
                    "Education & Reference",
                    "Computers & Internet",
                    "Sports",
                    "Business & Finance",
                    "Entertainment & Music",
                    "Family & Relationships",
                    "Politics & Government",
                ],
                "question_title": "string",
                "question_content": "string",
                "best_answer": "string",
            }
        },
        license="unknown",
        pretty_name="YahooAnswersTopics",
    ),
    RealSchema(
        "squad",
        ("question-answering",),
        ("extractive-qa",),
        {
            "plain_text": {
                "id": "string",
                "title": "string",
                "context": "string",
                "question": "string",
                "answers": {"seq": {"text": "string", "answer_start": "int32"}},
            }
        },
        license="cc-by-4.0",
        pretty_name="SQuAD",
        summary="Stanford Question Answering Dataset (SQuAD) is a reading comprehension dataset, "
        "consisting of questions posed by crowdworkers on a set of Wikipedia articles, where the answer "
        "to every question is a segment of text, or span, from the corresponding reading passage.",
    ),
    RealSchema(
        "ai2_arc",
        ("question-answering",),
        ("open-domain-qa", "multiple-choice-qa"),
        {
            "ARC-Challenge": {
                "id": "string",
                "question": "string",
                "choices": CHOICES,
                "answerKey": "string",
            },
            "ARC-Easy": {"id": "string", "question": "string", "choices": CHOICES, "answerKey": "string"},
        },
        license="cc-by-sa-4.0",
        pretty_name="Ai2Arc",
        summary="A new dataset of 7,787 genuine grade-school level, multiple-choice science questions, "
        "assembled to encourage research in advanced question-answering.",
    ),
    RealSchema(
        "sciq",
        ("question-answering",),
        ("closed-domain-qa",),
        {
            "default": {
                "question": "string",
                "distractor3": "string",
                "distractor1": "string",
                "distractor2": "string",
                "correct_answer": "string",
                "support": "string",
            }
        },
        license="cc-by-nc-3.0",
        pretty_name="SciQ",
        summary="The SciQ dataset contains 13,679 crowdsourced science exam questions about Physics, "
        "Chemistry and Biology, among others. The questions are in multiple-choice format with 4 answer "
        "options each. For the majority of the questions, an additional paragraph with supporting "
        "evidence for the correct answer is provided.",
    ),
    RealSchema(
        "samsum",
        ("summarization",),
        ("summarization-other-conversations-summarization",),
        {"samsum": {"id": "string", "dialogue": "string", "summary": "string"}},
        license="cc-by-nc-nd-4.0",
        pretty_name="SAMSum Corpus",
        summary="The SAMSum dataset contains about 16k messenger-like conversations with summaries.",
    ),
    RealSchema(
        "sick",
        ("text-classification",),
        ("natural-language-inference",),
        {
            "default": {
                "id": "string",
                "sentence_A": "string",
                "sentence_B": "string",
                "label": NLI3,
                "relatedness_score": "float32",
                "entailment_AB": "string",
                "entailment_BA": "string",
                "sentence_A_original": "string",
                "sentence_B_original": "string",
                "sentence_A_dataset": "string",
                "sentence_B_dataset": "string",
            }
        },
        license="cc-by-nc-sa-3.0",
        pretty_name="Sentences Involving Compositional Knowledge",
        summary="SICK consists of about 10,000 English sentence pairs. Each pair was annotated for "
        "relatedness in meaning (with a 5-point rating scale as gold score) and entailment relation "
        "between the two elements (with three possible gold labels: entailment, contradiction, and "
        "neutral).",
    ),
    RealSchema(
        "sem_eval_2014_task_1",
        ("text-classification",),
        ("text-scoring", "natural-language-inference", "semantic-similarity-scoring"),
        {
            "default": {
                "sentence_pair_id": "int64",
                "premise": "string",
                "hypothesis": "string",
                "relatedness_score": "float32",
                "entailment_judgment": ["NEUTRAL", "ENTAILMENT", "CONTRADICTION"],
            }
        },
        license="cc-by-4.0",
        pretty_name="SemEval 2014 - Task 1",
    ),
    RealSchema(
        "asnq",
        ("multiple-choice",),
        ("multiple-choice-qa",),
        {
            "default": {
                "question": "string",
                "sentence": "string",
                "label": ["neg", "pos"],
                "sentence_in_long_answer": "bool",
                "short_answer_in_sentence": "bool",
            }
        },
        license="cc-by-nc-sa-3.0",
        pretty_name="Answer Sentence Natural Questions (ASNQ)",
        summary="ASNQ is a dataset for answer sentence selection derived from Google's Natural "
        "Questions (NQ) dataset. Each example contains a question, candidate sentence, label indicating "
        "whether or not the sentence answers the question, and two additional features.",
    ),
    RealSchema(
        "social_i_qa",
        (),
        (),
        {
            "default": {
                "context": "string",
                "question": "string",
                "answerA": "string",
                "answerB": "string",
                "answerC": "string",
                "label": "string",
            }
        },
        license="",
        pretty_name="Social Interaction QA",
        summary="We introduce Social IQa: Social Interaction QA, a new question-answering benchmark for "
        "testing social commonsense intelligence.",
    ),
    RealSchema(
        "cosmos_qa",
        ("multiple-choice",),
        ("multiple-choice-qa",),
        {
            "default": {
                "id": "string",
                "context": "string",
                "question": "string",
                "answer0": "string",
                "answer1": "string",
                "answer2": "string",
                "answer3": "string",
                "label": "int32",
            }
        },
        license="cc-by-4.0",
        pretty_name="CosmosQA",
        summary="Cosmos QA is a large-scale dataset of 35.6K problems that require commonsense-based "
        "reading comprehension, formulated as multiple-choice questions.",
    ),
    RealSchema(
        "cnn_dailymail",
        ("summarization",),
        ("news-articles-summarization",),
        {"3.0.0": {"article": "string", "highlights": "string", "id": "string"}},
        license="apache-2.0",
        pretty_name="CNN / Daily Mail",
        summary="The CNN / DailyMail Dataset is an English-language dataset containing just over 300k "
        "unique news articles as written by journalists at CNN and the Daily Mail.",
    ),
    RealSchema(
        "common_gen",
        ("text2text-generation",),
        ("text2text-generation-other-concepts-to-text",),
        {"default": {"concept_set_idx": "int32", "concepts": {"seq": "string"}, "target": "string"}},
        license="mit",
        pretty_name="CommonGen",
        summary="Given a set of common concepts; the task is to generate a coherent sentence describing "
        "an everyday scenario using these concepts.",
    ),
    RealSchema(
        "health_fact",
        ("text-classification",),
        ("fact-checking", "multi-class-classification"),
        {
            "default": {
                "claim_id": "string",
                "claim": "string",
                "date_published": "string",
                "explanation": "string",
                "fact_checkers": "string",
                "main_text": "string",
                "sources": "string",
                "label": ["false", "mixture", "true", "unproven"],
                "subjects": "string",
            }
        },
        license="mit",
        pretty_name="PUBHEALTH",
        summary="PUBHEALTH is a comprehensive dataset for explainable automated fact-checking of public "
        "health claims. Each instance in the PUBHEALTH dataset has an associated veracity label (true, "
        "false, unproven, mixture). Furthermore each instance in the dataset has an explanation text "
        "field.",
    ),
    RealSchema(
        "openbookqa",
        ("question-answering",),
        ("open-domain-qa",),
        {
            "main": {"id": "string", "question_stem": "string", "choices": CHOICES, "answerKey": "string"},
            "additional": {
                "id": "string",
                "question_stem": "string",
                "choices": CHOICES,
                "answerKey": "string",
                "fact1": "string",
                "humanScore": "float32",
                "clarity": "float32",
                "turkIdAnonymized": "string",
            },
        },
        license="unknown",
        pretty_name="OpenBookQA",
    ),
    RealSchema(
        "fever",
        ("text-classification",),
        ("text-classification-other-knowledge-verification",),
        {
            "v1.0": {
                "id": "int32",
                "label": "string",
                "claim": "string",
                "evidence_annotation_id": "int32",
                "evidence_id": "int32",
                "evidence_wiki_url": "string",
                "evidence_sentence_id": "int32",
            },
        },
        license="cc-by-sa-3.0",
        pretty_name="FEVER",
        summary="FEVER (Fact Extraction and VERification) consists of 185,445 claims generated by "
        "altering sentences extracted from Wikipedia and subsequently verified without knowledge of the "
        "sentence they were derived from. The claims are classified as Supported, Refuted or "
        "NotEnoughInfo.",
        extra={"label_values": ["SUPPORTS", "REFUTES", "NOT ENOUGH INFO"]},
    ),
    RealSchema(
        "newsqa",
        ("question-answering",),
        ("extractive-qa",),
        {
            "combined-csv": {
                "story_id": "string",
                "story_text": "string",
                "question": "string",
                "answer_char_ranges": "string",
            }
        },
        license="mit",
        pretty_name="NewsQA",
        summary="NewsQA is a challenging machine comprehension dataset of over 100,000 human-generated "
        "question-answer pairs.",
        extra={"ranges": True},
    ),
    RealSchema(
        "openai_humaneval",
        ("text2text-generation",),
        ("text2text-generation-other-code-generation",),
        {
            "openai_humaneval": {
                "task_id": "string",
                "prompt": "string",
                "canonical_solution": "string",
                "test": "string",
                "entry_point": "string",
            }
        },
        license="mit",
        pretty_name="OpenAI HumanEval",
        summary="The HumanEval dataset released by OpenAI includes 164 programming problems with a "
        "function signature, docstring, body, and several unit tests.",
    ),
    RealSchema(
        "metooma",
        ("text-classification", "text-retrieval"),
        ("multi-class-classification", "multi-label-classification"),
        {
            "default": {
                "TweetId": "string",
                "Text_Only_Informative": ["Text Non Informative", "Text Informative"],
                "Image_Only_Informative": ["Image Non Informative", "Image Informative"],
                "Directed_Hate": ["Directed Hate Absent", "Directed Hate Present"],
                "Generalized_Hate": ["Generalized Hate Absent", "Generalized Hate Present"],
                "Sarcasm": ["Sarcasm Absent", "Sarcasm Present"],
                "Allegation": ["Allegation Absent", "Allegation Present"],
                "Justification": ["Justification Absent", "Justification Present"],
                "Refutation": ["Refutation Absent", "Refutation Present"],
                "Support": ["Support Absent", "Support Present"],
                "Oppose": ["Oppose Absent", "Oppose Present"],
            }
        },
        license="",  # the card gives none
        pretty_name="#MeTooMA dataset",
        summary="The dataset consists of tweets belonging to #MeToo movement on Twitter, labelled into "
        "different categories.",
    ),
    RealSchema(
        "wiki_asp",
        ("summarization",),
        ("summarization-other-aspect-based-summarization",),
        {"plant": {"exid": "string", "inputs": {"seq": "string"}, "targets": {"seq": {"seq": "string"}}}},
        license="cc-by-sa-4.0",
        pretty_name="WikiAsp",
    ),
)


HELD_OUT: tuple[RealSchema, ...] = (
    RealSchema(
        "dbpedia_14",
        ("text-classification",),
        ("topic-classification",),
        {
            "dbpedia_14": {
                "label": [
                    "Company",
                    "EducationalInstitution",
                    "Artist",
                    "Athlete",
                    "OfficeHolder",
                    "MeanOfTransportation",
                    "Building",
                    "NaturalPlace",
                    "Village",
                    "Animal",
                    "Plant",
                    "Album",
                    "Film",
                    "WrittenWork",
                ],
                "title": "string",
                "content": "string",
            }
        },
        license="cc-by-sa-3.0",
        pretty_name="DBpedia",
        summary="The DBpedia ontology classification dataset is constructed by picking 14 "
        "non-overlapping classes from DBpedia 2014.",
        held_out=True,
    ),
    RealSchema(
        "paws",
        ("text-classification",),
        (
            "semantic-similarity-classification",
            "semantic-similarity-scoring",
            "text-classification-other-paraphrase-identification",
            "text-scoring",
            "multi-input-text-classification",
        ),
        {
            "labeled_final": {
                "id": "int32",
                "sentence1": "string",
                "sentence2": "string",
                "label": ["0", "1"],
            },
            "labeled_swap": {
                "id": "int32",
                "sentence1": "string",
                "sentence2": "string",
                "label": ["0", "1"],
            },
        },
        license="other",
        pretty_name="PAWS: Paraphrase Adversaries from Word Scrambling",
        summary="This dataset contains 108,463 human-labeled and 656k noisily labeled pairs that feature "
        "the importance of modeling structure, context, and word order information for the problem of "
        "paraphrase identification.",
        held_out=True,
    ),
    RealSchema(
        "medical_questions_pairs",
        ("text-classification",),
        ("semantic-similarity-classification",),
        {"default": {"dr_id": "int32", "question_1": "string", "question_2": "string", "label": ["0", "1"]}},
        license="unknown",
        pretty_name="MedicalQuestionsPairs",
        summary="This dataset consists of 3048 similar and dissimilar medical question pairs "
        "hand-generated and labeled by Curai's doctors.",
        held_out=True,
    ),
    RealSchema(
        "quoref",
        ("question-answering",),
        ("question-answering-other-coreference-resolution",),
        {
            "default": {
                "id": "string",
                "question": "string",
                "context": "string",
                "title": "string",
                "url": "string",
                "answers": {"seq": {"answer_start": "int32", "text": "string"}},
            }
        },
        license="cc-by-4.0",
        pretty_name="Quoref",
        summary="Quoref is a QA dataset which tests the coreferential reasoning capability of reading "
        "comprehension systems.",
        held_out=True,
    ),
    RealSchema(
        "swag",
        ("text-classification",),
        ("natural-language-inference",),
        {
            "regular": {
                "video-id": "string",
                "fold-ind": "string",
                "startphrase": "string",
                "sent1": "string",
                "sent2": "string",
                "gold-source": "string",
                "ending0": "string",
                "ending1": "string",
                "ending2": "string",
                "ending3": "string",
                "label": ["0", "1", "2", "3"],
            }
        },
        license="unknown",
        pretty_name="Situations With Adversarial Generations",
        summary="SWAG is a large-scale dataset for this task of grounded commonsense inference. The "
        "dataset consists of 113k multiple choice questions about grounded situations, with four answer "
        "choices about what might happen next in the scene.",
        held_out=True,
    ),
    RealSchema(
        "cos_e",
        ("question-answering",),
        ("open-domain-qa",),
        {
            "v1.0": {
                "id": "string",
                "question": "string",
                "choices": {"seq": "string"},
                "answer": "string",
                "abstractive_explanation": "string",
                "extractive_explanation": "string",
            },
            "v1.11": {
                "id": "string",
                "question": "string",
                "choices": {"seq": "string"},
                "answer": "string",
                "abstractive_explanation": "string",
                "extractive_explanation": "string",
            },
        },
        license="unknown",
        pretty_name="Commonsense Explanations",
        summary="Common Sense Explanations (CoS-E) allows for training language models to automatically "
        "generate explanations that can be used during training and inference.",
        held_out=True,
    ),
)
SCHEMAS = SCHEMAS + HELD_OUT


def by_repo(repo: str) -> RealSchema:
    """The schema of one dataset."""
    return next(s for s in SCHEMAS if s.repo == repo)


# --- features ------------------------------------------------------------------------------------


def feature(spec: Any) -> Any:
    """A compact feature spec as ``Features.to_dict()`` JSON."""
    if isinstance(spec, str):
        return {"dtype": spec, "_type": "Value"}
    if isinstance(spec, list):
        return {"names": list(spec), "_type": "ClassLabel"}
    if "seq" in spec:
        inner = spec["seq"]
        if isinstance(inner, dict) and "seq" not in inner and "struct" not in inner:
            return {"feature": {k: feature(v) for k, v in inner.items()}, "_type": "Sequence"}
        return {"feature": feature(inner), "_type": "Sequence"}
    return {k: feature(v) for k, v in spec["struct"].items()}


def features(spec: dict[str, Any]) -> dict[str, Any]:
    return {name: feature(value) for name, value in spec.items()}


# --- synthetic rows --------------------------------------------------------------------------------

WORDS = [
    "the",
    "river",
    "council",
    "market",
    "station",
    "museum",
    "bridge",
    "season",
    "player",
    "court",
    "ruling",
    "patient",
    "study",
    "result",
    "price",
    "vote",
    "league",
    "garden",
    "harbour",
    "village",
    "winter",
    "letter",
    "window",
    "teacher",
    "doctor",
    "engine",
    "kitchen",
    "mountain",
    "island",
    "forest",
    "bottle",
    "camera",
    "ticket",
    "concert",
    "history",
    "science",
    "energy",
    "water",
    "light",
    "story",
    "morning",
    "evening",
    "friend",
    "family",
    "city",
    "country",
    "road",
    "school",
    "office",
    "money",
    "music",
    "paper",
    "night",
    "summer",
]


def _float32(value: float) -> float:
    return struct.unpack("<f", struct.pack("<f", value))[0]


def _text(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(4, 60))]
    return " ".join(words).capitalize() + "."


def value(spec: Any, rng: random.Random, name: str = "", schema: RealSchema | None = None) -> Any:
    """A synthetic value of a compact feature spec, as the viewer returns it."""
    extra = schema.extra if schema else {}
    if isinstance(spec, list):
        return rng.randrange(len(spec))  # the viewer returns the index; the crawler names it
    if isinstance(spec, str):
        if spec == "string":
            if name == "label" and "label_values" in extra:
                return rng.choice(extra["label_values"])
            if extra.get("ranges") and name.endswith("ranges"):
                start = rng.randint(0, 400)
                return f"{start}:{start + rng.randint(3, 40)}"
            if name.endswith("url"):
                return f"https://en.wikipedia.org/wiki/{rng.choice(WORDS).capitalize()}"
            return _text(rng)
        if spec == "bool":
            return rng.random() < 0.5
        if spec.startswith("float"):
            return _float32(round(rng.uniform(0, 5), 2))
        return rng.randint(0, 3)
    if "seq" in spec:
        inner = spec["seq"]
        n = rng.randint(1, 4)
        if isinstance(inner, dict) and "seq" not in inner and "struct" not in inner:
            return {k: [value(v, rng, k, schema) for _ in range(n)] for k, v in inner.items()}
        return [value(inner, rng, name, schema) for _ in range(n)]
    return {k: value(v, rng, k, schema) for k, v in spec["struct"].items()}


def synthetic_rows(schema: RealSchema, config: str, n: int = 12, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` rows of made-up values for one config (deterministic for a seed)."""
    rng = random.Random(f"{schema.repo}/{config}/{seed}")
    spec = schema.configs[config]
    return [{name: value(s, rng, name, schema) for name, s in spec.items()} for _ in range(n)]


def card(schema: RealSchema) -> str:
    """The dataset's README: its real card metadata and summary."""
    meta: dict[str, Any] = {"language": ["en"], "multilinguality": ["monolingual"]}
    if schema.license:
        meta["license"] = schema.license
    if schema.task_categories:
        meta["task_categories"] = list(schema.task_categories)
    if schema.task_ids:
        meta["task_ids"] = list(schema.task_ids)
    if schema.pretty_name:
        meta["pretty_name"] = schema.pretty_name
    body = f"# Dataset Card for {schema.pretty_name or schema.repo}\n\n## Dataset Description\n\n"
    if schema.summary:
        body += f"### Dataset Summary\n\n{schema.summary}\n"
    return card_text(meta, body)


def snapshot_dataset(schema: RealSchema, rows: int = 12) -> SnapshotDataset:
    """The dataset as the mirror serves it: its card, features and synthetic rows."""
    configs = {
        config: {"train": {"features": features(spec), "rows": synthetic_rows(schema, config, rows)}}
        for config, spec in schema.configs.items()
    }
    return make_dataset(schema.repo, card=card(schema), configs=configs, downloads=1000)
