"""make_dataset: a snapshot dataset whose API item, files and viewer view agree."""

from __future__ import annotations

from crawl.snapshot import Snapshot
from hubmirror.demo.snapshot import card_text, make_dataset, parse_card_metadata

TEXT = {"dtype": "string", "_type": "Value"}
LABEL = {"names": ["negative", "positive"], "_type": "ClassLabel"}


def _configs(rows: list[dict]) -> dict:
    return {"default": {"train": {"features": {"text": TEXT, "label": LABEL}, "rows": rows}}}


def test_api_item_follows_the_card_metadata() -> None:
    card = card_text(
        {"license": "apache-2.0", "language": ["en"], "task_categories": ["text-classification"]},
        "# Reviews\n\nShort product reviews with a sentiment label.\n",
    )
    ds = make_dataset(
        "acme/reviews", card=card, configs=_configs([{"text": "fine", "label": 1}]), downloads=7
    )
    api = ds.api
    assert api["id"] == "acme/reviews" and api["author"] == "acme"
    assert api["cardData"]["license"] == "apache-2.0"
    assert {
        "license:apache-2.0",
        "language:en",
        "task_categories:text-classification",
        "modality:text",
    } <= set(api["tags"])
    assert api["description"] == "Short product reviews with a sentiment label."
    assert {"rfilename": "README.md"} in api["siblings"]
    assert ds.files["README.md"].decode() == card
    assert len(api["sha"]) == 40 and int(api["sha"], 16) >= 0
    assert ds.viewer["splits"] == [{"config": "default", "split": "train"}]
    assert ds.viewer["configs"]["default"]["train"]["features"][1] == {
        "feature_idx": 1,
        "name": "label",
        "type": LABEL,
    }


def test_sha_changes_with_content_but_not_with_downloads() -> None:
    base = make_dataset("reviews", card="# r\n", configs=_configs([{"text": "a", "label": 0}]), downloads=1)
    more_downloads = make_dataset(
        "reviews", card="# r\n", configs=_configs([{"text": "a", "label": 0}]), downloads=9
    )
    new_row = make_dataset("reviews", card="# r\n", configs=_configs([{"text": "b", "label": 0}]))
    assert base.api["sha"] == more_downloads.api["sha"]
    assert base.api["sha"] != new_row.api["sha"]
    assert base.api["author"] is None


def test_malformed_or_missing_card_leaves_no_card_data() -> None:
    broken = make_dataset("broken", card="---\nlicense: [mit\n---\n# x\n", configs=_configs([]))
    missing = make_dataset("nocard", card=None, configs=_configs([]))
    assert "cardData" not in broken.api and "cardData" not in missing.api
    assert "README.md" not in missing.files
    assert parse_card_metadata("no front matter") is None


def test_gated_disabled_and_viewer_error_flags() -> None:
    gated = make_dataset("g", card="# g\n", configs=_configs([]), gated=True)
    disabled = make_dataset("d", card="# d\n", configs=_configs([]), disabled=True)
    not_ready = make_dataset(
        "n",
        card="# n\n",
        configs=_configs([]),
        viewer_error={"status": 500, "code": "ResponseNotReady", "message": "x"},
    )
    assert gated.api["gated"] == "auto"
    assert disabled.api["disabled"] is True and disabled.viewer is None
    assert not_ready.viewer["error"]["code"] == "ResponseNotReady"


def test_written_dataset_reads_back_through_snapshot(tmp_path) -> None:
    ds = make_dataset("acme/reviews", card="# r\n", configs=_configs([{"text": "ok", "label": 1}]))
    snap = Snapshot(tmp_path)
    snap.write_dataset(ds)
    assert snap.repo_ids() == ["acme/reviews"]
    assert snap.load_api("acme/reviews") == ds.api
    assert snap.load_file("acme/reviews", "README.md") == b"# r\n"
    assert snap.load_viewer("acme/reviews") == ds.viewer
