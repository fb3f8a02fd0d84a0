"""The viewer's feature JSON: ClassLabel names for row values, feature types, media detection.

Feature JSON is ``datasets``' ``Features.to_dict()``: ``{"_type": "Value", "dtype": ...}``,
``{"_type": "ClassLabel", "names": [...]}``, ``{"_type": "List"|"Sequence"|"LargeList",
"feature": ...}``, a bare one-element list (legacy sequence), or a plain mapping (a struct).
"""

from __future__ import annotations

from typing import Any

MEDIA_TYPES = frozenset({"Image", "Audio", "Video", "Pdf", "Nifti"})
TRANSLATION_TYPES = frozenset({"Translation", "TranslationVariableLanguages"})
_SEQUENCE_TYPES = frozenset({"List", "Sequence", "LargeList"})


def feature_types(feature: Any) -> set[str]:
    """Every ``_type`` used anywhere in a feature tree."""
    found: set[str] = set()
    if isinstance(feature, list):
        for item in feature:
            found |= feature_types(item)
    elif isinstance(feature, dict):
        kind = feature.get("_type")
        if isinstance(kind, str):
            found.add(kind)
        for key, value in feature.items():
            if key != "_type":
                found |= feature_types(value)
    return found


def resolve_value(value: Any, feature: Any) -> Any:
    """``value`` with every ClassLabel integer replaced by its name (``-1``, no label, -> None).

    Works through lists, legacy sequences (including a sequence of a struct, which ``datasets``
    stores as a mapping of lists) and structs; anything it does not understand is kept as is.
    """
    if isinstance(feature, list):
        inner = feature[0] if len(feature) == 1 else None
        return [resolve_value(item, inner) for item in value] if isinstance(value, list) else value
    if not isinstance(feature, dict):
        return value
    kind = feature.get("_type")
    if kind == "ClassLabel":
        names = feature.get("names")
        if isinstance(value, int) and not isinstance(value, bool) and isinstance(names, list):
            if value == -1:
                return None
            if 0 <= value < len(names):
                return names[value]
        return value
    if kind in _SEQUENCE_TYPES:
        inner = feature.get("feature")
        if isinstance(value, list):
            return [resolve_value(item, inner) for item in value]
        if isinstance(value, dict) and isinstance(inner, dict) and "_type" not in inner:
            return {
                key: resolve_value(item, {"_type": "List", "feature": inner.get(key)})
                for key, item in value.items()
            }
        return value
    if kind is None and isinstance(value, dict):
        return {key: resolve_value(item, feature.get(key)) for key, item in value.items()}
    return value


def feature_map(features: list[dict[str, Any]]) -> dict[str, Any]:
    """The viewer's ``[{feature_idx, name, type}]`` as ``{name: type}`` in feature order."""
    ordered = sorted(
        (f for f in features if isinstance(f, dict) and isinstance(f.get("name"), str)),
        key=lambda f: f.get("feature_idx", 0) if isinstance(f.get("feature_idx"), int) else 0,
    )
    return {f["name"]: f.get("type") for f in ordered}


def resolve_row(row: dict[str, Any], features: dict[str, Any]) -> dict[str, Any]:
    """A row with ClassLabel values named, fields in feature order (unknown fields kept after)."""
    resolved = {name: resolve_value(row[name], ftype) for name, ftype in features.items() if name in row}
    resolved.update({name: value for name, value in row.items() if name not in features})
    return resolved
