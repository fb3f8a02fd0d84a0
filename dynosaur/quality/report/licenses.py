"""License ids grouped into policy classes, for the report's per-class counts."""

from __future__ import annotations

import re

PERMISSIVE = "permissive"
SHARE_ALIKE = "share-alike / copyleft"
NON_COMMERCIAL = "non-commercial"
NO_DERIVATIVES = "no-derivatives"
OTHER = "other / unknown"
CLASSES = (PERMISSIVE, SHARE_ALIKE, NON_COMMERCIAL, NO_DERIVATIVES, OTHER)

_PERMISSIVE = re.compile(
    r"^(apache|mit|bsd|isc|zlib|cc0|cc-by(-\d|$)|pddl|odc-by|unlicense|wtfpl|bsl|afl|ecl|ms-pl|"
    r"artistic|postgresql|ncsa|c-uda|cdla-permissive|openrail|bigscience-openrail|llama|gemma|"
    r"etalab|ogl|odc-pddl|public-domain)"
)
_COPYLEFT = re.compile(r"(^cc-by-sa|^gpl|^lgpl|^agpl|^odbl|^cdla-sharing|^mpl|^epl|^eupl|^gfdl|^osl|^cecill)")


def policy_class(license_id: str | None) -> str:
    """The policy class of a Hub license id (``cc-by-nc-sa-4.0`` -> ``non-commercial``)."""
    name = (license_id or "").strip().lower()
    if not name or name in {"other", "unknown", "none"}:
        return OTHER
    if "-nc" in name or name.startswith("nc"):
        return NON_COMMERCIAL
    if "-nd" in name:
        return NO_DERIVATIVES
    if _COPYLEFT.search(name):
        return SHARE_ALIKE
    if _PERMISSIVE.search(name):
        return PERMISSIVE
    return OTHER
