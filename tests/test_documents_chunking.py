"""Chunking: sentence and paragraph boundaries, exact character spans, small overlaps."""

from __future__ import annotations

import random

import pytest

from dynosaur.documents.chunking import chunk_text, sentence_spans
from dynosaur.documents.grounding import chunk_skip_reason, content_words, unsupported_reason


def sample_text(paragraphs: int = 12, seed: int = 7) -> str:
    rng = random.Random(seed)
    words = ["river", "stone", "lantern", "harbor", "maple", "copper", "violet", "meadow", "signal", "orbit"]
    out = []
    for _ in range(paragraphs):
        sentences = []
        for _ in range(rng.randint(1, 6)):
            body = " ".join(rng.choice(words) for _ in range(rng.randint(3, 14)))
            sentences.append(body.capitalize() + rng.choice([".", "!", "?", '."']))
        out.append(" ".join(sentences))
    return "\n\n".join(out) + "\n"


@pytest.mark.parametrize(("size", "overlap"), [(60, 0), (120, 30), (300, 60), (5000, 200)])
def test_every_chunk_is_the_exact_slice_of_its_span_and_fits_the_size(size, overlap):
    text = sample_text()
    chunks = chunk_text(text, "doc.txt", size, overlap)
    assert chunks, "some text must give chunks"
    for number, chunk in enumerate(chunks):
        assert chunk.index == number and chunk.source_file == "doc.txt"
        assert text[chunk.start : chunk.end] == chunk.text
        assert len(chunk.text) <= size
        assert chunk.text == chunk.text.strip()


def test_chunks_cover_every_sentence_and_advance():
    text = sample_text()
    chunks = chunk_text(text, "doc.txt", 150, 40)
    for span in sentence_spans(text, 150):
        assert any(c.start <= span.start and span.end <= c.end for c in chunks)
    assert all(a.start < b.start and a.end < b.end for a, b in zip(chunks, chunks[1:], strict=False))


def test_chunks_start_and_end_on_sentence_boundaries():
    text = "One fish swims. Two fish swim! Red fish? Blue fish.\n\nA new paragraph starts. It ends here."
    for chunk in chunk_text(text, "f.md", 40, 0):
        assert chunk.text[-1] in ".!?" and chunk.text[0].isupper()


def test_cut_falls_on_a_paragraph_end_in_the_second_half_of_the_chunk():
    first = "Alpha sentence one. Alpha sentence two. Alpha sentence three."  # 62 chars
    second = "Beta sentence one. Beta sentence two."
    text = f"{first}\n\n{second}"
    chunks = chunk_text(text, "p.txt", 90, 0)
    assert [c.text for c in chunks] == [first, second]


def test_consecutive_chunks_overlap_by_whole_trailing_sentences():
    text = "Ant one. Bee two. Cat three. Dog four. Eel five. Fox six. Gnu seven."
    chunks = chunk_text(text, "o.txt", 30, 12)
    assert [c.text for c in chunks] == [
        "Ant one. Bee two. Cat three.",
        "Cat three. Dog four. Eel five.",
        "Eel five. Fox six. Gnu seven.",
    ]


def test_overlap_never_leaves_a_chunk_made_only_of_repeated_text():
    text = "Short one. " + " ".join(["longword"] * 12) + "."
    chunks = chunk_text(text, "o.txt", 60, 20)
    for previous, chunk in zip(chunks, chunks[1:], strict=False):
        assert chunk.end > previous.end


def test_overlong_sentence_is_cut_between_words():
    text = " ".join(f"w{i:03d}" for i in range(100))  # one sentence of 499 chars
    chunks = chunk_text(text, "long.txt", 50, 0)
    assert all(len(c.text) <= 50 for c in chunks)
    assert " ".join(c.text for c in chunks) == text


def test_a_word_longer_than_the_chunk_is_cut_anyway():
    chunks = chunk_text("x" * 25, "w.txt", 10, 0)
    assert [c.text for c in chunks] == ["x" * 10, "x" * 10, "x" * 5]


def test_short_text_is_one_chunk_and_blank_text_none():
    assert [(c.start, c.end) for c in chunk_text("  Just one line.  ", "s.txt", 8000, 200)] == [(2, 16)]
    assert chunk_text(" \n\n \t", "s.txt", 8000, 200) == []


def test_chunking_rejects_a_size_below_one():
    with pytest.raises(ValueError, match="at least 1"):
        chunk_text("text", "x.txt", 0)


def test_chunks_too_short_or_without_content_words_are_skipped_with_reason():
    (short,) = chunk_text("Tiny note.", "t.txt", 100)
    (filler,) = chunk_text("It is what it is, and so it was, as it will be. " * 5, "f.txt", 1000)
    (rich,) = chunk_text(
        "Copper conducts electricity; engineers wire motors, cables and circuits with copper. "
        "Aluminium costs less but oxidises quickly.",
        "r.txt",
        1000,
    )
    assert chunk_skip_reason(short, min_chars=50, min_content_words=3) == "chunk too short"
    assert chunk_skip_reason(filler, min_chars=50, min_content_words=3) == "chunk has too few content words"
    assert chunk_skip_reason(rich, min_chars=50, min_content_words=3) is None


def test_answer_without_a_content_word_from_the_chunk_is_unsupported():
    chunk_words = content_words("Volcanoes erupt when magma pressure builds beneath the crust in 1980.")
    assert unsupported_reason("Magma pressure beneath the crust.", chunk_words) is None
    assert unsupported_reason("A volcano.", chunk_words) is None  # plural and singular match
    assert unsupported_reason("It happened in 1980.", chunk_words) is None
    assert unsupported_reason("The answer is that it is so.", chunk_words) == "answer not supported by chunk"
    assert unsupported_reason("Tectonic glaciers melt.", chunk_words) == "answer not supported by chunk"
