"""Where an OpenAI-compatible server runs, and the concurrency and timeout that suit it.

Kept apart from the ``openai`` engine so that choosing option defaults never loads the client.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0"})
# names that only resolve inside a network (mDNS, Docker, home routers)
_PRIVATE_SUFFIXES = (".local", ".internal", ".lan", ".home.arpa", ".localhost")
REMOTE_CONCURRENCY = 8
REMOTE_TIMEOUT = 120.0
LOCAL_CONCURRENCY = 1  # llama.cpp / Ollama on a CPU serve one request at a time anyway
LOCAL_TIMEOUT = 600.0  # a small model on two CPU cores takes up to a minute per answer, longer queued


def _host(base_url: str | None) -> str:
    return (urlsplit(base_url).hostname or "").lower() if base_url else ""


def is_local_server(base_url: str | None) -> bool:
    """Whether ``base_url`` points at this machine (where a model is likely served on CPU)."""
    host = _host(base_url)
    return host in _LOCAL_HOSTS or host.startswith("127.")


def is_private_server(base_url: str | None) -> bool:
    """Whether ``base_url`` points at this machine or a private network: a private, link-local or
    loopback address, a name such as ``gpu-box.local`` or ``host.docker.internal``, or a bare
    name without a dot (a Docker Compose service such as ``ollama``)."""
    host = _host(base_url)
    if not host:
        return False
    if is_local_server(base_url):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "." not in host or host.endswith(_PRIVATE_SUFFIXES)
    return address.is_private or address.is_loopback or address.is_link_local


def adapts_to_latency(base_url: str | None) -> bool:
    """Whether answers slowing down mean the server is saturated by our own requests (a server we
    share with nobody, on this machine or network), rather than a busy public API."""
    return is_private_server(base_url)


def server_defaults(base_url: str | None) -> tuple[int, float]:
    """The concurrency and timeout (seconds) used for ``base_url`` when none is given: one request
    at a time on this machine, and a timeout long enough for CPU inference there and on a
    private network."""
    if is_local_server(base_url):
        return LOCAL_CONCURRENCY, LOCAL_TIMEOUT
    if is_private_server(base_url):
        return REMOTE_CONCURRENCY, LOCAL_TIMEOUT
    return REMOTE_CONCURRENCY, REMOTE_TIMEOUT
