"""The mirror refuses what could reach outside its snapshot or leave a repo half-changed.

Every refusal is checked twice: the answer (status and a message naming the problem) and the
snapshot and the files beside it, hashed before and after, unchanged byte for byte.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dynosaur.cli import main
from hubmirror import MirrorServer
from hubmirror.demo.builder import make_dataset
from tests.support.mirror_fixtures import write_snapshot

AUTH = {"Authorization": "Bearer hf_test_token"}
CARD = "---\nlicense: mit\n---\n# x\n"


def digest(root: Path) -> dict[str, str]:
    """Every entry under ``root``: a file's sha256, a link's target, a folder's mark."""
    found: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            key = str(path.relative_to(root))
            if path.is_symlink():
                found[key] = "-> " + os.readlink(path)
            elif path.is_dir():
                found[key] = "dir"
            else:
                found[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@pytest.fixture
def world(tmp_path: Path) -> Path:
    """A snapshot with one dataset ``me/x`` and, beside it, a folder of files that must stay put."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("not for the mirror\n")
    (outside / "keep").mkdir()
    (outside / "keep" / "b").write_text("keep me\n")
    write_snapshot(
        tmp_path / "snap",
        [make_dataset("me/x", card=CARD, files={"data/a.txt": b"alpha\n", "notes.txt": b"n\n"})],
    )
    return tmp_path


@pytest.fixture
def mirror(world: Path) -> Iterator[MirrorServer]:
    with MirrorServer(world / "snap") as server:
        yield server


def _raw(mirror: MirrorServer, head: str, body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    """Send a raw request (clients would normalise or refuse the path) and read the answer."""
    with socket.create_connection(("127.0.0.1", mirror.port), timeout=10) as sock:
        sock.sendall(head.encode("latin-1") + body)
        answer = b"".join(iter(lambda: sock.recv(65536), b""))
    head_part, _, payload = answer.partition(b"\r\n\r\n")
    lines = head_part.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, payload


def _ndjson(*items: dict) -> bytes:
    return b"".join(json.dumps(item).encode() + b"\n" for item in items)


HEADER = {"key": "header", "value": {"summary": "change", "description": ""}}


def _file(path: object, content: bytes = b"new\n") -> dict:
    return {
        "key": "file",
        "value": {"path": path, "content": base64.b64encode(content).decode(), "encoding": "base64"},
    }


def _commit(mirror: MirrorServer, *ops: dict, repo: str = "me/x") -> httpx.Response:
    return httpx.post(
        f"{mirror.url}/api/datasets/{repo}/commit/main", content=_ndjson(HEADER, *ops), headers=AUTH
    )


# names ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("/api/datasets/me/x%0A", "control character (U+000A)"),
        ("/api/datasets/me%0A/x", "control character (U+000A)"),
        ("/api/datasets/me/x%5Cy", "backslash"),
        ("/datasets/me/x/resolve/main/notes.txt%0A", "control character (U+000A)"),
        ("/datasets/me/x/resolve/main/data%5Ca.txt", "backslash"),
        ("/datasets/me/x/resolve/main/%2Fetc/passwd", "absolute path"),
        ("/datasets/me/x/resolve/main/data/%2E%2E/notes.txt", "'..' segment"),
        ("/datasets/me/x/resolve/main/data/%2E/a.txt", "'.' segment"),
        ("/datasets/me/x/resolve/main%0A/notes.txt", "control character (U+000A)"),
        ("/api/datasets/me/x/revision/main%00", "control character (U+0000)"),
        ("/api/datasets/me/x/tree/..%5Cmain", "backslash"),
    ],
)
def test_names_with_control_characters_or_path_tricks_answer_400(
    mirror: MirrorServer, world: Path, path: str, problem: str
) -> None:
    before = digest(world)
    status, headers, body = _raw(mirror, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status == 400, body
    assert problem in json.loads(body)["error"] and problem in headers["X-Error-Message"]
    assert digest(world) == before


@pytest.mark.parametrize("name", ["x\n", "x\r", "x\t", "a\\b", "..", "x\u2028"])
def test_create_repo_refuses_names_with_a_trailing_newline_or_tricks(
    mirror: MirrorServer, world: Path, name: str
) -> None:
    before = digest(world)
    body = {"name": name, "organization": "me", "type": "dataset"}
    answer = httpx.post(f"{mirror.url}/api/repos/create", json=body, headers=AUTH)
    assert answer.status_code == 400 and "Invalid repo id" in answer.json()["error"]
    assert digest(world) == before


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("new.txt\n", "control character (U+000A)"),
        ("data\\b.txt", "backslash"),
        ("/etc/x", "absolute path"),
        ("data/../../x", "'..' segment"),
        (".", "'.' segment"),
        ("data//b", "empty segment"),
        (5, "must be a string"),
    ],
)
def test_commit_refuses_file_paths_with_tricks_and_writes_nothing(
    mirror: MirrorServer, world: Path, path: object, problem: str
) -> None:
    before = digest(world)
    answer = _commit(mirror, _file("ok.txt"), _file(path))
    assert answer.status_code == 400 and problem in answer.json()["error"]
    assert digest(world) == before


def test_deleted_folder_dot_is_refused_not_the_whole_repo(mirror: MirrorServer, world: Path) -> None:
    before = digest(world)
    answer = _commit(mirror, {"key": "deletedFolder", "value": {"path": "./"}})
    assert answer.status_code == 400 and "'.' segment" in answer.json()["error"]
    assert digest(world) == before


def test_tag_names_with_a_trailing_newline_are_refused(mirror: MirrorServer, world: Path) -> None:
    before = digest(world)
    answer = httpx.post(f"{mirror.url}/api/datasets/me/x/tag/main", json={"tag": "v1\n"}, headers=AUTH)
    assert answer.status_code == 400 and "control character (U+000A)" in answer.json()["error"]
    assert digest(world) == before


# the command line -------------------------------------------------------------------------------


@pytest.mark.parametrize("port", ["70000", "-1", "65536"])
def test_serve_refuses_a_port_out_of_range(world: Path, capsys: pytest.CaptureFixture, port: str) -> None:
    before = digest(world)
    assert main(["mirror", "serve", str(world / "snap"), "--port", port]) == 2
    err = capsys.readouterr().err
    assert "--port must be within 0-65535" in err and port in err and "Traceback" not in err
    assert digest(world) == before


def test_serve_refuses_a_port_in_use(world: Path, capsys: pytest.CaptureFixture) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["mirror", "serve", str(world / "snap"), "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port} (--port)" in err and "Traceback" not in err


def test_mirror_server_refuses_a_port_out_of_range(world: Path) -> None:
    with pytest.raises(ValueError, match="port must be within 0-65535"):
        MirrorServer(world / "snap", port=70000)
