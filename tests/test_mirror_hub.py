"""The mirror speaks the Hub API: the real huggingface_hub client works against it unchanged."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from huggingface_hub import DatasetCard, HfApi, get_hf_file_metadata, hf_hub_download, hf_hub_url
from huggingface_hub.errors import (
    DisabledRepoError,
    GatedRepoError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from hubmirror import MirrorServer
from hubmirror.demo.snapshot import card_text, make_dataset
from tests.support.mirror_fixtures import STRING, class_label, write_snapshot


def _card(license_: str, language: str, task: str) -> str:
    return card_text(
        {"license": license_, "language": [language], "task_categories": [task], "pretty_name": "Demo"},
        "# Demo\n\nA demo dataset.\n\n## Dataset Summary\n\nShort texts.\n",
    )


def _configs(n: int = 3) -> dict:
    rows = [{"text": f"text number {i}", "label": i % 2} for i in range(n)]
    return {
        "default": {"train": {"features": {"text": STRING, "label": class_label("no", "yes")}, "rows": rows}}
    }


def _hub(root: Path) -> Path:
    datasets = [
        make_dataset(
            f"acme/set-{i:02d}",
            card=_card("mit" if i % 2 else "cc-by-4.0", "en" if i % 3 else "fr", "text-classification"),
            configs=_configs(),
            downloads=(i * 37) % 11,
            likes=i,
        )
        for i in range(7)
    ]
    datasets += [
        make_dataset(
            "sentiment",
            card=_card("apache-2.0", "en", "text-classification"),
            configs=_configs(),
            downloads=50,
        ),
        make_dataset(
            "acme/gated", card=_card("mit", "en", "text-classification"), configs=_configs(), gated="manual"
        ),
        make_dataset(
            "acme/secret", card=_card("mit", "en", "text-classification"), configs=_configs(), private=True
        ),
        make_dataset(
            "acme/gone", card=_card("mit", "en", "text-classification"), configs=_configs(), disabled=True
        ),
    ]
    return write_snapshot(root, datasets)


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[MirrorServer]:
    with MirrorServer(_hub(tmp_path / "snap"), page_size=3) as mirror:
        yield mirror


def test_listing_follows_link_pages_and_returns_every_public_id_once(hub: MirrorServer) -> None:
    ids = [d.id for d in HfApi(endpoint=hub.url).list_datasets()]
    assert sorted(ids) == ids  # no sort: id order
    assert len(ids) == len(set(ids)) == 10
    assert "acme/secret" not in ids and "acme/gone" in ids
    pages = [r for r in hub.requests if r.path == "/api/datasets"]
    assert len(pages) == 4  # 10 items, pages of 3
    assert all(r.status == 200 for r in pages)
    assert "cursor" in pages[1].params and pages[1].params["cursor"] != pages[2].params["cursor"]


def test_listing_with_a_token_shows_private_datasets(hub: MirrorServer) -> None:
    ids = [d.id for d in HfApi(endpoint=hub.url, token="hf_test").list_datasets(search="secret")]
    assert ids == ["acme/secret"]


def test_listing_sorts_by_downloads_descending_with_ties_by_id(hub: MirrorServer) -> None:
    infos = list(HfApi(endpoint=hub.url).list_datasets(sort="downloads"))
    downloads = [d.downloads for d in infos]
    assert downloads == sorted(downloads, reverse=True) and infos[0].id == "sentiment"
    ascending = httpx.get(
        f"{hub.url}/api/datasets", params={"sort": "likes", "direction": "1", "limit": 3}
    ).json()
    assert [d["likes"] for d in ascending] == [0, 0, 0]
    assert [d["id"] for d in ascending] == ["acme/gated", "acme/gone", "acme/set-00"]


def test_listing_filters_by_tags_bare_values_search_and_author(hub: MirrorServer) -> None:
    api = HfApi(endpoint=hub.url)
    mit_en = {d.id for d in api.list_datasets(filter=["license:mit", "language:en"])}
    assert mit_en == {"acme/set-01", "acme/set-05", "acme/gated", "acme/gone"}
    assert {d.id for d in api.list_datasets(filter="fr")} == {"acme/set-00", "acme/set-03", "acme/set-06"}
    assert {d.id for d in api.list_datasets(language="fr", filter="license:cc-by-4.0")} == {
        "acme/set-00",
        "acme/set-06",
    }
    assert [d.id for d in api.list_datasets(search="SET-0", author="acme", limit=2)] == [
        "acme/set-00",
        "acme/set-01",
    ]
    assert [d.id for d in api.list_datasets(author="nobody")] == []


def test_listing_default_full_and_expand_fields(hub: MirrorServer) -> None:
    url = f"{hub.url}/api/datasets"
    default = httpx.get(url, params={"limit": 1}).json()[0]
    assert {"id", "_id", "sha", "tags", "downloads", "gated", "disabled", "lastModified"} <= set(default)
    assert "cardData" not in default and "siblings" not in default
    full = httpx.get(url, params={"search": "set-00", "full": "true"}).json()[0]
    assert full["cardData"]["license"] == "cc-by-4.0" and {"rfilename": "README.md"} in full["siblings"]
    expanded = httpx.get(url, params=[("limit", "1"), ("expand", "cardData"), ("expand", "sha")]).json()[0]
    assert set(expanded) == {"_id", "id", "cardData", "sha"}
    both = httpx.get(url, params={"full": "true", "expand": "sha"})
    assert both.status_code == 400 and "full" in both.json()["error"]
    assert httpx.get(url, params={"expand": "secrets"}).status_code == 400
    info = next(iter(HfApi(endpoint=hub.url).list_datasets(search="set-00", expand=["cardData", "gated"])))
    assert info.card_data.license == "cc-by-4.0" and info.gated is False


def test_bad_listing_parameters_answer_400(hub: MirrorServer) -> None:
    url = f"{hub.url}/api/datasets"
    for params in ({"cursor": "not-a-cursor"}, {"sort": "size"}, {"limit": "0"}, {"limit": "x"}):
        response = httpx.get(url, params=params)
        assert response.status_code == 400, params
        assert response.json()["error"] == response.headers["X-Error-Message"]


def test_dataset_info_by_id_and_revision(hub: MirrorServer) -> None:
    api = HfApi(endpoint=hub.url)
    info = api.dataset_info("acme/set-01")
    assert info.card_data.license == "mit" and len(info.sha) == 40
    assert "task_categories:text-classification" in info.tags
    assert api.dataset_info("acme/set-01", revision=info.sha).sha == info.sha
    assert api.dataset_info("sentiment", revision="main").id == "sentiment"
    with pytest.raises(RevisionNotFoundError):
        api.dataset_info("acme/set-01", revision="0" * 40)
    with pytest.raises(RepositoryNotFoundError):
        api.dataset_info("acme/missing")
    with pytest.raises(RepositoryNotFoundError):
        api.dataset_info("acme/secret")
    assert api.dataset_info("acme/gone").disabled is True
    blobs = api.dataset_info("acme/set-01", files_metadata=True).siblings
    assert {s.rfilename: s.size for s in blobs}["README.md"] > 0


def test_readme_downloads_and_loads_as_a_dataset_card(hub: MirrorServer, tmp_path: Path) -> None:
    path = hf_hub_download(
        "acme/set-01", "README.md", repo_type="dataset", endpoint=hub.url, cache_dir=tmp_path
    )
    card = DatasetCard.load(path)
    assert card.data.license == "mit" and card.data.language == ["en"]
    sha = HfApi(endpoint=hub.url).dataset_info("acme/set-01").sha
    assert sha in path  # cached under the commit the mirror reported in X-Repo-Commit
    head = httpx.head(f"{hub.url}/datasets/acme/set-01/resolve/main/README.md")
    assert head.headers["X-Repo-Commit"] == sha and head.headers["ETag"].startswith('"')
    assert int(head.headers["Content-Length"]) == Path(path).stat().st_size


def test_file_errors_map_to_huggingface_hub_exceptions(hub: MirrorServer, tmp_path: Path) -> None:
    def download(
        repo_id: str, filename: str = "README.md", token: str | None = None, revision: str | None = None
    ):
        return hf_hub_download(
            repo_id,
            filename,
            repo_type="dataset",
            endpoint=hub.url,
            cache_dir=tmp_path,
            token=token,
            revision=revision,
        )

    with pytest.raises(GatedRepoError):
        download("acme/gated")
    assert Path(download("acme/gated", token="hf_test")).read_text().startswith("---")
    with pytest.raises(RepositoryNotFoundError):
        download("acme/missing")
    with pytest.raises(RemoteEntryNotFoundError):
        download("acme/set-01", "data/train.parquet")
    with pytest.raises(RevisionNotFoundError):
        download("acme/set-01", revision="f" * 40)
    with pytest.raises(DisabledRepoError):
        get_hf_file_metadata(hf_hub_url("acme/gone", "README.md", repo_type="dataset", endpoint=hub.url))
    response = httpx.get(f"{hub.url}/datasets/acme/missing/resolve/main/README.md")
    assert response.headers["X-Error-Code"] == "RepoNotFound" and response.json() == {
        "error": "Repository not found"
    }


@pytest.mark.parametrize(
    "path",
    [
        "/datasets/acme/set-01/resolve/main/..%2F..%2Fsentiment%2Fapi.json",
        "/datasets/acme/set-01/resolve/main/%2E%2E/%2E%2E/sentiment/api.json",
        "/datasets/acme%2F..%2Fsentiment/resolve/main/README.md",
        "/api/datasets/acme%2Fset-01",
        "/api/datasets/..%2F..%2Fetc",
        "/api/datasets/acme/..",
    ],
)
def test_path_tricks_never_reach_files_outside_the_dataset(hub: MirrorServer, path: str) -> None:
    # a raw socket: HTTP clients would normalise the path before sending it
    with socket.create_connection(("127.0.0.1", hub.port), timeout=5) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        answer = b"".join(iter(lambda: sock.recv(65536), b"")).decode()
    status = int(answer.split()[1])
    assert status in (400, 404)
    assert '"_id"' not in answer and "README" not in answer.split("\r\n\r\n", 1)[1]
    assert hub.requests[-1].path == path


def test_range_requests_resume_a_download(hub: MirrorServer) -> None:
    url = f"{hub.url}/datasets/sentiment/resolve/main/README.md"
    whole = httpx.get(url).content
    part = httpx.get(url, headers={"Range": "bytes=10-"})
    assert part.status_code == 206 and part.content == whole[10:]
    assert httpx.get(url, headers={"Range": f"bytes={len(whole)}-"}).status_code == 416


def test_set_snapshot_swaps_the_served_hub(hub: MirrorServer, tmp_path: Path) -> None:
    after = write_snapshot(
        tmp_path / "after",
        [make_dataset("acme/new", card=_card("mit", "en", "summarization"), configs=_configs())],
    )
    hub.set_snapshot(after)
    assert [d.id for d in HfApi(endpoint=hub.url).list_datasets()] == ["acme/new"]


def test_limit_above_the_page_size_is_capped_and_paged(hub: MirrorServer) -> None:
    first = httpx.get(f"{hub.url}/api/datasets", params={"limit": 5000})
    assert len(first.json()) == 3 and 'rel="next"' in first.headers["Link"]
    assert len(list(HfApi(endpoint=hub.url).list_datasets(limit=5000))) == 10


def test_unknown_paths_answer_404_json(hub: MirrorServer) -> None:
    response = httpx.get(f"{hub.url}/api/models")
    assert response.status_code == 404 and response.json() == {"error": "Not Found"}
