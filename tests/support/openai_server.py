"""A loopback OpenAI-compatible server whose answers a test scripts.

It speaks the parts of the chat-completions wire format the ``openai`` client uses
(``POST /v1/chat/completions``, ``GET /v1/models``), records every request it received, and lets
a test answer each one with text, an error status with headers (429 + retry-after, 500), a delay
(for timeouts) or a raw body.

``flavor="llama-cpp-python"`` imitates llama.cpp's Python server: a ``response_format`` other than
``text`` or ``json_object`` is refused with the HTTP 500 validation error that server gives
(``json_object`` may carry a ``schema``), before the responder sees the request.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One scripted answer."""

    content: str = ""
    finish_reason: str = "stop"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    raw_body: dict[str, Any] | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int | None = None  # reported as usage.prompt_tokens_details.cached_tokens


Responder = Callable[[dict[str, Any]], "Reply | str"]


def _approx_tokens(text: str) -> int:
    return max(1, len(text) // 4)


FLAVORS = ("openai", "llama-cpp-python")


def _llama_cpp_python_refusal(body: dict[str, Any]) -> dict[str, Any] | None:
    """The 500 llama-cpp-python answers for a response_format its request model does not take."""
    kind = (body.get("response_format") or {}).get("type")
    if kind is None or kind in ("text", "json_object"):
        return None
    message = (
        "1 validation error for CreateChatCompletionRequest\nresponse_format.type\n"
        f"  Input should be 'text' or 'json_object' [type=literal_error, input_value='{kind}', "
        "input_type=str]"
    )
    return {"error": {"message": message, "type": "internal_server_error", "param": None, "code": None}}


class ScriptedOpenAIServer:
    """``with ScriptedOpenAIServer(responder) as server: server.base_url ...``"""

    def __init__(self, responder: Responder, *, flavor: str = "openai") -> None:
        if flavor not in FLAVORS:
            raise ValueError(f"unknown flavor {flavor!r}; known: {', '.join(FLAVORS)}")
        self.responder = responder
        self.flavor = flavor
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                # a client that gave up (timeout tests) has closed its end already
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in (headers or {}).items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/models"):
                    self._send(200, {"object": "list", "data": [{"id": "scripted", "object": "model"}]})
                else:
                    self._send(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send(404, {"error": {"message": "not found"}})
                    return
                body["_headers"] = {k.lower(): v for k, v in self.headers.items()}
                with server.lock:
                    server.requests.append(body)
                if server.flavor == "llama-cpp-python":
                    refusal = _llama_cpp_python_refusal(body)
                    if refusal is not None:
                        self._send(500, refusal)
                        return
                reply = server.responder(body)
                if isinstance(reply, str):
                    reply = Reply(content=reply)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.raw_body is not None or reply.status != 200:
                    payload = reply.raw_body or {
                        "error": {"message": f"scripted {reply.status}", "type": "server_error"}
                    }
                    self._send(reply.status, payload, reply.headers)
                    return
                prompt = "".join(m.get("content") or "" for m in body.get("messages", []))
                usage = {
                    "prompt_tokens": reply.prompt_tokens
                    if reply.prompt_tokens is not None
                    else _approx_tokens(prompt),
                    "completion_tokens": reply.completion_tokens
                    if reply.completion_tokens is not None
                    else _approx_tokens(reply.content),
                }
                usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
                if reply.cached_tokens is not None:
                    usage["prompt_tokens_details"] = {"cached_tokens": reply.cached_tokens}
                payload = {
                    "id": f"chatcmpl-{len(server.requests)}",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body.get("model", "scripted"),
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": reply.finish_reason,
                            "message": {"role": "assistant", "content": reply.content},
                        }
                    ],
                    "usage": usage,
                }
                self._send(200, payload, reply.headers)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        # a short poll interval keeps shutdown (and so every test using the server) fast
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    @property
    def calls(self) -> int:
        with self.lock:
            return len(self.requests)

    def __enter__(self) -> ScriptedOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def user_text(body: dict[str, Any]) -> str:
    """The concatenated user messages of a recorded request (what a responder usually inspects)."""
    return "\n".join(m.get("content") or "" for m in body.get("messages", []) if m.get("role") == "user")
