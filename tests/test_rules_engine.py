"""The rules engine proposes sensible, valid tasks from the feature schema alone."""

from __future__ import annotations

import asyncio
import json

import pytest

from dynosaur.contracts.task_checks import judge_answer_tasks
from dynosaur.core.engines import ChatRequest, UnsupportedRequest, create_engine, require_capability
from dynosaur.core.engines.rules import propose_tasks

STRING = {"dtype": "string", "_type": "Value"}
INT = {"dtype": "int32", "_type": "Value"}
FLOAT = {"dtype": "float32", "_type": "Value"}


def _line(task_name, features, rows, **card):
    dataset, _, config = task_name.partition("-") if "/" not in task_name else (task_name, "", "default")
    return {
        "task_name": task_name,
        "dataset": dataset,
        "config": config or "default",
        "split": "train",
        "revision": "abc",
        "license": "mit",
        "website": f"https://huggingface.co/datasets/{dataset}",
        "languages": ["en"],
        "multilinguality": card.pop("multilinguality", "english"),
        "summary": card.pop("summary", ""),
        "supported_task": "",
        "data_fields": "",
        "task_category": card.pop("task_category", []),
        "task_ids": card.pop("task_ids", []),
        "features": features,
        "selected_data": rows,
    }


SENTIMENT = _line(
    "imdb",
    {"text": STRING, "label": {"names": ["neg", "pos"], "_type": "ClassLabel"}},
    [
        {"text": "A moving film with a wonderful cast, I cried twice.", "label": "pos"},
        {"text": "Two hours I will never get back.", "label": "neg"},
    ],
    summary="Large Movie Review Dataset: 50,000 highly polar movie reviews for binary sentiment classification.",
    task_ids=["sentiment-classification"],
)
NLI = _line(
    "snli",
    {
        "premise": STRING,
        "hypothesis": STRING,
        "label": {"names": ["entailment", "neutral", "contradiction"], "_type": "ClassLabel"},
    },
    [
        {
            "premise": "A man plays a guitar on stage.",
            "hypothesis": "A man is performing.",
            "label": "entailment",
        },
        {
            "premise": "Two dogs run in a field.",
            "hypothesis": "The dogs are asleep.",
            "label": "contradiction",
        },
    ],
)
SQUAD = _line(
    "squad",
    {
        "id": STRING,
        "title": STRING,
        "context": STRING,
        "question": STRING,
        "answers": {"feature": {"text": STRING, "answer_start": INT}, "_type": "Sequence"},
    },
    [
        {
            "id": "5733be284776f41900661182",
            "title": "University_of_Notre_Dame",
            "context": "Architecturally, the school has a Catholic character. Atop the Main Building's gold dome "
            "is a golden statue of the Virgin Mary.",
            "question": "What sits on top of the Main Building?",
            "answers": {"text": ["a golden statue of the Virgin Mary"], "answer_start": [92]},
        }
    ],
)
SUMMARIZATION = _line(
    "cnn_dailymail-3.0.0",
    [
        {"feature_idx": 0, "name": "article", "type": STRING},
        {"feature_idx": 1, "name": "highlights", "type": STRING},
        {"feature_idx": 2, "name": "id", "type": STRING},
    ],
    [
        {
            "article": "LONDON, England -- Harry Potter star Daniel Radcliffe gains access to a reported "
            "£20 million fortune as he turns 18 on Monday, but he insists the money won't cast a spell on him. "
            * 3,
            "highlights": "Harry Potter star Daniel Radcliffe gets £20M fortune as he turns 18 Monday.",
            "id": "42c027e4ff9730fbb3de84c1af0d2c506e41c3e4",
        }
    ],
)
MULTIPLE_CHOICE = _line(
    "piqa",
    {
        "goal": STRING,
        "sol1": STRING,
        "sol2": STRING,
        "choices": {"feature": STRING, "_type": "List"},
        "label": {"names": ["0", "1"], "_type": "ClassLabel"},
    },
    [
        {
            "goal": "How do I ready a guinea pig cage for its new occupants?",
            "sol1": "Provide bedding.",
            "sol2": "Provide sand.",
            "choices": ["Provide bedding.", "Provide sand."],
            "label": "0",
        }
    ],
)
TRANSLATION = _line(
    "wmt16-de-en",
    {"translation": {"languages": ["de", "en"], "_type": "Translation"}},
    [{"translation": {"de": "Wiederaufnahme der Sitzungsperiode", "en": "Resumption of the session"}}],
    multilinguality="translation",
)
GLUE_SST2 = _line(
    "glue-sst2",
    {"sentence": STRING, "label": {"names": ["negative", "positive"], "_type": "ClassLabel"}, "idx": INT},
    [{"sentence": "hide new secretions from the parental units", "label": "negative", "idx": 0}],
)
GLUE_STSB = _line(
    "glue-stsb",
    {"sentence1": STRING, "sentence2": STRING, "label": FLOAT, "idx": INT},
    [
        {
            "sentence1": "A plane is taking off.",
            "sentence2": "An air plane is taking off.",
            "label": 5.0,
            "idx": 0,
        }
    ],
)
TOPIC_TEXT_LABEL = _line(
    "org/support-tickets",
    {"ticket": STRING, "category": STRING},
    [
        {"ticket": "My invoice shows the wrong amount for March.", "category": "billing"},
        {"ticket": "The app crashes when I open settings.", "category": "bug"},
    ],
)
# As the crawler writes a Translation feature: one text field per language (viewer list form).
FLAT_TRANSLATION = _line(
    "wmt-mini/en-fr",
    [
        {"feature_idx": 0, "name": "translation_fr", "type": STRING},
        {"feature_idx": 1, "name": "translation_en", "type": STRING},
    ],
    [
        {"translation_fr": "Le chat dort.", "translation_en": "The cat sleeps."},
        {"translation_fr": "Nous lisons un livre.", "translation_en": "We read a book."},
    ],
    multilinguality="translation",
)
PLAIN_PAIR = _line(
    "org/formality",
    {"informal": STRING, "formal": STRING},
    [{"informal": "gonna be late, sorry", "formal": "I apologise, I will be late."}],
)
VARIED = [
    SENTIMENT,
    NLI,
    SQUAD,
    SUMMARIZATION,
    MULTIPLE_CHOICE,
    TRANSLATION,
    FLAT_TRANSLATION,
    GLUE_SST2,
    GLUE_STSB,
    TOPIC_TEXT_LABEL,
    PLAIN_PAIR,
]


def _ask(metadata, mode="aware", max_tasks=3):
    engine = create_engine("rules")
    request = ChatRequest.of(
        [{"role": "user", "content": "(prose the rules engine does not read)"}],
        context={"kind": "propose", "mode": mode, "metadata": metadata, "max_tasks": max_tasks},
    )
    return asyncio.run(engine.complete(request))


@pytest.mark.parametrize("metadata", VARIED, ids=[m["task_name"] for m in VARIED])
@pytest.mark.parametrize("mode", ["aware", "unaware"])
def test_every_kind_of_dataset_gets_at_least_one_valid_task(metadata, mode):
    completion = _ask(metadata, mode)
    judged = judge_answer_tasks(completion.text, metadata)
    valid = [t for t in judged if t["reason"] is None]
    assert valid, f"no valid task for {metadata['task_name']}: {judged}"
    assert len(judged) <= 3


def test_sentiment_instruction_reads_like_a_person_wrote_it_and_uses_the_card():
    tasks = propose_tasks(SENTIMENT, "aware")
    assert tasks[0] == {
        "instruction": "Classify the sentiment of the movie review as neg or pos.",
        "input_fields": ["text"],
        "output_field": ["label"],
    }
    # no inverse task: a review written from a bare label is not a task a person would set
    assert all(t["input_fields"] != ["label"] for t in tasks)


def test_unaware_mode_does_not_read_the_card():
    unaware = propose_tasks(SENTIMENT, "unaware")
    assert "movie" not in json.dumps(unaware)


def test_nli_reads_both_texts_and_proposes_no_inverse_generation():
    tasks = propose_tasks(NLI)
    assert tasks[0]["input_fields"] == ["premise", "hypothesis"] and tasks[0]["output_field"] == ["label"]
    assert "entailment, neutral or contradiction" in tasks[0]["instruction"]
    assert all("label" not in t["input_fields"] for t in tasks)


def test_qa_with_nested_answers_answers_the_question_from_the_context():
    tasks = propose_tasks(SQUAD)
    pairs = [(t["input_fields"], t["output_field"]) for t in tasks]
    assert pairs == [(["context", "question"], ["answers"])]
    assert all("id" not in t["input_fields"] for t in tasks)


def test_translation_goes_both_ways_with_language_names():
    tasks = propose_tasks(TRANSLATION)
    assert {t["instruction"] for t in tasks} == {
        "Translate the English sentence into German.",
        "Translate the German sentence into English.",
    }
    assert {tuple(t["input_fields"]) for t in tasks} == {("translation.en",), ("translation.de",)}
    assert {(t["input_fields"][0], t["output_field"][0]) for t in tasks} == {
        ("translation.en", "translation.de"),
        ("translation.de", "translation.en"),
    }


def test_flattened_translation_fields_are_translated_both_ways_from_english_first():
    tasks = propose_tasks(FLAT_TRANSLATION)
    assert tasks == [
        {
            "instruction": "Translate the English sentence into French.",
            "input_fields": ["translation_en"],
            "output_field": ["translation_fr"],
        },
        {
            "instruction": "Translate the French sentence into English.",
            "input_fields": ["translation_fr"],
            "output_field": ["translation_en"],
        },
    ]
    judged = judge_answer_tasks(_ask(FLAT_TRANSLATION).text, FLAT_TRANSLATION)
    assert [t["reason"] for t in judged] == [None, None]


def test_translation_of_paragraphs_says_text_and_pairs_stay_within_their_field_group():
    metadata = _line(
        "org/parallel-docs",
        {"title_en": STRING, "body_en": STRING, "body_de": STRING, "title_fr": STRING},
        [
            {
                "title_en": "Rain",
                "body_en": "It rained all day. We stayed inside.",
                "body_de": "Es regnete den ganzen Tag. Wir blieben drinnen.",
                "title_fr": "Pluie",
            }
        ],
        multilinguality="translation",
    )
    tasks = propose_tasks(metadata, max_tasks=6)
    assert [(t["input_fields"][0], t["output_field"][0], t["instruction"]) for t in tasks] == [
        ("title_en", "title_fr", "Translate the English sentence into French."),
        ("title_fr", "title_en", "Translate the French sentence into English."),
        ("body_en", "body_de", "Translate the English text into German."),
        ("body_de", "body_en", "Translate the German text into English."),
    ]


def test_summarization_from_viewer_feature_list():
    tasks = propose_tasks(SUMMARIZATION)
    assert tasks[0]["input_fields"] == ["article"] and tasks[0]["output_field"] == ["highlights"]
    assert tasks[0]["instruction"] == "Write the highlights of the article."


def test_low_cardinality_text_field_is_used_as_a_label():
    tasks = propose_tasks(TOPIC_TEXT_LABEL)
    assert tasks[0] == {
        # two sample rows are not a label set: organize lists the labels its rows really hold
        "instruction": "Classify the ticket.",
        "input_fields": ["ticket"],
        "output_field": ["category"],
    }


def test_similarity_score_pair():
    tasks = propose_tasks(GLUE_STSB)
    assert tasks[0]["input_fields"] == ["sentence1", "sentence2"] and tasks[0]["output_field"] == ["label"]
    assert "similar" in tasks[0]["instruction"]


def test_max_tasks_is_respected():
    assert len(propose_tasks(SQUAD, max_tasks=1)) == 1


def test_same_input_gives_the_same_answer():
    assert _ask(NLI).text == _ask(NLI).text


def test_dataset_without_usable_fields_gets_no_task_rather_than_a_crash():
    metadata = _line(
        "org/images", {"image": {"_type": "Image"}, "id": INT}, [{"image": {"src": "x"}, "id": 1}]
    )
    assert json.loads(_ask(metadata).text) == {"tasks": []}


def test_rules_engine_refuses_prose_requests():
    engine = create_engine("rules")
    with pytest.raises(UnsupportedRequest, match="cannot write free text"):
        asyncio.run(engine.complete(ChatRequest.of([{"role": "user", "content": "Write a poem."}])))
    with pytest.raises(UnsupportedRequest, match="lacks 'chat'"):
        require_capability(engine, "chat", "Self-Instruct generation")


def test_paraphrase_pairs_ask_whether_the_sentences_mean_the_same():
    metadata = _line(
        "glue-mrpc",
        {
            "sentence1": STRING,
            "sentence2": STRING,
            "label": {"names": ["not_equivalent", "equivalent"], "_type": "ClassLabel"},
        },
        [{"sentence1": "He left early.", "sentence2": "He went home early.", "label": "equivalent"}],
        task_ids=["acceptability-classification", "sentiment-classification"],
    )
    (task,) = propose_tasks(metadata)
    assert (
        task["instruction"]
        == "Do the two sentences mean the same thing? Answer as not_equivalent or equivalent."
    )


def test_label_names_say_what_a_generic_label_judges():
    labels = ["joy", "sadness", "anger", "fear", "surprise", "love"]
    metadata = _line(
        "org/emotions",
        {"text": STRING, "label": {"names": labels, "_type": "ClassLabel"}},
        [{"text": "i dread the interview", "label": "fear"}],
        summary="Short posts labelled with an emotion.",
    )
    assert propose_tasks(metadata, "aware")[0]["instruction"] == (
        "Classify the emotion of the post as joy, sadness, anger, fear, surprise or love."
    )
    assert propose_tasks(metadata, "unaware")[0]["instruction"] == (
        "Classify the emotion of the text as joy, sadness, anger, fear, surprise or love."
    )


def test_code_is_written_from_its_prompt_not_the_other_way_round():
    metadata = _line(
        "org/code",
        {"prompt": STRING, "code": STRING},
        [{"prompt": "Write a function that adds one.", "code": "def f(x):\n    return x + 1"}],
    )
    (task,) = propose_tasks(metadata)
    assert (task["input_fields"], task["output_field"]) == (["prompt"], ["code"])
    assert task["instruction"] == "Write the code that the prompt asks for."


def test_field_names_that_are_codes_never_reach_an_instruction():
    metadata = _line(
        "org/nl-to-code",
        {"nl": STRING, "code": STRING},
        [{"nl": "return the sum of a list", "code": "def f(xs):\n    return sum(xs)"}],
    )
    (task,) = propose_tasks(metadata)
    assert (task["input_fields"], task["output_field"]) == (["nl"], ["code"])
    assert task["instruction"] == "Write the code that the text asks for."


def test_dataset_name_words_a_source_target_rewrite():
    metadata = _line(
        "org/simplification",
        {"source": STRING, "target": STRING},
        [
            {
                "source": "Owing to the fact that it rained, we stayed.",
                "target": "We stayed because it rained.",
            }
        ],
    )
    assert propose_tasks(metadata, "unaware")[0]["instruction"] == "Rewrite the text in plain, simpler words."


def test_numeric_score_is_predicted_and_a_list_of_turns_can_be_classified():
    scores = _line(
        "org/scores",
        {"text": STRING, "score": {"dtype": "int64", "_type": "Value"}},
        [{"text": "Worth every penny.", "score": 5}, {"text": "Broke in a day.", "score": 1}],
    )
    assert propose_tasks(scores)[0] == {
        "instruction": "Predict the score of the text as a number.",
        "input_fields": ["text"],
        "output_field": ["score"],
    }
    chats = _line(
        "org/chats",
        {
            "utterances": {"feature": STRING, "_type": "List"},
            "topic": {"names": ["sports", "world"], "_type": "ClassLabel"},
        },
        [{"utterances": ["Did you see the match?", "Yes!"], "topic": "sports"}],
    )
    assert propose_tasks(chats) == [
        {
            "instruction": "Classify the topic of the utterances as sports or world.",
            "input_fields": ["utterances"],
            "output_field": ["topic"],
        }
    ]


def test_a_url_is_never_a_context_and_a_prompt_is_not_a_question():
    metadata = _line(
        "org/faq",
        {"question": STRING, "source_url": STRING, "answer": STRING},
        [
            {
                "question": "How do I reset it?",
                "source_url": "https://example.org/a",
                "answer": "Hold the button.",
            },
            {"question": "Is it waterproof?", "source_url": "https://example.org/b", "answer": "No."},
        ],
    )
    assert [(t["input_fields"], t["output_field"]) for t in propose_tasks(metadata)] == [
        (["question"], ["answer"])
    ]
    prompts = _line(
        "org/prompts",
        {"prompt": STRING, "context": STRING, "response": STRING},
        [{"prompt": "Describe the harbour.", "context": "A harbour town.", "response": "It is busy."}],
    )
    assert propose_tasks(prompts) == [
        {
            "instruction": "Respond to the prompt, using the context.",
            "input_fields": ["prompt", "context"],
            "output_field": ["response"],
        }
    ]
