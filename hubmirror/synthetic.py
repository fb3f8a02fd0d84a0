"""Synthetic Hubs of any size, for benchmarks: ``write_synthetic_hub(root, n)``.

Dataset ``i`` is one of ten kinds (``i % 10``), as on the real Hub most are ruled out by the
listing alone: 0-1 kept (MIT, English, one config of text + label rows, three requests each beside
the listing), 2 images, 3-5 non-commercial licenses, 6 gated, 7 French, 8 no license, 9 audio.
Files are written plainly (no fsync per file): a benchmark's Hub is scratch data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from crawl.snapshot import ORIGIN_FILE, Snapshot, SnapshotDataset
from hubmirror.demo.builder import card_text, make_dataset

TEXT = {"dtype": "string", "_type": "Value"}
LABEL = {"names": ["negative", "positive"], "_type": "ClassLabel"}
KEPT_KINDS = (0, 1)
_BODY = "# Reviews\n\n## Dataset Summary\n\nShort reviews with a sentiment label.\n\n## Data Fields\n\n- text\n- label\n"
_META: dict[int, dict[str, Any]] = {
    3: {"license": "cc-by-nc-4.0", "language": ["en"]},
    4: {"license": "cc-by-nc-sa-4.0", "language": ["en"]},
    5: {"license": "cc-by-nc-nd-4.0", "language": ["en"]},
    7: {"license": "mit", "language": ["fr"]},
    8: {"language": ["en"]},
}


def repo_id(i: int) -> str:
    return f"synth-{i // 1000:03d}/dataset-{i:06d}"


def _rows(i: int, n: int, generation: int) -> list[dict[str, Any]]:
    return [
        {
            "text": f"review {i}.{generation}.{j}: {'fine' if (i + j) % 2 else 'poor'} product",
            "label": (i + j) % 2,
        }
        for j in range(n)
    ]


def synthetic_dataset(i: int, rows: int = 5, generation: int = 0) -> SnapshotDataset:
    """Dataset ``i`` of a synthetic Hub; another ``generation`` changes its rows (and its sha)."""
    kind = i % 10
    meta = _META.get(kind, {"license": "mit", "language": ["en"], "task_categories": ["text-classification"]})
    features: dict[str, Any] = {"text": TEXT, "label": LABEL}
    if kind == 2:
        features = {"image": {"_type": "Image"}, "text": TEXT}
    if kind == 9:
        features = {"audio": {"_type": "Audio"}, "text": TEXT}
    data = _rows(i, rows, generation)
    if kind in (2, 9):
        data = [{"text": row["text"], features_key(features): None} for row in data]
    configs = {"default": {"train": {"features": features, "rows": data}}}
    return make_dataset(
        repo_id(i), card=card_text(meta, _BODY), configs=configs, gated=kind == 6, downloads=10**7 - i
    )


def features_key(features: dict[str, Any]) -> str:
    return next(name for name in features if name != "text")


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def write_dataset_plain(snapshot: Snapshot, dataset: SnapshotDataset) -> None:
    """Write one dataset into ``snapshot`` without an fsync per file."""
    base = snapshot.dataset_dir(dataset.repo_id)
    _write(base / "api.json", json.dumps(dataset.api, ensure_ascii=False).encode())
    for name, data in dataset.files.items():
        _write(base / "files" / name, data)
    if dataset.viewer is not None:
        _write(base / "viewer.json", json.dumps(dataset.viewer, ensure_ascii=False).encode())


def write_synthetic_hub(
    root: str | Path, n: int, *, rows: int = 5, origin: str | None = "https://huggingface.co"
) -> int:
    """Write datasets ``0 .. n-1`` into ``root``; returns how many are of a kept kind."""
    if n < 1 or rows < 1:
        raise ValueError("a synthetic Hub needs at least one dataset and one row")
    snapshot = Snapshot(root)
    if origin:
        _write(snapshot.root / ORIGIN_FILE, json.dumps({"origin": origin}).encode())
    for i in range(n):
        write_dataset_plain(snapshot, synthetic_dataset(i, rows))
    return sum(1 for i in range(n) if i % 10 in KEPT_KINDS)


def change_datasets(root: str | Path, ids: list[int], *, rows: int = 5, generation: int = 1) -> None:
    """Give datasets ``ids`` new rows (a new sha), as a push to the Hub would."""
    snapshot = Snapshot(root)
    for i in ids:
        write_dataset_plain(snapshot, synthetic_dataset(i, rows, generation))
