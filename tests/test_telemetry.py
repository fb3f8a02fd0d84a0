"""Crawling a mirror or publishing to one never reaches huggingface.co, even with telemetry on.

huggingface_hub's telemetry fetches a registry from huggingface.co while it builds a request's
user agent; the suite switches it off (conftest), so these tests switch it back on and rely on the
suite's guard, which fails any test that attempts a connection beyond 127.0.0.1.
"""

from __future__ import annotations

import pytest
from huggingface_hub import constants

from crawl.snapshot import Snapshot
from dynosaur.cli import main
from hubmirror import MirrorServer
from hubmirror.demo.snapshot import make_dataset
from tests.test_publish import organized

CARD = "---\nlicense: mit\nlanguage: en\n---\n# Reviews\n"


@pytest.fixture
def telemetry_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", False)


def test_crawl_of_a_mirror_stays_on_the_mirror(tmp_path, telemetry_on):
    features = {"text": {"dtype": "string", "_type": "Value"}, "label": {"dtype": "string", "_type": "Value"}}
    rows = [{"text": f"review {i}", "label": "good" if i % 2 else "bad"} for i in range(6)]
    dataset = make_dataset(
        "org/reviews", card=CARD, configs={"default": {"train": {"features": features, "rows": rows}}}
    )
    Snapshot(tmp_path / "hub").write_dataset(dataset)
    with MirrorServer(tmp_path / "hub") as mirror:
        code = main(["crawl", "--hub-endpoint", mirror.url, "--viewer-endpoint", mirror.viewer_url,
                     "--data-dir", str(tmp_path / "out"), "--no-progress"])  # fmt: skip
    assert code == 0
    assert constants.HF_HUB_DISABLE_TELEMETRY is False  # restored after the crawl


def test_publish_to_a_mirror_stays_on_the_mirror(tmp_path, telemetry_on):
    data = organized(tmp_path, {"org/qa": ("mit", 3)})
    with MirrorServer(tmp_path / "hub") as mirror:
        code = main(["publish", "--data-dir", str(data), "--repo-id", "me/dyno",
                     "--hub-endpoint", mirror.url, "--token", "hf_test_token"])  # fmt: skip
        assert code == 0
        assert mirror.count(bucket="api") > 0
    assert constants.HF_HUB_DISABLE_TELEMETRY is False
