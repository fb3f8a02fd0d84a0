"""Suite-wide guards: no test reaches beyond 127.0.0.1.

``huggingface_hub`` builds its user-agent with telemetry on by default, which fetches
``https://huggingface.co/api/agent-harnesses`` even when the client talks to the local mirror;
telemetry is switched off for the suite (and for the subprocesses tests start), and so is the
download count ``datasets.load_dataset`` reports to S3, and any socket connection to a
non-loopback address fails the test that made it.
"""

from __future__ import annotations

import ipaddress
import os
import socket

import pytest

os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_UPDATE_DOWNLOAD_COUNTS"] = "0"
os.environ.pop("HF_ENDPOINT", None)

import huggingface_hub.constants  # noqa: E402

huggingface_hub.constants.HF_HUB_DISABLE_TELEMETRY = True

_real_connect = socket.socket.connect
_real_getaddrinfo = socket.getaddrinfo
# Libraries swallow connection errors (telemetry does), so attempts are also recorded and checked
# after every test.
_blocked: list[object] = []


def _is_loopback(address: object) -> bool:
    if not isinstance(address, tuple) or not address:
        return True  # AF_UNIX paths and the like never leave the machine
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it would need a DNS lookup first


def _guarded_connect(self: socket.socket, address: object) -> None:
    if not _is_loopback(address):
        _blocked.append(address)
        raise ConnectionRefusedError(f"a test tried to reach {address!r}: only 127.0.0.1 is allowed")
    return _real_connect(self, address)


def _guarded_getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
    # A name lookup is the first step out: without the network it fails before any connect.
    if host is not None and not _is_loopback((host.decode() if isinstance(host, bytes) else host,)):
        _blocked.append(host)
        raise socket.gaierror(socket.EAI_NONAME, f"a test tried to look up {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


@pytest.fixture(autouse=True, scope="session")
def _loopback_only() -> object:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.getaddrinfo = _guarded_getaddrinfo  # type: ignore[assignment]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.getaddrinfo = _real_getaddrinfo


@pytest.fixture(autouse=True)
def _no_connection_left_loopback(_loopback_only: object) -> object:
    _blocked.clear()
    yield
    assert not _blocked, f"connections beyond 127.0.0.1 were attempted: {_blocked}"
