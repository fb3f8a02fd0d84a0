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


# symbolic links ----------------------------------------------------------------------------------


def _files(world: Path) -> Path:
    return world / "snap" / "datasets" / "me" / "x" / "files"


@pytest.mark.parametrize(
    ("link", "target", "path"),
    [
        ("passwd", "/etc/passwd", "passwd"),
        ("leak.txt", "../../../../../outside/secret.txt", "leak.txt"),
        ("up", "../../../../../outside", "up/secret.txt"),
        ("data/deep", "/work/../etc/hostname", "data/deep"),
    ],
)
def test_links_out_of_the_snapshot_read_as_missing(
    mirror: MirrorServer, world: Path, link: str, target: str, path: str
) -> None:
    (_files(world) / link).symlink_to(target)
    before = digest(world)
    answer = httpx.get(f"{mirror.url}/datasets/me/x/resolve/main/{path}")
    assert answer.status_code == 404 and answer.headers["X-Error-Code"] == "EntryNotFound"
    assert b"root:" not in answer.content and b"not for the mirror" not in answer.content
    listed = httpx.get(f"{mirror.url}/api/datasets/me/x/tree/main", params={"recursive": "true"}).json()
    assert sorted(e["path"] for e in listed if e["type"] == "file") == [
        ".gitattributes",
        "README.md",
        "data/a.txt",
        "notes.txt",
    ]
    assert digest(world) == before


def test_a_link_that_stays_inside_the_repo_is_served(mirror: MirrorServer, world: Path) -> None:
    (_files(world) / "alias.txt").symlink_to("data/a.txt")
    answer = httpx.get(f"{mirror.url}/datasets/me/x/resolve/main/alias.txt")
    assert answer.status_code == 200 and answer.content == b"alpha\n"


def test_a_linked_dataset_folder_out_of_the_snapshot_is_not_served(world: Path) -> None:
    outside = world / "outside" / "repo"
    (outside / "files").mkdir(parents=True)
    (outside / "files" / "secret.txt").write_text("elsewhere\n")
    (outside / "api.json").write_text(json.dumps({"id": "me/y", "sha": "0" * 40, "private": False}))
    (world / "snap" / "datasets" / "me" / "y").symlink_to(outside)
    before = digest(world)
    with MirrorServer(world / "snap") as mirror:
        assert httpx.get(f"{mirror.url}/api/datasets/me/y").status_code == 401  # RepoNotFound, anonymous
        answer = httpx.get(f"{mirror.url}/datasets/me/y/resolve/main/secret.txt", headers=AUTH)
        assert answer.status_code == 404 and b"elsewhere" not in answer.content
    assert digest(world) == before


@pytest.mark.parametrize(
    ("operation", "refused"),
    [
        (_file("up/new.txt"), "up is a symbolic link"),
        (_file("up/keep/b"), "up is a symbolic link"),
        (_file("leak.txt"), "leak.txt is a symbolic link"),
        ({"key": "deletedFile", "value": {"path": "up/secret.txt"}}, "up is a symbolic link"),
        ({"key": "deletedFile", "value": {"path": "leak.txt"}}, "leak.txt is a symbolic link"),
        ({"key": "deletedFolder", "value": {"path": "up/keep"}}, "up is a symbolic link"),
        ({"key": "deletedFolder", "value": {"path": "up"}}, "up is a symbolic link"),
    ],
)
def test_commits_never_write_or_delete_through_a_link(
    mirror: MirrorServer, world: Path, operation: dict, refused: str
) -> None:
    (_files(world) / "up").symlink_to(world / "outside")
    (_files(world) / "leak.txt").symlink_to(world / "outside" / "secret.txt")
    before = digest(world)
    answer = _commit(mirror, _file("fine.txt"), operation)
    assert answer.status_code == 403 and refused in answer.json()["error"]
    assert digest(world) == before


def test_a_linked_files_folder_refuses_every_commit(mirror: MirrorServer, world: Path) -> None:
    files = _files(world)
    files.rename(world / "outside" / "moved")
    files.symlink_to(world / "outside" / "moved")
    before = digest(world)
    answer = _commit(mirror, _file("fine.txt"))
    assert answer.status_code == 403 and "me/x/files is a symbolic link" in answer.json()["error"]
    assert digest(world) == before


def test_a_commit_beside_a_leaking_link_keeps_nothing_from_outside(mirror: MirrorServer, world: Path) -> None:
    (_files(world) / "leak.txt").symlink_to(world / "outside" / "secret.txt")
    outside = digest(world / "outside")
    assert _commit(mirror, _file("fine.txt")).status_code == 200
    kept = [p.read_bytes() for p in (world / "snap").rglob("*") if p.is_file() and not p.is_symlink()]
    assert not any(b"not for the mirror" in data for data in kept)
    assert digest(world / "outside") == outside


# commit atomicity -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operations", "status", "message"),
    [
        ([_file("a"), _file("a/b")], 409, "Cannot add a/b: a is a file"),
        ([_file("a/b"), _file("a")], 409, "Cannot add a: a folder with this name exists"),
        ([_file("fine.txt"), _file("data")], 409, "Cannot add data: a folder"),
        ([_file("fine.txt"), _file("notes.txt/x")], 409, "notes.txt is a file"),
        ([_file("fine.txt"), {"key": "deletedFile", "value": {"path": "nope.txt"}}], 404, "nope.txt"),
        ([_file("fine.txt"), {"key": "deletedFile", "value": {"path": "data"}}], 404, "data"),
        ([_file("fine.txt"), {"key": "deletedFolder", "value": {"path": "notes.txt"}}], 404, "notes.txt"),
        (
            [
                {"key": "deletedFile", "value": {"path": "notes.txt"}},
                {"key": "deletedFile", "value": {"path": "notes.txt"}},
            ],
            404,
            "notes.txt",
        ),
        (
            [
                {"key": "deletedFolder", "value": {"path": "data"}},
                {"key": "deletedFile", "value": {"path": "data/a.txt"}},
            ],
            404,
            "data/a.txt",
        ),
    ],
)
def test_a_commit_whose_operations_conflict_changes_nothing(
    mirror: MirrorServer, world: Path, operations: list[dict], status: int, message: str
) -> None:
    before = digest(world)
    sha = httpx.get(f"{mirror.url}/api/datasets/me/x").json()["sha"]
    answer = _commit(mirror, *operations)
    assert answer.status_code == status and message in answer.json()["error"]
    assert digest(world) == before  # no file, no blob, no commit record written
    assert httpx.get(f"{mirror.url}/api/datasets/me/x").json()["sha"] == sha


def test_a_folder_emptied_earlier_in_the_commit_can_become_a_file(mirror: MirrorServer, world: Path) -> None:
    answer = _commit(
        mirror, {"key": "deletedFile", "value": {"path": "data/a.txt"}}, _file("data", b"now a file\n")
    )
    assert answer.status_code == 200, answer.text
    assert (_files(world) / "data").read_bytes() == b"now a file\n"
    again = _commit(mirror, {"key": "deletedFile", "value": {"path": "data"}}, _file("data/b.txt", b"b\n"))
    assert again.status_code == 200, again.text
    assert httpx.get(f"{mirror.url}/datasets/me/x/resolve/main/data/b.txt").content == b"b\n"


# request bodies -----------------------------------------------------------------------------------

HUGE = 400 * 1024 * 1024


def _declared(path: str, length: int, token: bool) -> str:
    auth = "Authorization: Bearer hf_test_token\r\n" if token else ""
    return f"POST {path} HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: {length}\r\n\r\n"


@pytest.mark.parametrize(
    "path", ["/api/datasets/me/x/commit/main", "/api/repos/create", "/api/datasets/me/x/preupload/main"]
)
def test_a_write_without_a_token_is_refused_before_its_body_is_read(
    mirror: MirrorServer, world: Path, path: str
) -> None:
    before = digest(world)
    # only the headers go out: a server that waited for the 400 MB body would time the socket out
    status, headers, body = _raw(mirror, _declared(path, HUGE, token=False))
    assert status == 401 and "Invalid credentials" in json.loads(body)["error"]
    assert headers["Connection"] == "close"
    assert digest(world) == before


def test_a_declared_body_over_the_cap_is_refused_before_it_is_read(mirror: MirrorServer, world: Path) -> None:
    before = digest(world)
    status, _, body = _raw(mirror, _declared("/api/datasets/me/x/commit/main", HUGE, token=True))
    assert status == 413 and f"at most {mirror.max_body_bytes} bytes" in json.loads(body)["error"]
    assert digest(world) == before


@pytest.mark.parametrize("length", ["-5", "+5", "5_0", "0x10", "nine"])
def test_a_malformed_content_length_answers_400(mirror: MirrorServer, world: Path, length: str) -> None:
    head = f"POST /api/validate-yaml HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n"
    status, _, body = _raw(mirror, head)
    assert status == 400 and "Invalid Content-Length" in json.loads(body)["error"]


def test_a_chunked_body_is_cut_off_at_the_cap(world: Path) -> None:
    before = digest(world)
    with MirrorServer(world / "snap", max_body_bytes=1000) as small:
        chunk = b"x" * 600
        head = (
            "POST /api/datasets/me/x/commit/main HTTP/1.1\r\nHost: x\r\n"
            "Authorization: Bearer t\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(3)) + b"0\r\n\r\n"
        status, _, answer = _raw(small, head, body)
        assert status == 413 and "at most 1000 bytes" in json.loads(answer)["error"]
        bad = head.encode() + b"zz\r\n"
        with socket.create_connection(("127.0.0.1", small.port), timeout=10) as sock:
            sock.sendall(bad)
            assert b" 400 " in sock.recv(65536).split(b"\r\n")[0] + b" "
    assert digest(world) == before


def test_a_client_that_sends_a_body_over_the_cap_reads_the_413(world: Path) -> None:
    before = digest(world)
    with MirrorServer(world / "snap", max_body_bytes=1000) as small:
        payload = _ndjson(HEADER, _file("big.bin", b"y" * 200_000))
        answer = httpx.post(f"{small.url}/api/datasets/me/x/commit/main", content=payload, headers=AUTH)
        assert answer.status_code == 413 and "at most 1000 bytes" in answer.json()["error"]
    with MirrorServer(world / "snap", max_body_bytes=10_000) as roomy:
        assert _commit(roomy, _file("small.txt")).status_code == 200
    assert (_files(world) / "small.txt").read_bytes() == b"new\n"
    assert not (_files(world) / "big.bin").exists()
    assert {k: v for k, v in digest(world).items() if "outside" in k} == {
        k: v for k, v in before.items() if "outside" in k
    }


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
    with pytest.raises(ValueError, match="max_body_bytes must be at least 1"):
        MirrorServer(world / "snap", max_body_bytes=0)


@pytest.mark.parametrize("value", ["0", "-3"])
def test_serve_refuses_a_body_cap_below_one_mb(
    world: Path, capsys: pytest.CaptureFixture, value: str
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["mirror", "serve", str(world / "snap"), "--max-body-mb", value])
    err = capsys.readouterr().err
    assert caught.value.code == 2 and "argument --max-body-mb" in err and "Traceback" not in err


def test_each_step_of_a_read_must_resolve_inside_the_one_before(tmp_path: Path) -> None:
    from crawl.safe_paths import resolves_inside, resolves_nested

    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "ds" / "files").mkdir(parents=True)
    outside.mkdir()
    (root / "ds" / "files" / "a.txt").write_text("a")
    (outside / "secret.txt").write_text("s")
    (root / "ds" / "files" / "inner").symlink_to(root / "ds" / "files" / "a.txt")
    (root / "ds" / "files" / "leak").symlink_to(outside / "secret.txt")
    (root / "ds" / "escaped").symlink_to(outside)  # a folder that leaves the dataset
    (root / "ds" / "files" / "loop").symlink_to(root / "ds" / "files" / "loop")
    files = root / "ds" / "files"
    assert resolves_nested([root, root / "ds", files, files / "a.txt"])
    assert resolves_nested([root, root / "ds", files, files / "inner"])
    assert not resolves_nested([root, root / "ds", files, files / "leak"])
    assert not resolves_nested(
        [root, root / "ds", root / "ds" / "escaped", root / "ds" / "escaped" / "secret.txt"]
    )
    assert not resolves_nested([root, files / "loop"])
    assert not resolves_inside(files / "loop", root)
    assert resolves_inside(files / "not-yet-written.txt", root)  # lexically inside, nothing to follow
    assert not resolves_inside(root, root / "ds")  # a parent is not inside its child


def test_snapshot_ids_are_one_or_two_folders_deep_and_a_repo_file_named_api_json_is_no_dataset(
    tmp_path: Path,
) -> None:
    from crawl.snapshot import Snapshot

    snapshot = Snapshot(tmp_path / "hub")
    for repo_id in ("org/name", "squad"):
        snapshot.write_api(repo_id, {"id": repo_id, "sha": "0" * 40})
    snapshot.write_file("squad", "api.json", b'{"id": "squad/files"}')  # a repo file of that name
    snapshot.write_file("org/name", "api.json", b"{}")
    assert snapshot.repo_ids() == ["org/name", "squad"]
