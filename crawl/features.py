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


# -- Translation features, flattened into one text field per language ---------------------------

STRING_FEATURE: dict[str, Any] = {"dtype": "string", "_type": "Value"}


def translation_languages(features: dict[str, Any]) -> dict[str, list[str]]:
    """The top-level ``Translation`` features, each with its languages in order."""
    found: dict[str, list[str]] = {}
    for name, ftype in features.items():
        if isinstance(ftype, dict) and ftype.get("_type") == "Translation":
            languages = ftype.get("languages")
            found[name] = [str(x) for x in languages] if isinstance(languages, list) else []
    return found


def flat_name(field: str, language: str) -> str:
    """``translation`` + ``en`` -> ``translation_en``: the text field of one language."""
    return f"{field}_{language}"


def flatten_names(features: dict[str, Any]) -> list[str]:
    """Field names once every Translation feature is one field per language, in feature order."""
    translations = translation_languages(features)
    names: list[str] = []
    for name in features:
        if name in translations:
            names.extend(flat_name(name, language) for language in translations[name])
        else:
            names.append(name)
    return names


def flatten_clashes(features: dict[str, Any]) -> list[str]:
    """Names flattening would give twice (``translation_en`` already a field): sorted."""
    names = flatten_names(features)
    return sorted({name for name in names if names.count(name) > 1})


def flatten_feature_list(features: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The viewer's feature list with each Translation feature replaced by string features.

    ``{"name": "translation", "type": {"_type": "Translation", "languages": ["en", "fr"]}}``
    becomes ``translation_en`` and ``translation_fr`` (``Value`` strings) at its place;
    ``feature_idx`` is renumbered so it stays the position of each field.
    """
    by_name = feature_map(features)
    translations = translation_languages(by_name)
    flat: list[dict[str, Any]] = []
    for name, ftype in by_name.items():
        if name in translations:
            flat.extend(
                {"name": flat_name(name, lang), "type": dict(STRING_FEATURE)} for lang in translations[name]
            )
        else:
            flat.append({"name": name, "type": ftype})
    return [{"feature_idx": i, **item} for i, item in enumerate(flat)]


def flatten_row(row: dict[str, Any], translations: dict[str, list[str]]) -> dict[str, Any]:
    """A row with each Translation cell (``{"en": ..., "fr": ...}``) split into its language fields.

    A language missing from a cell, or a cell that is not a mapping, gives None.
    """
    flat: dict[str, Any] = {}
    for name, value in row.items():
        if name not in translations:
            flat[name] = value
            continue
        cell = value if isinstance(value, dict) else {}
        for language in translations[name]:
            flat[flat_name(name, language)] = cell.get(language)
    return flat
