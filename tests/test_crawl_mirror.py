"""The crawl through the real huggingface_hub and httpx clients against the local Hub mirror."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from crawl.listing import ListingQuery
from crawl.policy import PolicyOptions
from crawl.ratelimit import plan_quotas
from crawl.summary import format_summary
from hubmirror import MirrorServer, QuotaConfig
from hubmirror.demo.snapshot import card_text, make_dataset
from tests.test_crawl_support import (
    EN_MIT,
    LABEL,
    TEXT,
    crawl,
    dataset,
    outputs,
    paths_requested,
    read_jsonl,
    reports,
    reviews,
    text_config,
    write_hub,
)

FIELD_ORDER = [
    "task_name", "dataset", "config", "split", "revision", "license", "website", "languages",
    "multilinguality", "summary", "supported_task", "data_fields", "task_category", "task_ids",
    "features", "selected_data", "row_indices",
]  # fmt: skip


def test_kept_dataset_lines_follow_the_contract_with_label_names(tmp_path: Path) -> None:
    hub = write_hub(tmp_path / "hub", [dataset("acme/reviews", downloads=5)])
    with MirrorServer(hub) as mirror:
        result = crawl(mirror, tmp_path / "out")
        requested = paths_requested(mirror)
    out = tmp_path / "out"
    meta = read_jsonl(out / "huggingface_metadata.jsonl")
    data = read_jsonl(out / "huggingface_data.jsonl")
    assert result.exit_code == 0
    assert [list(line) for line in meta] == [FIELD_ORDER]
    line = meta[0]
    assert line["task_name"] == "acme/reviews" and line["config"] == "default" and line["split"] == "train"
    assert line["license"] == "mit" and line["languages"] == ["en"] and line["multilinguality"] == "english"
    # a snapshot that names no origin: its Hub is the endpoint crawled
    assert line["website"] == f"{mirror.url}/datasets/acme/reviews"
    assert line["summary"] == "Short product reviews." and line["data_fields"] == "- text: the review"
    assert line["task_category"] == ["text-classification"]
    assert line["selected_data"] == [
        {"text": "review number 0 is bad", "label": "negative"},
        {"text": "review number 1 is good", "label": "positive"},
    ]
    assert len(data[0]["selected_data"]) == 3 and data[0]["selected_data"][2]["label"] == "negative"
    assert data[0]["row_indices"] == [0, 1, 2] and line["row_indices"] == [0, 1]
    licenses = json.loads((out / "license_info.json").read_text())
    assert licenses == {"acme/reviews": {"license": "mit", "website": f"{mirror.url}/datasets/acme/reviews"}}
    assert reports(out)["acme/reviews"]["status"] == "kept"
    # listing, then one card GET, /splits and /rows
    assert len(requested) == 4 and requested[0].startswith("GET /api/datasets?")
    assert [p.split("?")[0] for p in requested[1:]] == [
        f"GET /datasets/acme/reviews/resolve/{line['revision']}/README.md",
        "GET /viewer/splits",
        "GET /viewer/rows",
    ]


def test_website_is_the_public_hub_page_whatever_port_the_mirror_listens_on(tmp_path: Path) -> None:
    hub = write_hub(
        tmp_path / "hub", [dataset("acme/reviews"), dataset("squad")], origin="https://huggingface.co"
    )
    with MirrorServer(hub) as first, MirrorServer(hub) as second:
        assert first.port != second.port
        crawl(first, tmp_path / "first")
        crawl(second, tmp_path / "second")
        origins = {
            httpx.get(f"{first.url}{path}").headers.get("x-hub-origin")
            for path in ("/api/datasets", "/nowhere")
        }
    assert origins == {"https://huggingface.co"}
    lines = read_jsonl(tmp_path / "first" / "huggingface_data.jsonl")
    assert [line["website"] for line in lines] == [
        "https://huggingface.co/datasets/acme/reviews",
        "https://huggingface.co/datasets/squad",
    ]
    assert json.loads((tmp_path / "first" / "license_info.json").read_text())["squad"] == {
        "license": "mit",
        "website": "https://huggingface.co/datasets/squad",
    }
    assert outputs(tmp_path / "first") == outputs(tmp_path / "second")  # byte for byte, no port anywhere


def test_every_skip_reason_reaches_the_report(tmp_path: Path) -> None:
    french_rows = [{"text": "Le petit chat dort sur le canapé tout l'après-midi.", "label": 1}] * 3
    english_rows = [{"text": "The little cat sleeps on the sofa all afternoon long.", "label": 1}] * 3
    video = {"clip": {"_type": "Video"}, "text": TEXT}
    hub = write_hub(
        tmp_path / "hub",
        [
            dataset("ok"),
            dataset("gated", gated="manual"),
            dataset("secret", private=True),
            dataset("off", disabled=True),
            dataset("nolicense", {"language": ["en"]}),
            dataset("noderivs", {"license": "cc-by-nc-nd-4.0", "language": "en"}),
            dataset("french", {"license": "mit", "language": ["fr"]}),
            dataset("bilingual", {"license": "mit", "language": ["en", "de"]}),
            dataset("pairs", {"license": "mit", "language": ["en", "de"], "multilinguality": "translation"}),
            dataset(
                "pairs-de-fr", {"license": "mit", "language": ["de", "fr"], "multilinguality": "translation"}
            ),
            dataset("withcode", {"license": "mit", "language": ["en", "code"]}),
            dataset("captions", {"license": "mit", "language": "en", "task_categories": ["image-to-text"]}),
            dataset("pictures", configs=text_config(features={"image": {"_type": "Image"}, "text": TEXT})),
            dataset("clips", configs=text_config([{"clip": None, "text": "x"}], video)),
            dataset("onefield", configs=text_config([{"text": "x"}], {"text": TEXT})),
            dataset("empty", configs=text_config([])),
            dataset("noviewer", viewer=False),
            make_dataset("nocard", card=None, configs=text_config()),
            dataset("guessfr", {"license": "mit"}, configs=text_config(french_rows)),
            dataset("guessen", {"license": "mit"}, configs=text_config(english_rows)),
        ],
    )
    with MirrorServer(hub) as mirror:
        crawl(mirror, tmp_path / "out", token="hf_test_token_for_private_listing")
        requested = paths_requested(mirror)
        crawl(mirror, tmp_path / "kept", policy=PolicyOptions(keep_translation=True))
    found = {name: (line["status"], line["reason"]) for name, line in reports(tmp_path / "out").items()}
    assert found == {
        "ok": ("kept", None),
        "guessen": ("kept", None),
        "pairs": ("skipped", "translation"),
        "gated": ("skipped", "gated: manual"),
        "secret": ("skipped", "private"),
        "off": ("skipped", "disabled"),
        "nolicense": ("skipped", "license_missing"),
        "noderivs": ("skipped", "license_denied: cc-by-nc-nd-4.0 (nd; policy permissive)"),
        "french": ("skipped", "language_not_allowed: fr"),
        "bilingual": ("skipped", "multilingual: de"),
        "pairs-de-fr": ("skipped", "language_not_allowed: de,fr"),
        "withcode": ("skipped", "language_not_allowed: code"),
        "captions": ("skipped", "task_category: image-to-text"),
        "pictures": ("skipped", "modality: image"),
        "clips": ("skipped", "media_feature: Video"),
        "onefield": ("skipped", "too_few_fields: 1"),
        "empty": ("skipped", "no_rows"),
        "noviewer": ("skipped", "viewer_unavailable: 404 ResponseNotFound"),
        "nocard": ("skipped", "no_card"),
        "guessfr": ("skipped", "language_detected: fr"),
    }
    # Listing checks cost no request: nothing but the listing names these datasets.
    for name in (
        "gated",
        "secret",
        "off",
        "nolicense",
        "noderivs",
        "french",
        "bilingual",
        "pairs-de-fr",
        "pairs",  # a translation dataset: English by default, decided from the listing alone
        "pictures",
        "captions",
    ):
        assert not [
            p for p in requested if f"/{name}/" in p or f"dataset={name}&" in p or p.endswith(f"={name}")
        ]
    kept = read_jsonl(tmp_path / "out" / "huggingface_metadata.jsonl")
    assert [line["task_name"] for line in kept] == ["guessen", "ok"]
    assert kept[0]["languages"] == ["en"]
    assert [line["multilinguality"] for line in kept] == ["english", "english"]
    # --keep-translation: the translation dataset is kept and marked
    with_translation = read_jsonl(tmp_path / "kept" / "huggingface_metadata.jsonl")
    assert [line["task_name"] for line in with_translation] == ["guessen", "ok", "pairs"]
    assert with_translation[2]["multilinguality"] == "translation"
    assert "language_detected: default: en" in reports(tmp_path / "out")["guessen"]["notes"]


def test_each_license_policy_keeps_what_it_names_and_a_license_list_takes_the_strictest(
    tmp_path: Path,
) -> None:
    licenses: dict[str, str | list[str]] = {
        "mit": "mit",
        "cc-by": "cc-by-4.0",
        "font": "ofl-1.1",
        "share-alike": "cc-by-sa-4.0",
        "gpl": "gpl-3.0",
        "nc": "cc-by-nc-4.0",
        "nc-sa": "cc-by-nc-sa-4.0",
        "nd": "cc-by-nd-4.0",
        "rail": "bigscience-openrail-m",
        "llama": "llama2",
        "custom": "other",
        "mit-and-nc": ["mit", "cc-by-nc-4.0"],
        "mit-and-sa": ["apache-2.0", "cc-by-sa-4.0"],
    }
    hub = write_hub(
        tmp_path / "hub",
        [dataset(name, {"license": value, "language": ["en"]}) for name, value in licenses.items()],
    )
    kept: dict[str, set[str]] = {}
    with MirrorServer(hub) as mirror:
        for preset in ("permissive", "open", "research", "any-known"):
            crawl(mirror, tmp_path / preset, policy=PolicyOptions(license_policy=preset))
            kept[preset] = {
                name for name, line in reports(tmp_path / preset).items() if line["status"] == "kept"
            }
        crawl(
            mirror,
            tmp_path / "fonts",
            policy=PolicyOptions(allow_licenses=("ofl-1.1",), deny_licenses=("mit",)),
        )
    assert kept["permissive"] == {"mit", "cc-by"}
    assert kept["open"] == {"mit", "cc-by", "font", "share-alike", "gpl", "mit-and-sa"}
    assert kept["research"] == kept["open"] | {"nc", "nc-sa", "mit-and-nc"}
    assert kept["any-known"] == set(licenses) - {"custom"}
    permissive = reports(tmp_path / "permissive")
    assert permissive["font"]["reason"] == "license_denied: ofl-1.1 (copyleft; policy permissive)"
    assert permissive["mit-and-nc"]["reason"] == "license_denied: cc-by-nc-4.0 (nc; policy permissive)"
    assert permissive["llama"]["reason"] == "license_denied: llama2 (model; policy permissive)"
    assert (
        reports(tmp_path / "any-known")["custom"]["reason"]
        == "license_denied: other (unrecognized; policy any-known)"
    )
    lines = {line["task_name"]: line for line in read_jsonl(tmp_path / "research" / "huggingface_data.jsonl")}
    assert lines["mit-and-nc"]["license"] == "mit, cc-by-nc-4.0"
    fonts = {name for name, line in reports(tmp_path / "fonts").items() if line["status"] == "kept"}
    assert fonts == {"cc-by", "font"}
    policy = json.loads((tmp_path / "research" / "crawl_policy.json").read_text())
    assert (
        policy["license_policy"]["name"] == "research"
        and "non-commercial" in policy["license_policy"]["description"]
    )


def test_translation_feature_is_kept_with_the_flag_marked_and_flattened_into_one_text_field_per_language(
    tmp_path: Path,
) -> None:
    translation = {"languages": ["en", "fr"], "_type": "Translation"}
    rows = [
        {"id": 0, "translation": {"en": "The cat sleeps.", "fr": "Le chat dort."}, "domain": 1},
        {"id": 1, "translation": {"en": "We read a book.", "fr": "Nous lisons un livre."}, "domain": 0},
        {"id": 2, "translation": {"en": "Only English here."}, "domain": 1},
    ]
    domain = {"names": ["news", "talk"], "_type": "ClassLabel"}
    features = {"id": {"dtype": "int64", "_type": "Value"}, "translation": translation, "domain": domain}
    only_feature = {"translation": translation}
    meta = {"license": "mit", "language": ["en", "fr"], "multilinguality": "translation"}
    hub = write_hub(
        tmp_path / "hub",
        [
            dataset("wmt/en-fr", meta, configs=text_config(rows, features)),
            # the card names English only: the Translation feature alone marks it
            dataset(
                "solo", configs=text_config([{"translation": r["translation"]} for r in rows], only_feature)
            ),
        ],
    )
    with MirrorServer(hub) as mirror:
        crawl(mirror, tmp_path / "out", policy=PolicyOptions(keep_translation=True))
        crawl(mirror, tmp_path / "default")
    lines = {line["task_name"]: line for line in read_jsonl(tmp_path / "out" / "huggingface_data.jsonl")}
    by_default = {
        name: (line["status"], line["reason"]) for name, line in reports(tmp_path / "default").items()
    }
    assert by_default == {"wmt/en-fr": ("skipped", "translation"), "solo": ("skipped", "translation")}
    line = lines["wmt/en-fr"]
    assert line["multilinguality"] == "translation" and line["languages"] == ["en", "fr"]
    assert line["features"] == [
        {"feature_idx": 0, "name": "id", "type": {"dtype": "int64", "_type": "Value"}},
        {"feature_idx": 1, "name": "translation_en", "type": {"dtype": "string", "_type": "Value"}},
        {"feature_idx": 2, "name": "translation_fr", "type": {"dtype": "string", "_type": "Value"}},
        {"feature_idx": 3, "name": "domain", "type": domain},
    ]
    assert line["selected_data"] == [
        {"id": 0, "translation_en": "The cat sleeps.", "translation_fr": "Le chat dort.", "domain": "talk"},
        {
            "id": 1,
            "translation_en": "We read a book.",
            "translation_fr": "Nous lisons un livre.",
            "domain": "news",
        },
        {"id": 2, "translation_en": "Only English here.", "translation_fr": None, "domain": "talk"},
    ]
    report = reports(tmp_path / "out")["wmt/en-fr"]
    assert report["status"] == "kept"
    assert "translation_flattened: default: translation -> translation_en, translation_fr" in report["notes"]
    solo = lines["solo"]
    assert solo["multilinguality"] == "translation" and [f["name"] for f in solo["features"]] == [
        "translation_en",
        "translation_fr",
    ]
    assert solo["selected_data"][0] == {
        "translation_en": "The cat sleeps.",
        "translation_fr": "Le chat dort.",
    }


def test_translation_features_without_english_or_fixed_languages_are_skipped_with_a_reason(
    tmp_path: Path,
) -> None:
    de_fr = {"translation": {"languages": ["de", "fr"], "_type": "Translation"}}
    variable = {"translation": {"languages": ["en", "fr"], "_type": "TranslationVariableLanguages"}}
    clash = {
        "translation": {"languages": ["en", "fr"], "_type": "Translation"},
        "translation_en": TEXT,
    }
    pair = {"de": "Die Katze schläft.", "fr": "Le chat dort.", "en": "The cat sleeps."}
    hub = write_hub(
        tmp_path / "hub",
        [
            # no card language: the Translation feature's languages decide
            dataset("de-fr", {"license": "mit"}, configs=text_config([{"translation": pair}], de_fr)),
            dataset(
                "variable",
                configs=text_config(
                    [{"translation": {"language": ["en", "fr"], "translation": ["a", "b"]}}], variable
                ),
            ),
            dataset("clash", configs=text_config([{"translation": pair, "translation_en": "x"}], clash)),
            dataset(
                "en-fr", configs=text_config([{"translation": pair}], {"translation": clash["translation"]})
            ),
        ],
    )
    with MirrorServer(hub) as mirror:
        crawl(mirror, tmp_path / "out", policy=PolicyOptions(keep_translation=True))
        crawl(mirror, tmp_path / "dropped")
    found = {name: (line["status"], line["reason"]) for name, line in reports(tmp_path / "out").items()}
    assert found == {
        "de-fr": ("skipped", "language_not_allowed: de,fr"),
        "variable": ("skipped", "translation_variable_languages"),
        "clash": ("skipped", "translation_field_clash: translation_en"),
        "en-fr": ("kept", None),
    }
    dropped = {name: (line["status"], line["reason"]) for name, line in reports(tmp_path / "dropped").items()}
    assert dropped == {name: ("skipped", "translation") for name in ("de-fr", "variable", "clash", "en-fr")}
    assert read_jsonl(tmp_path / "dropped" / "huggingface_data.jsonl") == []


def test_several_configs_make_one_task_each_up_to_max_configs(tmp_path: Path) -> None:
    configs = {
        name: {
            "train": {"features": {"text": TEXT, "label": LABEL}, "rows": reviews(2)},
            "test": {"features": {"text": TEXT, "label": LABEL}, "rows": reviews(1)},
        }
        for name in ("sst2", "cola", "mnli")
    }
    configs["pics"] = {
        "validation": {"features": {"image": {"_type": "Video"}, "text": TEXT}, "rows": [{"text": "x"}]}
    }
    hub = write_hub(tmp_path / "hub", [dataset("glue", configs=configs)])
    with MirrorServer(hub) as mirror:
        crawl(mirror, tmp_path / "all")
        crawl(mirror, tmp_path / "two", max_configs=2)
    lines = read_jsonl(tmp_path / "all" / "huggingface_metadata.jsonl")
    assert [(line["task_name"], line["split"]) for line in lines] == [
        ("glue-cola", "train"),
        ("glue-mnli", "train"),
        ("glue-sst2", "train"),
    ]
    report = reports(tmp_path / "all")["glue"]
    assert report["configs_kept"] == ["sst2", "cola", "mnli"]
    assert report["configs_skipped"] == {"pics": "media_feature: Video"}
    two = reports(tmp_path / "two")["glue"]
    assert two["configs_kept"] == ["sst2", "cola"] and "configs_truncated: 2 of 4" in two["notes"]


def test_test_splits_never_become_training_rows_unless_named(tmp_path: Path) -> None:
    def split(n: int, offset: int = 0) -> dict:
        return {"features": {"text": TEXT, "label": LABEL}, "rows": reviews(n, offset)}

    hub = write_hub(
        tmp_path / "hub",
        [
            dataset("eval-only", configs={"default": {"test": split(3)}}),
            dataset("dev", configs={"default": {"test": split(2), "validation": split(3, 10)}}),
            dataset(
                "mixed", configs={"full": {"train": split(3), "test": split(2)}, "probe": {"test": split(2)}}
            ),
        ],
    )
    with MirrorServer(hub) as mirror:
        crawl(mirror, tmp_path / "out")
        asked = [r.params for r in mirror.requests if r.path == "/viewer/rows"]
        crawl(mirror, tmp_path / "with-test", splits=("train", "test"))
    found = reports(tmp_path / "out")
    assert (found["eval-only"]["status"], found["eval-only"]["reason"]) == ("skipped", "no_train_split")
    assert found["eval-only"]["configs_skipped"] == {"default": "no_train_split"}
    assert found["mixed"]["status"] == "kept" and found["mixed"]["configs_skipped"] == {
        "probe": "no_train_split"
    }
    assert {p["split"][0] for p in asked} == {"train", "validation"}  # no test rows are even read
    lines = {line["task_name"]: line for line in read_jsonl(tmp_path / "out" / "huggingface_data.jsonl")}
    assert {name: line["split"] for name, line in lines.items()} == {
        "dev": "validation",
        "mixed-full": "train",
    }
    assert lines["dev"]["selected_data"][0]["text"] == "review number 10 is bad"
    named = {
        line["task_name"]: line["split"]
        for line in read_jsonl(tmp_path / "with-test" / "huggingface_data.jsonl")
    }
    assert named == {"eval-only": "test", "dev": "test", "mixed-full": "train", "mixed-probe": "test"}


def test_rows_beyond_one_page_are_paged(tmp_path: Path) -> None:
    hub = write_hub(tmp_path / "hub", [dataset("big", configs=text_config(reviews(260)))])
    with MirrorServer(hub) as mirror:
        crawl(mirror, tmp_path / "out", rows=250)
        pages = [r.params for r in mirror.requests if r.path == "/viewer/rows"]
    assert [(p["offset"], p["length"]) for p in pages] == [
        (["0"], ["100"]),
        (["100"], ["100"]),
        (["200"], ["50"]),
    ]
    data = read_jsonl(tmp_path / "out" / "huggingface_data.jsonl")[0]["selected_data"]
    assert (
        len(data) == 250
        and data[249]["text"] == "review number 249 is good"
        and data[249]["label"] == "positive"
    )
    assert len(read_jsonl(tmp_path / "out" / "huggingface_metadata.jsonl")[0]["selected_data"]) == 2


def test_listing_follows_pages_and_limit_stops_early(tmp_path: Path) -> None:
    hub = write_hub(tmp_path / "hub", [dataset(f"ds{i}", downloads=i) for i in range(5)])
    with MirrorServer(hub, page_size=2) as mirror:
        result = crawl(mirror, tmp_path / "all")
        assert mirror.count(bucket="api") == 3 and result.listed == 5 and result.complete
        mirror.reset_log()
        limited = crawl(mirror, tmp_path / "top", query=ListingQuery(limit=3))
        assert mirror.count(bucket="api") == 2 and not limited.complete
    top = [line["task_name"] for line in read_jsonl(tmp_path / "top" / "huggingface_metadata.jsonl")]
    assert top == ["ds2", "ds3", "ds4"]  # the three most downloaded


def test_unchanged_rerun_lists_only(tmp_path: Path) -> None:
    hub = write_hub(tmp_path / "hub", [dataset(f"ds{i}") for i in range(4)] + [dataset("gated", gated=True)])
    with MirrorServer(hub) as mirror:
        crawl(mirror, tmp_path / "out")
        before = outputs(tmp_path / "out")
        mirror.reset_log()
        result = crawl(mirror, tmp_path / "out")
        assert [r.path for r in mirror.requests] == ["/api/datasets"]
    assert result.crawled == 0 and result.unchanged == 5
    assert outputs(tmp_path / "out") == before


def test_changed_sha_refetches_only_that_dataset(tmp_path: Path) -> None:
    old = write_hub(tmp_path / "old", [dataset("stays"), dataset("changes")])
    new = write_hub(
        tmp_path / "new", [dataset("stays"), dataset("changes", configs=text_config(reviews(3, offset=100)))]
    )
    with MirrorServer(old) as mirror:
        crawl(mirror, tmp_path / "out")
        mirror.set_snapshot(new)
        mirror.reset_log()
        result = crawl(mirror, tmp_path / "out")
        touched = {r.params.get("dataset", [r.path])[0] for r in mirror.requests if r.path != "/api/datasets"}
    assert result.crawled == 1
    assert all("changes" in item for item in touched)
    lines = {line["task_name"]: line for line in read_jsonl(tmp_path / "out" / "huggingface_data.jsonl")}
    assert lines["changes"]["selected_data"][0]["text"] == "review number 100 is bad"
    assert lines["changes"]["revision"] == make_dataset_sha(new, "changes")
    assert len(lines) == 2


def make_dataset_sha(root: Path, repo_id: str) -> str:
    return json.loads((root / "datasets" / repo_id / "api.json").read_text())["sha"]


def test_vanished_dataset_lines_go_away_only_after_a_complete_listing(tmp_path: Path) -> None:
    both = write_hub(tmp_path / "both", [dataset("a", downloads=2), dataset("b", downloads=1)])
    only_a = write_hub(tmp_path / "only_a", [dataset("a", downloads=2)])
    with MirrorServer(both) as mirror:
        crawl(mirror, tmp_path / "out")
        mirror.set_snapshot(only_a)
        partial = crawl(mirror, tmp_path / "out", query=ListingQuery(limit=1))
        assert partial.removed == []
        assert "b" in reports(tmp_path / "out")
        complete = crawl(mirror, tmp_path / "out")
    assert complete.removed == ["b"]
    assert [line["task_name"] for line in read_jsonl(tmp_path / "out" / "huggingface_data.jsonl")] == ["a"]
    assert list(reports(tmp_path / "out")) == ["a"]
    assert list(json.loads((tmp_path / "out" / "license_info.json").read_text())) == ["a"]


def test_a_filtered_listing_removes_only_what_it_selected_before(tmp_path: Path) -> None:
    hub = write_hub(
        tmp_path / "hub",
        [dataset("mit-one"), dataset("apache-one", {"license": "apache-2.0", "language": "en"})],
    )
    smaller = write_hub(
        tmp_path / "smaller", [dataset("apache-one", {"license": "apache-2.0", "language": "en"})]
    )
    with MirrorServer(hub) as mirror:
        crawl(mirror, tmp_path / "out", query=ListingQuery(filters=("license:mit",)))
        crawl(mirror, tmp_path / "out", query=ListingQuery(filters=("license:apache-2.0",)))
        assert sorted(reports(tmp_path / "out")) == ["apache-one", "mit-one"]
        mirror.set_snapshot(smaller)
        result = crawl(mirror, tmp_path / "out", query=ListingQuery(filters=("license:apache-2.0",)))
        assert result.removed == []
        result = crawl(mirror, tmp_path / "out", query=ListingQuery(filters=("license:mit",)))
    assert result.removed == ["mit-one"]


def test_viewer_that_never_recovers_fails_the_dataset_and_the_next_run_retries(tmp_path: Path) -> None:
    error = {"status": 500, "code": "ResponseNotReady", "message": "not ready"}
    broken = write_hub(tmp_path / "broken", [dataset("fine"), dataset("slow", viewer_error=error)])
    fixed = write_hub(tmp_path / "fixed", [dataset("fine"), dataset("slow")])
    with MirrorServer(broken) as mirror:
        first = crawl(mirror, tmp_path / "out")
        assert reports(tmp_path / "out")["slow"]["status"] == "failed"
        assert reports(tmp_path / "out")["slow"]["reason"] == "viewer_failed: http 500 ResponseNotReady"
        assert first.exit_code == 3 and first.requests["not_ready"] == 2 and first.requests["failed"] == 0
        # three not-ready answers in the first pass, three more in the second, then the next run
        assert mirror.count(bucket="viewer", status=500) == 6
        assert (first.deferred, first.recovered) == (1, 0)
        assert "deferred (viewer not ready) 1: 0 answered in the second pass, 1 failed" in format_summary(
            first
        )
        mirror.set_snapshot(fixed)
        mirror.reset_log()
        second = crawl(mirror, tmp_path / "out")
        assert {r.params["dataset"][0] for r in mirror.requests if r.bucket == "viewer"} == {"slow"}
    assert second.exit_code == 0 and second.crawled == 1
    assert reports(tmp_path / "out")["slow"]["status"] == "kept"


def test_other_viewer_errors_are_retried_every_attempt(tmp_path: Path) -> None:
    error = {"status": 500, "code": "UnexpectedError", "message": "boom"}
    hub = write_hub(tmp_path / "hub", [dataset("flaky", viewer_error=error)])
    with MirrorServer(hub) as mirror:
        result = crawl(mirror, tmp_path / "out")
        assert mirror.count(bucket="viewer", status=500) == 8
    assert reports(tmp_path / "out")["flaky"]["reason"] == "viewer_failed: http 500 UnexpectedError"
    assert result.exit_code == 3


def test_policy_change_recrawls_with_the_new_rules(tmp_path: Path) -> None:
    hub = write_hub(tmp_path / "hub", [dataset("coded", {"license": "mit", "language": ["en", "code"]})])
    with MirrorServer(hub) as mirror:
        crawl(mirror, tmp_path / "out")
        assert reports(tmp_path / "out")["coded"]["status"] == "skipped"
        crawl(mirror, tmp_path / "out", policy=PolicyOptions(allow_code=True))
    assert reports(tmp_path / "out")["coded"]["status"] == "kept"


def test_card_without_yaml_keeps_listing_facts_and_sections(tmp_path: Path) -> None:
    plain = card_text(None, "# Plain\n\n### Dataset Summary\n\nNo metadata here.\n")
    hub = write_hub(
        tmp_path / "hub",
        [make_dataset("plain", card=plain, configs=text_config(), tags=["license:mit", "language:en"])],
    )
    with MirrorServer(hub) as mirror:
        crawl(mirror, tmp_path / "out")
    line = read_jsonl(tmp_path / "out" / "huggingface_metadata.jsonl")[0]
    assert line["license"] == "mit" and line["summary"] == "No metadata here."


def test_a_card_with_setext_headings_yields_its_sections(tmp_path: Path) -> None:
    body = (
        "Reviews\n=======\n\nDataset Summary\n---------------\n\nUnderlined, not hashed.\n\n"
        "Data Fields\n-----------\n\n- text: the review\n"
    )
    hub = write_hub(tmp_path / "hub", [dataset("setext", card=card_text(EN_MIT, body))])
    with MirrorServer(hub) as mirror:
        crawl(mirror, tmp_path / "out")
    line = read_jsonl(tmp_path / "out" / "huggingface_metadata.jsonl")[0]
    assert line["summary"] == "Underlined, not hashed." and line["data_fields"] == "- text: the review"


def test_full_recrawls_every_listed_dataset(tmp_path: Path) -> None:
    hub = write_hub(tmp_path / "hub", [dataset("a"), dataset("b")])
    with MirrorServer(hub) as mirror:
        crawl(mirror, tmp_path / "out")
        before = outputs(tmp_path / "out")
        mirror.reset_log()
        result = crawl(mirror, tmp_path / "out", full=True)
        assert mirror.count(bucket="viewer") == 4
    assert result.crawled == 2 and outputs(tmp_path / "out") == before


def test_clashing_task_names_keep_the_first_dataset_and_say_so(tmp_path: Path) -> None:
    two = {name: text_config()["default"] for name in ("b", "c")}
    hub = write_hub(tmp_path / "hub", [dataset("org/a", configs=two), dataset("org/a-b")])
    with MirrorServer(hub) as mirror:
        result = crawl(mirror, tmp_path / "out")
    names = [
        (line["task_name"], line["dataset"])
        for line in read_jsonl(tmp_path / "out" / "huggingface_data.jsonl")
    ]
    assert names == [("org/a-b", "org/a"), ("org/a-c", "org/a")]
    assert reports(tmp_path / "out")["org/a-b"]["notes"] == ["task_name_collision: org/a-b"]
    assert result.outputs.collisions == {"org/a-b": ["org/a-b"]}


def test_a_tight_quota_is_paced_without_a_single_429(tmp_path: Path) -> None:
    hub = write_hub(tmp_path / "hub", [dataset(f"ds{i}") for i in range(8)])
    quota = QuotaConfig(limits={"api": 5, "resolvers": 5}, window_seconds=1.0)
    with MirrorServer(hub, quota=quota) as mirror:
        result = crawl(
            mirror, tmp_path / "out", quotas=plan_quotas("anonymous", api=5, resolvers=5, window=1.0)
        )
        assert mirror.count(status=429) == 0 and mirror.count(bucket="resolvers") == 8
    assert result.requests["rate_limited"] == 0 and result.statuses["kept"] == 8
    assert result.seconds >= 7 / 5  # eight card reads at five per second
