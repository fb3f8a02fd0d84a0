"""Dataset-viewer routes (served under ``/viewer``): is-valid, splits, first-rows, rows, info."""

from __future__ import annotations

import json
from typing import Any

from crawl.snapshot import InvalidRepoId, validate_repo_id
from hubmirror.context import MirrorContext
from hubmirror.routing import Request, Response, Route, json_response, viewer_error

PREFIX = "/viewer"
MAX_ROWS_PER_PAGE = 100
FIRST_ROWS_MAX_BYTES = 1_000_000  # the viewer cuts /first-rows to about 1 MB
FIRST_ROWS_MIN_ROWS = 10
MIN_CELL_BYTES = 100
_NOT_VALID = {"preview": False, "viewer": False, "search": False, "filter": False, "statistics": False}


def _param(request: Request, name: str) -> str:
    value = request.arg(name)
    if not value:
        raise viewer_error(422, "MissingRequiredParameter", f"Parameter '{name}' is required")
    return value


def _dataset(request: Request, ctx: MirrorContext) -> tuple[str, dict[str, Any] | None]:
    """The dataset id and its viewer view; 401/404 when it is missing, private or gated."""
    dataset = _param(request, "dataset")
    try:
        validate_repo_id(dataset)
    except InvalidRepoId:
        raise viewer_error(422, "InvalidParameter", "Parameter 'dataset' is invalid") from None
    item = ctx.store.item(dataset)
    if item is None or ((item.get("private") or item.get("gated")) and not request.authenticated):
        if request.authenticated:
            raise viewer_error(
                404,
                "ExternalAuthenticatedError",
                "The dataset does not exist, or is not accessible with the current credentials (private or gated).",
            )
        raise viewer_error(
            401,
            "ExternalUnauthenticatedError",
            "The dataset does not exist, or is not accessible without authentication (private or gated).",
        )
    view = ctx.store.viewer(dataset)
    _raise_marked(ctx, dataset, (view or {}).get("error"))
    return dataset, view


def _raise_marked(ctx: MirrorContext, key: str, error: dict[str, Any] | None) -> None:
    """Answer the error a snapshot marks (all requests, or the first ``times`` ones for ``key``)."""
    if not error or not ctx.store.answer_error(key, error.get("times")):
        return
    raise viewer_error(
        int(error.get("status", 500)), error.get("code", "ResponseNotReady"), error.get("message", "")
    )


def _require_view(view: dict[str, Any] | None) -> dict[str, Any]:
    if view is None:
        raise viewer_error(404, "ResponseNotFound", "Not found.")
    return view


def _split(ctx: MirrorContext, dataset: str, view: dict[str, Any], config: str, split: str) -> dict[str, Any]:
    """One split's rows and features, or the error the snapshot marks on that split."""
    found = view.get("configs", {}).get(config, {}).get(split)
    if found is None:
        raise viewer_error(404, "ResponseNotFound", "Not found.")
    _raise_marked(ctx, f"{dataset}\0{config}\0{split}", found.get("error"))
    return found


def is_valid(request: Request, ctx: MirrorContext) -> Response:
    """What the viewer offers for a dataset; all false for a dataset without a viewer."""
    _, view = _dataset(request, ctx)
    return json_response(dict(view["is_valid"]) if view else dict(_NOT_VALID))


def splits(request: Request, ctx: MirrorContext) -> Response:
    dataset, view = _dataset(request, ctx)
    view = _require_view(view)
    config = request.arg("config")
    entries = [s for s in view.get("splits", []) if config is None or s["config"] == config]
    if config is not None and not entries:
        raise viewer_error(404, "ResponseNotFound", "Not found.")
    listed = [{"dataset": dataset, "config": s["config"], "split": s["split"]} for s in entries]
    return json_response({"splits": listed, "pending": [], "failed": []})


def _size(obj: Any) -> int:
    return len(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _truncate_cells(item: dict[str, Any]) -> dict[str, Any]:
    """Cut every cell whose JSON is over MIN_CELL_BYTES to that many bytes of its JSON text."""
    row, cut = {}, []
    for name, value in item["row"].items():
        text = json.dumps(value, ensure_ascii=False)
        if len(text.encode("utf-8")) > MIN_CELL_BYTES:
            row[name] = text.encode("utf-8")[:MIN_CELL_BYTES].decode("utf-8", errors="ignore")
            cut.append(name)
        else:
            row[name] = value
    return {"row_idx": item["row_idx"], "row": row, "truncated_cells": cut}


def first_rows_items(
    rows: list[dict[str, Any]], max_bytes: int = FIRST_ROWS_MAX_BYTES
) -> list[dict[str, Any]]:
    """Up to 100 row items fitting in ``max_bytes``: at least 10 rows, their cells cut if need be."""
    items = [
        {"row_idx": i, "row": row, "truncated_cells": []} for i, row in enumerate(rows[:MAX_ROWS_PER_PAGE])
    ]
    kept = items[:FIRST_ROWS_MIN_ROWS]
    if _size(kept) > max_bytes:
        return [_truncate_cells(item) for item in kept]
    total = _size(kept)
    for item in items[FIRST_ROWS_MIN_ROWS:]:
        total += _size(item) + 1
        if total > max_bytes:
            break
        kept.append(item)
    return kept


def first_rows(request: Request, ctx: MirrorContext) -> Response:
    dataset, view = _dataset(request, ctx)
    config, split = _param(request, "config"), _param(request, "split")
    found = _split(ctx, dataset, _require_view(view), config, split)
    items = first_rows_items(found["rows"])
    total = found.get("num_rows_total", len(found["rows"]))
    return json_response(
        {
            "dataset": dataset,
            "config": config,
            "split": split,
            "features": found["features"],
            "rows": items,
            "truncated": len(items) < total,
        }
    )


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.arg(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise viewer_error(422, "InvalidParameter", f"Parameter '{name}' must be an integer") from None
    if value < 0:
        raise viewer_error(422, "InvalidParameter", f"Parameter '{name}' must be positive")
    return value


def rows(request: Request, ctx: MirrorContext) -> Response:
    dataset, view = _dataset(request, ctx)
    config, split = _param(request, "config"), _param(request, "split")
    offset = _int_param(request, "offset", 0)
    length = _int_param(request, "length", MAX_ROWS_PER_PAGE)
    if length > MAX_ROWS_PER_PAGE:
        raise viewer_error(
            422, "InvalidParameter", f"Parameter 'length' must not be greater than {MAX_ROWS_PER_PAGE}"
        )
    found = _split(ctx, dataset, _require_view(view), config, split)
    page = found["rows"][offset : offset + length]
    return json_response(
        {
            "features": found["features"],
            "rows": [
                {"row_idx": offset + i, "row": row, "truncated_cells": []} for i, row in enumerate(page)
            ],
            "num_rows_total": found.get("num_rows_total", len(found["rows"])),
            "num_rows_per_page": MAX_ROWS_PER_PAGE,
            "partial": False,
        }
    )


def _config_info(
    dataset: str, config: str, item: dict[str, Any], config_view: dict[str, Any]
) -> dict[str, Any]:
    first: dict[str, Any] = next(iter(config_view.values()), {"features": []})
    card = item.get("cardData") or {}
    license_ = card.get("license")
    return {
        "description": "",
        "citation": item.get("citation") or "",
        "homepage": "",
        "license": license_ if isinstance(license_, str) else "",
        "features": {f["name"]: f["type"] for f in first["features"]},
        "builder_name": "parquet",
        "dataset_name": dataset.split("/")[-1],
        "config_name": config,
        "version": {"version_str": "0.0.0", "major": 0, "minor": 0, "patch": 0},
        "splits": {
            split: {
                "name": split,
                "num_bytes": _size(spec["rows"]),
                "num_examples": spec.get("num_rows_total", len(spec["rows"])),
                "dataset_name": None,
            }
            for split, spec in config_view.items()
        },
    }


def info(request: Request, ctx: MirrorContext) -> Response:
    dataset, view = _dataset(request, ctx)
    configs = _require_view(view).get("configs", {})
    item = ctx.store.item(dataset) or {}
    config = request.arg("config")
    if config is not None:
        if config not in configs:
            raise viewer_error(404, "ResponseNotFound", "Not found.")
        body = _config_info(dataset, config, item, configs[config])
    else:
        body = {name: _config_info(dataset, name, item, splits_) for name, splits_ in configs.items()}
    return json_response({"dataset_info": body, "pending": [], "failed": [], "partial": False})


ROUTES = [
    Route("GET", rf"{PREFIX}/is-valid", is_valid),
    Route("GET", rf"{PREFIX}/splits", splits),
    Route("GET", rf"{PREFIX}/first-rows", first_rows),
    Route("GET", rf"{PREFIX}/rows", rows),
    Route("GET", rf"{PREFIX}/info", info),
]
