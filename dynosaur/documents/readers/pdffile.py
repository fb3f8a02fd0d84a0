"""PDF through pypdf: the text of every page, pages separated by a paragraph break.

An encrypted PDF that opens with the empty password is read; one that needs a password, a
damaged file and a PDF without extractable text (a scan) are skipped with their reason.
"""

from __future__ import annotations

import io
import logging

from dynosaur.documents.readers.base import SkipDocument

# pypdf logs the repairs it makes ("EOF marker not found") and adds no handler, so Python would
# print them on stderr, unattributed; the report already says why a file was skipped. A program
# that configures logging still receives them.
logging.getLogger("pypdf").addHandler(logging.NullHandler())


def read_pdf(data: bytes) -> str:
    """The extracted text of a .pdf file."""
    # imported here: only a run that meets a PDF pays for pypdf
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError, PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise SkipDocument("encrypted PDF", "a password is needed to open it")
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
    except SkipDocument:
        raise
    except FileNotDecryptedError as exc:
        raise SkipDocument("encrypted PDF", str(exc)) from exc
    except (NotImplementedError, DependencyError) as exc:  # AES without `cryptography`, or unknown
        raise SkipDocument("encrypted PDF", f"cannot decrypt: {exc}") from exc
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise SkipDocument("unreadable PDF", f"{type(exc).__name__}: {exc}") from exc
    return "\n\n".join(page for page in pages if page)
