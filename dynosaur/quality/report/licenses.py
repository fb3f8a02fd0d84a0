"""License ids grouped into the crawl policy's classes, for the report's per-class counts."""

from __future__ import annotations

from crawl.licenses import UNRECOGNIZED, license_class


def policy_class(license_id: str | None) -> str:
    """The crawl policy's class of a license id (``cc-by-nc-sa-4.0`` -> ``nc``); ``unrecognized``
    for a record without one."""
    if not license_id or license_id == "(none)":
        return UNRECOGNIZED
    return license_class(license_id)
