"""A loopback OpenAI-compatible server whose answers a test scripts.

It speaks the parts of the chat-completions wire format the ``openai`` client uses
(``POST /v1/chat/completions``, ``GET /v1/models``), records every request it received, and lets
a test answer each one with text, an error status with headers (429 + retry-after, 500), a delay
(for timeouts) or a raw body.

``self.batches`` (``tests.support.openai_batches``) serves the Files and Batches endpoints, answering
each batch line with the same responder; those lines are recorded in ``batch_requests``, not in
``requests``, so ``calls`` counts direct calls only.

``flavor="llama-cpp-python"`` imitates llama.cpp's Python server: a ``response_format`` other than
``text`` or ``json_object`` is refused with the HTTP 500 validation error that server gives
(``json_object`` may carry a ``schema``), before the responder sees the request.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.openai_batches import BatchService


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
        self.requests: list[dict[str, Any]] = []  # chat-completions calls made directly
        self.batch_requests: list[dict[str, Any]] = []  # lines the Batch API answered
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

            def _send_bytes(self, data: bytes) -> None:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.send_response(200)
                    self.send_header("Content-Type", "application/octet-stream")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)

            def do_GET(self) -> None:
                parts = self.path.split("?")[0].strip("/").split("/")
                if parts[-1] == "models":
                    self._send(200, {"object": "list", "data": [{"id": "scripted", "object": "model"}]})
                elif len(parts) >= 3 and parts[-3] == "files" and parts[-1] == "content":
                    content = server.batches.content(parts[-2])
                    if content is None:
                        self._send(404, {"error": {"message": "no such file"}})
                    else:
                        self._send_bytes(content)
                elif len(parts) >= 2 and parts[-2] == "batches":
                    self._send(*server.batches.retrieve(parts[-1]))
                else:
                    self._send(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                parts = self.path.split("?")[0].strip("/").split("/")
                if parts[-1] == "files":
                    self._send(*server.batches.upload(self.headers.get("Content-Type", ""), raw))
                    return
                if parts[-1] == "batches":
                    self._send(*server.batches.create(json.loads(raw or b"{}")))
                    return
                if len(parts) >= 3 and parts[-3] == "batches" and parts[-1] == "cancel":
                    self._send(*server.batches.cancel(parts[-2]))
                    return
                if parts[-2:] != ["chat", "completions"]:
                    self._send(404, {"error": {"message": "not found"}})
                    return
                body = json.loads(raw or b"{}")
                body["_headers"] = {k.lower(): v for k, v in self.headers.items()}
                with server.lock:
                    server.requests.append(body)
                server._current.connection = self.connection
                status, payload, headers = server.answer(body)
                self._send(status, payload, headers)

        self._current = threading.local()  # the connection of the request a handler thread serves
        self.batches = BatchService(self._answer_batch_line)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        # a short poll interval keeps shutdown (and so every test using the server) fast
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Status, JSON payload and headers of the answer to one chat-completions body."""
        if self.flavor == "llama-cpp-python":
            refusal = _llama_cpp_python_refusal(body)
            if refusal is not None:
                return 500, refusal, {}
        reply = self.responder(body)
        if isinstance(reply, str):
            reply = Reply(content=reply)
        if reply.delay:
            time.sleep(reply.delay)
        if reply.raw_body is not None or reply.status != 200:
            payload = reply.raw_body or {
                "error": {"message": f"scripted {reply.status}", "type": "server_error"}
            }
            return reply.status, payload, reply.headers
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
            "id": f"chatcmpl-{len(self.requests)}",
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
        return 200, payload, reply.headers

    def client_gone(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for the client of the request being answered to hang up; True if
        it did (for a responder that imitates a server giving up work nobody waits for)."""
        connection: socket.socket | None = getattr(self._current, "connection", None)
        if connection is None:
            time.sleep(seconds)
            return False
        readable, _, _ = select.select([connection], [], [], seconds)
        if not readable:
            return False
        try:
            return connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _answer_batch_line(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.batch_requests.append(body)
        status, payload, _ = self.answer(body)
        return status, payload

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
