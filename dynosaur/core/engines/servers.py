"""Where an OpenAI-compatible server runs, and the concurrency and timeout that suit it.

Kept apart from the ``openai`` engine so that choosing option defaults never loads the client.
"""

from __future__ import annotations

from urllib.parse import urlsplit

_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0"})
REMOTE_CONCURRENCY = 8
REMOTE_TIMEOUT = 120.0
LOCAL_CONCURRENCY = 1  # llama.cpp / Ollama on a CPU serve one request at a time anyway
LOCAL_TIMEOUT = 600.0  # a small model on two CPU cores takes up to a minute per answer, longer queued


def is_local_server(base_url: str | None) -> bool:
    """Whether ``base_url`` points at this machine (where a model is likely served on CPU)."""
    if not base_url:
        return False
    host = (urlsplit(base_url).hostname or "").lower()
    return host in _LOCAL_HOSTS or host.startswith("127.")


def server_defaults(base_url: str | None) -> tuple[int, float]:
    """The concurrency and timeout (seconds) used for ``base_url`` when none is given."""
    if is_local_server(base_url):
        return LOCAL_CONCURRENCY, LOCAL_TIMEOUT
    return REMOTE_CONCURRENCY, REMOTE_TIMEOUT
