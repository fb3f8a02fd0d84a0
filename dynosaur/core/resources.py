"""Where the bundled data folders are found: the installed package's copy, else the source checkout's.

The repository keeps ``prompts/`` and ``examples/documents/`` at its top level. A wheel carries
copies of them inside the package, under ``dynosaur/_data/`` (see ``force-include`` in
``pyproject.toml``). A regular install therefore reads the packaged copy; a source checkout or an
editable install has no ``_data`` folder beside the package and reads the checkout's live folders,
so editing a template needs no reinstall.
"""

from __future__ import annotations

from pathlib import Path

from dynosaur.core.errors import DynosaurError

PACKAGE_DIR = Path(__file__).resolve().parents[1]
# Where the wheel puts the data folders, and the checkout root the package sits in.
PACKAGED_DATA_DIR = PACKAGE_DIR / "_data"
CHECKOUT_DIR = PACKAGE_DIR.parent


class ResourceNotFound(DynosaurError, FileNotFoundError):
    """A bundled data folder is neither in the installed package nor in a source checkout."""


def data_dir(relative: str, packaged_root: Path | None = None, checkout_root: Path | None = None) -> Path:
    """The folder ``relative`` (e.g. ``"prompts"``): the packaged copy if present, else the checkout's.

    ``packaged_root`` and ``checkout_root`` default to this package's ``_data`` folder and the
    folder the package sits in. Raises ``ResourceNotFound`` naming both places when neither has it.
    """
    packaged = (PACKAGED_DATA_DIR if packaged_root is None else packaged_root) / relative
    checkout = (CHECKOUT_DIR if checkout_root is None else checkout_root) / relative
    for candidate in (packaged, checkout):
        if candidate.is_dir():
            return candidate
    raise ResourceNotFound(
        f"the {relative}/ folder was found neither in the installed package ({packaged}) nor in a "
        f"source checkout ({checkout}); reinstall dynosaur (pip install .) or run it from its repository"
    )
