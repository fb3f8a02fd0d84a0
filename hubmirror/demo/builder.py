"""Build one snapshot dataset (API item, files, viewer view) from a card, features and rows.

The API item is derived the way the Hub derives it: ``cardData`` is the card's parsed YAML front
matter (absent when the card has none or it does not parse), the tags come from that metadata plus
the modalities of the features, and ``sha`` is a digest of the repository content, so it changes
when a file or a row changes and not when downloads or likes do.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import yaml

from crawl.snapshot import SnapshotDataset, validate_repo_id

DEFAULT_CREATED_AT = "2022-06-01T09:30:00.000Z"
DEFAULT_LAST_MODIFIED = "2024-03-01T12:00:00.000Z"
GITATTRIBUTES = (
    b"*.parquet filter=lfs diff=lfs merge=lfs -text\n*.arrow filter=lfs diff=lfs merge=lfs -text\n"
)

# Card metadata keys the Hub turns into "key:value" tags, in the order they are emitted.
_TAG_KEYS = (
    "task_categories",
    "task_ids",
    "annotations_creators",
    "language_creators",
    "multilinguality",
    "source_datasets",
    "language",
    "license",
    "size_categories",
)
_FRONT_MATTER_RE = re.compile(r"\A\s*---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_ALL_VALID = {"preview": True, "viewer": True, "search": True, "filter": True, "statistics": True}

SplitSpec = dict[str, Any]  # {"features": {name: feature json}, "rows": [...], "num_rows_total"?: int}
ConfigsSpec = dict[str, dict[str, SplitSpec]]


def parse_card_metadata(card: str | None) -> dict[str, Any] | None:
    """The card's YAML front matter as a dict, or None when absent or malformed."""
    if not card:
        return None
    match = _FRONT_MATTER_RE.match(card)
    if not match:
        return None
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return None
    return data if isinstance(data, dict) else None


def card_text(metadata: dict[str, Any] | None, body: str) -> str:
    """A dataset card: YAML front matter (keys in the given order) followed by the markdown body."""
    if metadata is None:
        return body
    front = yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{front}---\n\n{body.lstrip()}"


def viewer_features(features: dict[str, Any]) -> list[dict[str, Any]]:
    """Features.to_dict() JSON as the viewer lists it: [{feature_idx, name, type}]."""
    return [
        {"feature_idx": i, "name": name, "type": ftype} for i, (name, ftype) in enumerate(features.items())
    ]


def _feature_types(node: Any) -> set[str]:
    """Every ``_type`` (and Value dtype) used in a feature tree."""
    found: set[str] = set()
    if isinstance(node, list):
        for item in node:
            found |= _feature_types(item)
    elif isinstance(node, dict):
        if "_type" in node:
            found.add(node["_type"])
            if node["_type"] == "Value":
                found.add(f"dtype:{node.get('dtype')}")
        for key, value in node.items():
            if key != "_type":
                found |= _feature_types(value)
    return found


def modality_tags(configs: ConfigsSpec) -> list[str]:
    """``modality:*`` tags the Hub infers from the features."""
    types: set[str] = set()
    for splits in configs.values():
        for split in splits.values():
            types |= _feature_types(split["features"])
    tags = []
    if "Image" in types:
        tags.append("modality:image")
    if "Audio" in types:
        tags.append("modality:audio")
    if "dtype:string" in types or "Translation" in types:
        tags.append("modality:text")
    if not tags and any(t.startswith(("dtype:int", "dtype:float")) for t in types):
        tags.append("modality:tabular")
    return tags


def card_tags(metadata: dict[str, Any] | None) -> list[str]:
    """The ``key:value`` and free tags a card's metadata contributes."""
    if not metadata:
        return []
    tags: list[str] = []
    for key in _TAG_KEYS:
        value = metadata.get(key)
        values = value if isinstance(value, list) else [value] if value else []
        tags.extend(f"{key}:{v}" for v in values if isinstance(v, (str, int, float)))
    free = metadata.get("tags")
    if isinstance(free, list):
        tags.extend(str(t) for t in free if isinstance(t, (str, int, float)))
    return tags


def _dedup(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def content_sha(repo_id: str, files: dict[str, bytes], configs: ConfigsSpec) -> str:
    """A stable 40-hex digest of a repository's content (files and rows), like a commit sha."""
    digest = hashlib.sha1()
    digest.update(repo_id.encode())
    for name in sorted(files):
        digest.update(b"\0file\0" + name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    digest.update(json.dumps(configs, sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()


def _object_id(repo_id: str) -> str:
    return hashlib.sha256(b"_id:" + repo_id.encode()).hexdigest()[:24]


def _description(card: str | None) -> str | None:
    """The first prose paragraph of the card body, as the Hub shows it under the title."""
    if not card:
        return None
    match = _FRONT_MATTER_RE.match(card)
    body = card[match.end() :] if match else card
    for block in re.split(r"\n\s*\n", body):
        text = re.sub(r"<[^>]+>", "", block).strip()
        if text and not text.startswith(("#", "|", "-", "*", "```", "---")):
            return " ".join(text.split())[:300]
    return None


def make_viewer(
    configs: ConfigsSpec, *, error: dict[str, Any] | None = None, is_valid: dict[str, bool] | None = None
) -> dict[str, Any]:
    """The snapshot's viewer.json for ``configs`` (see crawl.snapshot for the layout)."""
    splits = [{"config": c, "split": s} for c, config in configs.items() for s in config]
    view_configs = {
        config: {
            split: {
                "features": viewer_features(spec["features"]),
                "rows": spec["rows"],
                "num_rows_total": spec.get("num_rows_total", len(spec["rows"])),
                **({"error": spec["error"]} if spec.get("error") else {}),
            }
            for split, spec in config_splits.items()
        }
        for config, config_splits in configs.items()
    }
    return {
        "is_valid": dict(is_valid or _ALL_VALID),
        "error": error,
        "splits": splits,
        "configs": view_configs,
    }


def make_dataset(
    repo_id: str,
    *,
    card: str | None,
    configs: ConfigsSpec | None = None,
    gated: bool | str = False,
    private: bool = False,
    disabled: bool = False,
    downloads: int = 0,
    likes: int = 0,
    tags: list[str] | None = None,
    files: dict[str, bytes] | None = None,
    viewer: bool = True,
    viewer_error: dict[str, Any] | None = None,
    created_at: str = DEFAULT_CREATED_AT,
    last_modified: str = DEFAULT_LAST_MODIFIED,
    citation: str | None = None,
) -> SnapshotDataset:
    """A snapshot dataset whose API item, files and viewer view agree with each other.

    ``card`` is the README.md text (None: the repo has no card); ``configs`` maps
    config → split → {"features": Features.to_dict() JSON, "rows": [row dicts as the viewer
    returns them], optional "num_rows_total"}. ``gated`` is False, True (= "auto"), "auto" or
    "manual". ``viewer=False`` or ``disabled`` leaves out viewer.json (the viewer answers 404);
    ``viewer_error`` (e.g. {"status": 500, "code": "ResponseNotReady", "message": ...}) makes
    every viewer route of the dataset answer that error (only the first ``"times"`` requests when
    it has that key); a split spec's ``"error"`` does the same for that split's rows alone.
    ``files`` adds raw repository files.
    """
    validate_repo_id(repo_id)
    configs = configs or {}
    repo_files: dict[str, bytes] = {".gitattributes": GITATTRIBUTES}
    if card is not None:
        repo_files["README.md"] = card.encode("utf-8")
    repo_files.update(files or {})
    metadata = parse_card_metadata(card)
    all_tags = card_tags(metadata) + list(tags or [])
    if configs:
        all_tags += modality_tags(configs) + ["format:parquet", "library:datasets"]
    all_tags.append("region:us")
    gated_value: bool | str = "auto" if gated is True else gated
    api: dict[str, Any] = {
        "_id": _object_id(repo_id),
        "id": repo_id,
        "author": repo_id.split("/")[0] if "/" in repo_id else None,
        "sha": content_sha(repo_id, repo_files, configs),
        "createdAt": created_at,
        "lastModified": last_modified,
        "private": private,
        "gated": gated_value,
        "disabled": disabled,
        "downloads": downloads,
        "likes": likes,
        "tags": _dedup(all_tags),
        "siblings": [{"rfilename": name} for name in sorted(repo_files)],
        "description": _description(card),
        "citation": citation,
    }
    if metadata is not None:
        api["cardData"] = metadata
    view = None
    if viewer and not disabled and (configs or viewer_error):
        view = make_viewer(configs, error=viewer_error)
    return SnapshotDataset(api=api, files=repo_files, viewer=view)
