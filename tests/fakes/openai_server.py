"""A local fake OpenAI-compatible chat-completions server, for the real ``openai`` client.

``POST /v1/chat/completions`` answers from a script of replies (:meth:`FakeOpenAI.reply`): each a
JSON object for the assistant's content, a raw text (invalid JSON), an HTTP error (status, message)
or a delay before answering. With the script empty it answers ``default`` (``{}`` unless set).
A server without structured outputs is played by ``refuse_json_schema=True``: a request whose
``response_format`` is ``json_schema`` gets the 400 such servers send. Every request body is kept
in :attr:`FakeOpenAI.requests`.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response


@dataclass
class Reply:
    content: Any = None  # a dict (sent as JSON text) or a str (sent as is)
    status: int = 200
    message: str = ""
    delay: float = 0.0
    finish_reason: str = "stop"


@dataclass
class FakeOpenAI:
    server: HTTPServer
    refuse_json_schema: bool = False
    default: Any = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    _script: deque[Reply] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        return self.server.url_for("/v1")

    def reply(self, *replies: Reply | dict[str, Any] | str) -> None:
        for item in replies:
            self._script.append(item if isinstance(item, Reply) else Reply(content=item))

    def handle(self, request: Request) -> Response:
        body = json.loads(request.get_data() or b"{}")
        with self._lock:
            self.requests.append(body)
            if self.refuse_json_schema and (body.get("response_format") or {}).get("type") == "json_schema":
                return _error(400, "response_format json_schema is not supported by this server")
            reply = self._script.popleft() if self._script else Reply(content=self.default)
        if reply.delay:
            time.sleep(reply.delay)
        if reply.status != 200:
            return _error(reply.status, reply.message or "error")
        content = reply.content if isinstance(reply.content, str) else json.dumps(reply.content)
        prompt = sum(len(str(m.get("content", ""))) for m in body.get("messages", [])) // 4
        payload = {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", ""),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": reply.finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": len(content) // 4,
                "total_tokens": prompt + len(content) // 4,
            },
        }
        return Response(json.dumps(payload), status=200, content_type="application/json")


def _error(status: int, message: str) -> Response:
    body = {"error": {"message": message, "type": "invalid_request_error", "code": None}}
    headers = {"retry-after-ms": "10"} if status == 429 else {}
    return Response(json.dumps(body), status=status, content_type="application/json", headers=headers)


def start_fake_openai(**kwargs: Any) -> FakeOpenAI:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    fake = FakeOpenAI(server, **kwargs)
    server.expect_request("/v1/chat/completions", method="POST").respond_with_handler(fake.handle)
    server.start()
    return fake
