"""The Files and Batches endpoints of the loopback OpenAI-compatible server.

Enough of the Batch API for the ``openai`` client: upload a JSONL file (``POST /v1/files``,
multipart), create a batch over it (``POST /v1/batches``), retrieve it (``GET /v1/batches/{id}``),
cancel it, and read a file's content (``GET /v1/files/{id}/content``). A batch moves on when it is
retrieved: ``validating`` -> ``in_progress`` -> ``completed``, answering each line with the
server's chat responder (a scripted error status becomes a line of the error file). A test can
hold batches in progress (``hold``), let them expire after a number of polls (``expire_after``:
unanswered lines go to the error file as ``batch_expired``), and count what was asked.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# (status, payload) for one chat-completions body: what the server would answer it directly
Answer = Callable[[dict[str, Any]], tuple[int, dict[str, Any]]]


@dataclass
class _Batch:
    id: str
    input_file_id: str
    endpoint: str
    completion_window: str
    lines: list[dict[str, Any]]
    status: str = "validating"
    created_at: int = field(default_factory=lambda: int(time.time()))
    done: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    polls: int = 0
    output_file_id: str | None = None
    error_file_id: str | None = None
    errors: dict[str, Any] | None = None


class BatchService:
    """Files and batches kept in memory; thread-safe (the server answers on several threads)."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.files: dict[str, tuple[str, str, bytes]] = {}  # id -> (filename, purpose, content)
        self.batches: dict[str, _Batch] = {}
        self.hold = False  # keep batches in progress, answering nothing, until released
        self.expire_after: int | None = None  # polls in progress before a batch expires
        self.uploads = 0
        self.created = 0
        self.retrievals = 0
        self.cancels = 0
        self._lock = threading.Lock()
        self._counter = 0

    def _next(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}-{self._counter}"

    # -- files --

    def upload(self, content_type: str, body: bytes) -> tuple[int, dict[str, Any]]:
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body
        )
        fields: dict[str, tuple[str | None, bytes]] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            fields[str(name)] = (part.get_filename(), part.get_payload(decode=True) or b"")
        if "file" not in fields or "purpose" not in fields:
            return 400, {
                "error": {"message": "a file and a purpose are required", "type": "invalid_request_error"}
            }
        filename, content = fields["file"]
        purpose = fields["purpose"][1].decode()
        with self._lock:
            file_id = self._next("file")
            self.files[file_id] = (filename or "upload.jsonl", purpose, content)
            self.uploads += 1
        return 200, self._file_object(file_id)

    def _file_object(self, file_id: str) -> dict[str, Any]:
        filename, purpose, content = self.files[file_id]
        return {
            "id": file_id,
            "object": "file",
            "bytes": len(content),
            "created_at": int(time.time()),
            "filename": filename,
            "purpose": purpose,
            "status": "processed",
        }

    def content(self, file_id: str) -> bytes | None:
        with self._lock:
            found = self.files.get(file_id)
        return None if found is None else found[2]

    # -- batches --

    def create(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        file_id = body.get("input_file_id")
        with self._lock:
            found = self.files.get(str(file_id))
            if found is None:
                return 404, {"error": {"message": f"no file {file_id}", "type": "invalid_request_error"}}
            if body.get("completion_window") != "24h":
                return 400, {
                    "error": {"message": "completion_window must be 24h", "type": "invalid_request_error"}
                }
            lines = [json.loads(line) for line in found[2].decode().splitlines() if line.strip()]
            batch = _Batch(
                id=self._next("batch"),
                input_file_id=str(file_id),
                endpoint=str(body.get("endpoint")),
                completion_window="24h",
                lines=lines,
            )
            ids = [line.get("custom_id") for line in lines]
            if None in ids or len(set(ids)) != len(ids):
                batch.status = "failed"
                batch.errors = {
                    "object": "list",
                    "data": [
                        {"code": "duplicate_custom_id", "message": "custom_id must be unique", "line": None}
                    ],
                }
            self.batches[batch.id] = batch
            self.created += 1
            return 200, self._batch_object(batch)

    def retrieve(self, batch_id: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            batch = self.batches.get(batch_id)
            if batch is None:
                return 404, {"error": {"message": f"no batch {batch_id}", "type": "invalid_request_error"}}
            self.retrievals += 1
            self._advance(batch)
            return 200, self._batch_object(batch)

    def cancel(self, batch_id: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            batch = self.batches.get(batch_id)
            if batch is None:
                return 404, {"error": {"message": f"no batch {batch_id}", "type": "invalid_request_error"}}
            self.cancels += 1
            if batch.status in ("validating", "in_progress"):
                self._finish(batch, "cancelled", "batch_cancelled")
            return 200, self._batch_object(batch)

    def _advance(self, batch: _Batch) -> None:
        if batch.status == "validating":
            batch.status = "in_progress"
            return
        if batch.status != "in_progress":
            return
        batch.polls += 1
        if self.expire_after is not None and batch.polls >= self.expire_after:
            self._finish(batch, "expired", "batch_expired")
            return
        if self.hold:
            return
        for line in batch.lines[len(batch.done) + len(batch.failed) :]:
            status, payload = self.answer(line["body"])
            result = {
                "id": f"batch_req_{line['custom_id'][:12]}",
                "custom_id": line["custom_id"],
                "response": {"status_code": status, "request_id": "req", "body": payload},
                "error": None,
            }
            (batch.done if status == 200 else batch.failed).append(result)
        self._finish(batch, "completed", None)

    def _finish(self, batch: _Batch, status: str, unanswered_code: str | None) -> None:
        answered = {r["custom_id"] for r in batch.done + batch.failed}
        if unanswered_code is not None:
            for line in batch.lines:
                if line["custom_id"] not in answered:
                    batch.failed.append(
                        {
                            "id": "batch_req_none",
                            "custom_id": line["custom_id"],
                            "response": None,
                            "error": {"code": unanswered_code, "message": f"request not run: {status}"},
                        }
                    )
        batch.status = status
        if batch.done:
            batch.output_file_id = self._store(f"{batch.id}_output.jsonl", batch.done)
        if batch.failed:
            batch.error_file_id = self._store(f"{batch.id}_error.jsonl", batch.failed)

    def _store(self, name: str, lines: list[dict[str, Any]]) -> str:
        file_id = self._next("file")
        content = "".join(json.dumps(line) + "\n" for line in lines).encode()
        self.files[file_id] = (name, "batch_output", content)
        return file_id

    def _batch_object(self, batch: _Batch) -> dict[str, Any]:
        failed = sum(1 for r in batch.failed if r.get("response") is not None)
        return {
            "id": batch.id,
            "object": "batch",
            "endpoint": batch.endpoint,
            "errors": batch.errors,
            "input_file_id": batch.input_file_id,
            "completion_window": batch.completion_window,
            "status": batch.status,
            "output_file_id": batch.output_file_id,
            "error_file_id": batch.error_file_id,
            "created_at": batch.created_at,
            "expires_at": batch.created_at + 86400,
            "request_counts": {"total": len(batch.lines), "completed": len(batch.done), "failed": failed},
            "metadata": None,
        }
