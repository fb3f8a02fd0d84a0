"""License policy: what each Hub license id permits, and named presets of what a crawl keeps.

Every license id the Hub offers (its card ``license:`` values, hub-docs' repositories-licenses
list) falls in one class; a preset keeps a set of classes:

========== =====================================================================================
class      what the license allows
========== =====================================================================================
permissive commercial use, derivatives and redistribution, at most with attribution (MIT,
           Apache-2.0, BSD, CC0, CC-BY, ODC-By, PDDL, ...)
copyleft   the same, but derivatives must keep the license: share-alike and copyleft (CC-BY-SA,
           ODbL, CDLA-Sharing, GPL, AGPL, LGPL, MPL, EPL, EUPL, GFDL, SIL OFL, ...)
nc         no commercial use (CC-BY-NC, CC-BY-NC-SA; C-UDA allows computational use only)
nd         no derivatives (CC-BY-ND, CC-BY-NC-ND): an instruction set made from rows is one
model      licenses written for model weights, with use restrictions (OpenRAIL family, Llama 2/3/4,
           Gemma, DeepFloyd IF)
custom     a vendor's own terms or a family id that names no exact license (Apple ASCL and AMLR,
           Intel research, FAIR non-commercial research, ``cc``)
========== =====================================================================================

``other`` and ``unknown`` name no license and are never kept (nor is an id no class knows).
A dataset with several licenses is kept only when every one of them is: the strictest decides.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

PERMISSIVE, COPYLEFT, NON_COMMERCIAL, NO_DERIVATIVES, MODEL, CUSTOM = (
    "permissive",
    "copyleft",
    "nc",
    "nd",
    "model",
    "custom",
)
UNRECOGNIZED = "unrecognized"

_IDS: dict[str, tuple[str, ...]] = {
    PERMISSIVE: (
        "apache-2.0", "mit", "afl-3.0", "artistic-2.0", "bsl-1.0", "bsd", "bsd-2-clause",
        "bsd-3-clause", "bsd-3-clause-clear", "cc0-1.0", "cdla-permissive-1.0",
        "cdla-permissive-2.0", "wtfpl", "ecl-2.0", "etalab-2.0", "isc", "ncsa", "unlicense", "zlib",
        "pddl", "odc-by", "postgresql",
    ),
    COPYLEFT: (
        "cdla-sharing-1.0", "odbl", "gfdl", "mpl-2.0", "epl-1.0", "epl-2.0", "eupl-1.1", "eupl-1.2",
        "osl-3.0", "lppl-1.3c", "ms-pl", "ofl-1.1",
    ),
    NON_COMMERCIAL: ("c-uda",),
    MODEL: ("gemma", "deepfloyd-if-license"),
    CUSTOM: (
        "cc", "apple-ascl", "apple-amlr", "intel-research", "fair-noncommercial-research-license",
    ),
}  # fmt: skip
_CLASS_OF = {license_id: kind for kind, ids in _IDS.items() for license_id in ids}

# Versioned families, matched on the id's shape (every version the Hub or SPDX knows).
_PATTERNS = (
    (re.compile(r"^cc-by(-nc)?-nd-\d"), NO_DERIVATIVES),
    (re.compile(r"^cc-by-nc(-sa)?-\d"), NON_COMMERCIAL),
    (re.compile(r"^cc-by-sa-\d"), COPYLEFT),
    (re.compile(r"^cc-by-\d"), PERMISSIVE),
    (re.compile(r"^(a|l)?gpl(-|$)"), COPYLEFT),  # gpl, gpl-2.0, agpl-3.0, lgpl, lgpl-2.1, lgpl-lr
    (re.compile(r"(^|-)openrail|rail-\d"), MODEL),  # openrail, openrail++, *-openrail-m, bloom-rail
    (re.compile(r"^llama\d"), MODEL),  # llama2, llama3, llama3.1 ... llama4
)

PRESETS: dict[str, frozenset[str]] = {
    "permissive": frozenset({PERMISSIVE}),
    "open": frozenset({PERMISSIVE, COPYLEFT}),
    "research": frozenset({PERMISSIVE, COPYLEFT, NON_COMMERCIAL}),
    "any-known": frozenset({PERMISSIVE, COPYLEFT, NON_COMMERCIAL, NO_DERIVATIVES, MODEL, CUSTOM}),
}
DEFAULT_PRESET = "permissive"
PRESET_DESCRIPTIONS = {
    "permissive": "commercial use and derivatives allowed, at most with attribution; "
    "no non-commercial, no-derivatives, share-alike or copyleft, custom or model licenses",
    "open": "permissive licenses plus share-alike and copyleft ones (CC-BY-SA, ODbL, GPL, ...)",
    "research": "open licenses plus non-commercial ones (CC-BY-NC, CC-BY-NC-SA, C-UDA): "
    "for research use only",
    "any-known": "any recognized license id, including no-derivatives, model and custom licenses",
}
# From most to least permissive: a list of licenses is as strict as its strictest member.
_STRICTNESS = (PERMISSIVE, COPYLEFT, NON_COMMERCIAL, NO_DERIVATIVES, MODEL, CUSTOM, UNRECOGNIZED)


def normalize_license(license_id: str) -> str:
    """``"CC BY-SA 4.0"`` / ``"cc_by_sa_4.0"`` -> ``"cc-by-sa-4.0"`` (the Hub's lower-case ids)."""
    return re.sub(r"[\s_]+", "-", license_id.strip().lower())


def license_class(license_id: str) -> str:
    """The class of a license id (see the module docstring), or ``unrecognized``."""
    normalized = normalize_license(license_id)
    if normalized in _CLASS_OF:
        return _CLASS_OF[normalized]
    for pattern, kind in _PATTERNS:
        if pattern.search(normalized):
            return kind
    return UNRECOGNIZED


def denied_license(
    licenses: Iterable[str],
    preset: str,
    allow: Iterable[str] = (),
    deny: Iterable[str] = (),
) -> str | None:
    """The reason the strictest of ``licenses`` fails ``preset`` (None: every one passes).

    ``allow`` and ``deny`` name ids kept or dropped whatever the preset (deny wins).
    """
    kept_classes = PRESETS[preset]
    allowed = {normalize_license(x) for x in allow}
    denied = {normalize_license(x) for x in deny}
    failing: list[tuple[int, str, str]] = []
    for license_id in licenses:
        normalized = normalize_license(license_id)
        kind = license_class(normalized)
        if normalized in denied:
            failing.append((len(_STRICTNESS), license_id, "denied by name"))
        elif normalized not in allowed and kind not in kept_classes:
            failing.append((_STRICTNESS.index(kind), license_id, kind))
    if not failing:
        return None
    _, license_id, why = max(failing)
    return f"{license_id} ({why}; policy {preset})"
