"""The mirror speaks the dataset viewer's routes and errors under /viewer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hubmirror import MirrorServer
from hubmirror.demo.snapshot import make_dataset
from hubmirror.viewer_routes import first_rows_items
from tests.support.mirror_fixtures import INT, STRING, class_label, write_snapshot

LABEL = class_label("sports", "business", "science")


def _rows(n: int) -> list[dict]:
    return [{"title": f"headline {i}", "label": i % 3, "year": 2000 + i} for i in range(n)]


def _features() -> dict:
    return {"title": STRING, "label": LABEL, "year": INT}


@pytest.fixture
def viewer(tmp_path: Path) -> Iterator[httpx.Client]:
    datasets = [
        make_dataset(
            "news/topics",
            card="# Topics\n",
            configs={
                "default": {
                    "train": {"features": _features(), "rows": _rows(150)},
                    "test": {"features": _features(), "rows": _rows(40)},
                },
                "small": {"train": {"features": {"title": STRING}, "rows": [{"title": "only"}]}},
            },
        ),
        make_dataset(
            "news/gated",
            card="# G\n",
            configs={"default": {"train": {"features": _features(), "rows": _rows(3)}}},
            gated=True,
        ),
        make_dataset(
            "news/private",
            card="# P\n",
            configs={"default": {"train": {"features": _features(), "rows": _rows(3)}}},
            private=True,
        ),
        make_dataset(
            "news/pending",
            card="# N\n",
            configs={"default": {"train": {"features": _features(), "rows": _rows(3)}}},
            viewer_error={
                "status": 500,
                "code": "ResponseNotReady",
                "message": "The server is busier than usual.",
            },
        ),
        make_dataset(
            "news/huge",
            card="# H\n",
            configs={"default": {"train": {"features": _features(), "rows": _rows(3)}}},
            viewer_error={
                "status": 501,
                "code": "DatasetWithTooManyConfigsError",
                "message": "Too many configs.",
            },
        ),
        make_dataset(
            "news/noviewer",
            card="# V\n",
            configs={"default": {"train": {"features": _features(), "rows": []}}},
            viewer=False,
        ),
    ]
    with (
        MirrorServer(write_snapshot(tmp_path / "snap", datasets)) as mirror,
        httpx.Client(base_url=mirror.viewer_url) as client,
    ):
        yield client


def test_is_valid_and_splits(viewer: httpx.Client) -> None:
    assert viewer.get("/is-valid", params={"dataset": "news/topics"}).json() == {
        "preview": True,
        "viewer": True,
        "search": True,
        "filter": True,
        "statistics": True,
    }
    assert not any(viewer.get("/is-valid", params={"dataset": "news/noviewer"}).json().values())
    splits = viewer.get("/splits", params={"dataset": "news/topics"}).json()
    assert splits == {
        "splits": [
            {"dataset": "news/topics", "config": "default", "split": "train"},
            {"dataset": "news/topics", "config": "default", "split": "test"},
            {"dataset": "news/topics", "config": "small", "split": "train"},
        ],
        "pending": [],
        "failed": [],
    }
    only_small = viewer.get("/splits", params={"dataset": "news/topics", "config": "small"}).json()["splits"]
    assert [s["config"] for s in only_small] == ["small"]


def test_first_rows_gives_features_and_at_most_100_rows(viewer: httpx.Client) -> None:
    body = viewer.get(
        "/first-rows", params={"dataset": "news/topics", "config": "default", "split": "train"}
    ).json()
    assert body["features"][1] == {"feature_idx": 1, "name": "label", "type": LABEL}
    assert len(body["rows"]) == 100 and body["truncated"] is True
    assert body["rows"][4] == {
        "row_idx": 4,
        "row": {"title": "headline 4", "label": 1, "year": 2004},
        "truncated_cells": [],
    }
    small = viewer.get(
        "/first-rows", params={"dataset": "news/topics", "config": "default", "split": "test"}
    ).json()
    assert len(small["rows"]) == 40 and small["truncated"] is False


def test_rows_pages_with_offset_and_length(viewer: httpx.Client) -> None:
    params = {"dataset": "news/topics", "config": "default", "split": "train", "offset": 140, "length": 20}
    body = viewer.get("/rows", params=params).json()
    assert [r["row_idx"] for r in body["rows"]] == list(range(140, 150))
    assert body["num_rows_total"] == 150 and body["num_rows_per_page"] == 100 and body["partial"] is False
    too_long = viewer.get("/rows", params={**params, "length": 101})
    assert too_long.status_code == 422 and too_long.headers["X-Error-Code"] == "InvalidParameter"
    assert viewer.get("/rows", params={**params, "offset": "-1"}).status_code == 422


def test_info_lists_features_and_split_sizes(viewer: httpx.Client) -> None:
    body = viewer.get("/info", params={"dataset": "news/topics", "config": "default"}).json()
    info = body["dataset_info"]
    assert info["features"]["label"] == LABEL and info["config_name"] == "default"
    assert info["splits"]["train"]["num_examples"] == 150
    assert set(viewer.get("/info", params={"dataset": "news/topics"}).json()["dataset_info"]) == {
        "default",
        "small",
    }


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("/splits", {"dataset": "news/gated"}, 401, "ExternalUnauthenticatedError"),
        (
            "/first-rows",
            {"dataset": "news/private", "config": "default", "split": "train"},
            401,
            "ExternalUnauthenticatedError",
        ),
        ("/splits", {"dataset": "news/missing"}, 401, "ExternalUnauthenticatedError"),
        (
            "/first-rows",
            {"dataset": "news/topics", "config": "nope", "split": "train"},
            404,
            "ResponseNotFound",
        ),
        (
            "/rows",
            {"dataset": "news/topics", "config": "default", "split": "validation"},
            404,
            "ResponseNotFound",
        ),
        (
            "/first-rows",
            {"dataset": "news/noviewer", "config": "default", "split": "train"},
            404,
            "ResponseNotFound",
        ),
        ("/first-rows", {"dataset": "news/topics", "config": "default"}, 422, "MissingRequiredParameter"),
        ("/splits", {}, 422, "MissingRequiredParameter"),
        ("/splits", {"dataset": "../etc"}, 422, "InvalidParameter"),
        (
            "/first-rows",
            {"dataset": "news/pending", "config": "default", "split": "train"},
            500,
            "ResponseNotReady",
        ),
        ("/is-valid", {"dataset": "news/pending"}, 500, "ResponseNotReady"),
        ("/splits", {"dataset": "news/huge"}, 501, "DatasetWithTooManyConfigsError"),
    ],
)
def test_viewer_errors(viewer: httpx.Client, path: str, params: dict, status: int, code: str) -> None:
    response = viewer.get(path, params=params)
    assert response.status_code == status
    assert response.headers["X-Error-Code"] == code
    assert isinstance(response.json()["error"], str) and "Retry-After" not in response.headers


def test_gated_dataset_rows_are_served_with_a_token(viewer: httpx.Client) -> None:
    params = {"dataset": "news/gated", "config": "default", "split": "train"}
    response = viewer.get("/first-rows", params=params, headers={"Authorization": "Bearer hf_test"})
    assert response.status_code == 200 and len(response.json()["rows"]) == 3
    missing = viewer.get(
        "/splits", params={"dataset": "news/missing"}, headers={"Authorization": "Bearer hf_test"}
    )
    assert missing.status_code == 404 and missing.headers["X-Error-Code"] == "ExternalAuthenticatedError"


def test_first_rows_cuts_long_cells_to_stay_under_the_size_limit() -> None:
    rows = [{"id": i, "text": ("word " * 5000) + str(i)} for i in range(40)]
    items = first_rows_items(rows, max_bytes=100_000)
    assert len(items) == 10  # at least 10 rows are kept, their long cells cut
    assert all(item["truncated_cells"] == ["text"] for item in items)
    assert all(
        len(item["row"]["text"].encode()) <= 100 and item["row"]["id"] == item["row_idx"] for item in items
    )
    few = first_rows_items(rows, max_bytes=300_000)
    assert 10 < len(few) < 40 and all(item["truncated_cells"] == [] for item in few)
