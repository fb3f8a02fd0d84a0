"""The demo Hub as a table: one :class:`Spec` per dataset, with what makes it interesting."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hubmirror.demo import rows as r
from hubmirror.demo import rows_bench as b
from hubmirror.demo import rows_text as t

Generator = Callable[..., list[dict[str, Any]]]

STRING = {"dtype": "string", "_type": "Value"}
INT64 = {"dtype": "int64", "_type": "Value"}
FLOAT = {"dtype": "float64", "_type": "Value"}


def label(*names: str) -> dict[str, Any]:
    return {"names": list(names), "_type": "ClassLabel"}


def strings(*names: str) -> dict[str, Any]:
    return {name: STRING for name in names}


def list_of(feature: dict[str, Any]) -> dict[str, Any]:
    return {"feature": feature, "_type": "List"}


@dataclass(frozen=True)
class Table:
    """One config: its features, its row generator and the rows per split."""

    features: dict[str, Any]
    rows: Generator
    splits: dict[str, int]


@dataclass(frozen=True)
class Spec:
    """One demo dataset and the card it gets."""

    repo_id: str
    title: str
    summary: str
    tasks: str
    fields: dict[str, str]
    tables: dict[str, Table]
    license: str | None = "apache-2.0"
    languages: list[str] | None = field(default_factory=lambda: ["en"])
    task_categories: list[str] = field(default_factory=lambda: ["text-classification"])
    task_ids: list[str] = field(default_factory=list)
    multilinguality: str = "monolingual"
    card: str = "normal"  # "normal" | "none" | "malformed"
    html: bool = False
    tags: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)  # passed to make_dataset (gated, private, ...)
    kinds: tuple[str, ...] = ()  # what this dataset demonstrates (tests count these)


SENTIMENT = Table(
    {"text": STRING, "label": label("negative", "positive")}, r.sentiment, {"train": 120, "test": 40}
)
SENTIMENT_FIELDS = {"text": "the review text.", "label": "0 (negative) or 1 (positive)."}
TOPIC_FIELDS = {"title": "a one-line news item.", "label": "its section."}
TOPIC_LABEL = label("business", "science", "sports", "world")

# fmt: off
SPECS: list[Spec] = [
    Spec(
        "sentiment_reviews", "Sentiment Reviews", "Short English product reviews labelled positive or negative.",
        "`text-classification`: predict the sentiment of a review.", SENTIMENT_FIELDS, {"default": SENTIMENT},
        task_ids=["sentiment-classification"], kinds=("classification", "bare-id"),
    ),
    Spec(
        "acme/paraphrase-pairs", "Paraphrase Pairs", "Pairs of sentences that do or do not describe the same event.",
        "`text-classification`: decide whether two sentences are paraphrases.",
        {"sentence1": "the first sentence.", "sentence2": "the second sentence.", "label": "1 if they are paraphrases."},
        {"default": Table({**strings("sentence1", "sentence2"), "label": label("not_equivalent", "equivalent")},
                          r.paraphrase_pairs, {"train": 100, "validation": 40})},
        license="cc-by-4.0", task_ids=["semantic-similarity-classification"], kinds=("pair-classification",),
    ),
    Spec(
        "nli-lite", "NLI Lite", "Premise and hypothesis pairs with an entailment label.",
        "`text-classification`: natural language inference.",
        {"premise": "a sentence describing a scene.", "hypothesis": "a claim about it.", "label": "the relation."},
        {"default": Table({**strings("premise", "hypothesis"), "label": label("entailment", "neutral", "contradiction")},
                          r.nli, {"train": 90, "validation": 45})},
        license="mit", task_ids=["natural-language-inference"], kinds=("nli", "bare-id"),
    ),
    Spec(
        "acme/reading-qa", "Reading QA", "Questions about short paragraphs, answered by a span of the paragraph.",
        "`question-answering`: extractive question answering.",
        {"id": "row id.", "title": "who the paragraph is about.", "context": "the paragraph.", "question": "the question.",
         "answers": "`text` (the answer spans) and `answer_start` (their character offsets)."},
        {"default": Table({**strings("id", "title", "context", "question"),
                           "answers": {"text": list_of(STRING), "answer_start": list_of({"dtype": "int32", "_type": "Value"})}},
                          t.extractive_qa, {"train": 100, "validation": 40})},
        license="cc-by-4.0", task_categories=["question-answering"], task_ids=["extractive-qa"], html=True,
        kinds=("extractive-qa",),
    ),
    Spec(
        "newsroom/briefs", "Newsroom Briefs", "News stories with a one-sentence summary.",
        "`summarization`: write the summary of a story.", {"document": "the story.", "summary": "one sentence."},
        {"default": Table(strings("document", "summary"), t.summarization, {"train": 80, "test": 40})},
        task_categories=["summarization"], task_ids=["news-articles-summarization"], html=True, kinds=("summarization",),
    ),
    Spec(
        "quizbowl/science-mcq", "Science MCQ", "Science questions with four possible explanations, one correct.",
        "`multiple-choice`: pick the right explanation.",
        {"question": "the question.", "choices": "four explanations.", "answer": "the index of the right one."},
        {"default": Table({"question": STRING, "choices": list_of(STRING), "answer": label("A", "B", "C", "D")},
                          t.multiple_choice, {"train": 48, "test": 40})},
        license="mit", task_categories=["multiple-choice"], task_ids=["multiple-choice-qa"], kinds=("multiple-choice",),
    ),
    Spec(
        "benchmarks/glue-mini", "GLUE Mini", "Three small sentence tasks in one repository, one config each.",
        "`text-classification`: sentiment (sst2), paraphrase (mrpc) and acceptability (cola).",
        {"sentence": "a sentence (sst2, cola).", "sentence1/sentence2": "a sentence pair (mrpc).", "label": "the class."},
        {
            "cola": Table({"sentence": STRING, "label": label("unacceptable", "acceptable")}, r.acceptability,
                          {"train": 60, "validation": 40}),
            "mrpc": Table({**strings("sentence1", "sentence2"), "label": label("not_equivalent", "equivalent")},
                          r.paraphrase_pairs, {"train": 60, "validation": 40}),
            "sst2": Table({"sentence": STRING, "label": label("negative", "positive")},
                          lambda rng, n: [{"sentence": x["text"], "label": x["label"]} for x in r.sentiment(rng, n)],
                          {"train": 60, "validation": 40}),
        },
        license="cc-by-4.0", task_ids=["acceptability-classification", "sentiment-classification"],
        kinds=("multi-config",),
    ),
    Spec(
        "polyglot/greetings", "Polyglot Greetings", "Everyday phrases in four languages, labelled with their language.",
        "`text-classification`: language identification.", {"text": "a phrase.", "language": "its language."},
        {"default": Table({"text": STRING, "language": label("de", "en", "es", "fr")}, r.greetings, {"train": 80})},
        license="cc0-1.0", languages=["en", "fr", "de", "es"], task_ids=["language-identification"],
        multilinguality="multilingual", kinds=("multilingual",),
    ),
    Spec(
        "wmt-mini/en-fr", "WMT Mini English-French", "Simple English sentences and their French translations.",
        "`translation`: English to French.", {"translation": "a dictionary with `en` and `fr`."},
        {"default": Table({"translation": {"languages": ["en", "fr"], "_type": "Translation"}}, t.translation,
                          {"train": 100, "validation": 40})},
        license="cc-by-4.0", languages=["en", "fr"], task_categories=["translation"], multilinguality="translation",
        kinds=("translation",),
    ),
    Spec(
        "vision/shapes", "Shapes", "Small pictures of coloured shapes.", "`image-classification`: name the shape.",
        {"image": "the picture.", "label": "the shape.", "color": "its colour."},
        {"default": Table({"image": {"_type": "Image"}, "label": label("circle", "square", "triangle", "star"), "color": STRING},
                          t.shapes, {"train": 60})},
        license="mit", task_categories=["image-classification"], html=True, kinds=("image",),
    ),
    Spec(
        "acme/clinical-notes", "Clinical Notes", "Access requests are reviewed by the authors.",
        "`text-classification`.", TOPIC_FIELDS,
        {"default": Table({"title": STRING, "label": TOPIC_LABEL}, r.topics, {"train": 40})},
        license="cc-by-4.0", options={"gated": "manual"}, kinds=("gated",),
    ),
    Spec(
        "acme/internal-tickets", "Internal Tickets", "Support tickets sorted by team.", "`text-classification`.",
        {"text": "the ticket.", "label": "billing, bug or feature request."},
        {"default": Table({"text": STRING, "label": label("billing", "bug", "feature_request")}, r.tickets, {"train": 60})},
        options={"private": True}, kinds=("private",),
    ),
    Spec(
        "spamwatch/archive", "Spam Archive", "Reviews collected by a spam filter.", "`text-classification`.",
        SENTIMENT_FIELDS, {"default": SENTIMENT}, license="mit", options={"disabled": True}, kinds=("disabled",),
    ),
    Spec(
        "critics/product-verdicts", "Product Verdicts", "Critics' one-line verdicts, not to be adapted.",
        "`text-classification`: sentiment.", SENTIMENT_FIELDS, {"default": SENTIMENT},
        license="cc-by-nc-nd-4.0", task_ids=["sentiment-classification"], kinds=("nc-nd",),
    ),
    Spec(
        "acme/held-out-reviews", "Held-out Reviews", "Product reviews kept for evaluation: the repository has a test split only.",
        "`text-classification`: sentiment, for evaluation.", SENTIMENT_FIELDS,
        {"default": Table(SENTIMENT.features, r.sentiment, {"test": 40})},
        license="mit", task_ids=["sentiment-classification"], kinds=("test-only",),
    ),
    Spec(
        "labs/annotated-headlines", "Annotated Headlines", "Headlines labelled by topic, for non-commercial research only.",
        "`text-classification`: topic.", TOPIC_FIELDS,
        {"default": Table({"title": STRING, "label": TOPIC_LABEL}, r.topics, {"train": 60})},
        license="cc-by-nc-4.0", task_ids=["topic-classification"], kinds=("nc",),
    ),
    Spec(
        "wiki/shared-definitions", "Shared Definitions", "Terms with a one-line definition, shared alike.",
        "`text2text-generation`: define a term.", {"source": "the term.", "target": "its definition."},
        {"default": Table(strings("source", "target"), t.simplification, {"train": 40})},
        license="cc-by-sa-4.0", task_categories=["text2text-generation"], kinds=("share-alike",),
    ),
    Spec(
        "hobbyist/recipes", "Recipes", "Home recipes with their ingredients.", "`text2text-generation`: write instructions.",
        {"name": "the dish.", "ingredients": "what goes in.", "instructions": "how to cook it."},
        {"default": Table({"name": STRING, "ingredients": list_of(STRING), "instructions": STRING}, t.recipes, {"train": 40})},
        license=None, task_categories=["text2text-generation"], kinds=("no-license",),
    ),
    Spec(
        "misc/numbered-sentences", "", "", "", {}, {"default": SENTIMENT}, card="none", kinds=("no-card",),
    ),
    Spec(
        "broken/yaml-card", "Broken Card", "Topic-labelled headlines; the card's metadata does not parse.",
        "`text-classification`.", TOPIC_FIELDS,
        {"default": Table({"title": STRING, "label": TOPIC_LABEL}, r.topics, {"train": 60})},
        card="malformed", kinds=("malformed-yaml",),
    ),
    Spec(
        "untagged/english-emotions", "English Emotions", "Short posts labelled with an emotion.",
        "`text-classification`: emotion recognition.", {"text": "the post.", "label": "one of six emotions."},
        {"default": Table({"text": STRING, "label": label("joy", "sadness", "anger", "fear", "surprise", "love")},
                          r.emotions, {"train": 90, "test": 42})},
        license="mit", languages=None, kinds=("no-language-english",),
    ),
    Spec(
        "untagged/avis-clients", "Avis clients", "Avis de clients sur des commerces, positifs ou négatifs.",
        "`text-classification`.", {"review": "l'avis.", "label": "0 (négatif) ou 1 (positif)."},
        {"default": Table({"review": STRING, "label": label("negatif", "positif")}, r.french_reviews, {"train": 60})},
        license="mit", languages=None, kinds=("no-language-french",),
    ),
    Spec(
        "longform/essays", "Long Essays", "Essays of more than twenty thousand characters each.",
        "`text-generation`.", {"title": "the essay's title.", "essay": "the essay."},
        {"default": Table(strings("title", "essay"), t.essays, {"train": 45})},
        license="cc-by-4.0", task_categories=["text-generation"], kinds=("long-cells",),
    ),
    Spec(
        "slowpoke/pending-corpus", "Pending Corpus", "Reviews whose viewer pages are still being computed.",
        "`text-classification`.", SENTIMENT_FIELDS, {"default": SENTIMENT},
        options={"viewer_error": {"status": 500, "code": "ResponseNotReady",
                                  "message": "The server is busier than usual and the response is not ready yet. Please retry later."}},
        kinds=("viewer-not-ready",),
    ),
    Spec(
        "corpora/plain-sentences", "Plain Sentences", "Sentences without any annotation.", "None.",
        {"sentence": "a sentence."}, {"default": Table({"sentence": STRING}, r.single_sentences, {"train": 50})},
        license="cc0-1.0", task_categories=["text-generation"], kinds=("single-field",),
    ),
    Spec(
        "edu/question-generation", "Question Generation", "Paragraphs with a question and its answer.",
        "`text2text-generation`: ask a question whose answer is given.",
        {"context": "the paragraph.", "question": "the question.", "answer": "the answer."},
        {"default": Table(strings("context", "question", "answer"), t.question_generation, {"train": 80, "validation": 40})},
        task_categories=["text2text-generation"], kinds=("question-generation",),
    ),
    Spec(
        "newsroom/headlines", "Headlines", "News stories with their headline.", "`summarization`: write a headline.",
        {"article": "the story.", "title": "its headline."},
        {"default": Table(strings("article", "title"), t.headlines, {"train": 80})},
        license="cc-by-4.0", task_categories=["summarization"], task_ids=["news-articles-headline-generation"],
        kinds=("headline",),
    ),
    Spec(
        "rewrite/simplification", "Simplification", "Wordy sentences and a plain rewrite.",
        "`text2text-generation`: simplify a sentence.", {"source": "the wordy sentence.", "target": "the simple one."},
        {"default": Table(strings("source", "target"), t.simplification, {"train": 60})},
        license="mit", task_categories=["text2text-generation"], kinds=("source-target",),
    ),
    Spec(
        "ratings/review-scores", "Review Scores", "Reviews with a 1 to 5 star score.", "`text-classification`: predict the score.",
        {"text": "the review.", "score": "stars, 1 to 5."},
        {"default": Table({"text": STRING, "score": INT64}, r.scored_reviews, {"train": 100})},
        task_ids=["sentiment-scoring"], kinds=("numeric-label",),
    ),
    Spec(
        "topic_news", "Topic News", "One-line news items from four sections.", "`text-classification`: topic.",
        TOPIC_FIELDS, {"default": Table({"title": STRING, "label": TOPIC_LABEL}, r.topics, {"train": 100, "test": 40})},
        license="cc-by-4.0", task_ids=["topic-classification"], kinds=("classification", "bare-id"),
    ),
    Spec(
        "dialogs/smalltalk", "Small Talk", "Three-turn chats about the news.", "`text-classification`: the chat's topic.",
        {"utterances": "the turns.", "topic": "the section the chat is about."},
        {"default": Table({"utterances": list_of(STRING), "topic": TOPIC_LABEL}, t.dialogues, {"train": 60})},
        kinds=("dialogue",),
    ),
    Spec(
        "codegen/tiny-functions", "Tiny Functions", "Python one-liners with a test.", "`text-generation`: code.",
        {"prompt": "the request.", "code": "a function and an assert."},
        {"default": Table(strings("prompt", "code"), t.code_snippets, {"train": 40})},
        license="mit", task_categories=["text-generation"], tags=["code"], kinds=("code",),
    ),
    Spec(
        "tabular/housing", "Housing", "Flats with their size, age and price.", "`tabular-regression`: predict the price.",
        {"rooms": "rooms.", "area_m2": "area.", "age_years": "age.", "price_k": "price in thousands."},
        {"default": Table({"rooms": INT64, "area_m2": FLOAT, "age_years": INT64, "price_k": FLOAT}, t.housing, {"train": 50})},
        license="cc0-1.0", languages=None, task_categories=["tabular-regression"], kinds=("tabular",),
    ),
    Spec(
        "legacy/script-dataset", "Script Dataset", "Data produced by a loading script; there is no data file.",
        "`text-classification`.", SENTIMENT_FIELDS, {},
        options={"files": {"script-dataset.py": b"import datasets\n\n\nclass ScriptDataset(datasets.GeneratorBasedBuilder):\n    pass\n"},
                 # what the viewer answers, for good, about a script it cannot run
                 "viewer_error": {"status": 500, "code": "ConfigNamesError",
                                  "message": "Cannot get the config names for the dataset."}},
        kinds=("loading-script", "viewer-permanent-error"),
    ),
    Spec(
        b.BENCHMARK_ID, "Trivia Bench", "An evaluation benchmark: trivia questions about old tales, test split only.",
        "`question-answering`: answer the question, for evaluation.",
        {"question": "the question.", "answer": "the answer."},
        {"default": Table(strings("question", "answer"), b.trivia_questions, {"test": b.BENCHMARK_ROWS})},
        license="cc-by-4.0", task_categories=["question-answering"], kinds=("benchmark",),
    ),
    Spec(
        "acme/trivia-mix", "Trivia Mix", "Trivia questions about old tales with their answers, gathered from many places.",
        "`question-answering`: answer the question.", {"question": "the question.", "answer": "the answer."},
        {"default": Table(strings("question", "answer"), b.trivia_with_copies, {"train": 60})},
        license="mit", task_categories=["question-answering"], kinds=("benchmark-copy",),
    ),
]
# fmt: on
