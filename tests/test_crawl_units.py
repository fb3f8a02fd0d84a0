"""The crawler's pieces that need no server: cards, facts, features, policy, pacing, state."""

from __future__ import annotations

import httpx
import pytest

from crawl.card import parse_card
from crawl.facts import dataset_facts
from crawl.features import (
    feature_map,
    flatten_feature_list,
    flatten_names,
    flatten_row,
    resolve_row,
    resolve_value,
    translation_languages,
)
from crawl.language import detect_language
from crawl.licenses import PRESETS, denied_license
from crawl.listing import ListedDataset, ListingQuery
from crawl.policy import PolicyOptions, check_card, check_config, check_repo, multilinguality
from crawl.ratelimit import Pacer, Quota, plan_quotas
from crawl.records import DatasetOutcome
from crawl.state import CrawlState, StateError
from crawl.transport import (
    PacedTransport,
    RequestFailed,
    RequestStats,
    RetryPolicy,
    Router,
    TransportCore,
    server_wait,
)
from crawl.viewer import choose_splits

LABEL = {"names": ["neg", "pos"], "_type": "ClassLabel"}
TEXT = {"dtype": "string", "_type": "Value"}

CARD = """---
license: mit
language:
- en
task_categories:
- text-classification
---
# Reviews

## Dataset Description

### Dataset Summary

Short <b>product</b> reviews &amp; a label.
<!-- hidden comment -->

### Supported Tasks and Leaderboards

[More Information Needed]

## Dataset Structure

### Data Fields

- `text`: the review

#### default

```python
# not a heading
```
"""


def test_card_sections_are_plain_text_at_any_heading_level() -> None:
    card = parse_card(CARD.encode())
    assert card.metadata == {"license": "mit", "language": ["en"], "task_categories": ["text-classification"]}
    assert card.sections["summary"] == "Short product reviews & a label."
    assert card.sections["supported_task"] == ""  # the template placeholder counts as absent
    assert card.sections["data_fields"].startswith("- `text`: the review\n\n#### default")
    assert "# not a heading" in card.sections["data_fields"]
    assert card.notes == []


def test_card_headings_match_case_insensitively_with_markup() -> None:
    card = parse_card(b"# T\n\n## **DATASET SUMMARY:**\n\nText here.\n\n## Other\n\nno\n")
    assert card.sections["summary"] == "Text here."
    assert card.metadata is None


SETEXT_CARD = """Reviews
=======

Dataset Summary
===============

Short reviews, underlined headings.

Supported Tasks
---------------

Sentiment classification.

```
Data Fields
-----------
```

Still supported-task text after a fenced block.

Data Fields
-----------

- text: the review

A paragraph before a rule.

---

Other
=====

not a field
"""


def test_setext_headings_are_sections_too() -> None:
    sections = parse_card(SETEXT_CARD.encode()).sections
    assert sections["summary"] == "Short reviews, underlined headings."
    assert sections["supported_task"].startswith("Sentiment classification.\n\n```\nData Fields")
    assert sections["supported_task"].endswith("Still supported-task text after a fenced block.")
    # a blank line before "---" makes it a rule, not a heading: the section goes on to "Other"
    assert sections["data_fields"] == "- text: the review\n\nA paragraph before a rule.\n\n---"


def test_headings_in_quotes_or_indented_code_are_not_sections() -> None:
    card = parse_card(
        b"> ## Dataset Summary\n> quoted\n\n    ## Data Fields\n\n## Dataset Summary\n\nReal.\n"
    )
    assert card.sections["summary"] == "Real." and card.sections["data_fields"] == ""


def test_malformed_yaml_is_a_note_not_a_crash() -> None:
    card = parse_card(b"---\nlicense: [mit\n---\n## Dataset Summary\nStill read.\n")
    assert card.metadata is None
    assert card.notes and card.notes[0].startswith("card_yaml_malformed")
    assert card.sections["summary"] == "Still read."


def test_yaml_that_is_not_a_mapping_is_noted() -> None:
    card = parse_card(b"---\n- a\n- b\n---\nbody\n")
    assert card.metadata is None and card.notes == ["card_yaml_not_a_mapping: list"]


def test_non_utf8_card_is_noted() -> None:
    card = parse_card("---\nlicense: mit\n---\ncaf\xe9\n".encode("latin-1"))
    assert card.metadata is None
    assert card.notes[0].startswith("card_not_utf8")


def test_facts_normalize_card_shapes_and_fall_back_to_tags() -> None:
    facts = dataset_facts(
        {"license": "MIT", "languages": {"cfg": ["en-US", "EN", "eng"]}}, ["license:apache-2.0"]
    )
    assert facts.licenses == ["mit"] and facts.languages == ["en"]
    from_tags = dataset_facts(None, ["license:cc-by-4.0", "language:en", "modality:text", "task_ids:x"])
    assert from_tags.licenses == ["cc-by-4.0"] and from_tags.languages == ["en"]
    assert from_tags.modalities == ["text"] and from_tags.task_ids == ["x"]


def test_classlabels_resolve_inside_lists_structs_and_legacy_sequences() -> None:
    assert resolve_value(1, LABEL) == "pos"
    assert resolve_value(-1, LABEL) is None
    assert resolve_value(7, LABEL) == 7
    assert resolve_value([0, 1], {"feature": LABEL, "_type": "List"}) == ["neg", "pos"]
    assert resolve_value([1], [LABEL]) == ["pos"]
    nested = {"a": {"feature": {"tag": LABEL, "w": TEXT}, "_type": "Sequence"}}
    assert resolve_value({"a": {"tag": [0, 1], "w": ["x", "y"]}}, nested) == {
        "a": {"tag": ["neg", "pos"], "w": ["x", "y"]}
    }
    features = feature_map(
        [{"feature_idx": 1, "name": "label", "type": LABEL}, {"feature_idx": 0, "name": "t", "type": TEXT}]
    )
    assert list(features) == ["t", "label"]
    assert resolve_row({"label": 0, "t": "x", "extra": 1}, features) == {"t": "x", "label": "neg", "extra": 1}


def _listed(**kwargs: object) -> ListedDataset:
    return ListedDataset(id="a/b", sha="0" * 40, **kwargs)  # type: ignore[arg-type]


def test_policy_rules_give_reasons() -> None:
    opts = PolicyOptions()
    assert check_repo(_listed(gated="manual"), opts) == "gated: manual"
    assert check_repo(_listed(private=True), opts) == "private"
    assert check_repo(_listed(disabled=True), opts) == "disabled"
    assert check_repo(_listed(), opts) is None

    def card(meta: dict, tags: list[str] | None = None) -> str | None:
        return check_card(dataset_facts(meta, tags or []), opts)

    assert card({"language": ["en"]}) == "license_missing"
    assert (
        card({"license": "cc-by-nc-nd-4.0", "language": "en"})
        == "license_denied: cc-by-nc-nd-4.0 (nd; policy permissive)"
    )
    assert card({"license": "mit", "language": ["fr"]}) == "language_not_allowed: fr"
    assert card({"license": "mit", "language": ["en", "code"]}) == "language_not_allowed: code"
    assert card({"license": "mit", "language": ["en", "fr"]}) == "multilingual: fr"
    # translation datasets with English are skipped as such; without it the language rule skips
    translation_card = {"license": "mit", "language": ["en", "fr"], "multilinguality": "translation"}
    assert card(translation_card) == "translation"
    assert (
        card({"license": "mit", "language": ["en", "fr"], "task_categories": ["translation"]})
        == "translation"
    )
    assert (
        card({"license": "mit", "language": ["de", "fr"], "multilinguality": "translation"})
        == "language_not_allowed: de,fr"
    )
    keeping = PolicyOptions(keep_translation=True)
    assert check_card(dataset_facts(translation_card, []), keeping) is None
    assert card({"license": "mit", "language": "en"}, ["modality:image"]) == "modality: image"
    assert (
        card({"license": "mit", "language": "en", "task_categories": ["image-to-text"]})
        == "task_category: image-to-text"
    )
    assert card({"license": "mit"}) is None  # no language: decided from the rows later


def test_policy_options_switch_rules() -> None:
    lenient = PolicyOptions(
        allow_code=True, keep_multilingual=True, allow_licenses=("other",), disabled_rules=("gated",)
    )
    assert (
        check_card(dataset_facts({"license": "other", "language": ["en", "code", "de"]}, []), lenient) is None
    )
    assert check_repo(_listed(gated="auto"), lenient) is None
    facts = dataset_facts({"language": ["en", "de"]}, [])
    assert multilinguality(facts, {}) == "multilingual"
    assert (
        multilinguality(dataset_facts({"language": "en"}, []), {"t": {"_type": "Translation"}})
        == "translation"
    )


def test_config_rules_drop_media_single_field_and_empty_configs() -> None:
    opts = PolicyOptions()
    assert check_config({"img": {"_type": "Image"}, "t": TEXT}, [{"t": "x"}], opts) == "media_feature: Image"
    nested_audio = {"clips": {"feature": {"_type": "Audio"}, "_type": "List"}, "t": TEXT}
    assert check_config(nested_audio, [{}], opts) == "media_feature: Audio"
    assert check_config({"t": TEXT}, [{"t": "x"}], opts) == "too_few_fields: 1"
    assert check_config({"t": TEXT, "l": LABEL}, [], opts) == "no_rows"
    assert check_config({"t": TEXT, "l": LABEL}, [{"t": "x"}], opts) is None


def test_config_rules_keep_translation_features_with_an_allowed_language_when_asked() -> None:
    opts = PolicyOptions(keep_translation=True)
    en_fr = {"translation": {"languages": ["en", "fr"], "_type": "Translation"}}
    assert check_config(en_fr, [{}], opts) is None  # one feature, two fields once flattened
    assert check_config(en_fr, [{}], PolicyOptions()) == "translation"
    de_fr = {"translation": {"languages": ["de", "fr"], "_type": "Translation"}}
    assert check_config(de_fr, [{}], opts) == "language_not_allowed: de,fr"
    regional = {"translation": {"languages": ["en-GB", "fr-FR"], "_type": "Translation"}}
    assert check_config(regional, [{}], opts) is None
    variable = {"t": {"languages": ["en", "fr"], "_type": "TranslationVariableLanguages"}, "x": TEXT}
    assert check_config(variable, [{}], opts) == "translation_variable_languages"
    assert (
        check_config({**en_fr, "translation_fr": TEXT}, [{}], opts)
        == "translation_field_clash: translation_fr"
    )
    assert (
        check_config(en_fr, [{}], PolicyOptions(keep_translation=True, min_fields=3)) == "too_few_fields: 2"
    )


def test_translation_features_and_rows_flatten_to_one_text_field_per_language() -> None:
    listed = [
        {
            "feature_idx": 1,
            "name": "translation",
            "type": {"languages": ["en", "fr"], "_type": "Translation"},
        },
        {"feature_idx": 0, "name": "label", "type": LABEL},
    ]
    assert flatten_feature_list(listed) == [
        {"feature_idx": 0, "name": "label", "type": LABEL},
        {"feature_idx": 1, "name": "translation_en", "type": TEXT},
        {"feature_idx": 2, "name": "translation_fr", "type": TEXT},
    ]
    languages = translation_languages(feature_map(listed))
    assert languages == {"translation": ["en", "fr"]}
    row = {"label": "pos", "translation": {"en": "Hello.", "fr": "Bonjour."}}
    assert flatten_row(row, languages) == {
        "label": "pos",
        "translation_en": "Hello.",
        "translation_fr": "Bonjour.",
    }
    assert flatten_row({"translation": None}, languages) == {"translation_en": None, "translation_fr": None}
    assert flatten_names({"t": TEXT}) == ["t"]


def test_row_language_detection_is_deterministic() -> None:
    rows = [{"t": "The quick brown fox jumps over the lazy dog near the river bank."}]
    assert {detect_language(rows) for _ in range(3)} == {"en"}
    assert detect_language([{"t": "Der schnelle braune Fuchs springt über den faulen Hund."}]) == "de"
    assert detect_language([{"n": 3}]) is None


def test_split_choice_prefers_train_then_validation_and_never_takes_test_unasked() -> None:
    entries = [
        {"config": "a", "split": "test"},
        {"config": "a", "split": "validation"},
        {"config": "b", "split": "test"},
        {"config": "c", "split": "train"},
        {"config": "c", "split": "validation"},
    ]
    assert choose_splits(entries, 20) == ([("a", "validation"), ("b", None), ("c", "train")], 3)
    assert choose_splits(entries, 2) == ([("a", "validation"), ("b", None)], 3)
    assert choose_splits(entries, 20, ("test",)) == ([("a", "test"), ("b", "test"), ("c", None)], 3)
    assert choose_splits(entries, 20, ("validation", "train")) == (
        [("a", "validation"), ("b", None), ("c", "validation")],
        3,
    )


def test_pacer_spaces_requests_to_stay_under_any_window() -> None:
    now = [0.0]
    pacer = Pacer({"api": Quota(20, 10.0)}, slack=0.1, clock=lambda: now[0])
    sends = []
    for _ in range(41):
        now[0] += pacer.reserve("api")
        sends.append(now[0])
    # No window of 10 s holds more than 20 sends, even if each could arrive 0.1 s late.
    for i in range(len(sends) - 20):
        assert sends[i + 20] - sends[i] >= 10.0 + 0.1 - 1e-9
    assert sends[-1] == pytest.approx(40 * 10.1 / 20)
    assert pacer.reserve("viewer") == 0.0  # no quota, no spacing
    pacer.pause("viewer", 3.0)
    assert pacer.reserve("viewer") == pytest.approx(3.0)


def test_hub_plans_and_overrides() -> None:
    quotas = plan_quotas("free", resolvers=20, window=10)
    assert quotas["api"] == Quota(1000, 10) and quotas["resolvers"] == Quota(20, 10)
    with pytest.raises(ValueError):
        plan_quotas("enterprise-ish")


def test_transport_retries_then_reports_the_last_error() -> None:
    answers = iter([503, 429, 200, 500, 500, 500])
    core = TransportCore(
        Router("http://hub", "http://hub/viewer"), Pacer(), RequestStats(), RetryPolicy(3, 0.001)
    )
    mock = httpx.MockTransport(
        lambda request: httpx.Response(next(answers), headers={"x-error-code": "Busy"})
    )
    with httpx.Client(transport=PacedTransport(core, mock)) as client:
        assert client.get("http://hub/api/datasets").status_code == 200
        with pytest.raises(RequestFailed) as failure:
            client.get("http://hub/viewer/rows")
    assert failure.value.reason == "http 500 Busy"
    stats = core.stats.as_dict()
    assert stats["requests"] == {"api": 3, "viewer": 3}
    assert stats["rate_limited"] == 1 and stats["retries"] == 4 and stats["failed"] == 1


def test_router_names_hub_buckets() -> None:
    router = Router("http://127.0.0.1:9", "http://127.0.0.1:9/viewer")
    assert router.bucket("http://127.0.0.1:9/api/datasets?limit=3") == "api"
    assert router.bucket("http://127.0.0.1:9/datasets/a/b/resolve/main/README.md") == "resolvers"
    assert router.bucket("http://127.0.0.1:9/viewer/rows?dataset=x") == "viewer"
    assert router.bucket("https://cdn.example/x") == "other"


def test_state_replaces_lines_and_forgets_vanished_datasets(tmp_path) -> None:
    with CrawlState(tmp_path / "state.sqlite") as state:
        kept = DatasetOutcome(dataset="a", sha="1", status="kept", lines=[{"task_name": "a", "x": 1}])
        state.save(kept, "fp", "q1")
        state.save(DatasetOutcome.skipped("b", "2", "gated"), "fp", "q2")
        state.save(
            DatasetOutcome(dataset="a", sha="3", status="kept", lines=[{"task_name": "a", "x": 2}]),
            "fp",
            "q1",
        )
        assert [line for _, line in state.lines()] == [{"task_name": "a", "x": 2}]
        entry = state.entries()["a"]
        assert not state.needs_crawl(entry, "3", "fp")
        assert state.needs_crawl(entry, "4", "fp") and state.needs_crawl(entry, "3", "other")
        assert state.remove_vanished({"a"}, "q1", whole_hub=False) == []
        assert state.remove_vanished(set(), "q1", whole_hub=False) == ["a"]
        assert list(state.lines()) == []
        assert state.remove_vanished(set(), "q1", whole_hub=True) == ["b"]


def test_state_that_is_not_sqlite_is_a_clear_error(tmp_path) -> None:
    path = tmp_path / "state.sqlite"
    path.write_text("not a database")
    with pytest.raises(StateError, match="not a crawl state"):
        CrawlState(path)


def test_listing_query_key_ignores_sort_and_limit() -> None:
    assert ListingQuery(filters=("b", "a"), sort="likes", limit=3).key == ListingQuery(filters=("a", "b")).key
    assert ListingQuery().whole_hub and not ListingQuery(search="x").whole_hub


def test_a_429_pauses_its_bucket_for_the_reset_time_the_server_names() -> None:
    limited = httpx.Response(
        429, headers={"RateLimit": '"api";r=0;t=7', "RateLimit-Policy": '"fixed window";"api";q=5;w=300'}
    )
    core = TransportCore(
        Router("http://hub", "http://hub/viewer"), Pacer(), RequestStats(), RetryPolicy(attempts=1)
    )
    client = httpx.Client(transport=PacedTransport(core, httpx.MockTransport(lambda request: limited)))
    with client, pytest.raises(RequestFailed, match="http 429"):
        client.get("http://hub/api/datasets")
    assert 6.5 < core.pacer.reserve("api") <= 7.0
    assert core.pacer.reserve("resolvers") == 0.0
    assert server_wait(httpx.Response(503, headers={"Retry-After": "3"})) == 3.0
    assert server_wait(httpx.Response(503)) is None


# Every preset against the Hub's real license ids: what it keeps, and the class that drops the rest.
LICENSE_CASES = {
    "mit": ("permissive", "open", "research", "any-known"),
    "apache-2.0": ("permissive", "open", "research", "any-known"),
    "cc-by-4.0": ("permissive", "open", "research", "any-known"),
    "cc0-1.0": ("permissive", "open", "research", "any-known"),
    "odc-by": ("permissive", "open", "research", "any-known"),
    "cc-by-sa-4.0": ("open", "research", "any-known"),
    "cc-by-sa-3.0": ("open", "research", "any-known"),
    "odbl": ("open", "research", "any-known"),
    "gpl-3.0": ("open", "research", "any-known"),
    "agpl-3.0": ("open", "research", "any-known"),
    "lgpl-2.1": ("open", "research", "any-known"),
    "lgpl-lr": ("open", "research", "any-known"),
    "gfdl": ("open", "research", "any-known"),
    "ofl-1.1": ("open", "research", "any-known"),
    "cc-by-nc-4.0": ("research", "any-known"),
    "cc-by-nc-sa-4.0": ("research", "any-known"),
    "cc-by-nc-2.0": ("research", "any-known"),
    "c-uda": ("research", "any-known"),
    "cc-by-nd-4.0": ("any-known",),
    "cc-by-nc-nd-4.0": ("any-known",),
    "openrail": ("any-known",),
    "openrail++": ("any-known",),
    "bigscience-openrail-m": ("any-known",),
    "bigscience-bloom-rail-1.0": ("any-known",),
    "llama2": ("any-known",),
    "llama3.1": ("any-known",),
    "gemma": ("any-known",),
    "apple-ascl": ("any-known",),
    "cc": ("any-known",),
    "other": (),
    "unknown": (),
    "my-own-terms": (),
}


def test_every_license_preset_keeps_exactly_the_license_ids_it_names() -> None:
    for license_id, keepers in LICENSE_CASES.items():
        for preset in PRESETS:
            reason = denied_license([license_id], preset)
            assert (reason is None) == (preset in keepers), (license_id, preset, reason)
    assert denied_license(["cc-by-nc-sa-4.0"], "open") == "cc-by-nc-sa-4.0 (nc; policy open)"
    assert denied_license(["other"], "any-known") == "other (unrecognized; policy any-known)"
    assert denied_license(["CC BY-SA 4.0"], "open") is None  # spelled as people write it


def test_a_list_of_licenses_takes_the_strictest_and_overrides_name_ids() -> None:
    assert denied_license(["mit", "cc-by-4.0"], "permissive") is None
    assert denied_license(["mit", "cc-by-sa-4.0", "cc-by-nc-4.0"], "permissive") == (
        "cc-by-nc-4.0 (nc; policy permissive)"
    )
    assert denied_license(["mit", "cc-by-nc-4.0"], "research") is None
    assert (
        denied_license(["cc-by-nc-4.0", "cc-by-nd-4.0"], "research") == "cc-by-nd-4.0 (nd; policy research)"
    )
    assert denied_license(["ofl-1.1"], "permissive", allow=["ofl-1.1"]) is None
    assert denied_license(["mit"], "permissive", deny=["MIT"]) == "mit (denied by name; policy permissive)"
    with pytest.raises(ValueError, match="unknown license policy 'lax'"):
        PolicyOptions(license_policy="lax")


def test_hub_cards_are_read_on_the_event_loop_paced_counted_and_mapped() -> None:
    import asyncio

    from crawl.hub import CardUnavailable, HubClient
    from crawl.transport import AsyncPacedTransport

    seen: list[httpx.Request] = []
    answers = {
        "has-card": httpx.Response(200, content=b"# Card\n"),
        "no-card": httpx.Response(404, headers={"X-Error-Code": "EntryNotFound"}),
        "gated": httpx.Response(403, headers={"X-Error-Code": "GatedRepo"}, json={"error": "gated"}),
        "moved": httpx.Response(404, headers={"X-Error-Code": "RevisionNotFound"}),
    }

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers[request.url.path.split("/")[3]]

    endpoint = "http://127.0.0.1:9"
    core = TransportCore(
        Router(endpoint, endpoint + "/viewer"), Pacer(), RequestStats(), RetryPolicy(3, 0.001)
    )
    mock = httpx.MockTransport(answer)
    hub = HubClient(
        endpoint,
        token="hf_secret",
        transport=PacedTransport(core, mock),
        async_transport=AsyncPacedTransport(core, mock),
    )
    revision = "a" * 40

    async def read() -> list[bytes | None]:
        with pytest.raises(RuntimeError, match="async_session"):
            await hub.card("org/has-card", revision)
        found: list[bytes | None] = []
        async with hub.async_session():
            found.append(await hub.card("org/has-card", revision))
            found.append(await hub.card("org/no-card", revision))
            with pytest.raises(CardUnavailable, match="gated"):
                await hub.card("org/gated", revision)
            with pytest.raises(RequestFailed):  # the dataset moved on since the listing
                await hub.card("org/moved", revision)
        with pytest.raises(RuntimeError):  # closed with the session
            await hub.card("org/has-card", revision)
        return found

    assert asyncio.run(read()) == [b"# Card\n", None]
    assert [r.url.path for r in seen][:2] == [
        f"/datasets/org/has-card/resolve/{revision}/README.md",
        f"/datasets/org/no-card/resolve/{revision}/README.md",
    ]
    assert all(r.headers["authorization"] == "Bearer hf_secret" for r in seen)
    assert all(r.headers["user-agent"].startswith("dynosaur-crawl/") for r in seen)
    assert core.stats.as_dict()["requests"] == {"resolvers": 4}  # counted with the Hub's other requests
