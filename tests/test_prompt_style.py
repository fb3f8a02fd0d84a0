"""The compact prompt style for small models, and ``auto`` choosing it for a small context window."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from dynosaur.core.cache import CachedEngine, ResponseCache
from dynosaur.core.engines.openai import OpenAIEngine
from dynosaur.core.errors import OptionError, cli_flag, spell_fields
from dynosaur.core.prompt_style import (
    SMALL_CONTEXT_TOKENS,
    choose_prompt_style,
    window_from_models,
    window_from_props,
)
from dynosaur.hub.propose.prompt import COMPACT_DEMONSTRATIONS, _demonstrations, build_request
from dynosaur.hub.propose.run import ProposeOptions, propose
from tests.support.openai_server import ScriptedOpenAIServer

METADATA: dict[str, Any] = {
    "task_name": "acme/reviews",
    "dataset": "acme/reviews",
    "config": "default",
    "summary": "Customer reviews of hardware shops, each with a star rating. " * 40,
    "supported_task": "Rating prediction.",
    "data_fields": "text: the review. stars: 1 to 5. shop: the shop's name.",
    "features": {
        "review_id": {"dtype": "string", "_type": "Value"},
        "text": {"dtype": "string", "_type": "Value"},
        "shop": {"dtype": "string", "_type": "Value"},
        "stars": {"names": ["1", "2", "3", "4", "5"], "_type": "ClassLabel"},
    },
    "selected_data": [
        {"review_id": "a", "text": "Helpful staff, fair prices. " * 20, "shop": "North", "stars": "5"},
        {"review_id": "b", "text": "Closed when it said open.", "shop": "South", "stars": "1"},
    ],
}
FIELDS = ["text", "shop", "stars"]  # review_id is id-like: never shown, never allowed


def _user_turns(request: Any) -> list[str]:
    return [m["content"] for m in request.messages if m["role"] == "user"]


@pytest.mark.parametrize("mode", ["aware", "unaware"])
def test_compact_prompt_is_shorter_with_fewer_demonstrations(mode: str) -> None:
    full = build_request(METADATA, mode, 3, style="full")
    compact = build_request(METADATA, mode, 3, style="compact")
    assert compact.prompt_chars() * 2 < full.prompt_chars()
    # tokens as a tokenizer-free measure: whitespace-separated words
    words = lambda r: sum(len(m["content"].split()) for m in r.messages)  # noqa: E731
    assert words(compact) * 2 < words(full)
    demos = len(_demonstrations(None))
    assert demos > COMPACT_DEMONSTRATIONS
    assert len(_user_turns(full)) == demos + 1
    assert len(_user_turns(compact)) == COMPACT_DEMONSTRATIONS + 1
    last = _user_turns(compact)[-1]
    assert last.count("example row:") == 1  # one sample row, not two


def test_compact_prompt_lists_exactly_the_datasets_fields() -> None:
    request = build_request(METADATA, "aware", 3, style="compact")
    last = _user_turns(request)[-1]
    allowed = [line for line in last.splitlines() if line.startswith("allowed field names:")]
    assert len(allowed) == 1
    listed = json.loads("[" + allowed[0].split(":", 1)[1] + "]")
    assert listed == FIELDS
    schema = request.params.json_schema["schema"]
    task = schema["properties"]["tasks"]["items"]["properties"]
    assert task["input_fields"]["items"]["enum"] == FIELDS
    assert task["output_field"]["items"]["enum"] == FIELDS
    assert task["output_field"]["maxItems"] == 1 and task["input_fields"]["minItems"] == 1
    assert schema["properties"]["tasks"]["maxItems"] == 3
    # the card's long sections are cut short or left out
    assert "Rating prediction" not in last and len(last) < 1200


def test_full_prompt_keeps_its_shape() -> None:
    request = build_request(METADATA, "aware", 3)
    task = request.params.json_schema["schema"]["properties"]["tasks"]["items"]["properties"]
    assert task["input_fields"]["items"]["enum"] == FIELDS
    assert "maxItems" not in task["output_field"]
    assert "Rating prediction" in _user_turns(request)[-1]


def test_an_unsettled_style_is_refused() -> None:
    with pytest.raises(ValueError, match="settled"):
        build_request(METADATA, "aware", 3, style="auto")
    with pytest.raises(OptionError, match="prompt_style"):
        build_request(METADATA, "aware", 3, style="tiny")


def test_windows_are_read_from_what_servers_report() -> None:
    assert window_from_props({"default_generation_settings": {"n_ctx": 2048}}) == 2048
    assert window_from_props({"n_ctx": 512}) == 512
    assert window_from_props({"total_slots": 1}) is None
    vllm = {"data": [{"id": "m", "max_model_len": 32768}]}
    assert window_from_models(vllm, "m") == 32768
    server = {"data": [{"id": "x.gguf", "meta": {"n_ctx_train": 8192}}]}
    assert window_from_models(server, "other") == 8192  # the only model served
    two = {"data": [{"id": "a", "context_length": 1000}, {"id": "b", "context_length": 9000}]}
    assert window_from_models(two, "b") == 9000 and window_from_models(two, "c") is None
    assert window_from_models({"data": [{"id": "m", "meta": {"n_ctx": True}}]}, "m") is None


class _PropsServer:
    """A loopback server answering ``/props`` with a context window (or 404 once stopped)."""

    def __init__(self, n_ctx: int) -> None:
        owner = self
        self.n_ctx = n_ctx
        self.hits = 0

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.hits += 1
                if self.path.rstrip("/").endswith("/props"):
                    body = json.dumps({"default_generation_settings": {"n_ctx": owner.n_ctx}}).encode()
                    self.send_response(200)
                else:
                    body = b'{"error": "not found"}'
                    self.send_response(404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> _PropsServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_auto_picks_compact_for_a_small_window_and_remembers_it(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "cache.sqlite")
    with _PropsServer(2048) as server:
        base_url = server.base_url
        engine = CachedEngine(OpenAIEngine(model="tiny", base_url=base_url), cache)
        choice = choose_prompt_style("auto", engine)
    assert (choice.style, choice.context_window, choice.source) == ("compact", 2048, "server")
    assert "2048 tokens" in choice.describe()
    # the server is gone: the window cached by the first run keeps the style (and the cache keys)
    gone = CachedEngine(OpenAIEngine(model="tiny", base_url=base_url), cache)
    again = choose_prompt_style("auto", gone)
    assert (again.style, again.source) == ("compact", "cache")
    cache.close()


def test_auto_keeps_full_for_a_large_or_unknown_window(tmp_path: Path) -> None:
    with _PropsServer(SMALL_CONTEXT_TOKENS) as server:
        engine = OpenAIEngine(model="big", base_url=server.base_url)
        assert choose_prompt_style("auto", engine).style == "full"
    unreachable = OpenAIEngine(model="m", base_url="http://127.0.0.1:9/v1")
    assert choose_prompt_style("auto", unreachable).style == "full"
    assert choose_prompt_style("auto", unreachable, context_window=1024).style == "compact"
    assert choose_prompt_style("full", unreachable, context_window=1024).style == "full"
    with pytest.raises(OptionError, match="context_window"):
        choose_prompt_style("auto", unreachable, context_window=0)


def _answer(body: dict[str, Any]) -> str:
    return json.dumps(
        {
            "tasks": [
                {
                    "instruction": "How many stars does this review give?",
                    "input_fields": ["text"],
                    "output_field": ["stars"],
                }
            ]
        }
    )


def test_propose_uses_the_compact_style_for_a_small_window(tmp_path: Path) -> None:
    (tmp_path / "huggingface_metadata.jsonl").write_text(json.dumps(METADATA) + "\n")
    with ScriptedOpenAIServer(_answer) as server:
        engine = CachedEngine(
            OpenAIEngine(model="tiny", base_url=server.base_url), ResponseCache(tmp_path / "c.sqlite")
        )
        options = ProposeOptions(modes=("aware",), progress=False, context_window=2048)
        summary = propose(tmp_path, engine, options)
        engine.cache.close()
        sent = server.requests[0]["messages"]
    assert summary.prompt_style is not None and summary.prompt_style.style == "compact"
    # the library names the field; the command spells it as its flag
    assert "prompt style compact (auto: context window 2048 tokens, `context_window`)" in summary.render()
    printed = spell_fields(summary.render(), summary.mentions, cli_flag)
    assert "prompt style compact (auto: context window 2048 tokens, --context-window)" in printed
    assert sum(1 for m in sent if m["role"] == "user") == COMPACT_DEMONSTRATIONS + 1
    assert summary.valid["aware"] == 1
    report = json.loads((tmp_path / "propose_report.json").read_text())
    assert report["prompt_style"] == {
        "style": "compact",
        "requested": "auto",
        "context_window": 2048,
        "context_window_from": "option",
    }
