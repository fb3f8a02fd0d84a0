"""Faults, quotas, latency, request counting and binding of the mirror."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import httpx
import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils import parse_ratelimit_headers

from hubmirror import FaultConfig, MirrorServer, QuotaConfig, Response, Route, json_response
from hubmirror.demo.snapshot import make_dataset
from hubmirror.quota import QuotaTracker
from tests.support.mirror_fixtures import STRING, write_snapshot


@pytest.fixture
def snap(tmp_path: Path) -> Path:
    configs = {"default": {"train": {"features": {"text": STRING}, "rows": [{"text": "a"}, {"text": "b"}]}}}
    return write_snapshot(
        tmp_path / "snap", [make_dataset(f"org/d{i}", card="# d\n", configs=configs) for i in range(3)]
    )


def test_binds_loopback_only(snap: Path) -> None:
    with MirrorServer(snap) as mirror:
        assert mirror.url == f"http://127.0.0.1:{mirror.port}"
        assert mirror._httpd.server_address[0] == "127.0.0.1"
        assert mirror.viewer_url == mirror.url + "/viewer"


def test_requests_are_counted_per_bucket(snap: Path) -> None:
    with MirrorServer(snap) as mirror, httpx.Client(base_url=mirror.url) as client:
        client.get("/api/datasets")
        client.get("/api/datasets/org/d0")
        client.head("/datasets/org/d0/resolve/main/README.md")
        client.get("/datasets/org/d0/resolve/main/README.md")
        client.get("/viewer/splits", params={"dataset": "org/d0"})
        client.get("/api/datasets/org/missing")
        assert mirror.count() == 6
        assert (mirror.count("api"), mirror.count("resolvers"), mirror.count("viewer")) == (3, 2, 1)
        assert mirror.count("api", status=200) == 2 and mirror.count(status=401) == 1
        assert [r.method for r in mirror.requests if r.bucket == "resolvers"] == ["HEAD", "GET"]
        mirror.reset_log()
        assert mirror.count() == 0 and mirror.requests == []


def test_fault_rate_one_faults_every_request_with_hub_headers(snap: Path) -> None:
    faults = FaultConfig(rate=1.0, seed=3, kinds=("429", "500", "503"), retry_after=2)
    with MirrorServer(snap, faults=faults) as mirror, httpx.Client(base_url=mirror.url) as client:
        statuses = [client.get("/api/datasets/org/d0") for _ in range(30)]
        assert {r.status_code for r in statuses} == {429, 500, 503}
        limited = next(r for r in statuses if r.status_code == 429)
        assert limited.headers["RateLimit"] == '"api";r=0;t=2' and limited.headers["Retry-After"] == "2"
        assert limited.headers["RateLimit-Policy"] == '"fixed window";"api";q=500;w=300'
        assert mirror.count(status=200) == 0  # faults are never counted as served
        assert all(r.fault in ("429", "500", "503") for r in mirror.requests)


def test_faults_are_reproducible_for_a_seed(snap: Path) -> None:
    def run(seed: int) -> list[int]:
        faults = FaultConfig(rate=0.5, seed=seed, kinds=("500", "503"))
        with MirrorServer(snap, faults=faults) as mirror, httpx.Client(base_url=mirror.url) as client:
            return [client.get("/api/datasets").status_code for _ in range(20)]

    first = run(7)
    assert first == run(7) and first != run(8)
    assert 200 in first and (500 in first or 503 in first)


def test_slow_and_dropped_faults(snap: Path) -> None:
    slow = FaultConfig(rate=1.0, kinds=("slow",), slow_seconds=0.2)
    with MirrorServer(snap, faults=slow) as mirror, httpx.Client(base_url=mirror.url) as client:
        started = time.monotonic()
        assert client.get("/api/datasets").status_code == 200
        assert time.monotonic() - started >= 0.2 and mirror.requests[0].fault == "slow"
    with (
        MirrorServer(snap, faults=FaultConfig(rate=1.0, kinds=("drop",))) as mirror,
        httpx.Client(base_url=mirror.url) as client,
    ):
        with pytest.raises(httpx.TransportError):
            client.get("/api/datasets")
        assert mirror.requests[0].status == 0


def test_faults_can_be_limited_to_a_bucket(snap: Path) -> None:
    faults = FaultConfig(rate=1.0, kinds=("500",), buckets=("viewer",))
    with MirrorServer(snap, faults=faults) as mirror, httpx.Client(base_url=mirror.url) as client:
        assert client.get("/api/datasets").status_code == 200
        response = client.get("/viewer/splits", params={"dataset": "org/d0"})
        assert response.status_code == 500 and response.headers["X-Error-Code"] == "UnexpectedError"


def test_bad_fault_and_quota_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="rate"):
        FaultConfig(rate=1.5)
    with pytest.raises(ValueError, match="kinds"):
        FaultConfig(kinds=("404",))
    with pytest.raises(ValueError, match="window"):
        QuotaConfig(window_seconds=0)


def test_quota_refuses_the_request_after_the_limit_until_the_window_resets(snap: Path) -> None:
    quota = QuotaConfig(limits={"api": 3, "resolvers": 1}, window_seconds=1.0)
    with MirrorServer(snap, quota=quota) as mirror, httpx.Client(base_url=mirror.url) as client:
        served = [client.get("/api/datasets") for _ in range(3)]
        assert [r.status_code for r in served] == [200, 200, 200]
        assert served[0].headers["RateLimit"].startswith('"api";r=2;t=')
        refused = client.get("/api/datasets")
        assert refused.status_code == 429 and refused.json()["error"]
        info = parse_ratelimit_headers(refused.headers)
        assert (
            info.resource_type == "api"
            and info.remaining == 0
            and info.limit == 3
            and info.window_seconds == 1
        )
        assert 1 <= info.reset_in_seconds <= 1 and refused.headers["Retry-After"] == "1"
        # other buckets have their own quota; the viewer has none here
        assert client.get("/datasets/org/d0/resolve/main/README.md").status_code == 200
        assert client.get("/datasets/org/d0/resolve/main/README.md").status_code == 429
        assert client.get("/viewer/is-valid", params={"dataset": "org/d0"}).status_code == 200
        time.sleep(1.05)
        assert client.get("/api/datasets").status_code == 200
        assert mirror.count("api", status=429) == 1 and mirror.requests[3].fault == "quota"


def test_quota_429_reaches_huggingface_hub_as_a_rate_limit_error(snap: Path) -> None:
    with MirrorServer(snap, quota=QuotaConfig(limits={"api": 1}, window_seconds=60)) as mirror:
        api = HfApi(endpoint=mirror.url)
        api.dataset_info("org/d0")
        with pytest.raises(HfHubHTTPError, match="rate limit") as caught:
            api.dataset_info("org/d1")
        assert caught.value.response.status_code == 429
        assert re.search(r"Retry after (\d+) seconds", str(caught.value)).group(1) in {
            str(s) for s in range(55, 61)
        }


def test_quota_tracker_reports_seconds_until_the_window_ends() -> None:
    now = [100.0]
    tracker = QuotaTracker(QuotaConfig(limits={"api": 2}, window_seconds=10), clock=lambda: now[0])
    assert tracker.take("api").remaining == 1
    now[0] = 103.2
    assert tracker.take("api").allowed
    refused = tracker.take("api")
    assert not refused.allowed and refused.reset_seconds == 7 and refused.remaining == 0
    assert tracker.take("viewer") is None
    now[0] = 110.0
    assert tracker.take("api").allowed


def test_latency_is_added_and_concurrent_requests_are_served_side_by_side(snap: Path) -> None:
    with MirrorServer(snap, latency=0.4) as mirror:
        clients = [httpx.Client(base_url=mirror.url) for _ in range(8)]
        barrier = threading.Barrier(len(clients))
        results: list[int] = []

        def fetch(client: httpx.Client) -> None:
            barrier.wait()
            results.append(client.get("/api/datasets/org/d1").status_code)

        threads = [threading.Thread(target=fetch, args=(client,)) for client in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for client in clients:
            client.close()
    assert results == [200] * 8
    records = mirror.requests
    assert all(r.duration >= 0.4 for r in records)
    # every request arrived before the first one was answered: all 8 were in flight together
    assert max(r.time for r in records) < min(r.time + r.duration for r in records)


def test_extra_routes_are_consulted_first(snap: Path) -> None:
    def create_repo(request, ctx) -> Response:
        return json_response({"url": f"{ctx.url}/datasets/created", "body": request.body.decode()})

    def shadow_info(request, ctx) -> Response:
        return json_response({"id": "shadowed"})

    routes = [
        Route("POST", r"/api/repos/create", create_repo),
        Route("GET", r"/api/datasets/org/d0", shadow_info),
    ]
    with MirrorServer(snap, extra_routes=routes) as mirror, httpx.Client(base_url=mirror.url) as client:
        created = client.post("/api/repos/create", json={"name": "x"})
        assert created.status_code == 200 and created.json()["body"] == '{"name":"x"}'
        assert client.get("/api/datasets/org/d0").json() == {"id": "shadowed"}
        assert client.get("/api/datasets/org/d1").json()["id"] == "org/d1"
        assert mirror.count("api") == 3
