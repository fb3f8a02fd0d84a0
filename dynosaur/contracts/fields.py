"""What a dataset-config's fields are, read from its feature JSON and sample rows.

Accepts both shapes the metadata may carry: ``datasets``' ``Features.to_dict`` mapping
(``{field: feature}``) and the viewer's list (``[{"feature_idx", "name", "type"}]``). Each field gets
a coarse ``kind`` that task proposal and validation reason about:

``text`` (string values), ``label`` (ClassLabel), ``number``, ``bool``, ``text_list`` (a list of
strings or numbers), ``answers`` (a struct holding a ``text`` list, SQuAD style), ``translation``
(one text per language, reachable as ``field.<lang>``), ``struct``, ``struct_list``, ``media``
(image, audio, video, pdf) and ``other``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

MEDIA_TYPES = frozenset({"Image", "Audio", "Video", "Pdf", "Nifti"})
LIST_TYPES = frozenset({"List", "Sequence", "LargeList"})
TEXT_DTYPES = frozenset({"string", "large_string", "str"})
TEXT_KINDS = frozenset({"text", "label", "number", "bool", "text_list", "answers"})
_ID_NAME = re.compile(
    r"^(id|ids|idx|guid|uuid|uid|key|index|row_idx|_id|ex_?id|.*[_-]id|.*[_-]ids|.*[_-]idx|.*_uuid)$",
    re.IGNORECASE,
)
# camelCase identifiers (``questionId``, ``TweetId``, ``docID``); case-sensitive so ``paid`` or
# ``valid`` are not
_CAMEL_ID = re.compile(r"^[A-Za-z][a-zA-Z0-9]*[a-z0-9](Id|ID|Ids|IDs)$")
# words of a field name that say its values point somewhere (a URL, a character offset, a position)
LOCATOR_WORDS = frozenset(
    {
        "url",
        "urls",
        "uri",
        "uris",
        "link",
        "links",
        "href",
        "offset",
        "offsets",
        "start",
        "end",
        "starts",
        "ends",
        "begin",
        "range",
        "ranges",
        "index",
        "indices",
        "indexes",
        "position",
        "positions",
        "char",
        "chars",
    }
)
# words of a list field's name that say its items are alternative answers to one input (each item
# is a right output on its own), not parts of one answer (tokens, tags, several labels)
ALTERNATIVE_WORDS = frozenset(
    {
        "answers",
        "answer",
        "references",
        "reference",
        "refs",
        "targets",
        "target",
        "simplifications",
        "simplification",
        "paraphrases",
        "captions",
        "summaries",
        "responses",
        "outputs",
        "completions",
        "translations",
        "rewrites",
        "corrections",
    }
)
_URL_VALUE = re.compile(r"^(https?|ftp)://\S+$|^www\.\S+$", re.IGNORECASE)


@dataclass(frozen=True)
class Field:
    """One usable field (or ``parent.child`` path) of a dataset-config."""

    name: str
    kind: str
    labels: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    dtype: str = ""  # a Value's dtype (a list's item dtype): ``float32``, ``int64``, ``string``...
    item: str = ""  # a list's item kind: ``text``, ``number``, ``bool``, ``label``

    @property
    def text_like(self) -> bool:
        """Whether its values have a faithful text form (so it can be an input or output)."""
        return self.kind in TEXT_KINDS

    @property
    def id_like(self) -> bool:
        return is_id_like(self.name)


def is_id_like(name: str) -> bool:
    """``id``, ``idx``, ``guid``, ``uuid``, ``exid``, ``*_id``, ``questionId``...: row identifiers,
    never task content."""
    last = name.rsplit(".", 1)[-1]
    return bool(_ID_NAME.match(last) or _CAMEL_ID.match(last))


def name_words(name: str) -> set[str]:
    """The words of a field name's last part: ``answer_char_ranges`` / ``sourceUrl`` -> their words,
    plus the whole lower-cased name."""
    last = name.rsplit(".", 1)[-1]
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", last)
    return {w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w} | {last.lower()}


def is_locator(name: str) -> bool:
    """Whether a field name says it holds a URL or an offset/position (``source_url``,
    ``answer_start``, ``answer_char_ranges``, ``span2_index``): never an answer."""
    return bool(name_words(name) & LOCATOR_WORDS)


def is_alternatives(name: str) -> bool:
    """Whether a list field's name says each item is a right output on its own (``references``)."""
    return bool(name_words(name) & ALTERNATIVE_WORDS)


def is_url(value: Any) -> bool:
    """Whether a value is a bare URL."""
    return isinstance(value, str) and bool(_URL_VALUE.match(value.strip()))


def feature_map(features: Any) -> dict[str, Any]:
    """``{field: feature JSON}`` from either feature shape, in the dataset's field order."""
    if isinstance(features, dict):
        return dict(features)
    if isinstance(features, list):
        return {
            str(item["name"]): item.get("type")
            for item in features
            if isinstance(item, dict) and "name" in item
        }
    return {}


def _kind(feature: Any) -> tuple[str, dict[str, Any]]:
    """A feature's kind plus details (labels, languages, struct keys)."""
    if isinstance(feature, list):  # legacy: a bare one-element list means a sequence
        return _list_kind(feature[0] if feature else None)
    if not isinstance(feature, dict):
        return "other", {}
    ftype = feature.get("_type")
    if ftype == "Value":
        dtype = str(feature.get("dtype", ""))
        if dtype in TEXT_DTYPES:
            return "text", {"dtype": dtype}
        if dtype == "bool":
            return "bool", {"dtype": dtype}
        if dtype.startswith(("int", "uint", "float", "decimal")):
            return "number", {"dtype": dtype}
        return "other", {}
    if ftype == "ClassLabel":
        return "label", {"labels": tuple(str(n) for n in feature.get("names") or ())}
    if ftype in LIST_TYPES:
        inner = feature.get("feature")
        if ftype == "Sequence" and isinstance(inner, dict) and "_type" not in inner:
            # datasets stores Sequence(struct) as a struct of lists: {"text": [...], ...}
            return _struct_kind(inner, of_lists=True)
        return _list_kind(inner)
    if ftype in ("Translation", "TranslationVariableLanguages"):
        return "translation", {"languages": tuple(str(x) for x in feature.get("languages") or ())}
    if ftype in MEDIA_TYPES:
        return "media", {}
    if ftype is None:
        return _struct_kind(feature, of_lists=False)
    return "other", {}


def _list_kind(inner: Any) -> tuple[str, dict[str, Any]]:
    kind, details = _kind(inner)
    if kind in ("text", "number", "bool", "label"):
        keep = {k: v for k, v in details.items() if k in ("dtype", "labels")}
        return "text_list", {**keep, "item": kind}
    if kind in ("struct", "answers", "translation"):
        return "struct_list", {}
    if kind == "media":
        return "media", {}
    return "other", {}


def _struct_kind(struct: dict[str, Any], of_lists: bool) -> tuple[str, dict[str, Any]]:
    keys = tuple(str(k) for k in struct)
    text_kind = _kind(struct["text"])[0] if "text" in struct else None
    if (text_kind == "text" and of_lists) or text_kind == "text_list":
        return "answers", {"keys": keys}
    return "struct", {"keys": keys}


def _value_kind(values: list[Any]) -> str:
    """A kind judged from sample values alone (no feature JSON)."""
    present = [v for v in values if v is not None]
    if not present:
        return "other"
    if all(isinstance(v, str) for v in present):
        return "text"
    if all(isinstance(v, bool) for v in present):
        return "bool"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return "number"
    if all(isinstance(v, list) for v in present):
        items = [i for v in present for i in v if i is not None]
        if all(isinstance(i, (str, int, float)) for i in items):
            return "text_list"
        return "struct_list" if all(isinstance(i, dict) for i in items) else "other"
    if all(isinstance(v, dict) for v in present):
        texts = [v.get("text") for v in present]
        if all(isinstance(t, list) and all(isinstance(i, str) for i in t) for t in texts):
            return "answers"
        return "struct"
    return "other"


def schema_fields(metadata: dict[str, Any]) -> dict[str, Field]:
    """Every field of a metadata line (features first, then fields only the rows show)."""
    features = feature_map(metadata.get("features"))
    rows = [r for r in metadata.get("selected_data") or [] if isinstance(r, dict)]
    fields: dict[str, Field] = {}
    for name, feature in features.items():
        kind, details = _kind(feature)
        if kind == "other" and rows:
            kind = _value_kind([row.get(name) for row in rows])
        fields[name] = Field(name, kind, **details)
    for row in rows:
        for name in row:
            if name not in fields:
                fields[name] = Field(name, _value_kind([r.get(name) for r in rows]))
    for field in list(fields.values()):
        if field.kind == "translation":
            languages = field.languages or _row_keys(rows, field.name)
            fields[field.name] = Field(field.name, "translation", languages=languages)
            for language in languages:
                path = f"{field.name}.{language}"
                fields[path] = Field(path, "text")
        elif field.kind == "struct":
            for key in field.keys or _row_keys(rows, field.name):
                sub = f"{field.name}.{key}"
                kind = _value_kind([_get(r, field.name, key) for r in rows]) if rows else "other"
                if sub not in fields and kind in TEXT_KINDS:
                    fields[sub] = Field(sub, kind)
    return fields


def _row_keys(rows: list[dict[str, Any]], name: str) -> tuple[str, ...]:
    keys: dict[str, None] = {}
    for row in rows:
        value = row.get(name)
        if isinstance(value, dict):
            keys.update(dict.fromkeys(str(k) for k in value))
    return tuple(keys)


def _get(row: dict[str, Any], name: str, key: str) -> Any:
    value = row.get(name)
    return value.get(key) if isinstance(value, dict) else None


def sample_values(metadata: dict[str, Any], path: str) -> Iterator[Any]:
    """The values of ``path`` (``a`` or ``a.b``) in the metadata's sample rows."""
    for row in metadata.get("selected_data") or []:
        if not isinstance(row, dict):
            continue
        if path in row:
            yield row[path]
            continue
        value: Any = row
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None:
            yield value
