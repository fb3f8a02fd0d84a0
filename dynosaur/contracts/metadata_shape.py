"""Whether a metadata line has the shape its readers rely on: the reason it cannot be used, or None.

A line is what the crawl wrote, or a file edited by hand: a list where a list belongs
(``selected_data``, a ClassLabel's ``names``, a Translation's ``languages``) is checked here once,
so a malformed line is skipped with its reason instead of breaking a stage on its way.
"""

from __future__ import annotations

from typing import Any

from dynosaur.contracts.fields import LIST_TYPES, feature_map
from dynosaur.contracts.shapes import describe

# feature types with a list attribute: (type, attribute)
_LIST_ATTRIBUTES = (
    ("ClassLabel", "names"),
    ("Translation", "languages"),
    ("TranslationVariableLanguages", "languages"),
)
_TEXT_FIELDS = ("dataset", "config", "split")  # names a stage looks a line up by
_MAX_DEPTH = 64  # deeper features than any dataset has: refused rather than walked


def metadata_problem(line: dict[str, Any]) -> str | None:
    """Why ``line`` cannot be read as a dataset-config's metadata (naming the field), or None."""
    features = line.get("features")
    if features is not None and not isinstance(features, (dict, list)):
        return f"features is {describe(features)}, not a list or a mapping"
    for name, feature in feature_map(features).items():
        problem = feature_problem(feature, f"features.{name}")
        if problem:
            return problem
    rows = line.get("selected_data")
    if rows is not None and not isinstance(rows, list):
        return f"selected_data is {describe(rows)}, not a list"
    for name in _TEXT_FIELDS:
        value = line.get(name)
        if value is not None and not isinstance(value, str):
            return f"{name} is {describe(value)}, not a string"
    return None


def feature_problem(feature: Any, where: str, depth: int = 0) -> str | None:
    """The first malformed part of one feature's JSON, named by its path, or None."""
    if depth > _MAX_DEPTH:
        return f"{where} is nested too deep"
    if isinstance(feature, list):  # legacy: a one-element list is a sequence of it
        return feature_problem(feature[0], f"{where}[0]", depth + 1) if feature else None
    if not isinstance(feature, dict):
        return None
    ftype = feature.get("_type")
    if ftype is not None and not isinstance(ftype, str):
        return f"{where}: _type is {describe(ftype)}, not a string"
    for type_name, attribute in _LIST_ATTRIBUTES:
        value = feature.get(attribute)
        if ftype == type_name and value is not None and not isinstance(value, list):
            return f"{where}: {type_name} {attribute} is {describe(value)}, not a list"
    if ftype in LIST_TYPES:
        return feature_problem(feature.get("feature"), f"{where}.feature", depth + 1)
    if ftype is None:  # a struct: each key is a sub-feature
        for key, sub in feature.items():
            problem = feature_problem(sub, f"{where}.{key}", depth + 1)
            if problem:
                return problem
    return None
