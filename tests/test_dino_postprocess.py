"""Post-processing: each step removes what it should, and every removal is counted per label."""

from __future__ import annotations

from dynosaur.dino.postprocess import PostprocessOptions, postprocess


def _pair(a, b, label):
    return {"text_a": a, "text_b": b, "label": label}


def test_each_step_is_counted_per_label_in_order():
    entries = [
        _pair("a dog runs", "a dog is running", "1"),
        _pair("a dog runs", "a dog is running", "1"),  # duplicate
        _pair("a dog runs", "a dog is running", "0"),  # same texts, other label: kept
        _pair("a dog runs", "a dog runs", "1"),  # identical pair
        _pair("a dog runs", "ok", "0"),  # too few words (min 2)
        _pair("a dog runs", "a cat sleeps", "0"),
        _pair("a dog runs", "the sky is blue", "0"),  # third text_b for (a dog runs, 0): over cap 2
    ]
    kept, removed = postprocess(
        entries, PostprocessOptions(min_num_words=2, max_num_text_b_for_text_a_and_label=2)
    )
    assert kept == [entries[0], entries[2], entries[5]]
    assert removed == {
        "1": {"duplicate": 1, "identical_pair": 1},
        "0": {"too_few_words": 1, "over_max_text_b": 1},
    }


def test_steps_can_be_switched_off():
    entries = [_pair("same", "same", "1"), _pair("same", "same", "1")]
    kept, removed = postprocess(
        entries, PostprocessOptions(remove_identical_pairs=False, remove_duplicates=False)
    )
    assert kept == entries and removed == {}


def test_single_texts_are_judged_on_text_a_and_empty_texts_go_by_default():
    entries = [
        {"text_a": "", "label": "0"},
        {"text_a": "a fine film", "label": "1"},
        {"text_a": "a fine film", "label": "1"},
    ]
    kept, removed = postprocess(entries, PostprocessOptions())
    assert kept == [entries[1]]
    assert removed == {"0": {"too_few_words": 1}, "1": {"duplicate": 1}}
