"""A local fake of Bedrock Runtime's ``Converse`` (moto does not implement it), for the real boto3 client.

``POST /model/{modelId}/converse`` answers from a script (:meth:`FakeBedrock.reply`): the forced
tool's input (a dict), or an error (HTTP status + ``x-amzn-ErrorType``). With the script empty it
answers ``default``. Point boto3 at it with ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response


@dataclass
class Fault:
    code: str  # ThrottlingException, AccessDeniedException, ...
    status: int
    message: str = "fault injected by the test"


@dataclass
class FakeBedrock:
    server: HTTPServer
    default: Any = field(default_factory=dict)
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _script: deque[Any] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def reply(self, *replies: dict[str, Any] | Fault) -> None:
        self._script.extend(replies)

    def handle(self, request: Request) -> Response:
        model = unquote(request.path.split("/model/", 1)[1].rsplit("/converse", 1)[0])
        body = json.loads(request.get_data() or b"{}")
        with self._lock:
            self.requests.append((model, body))
            reply = self._script.popleft() if self._script else self.default
        if isinstance(reply, Fault):
            return Response(
                json.dumps({"message": reply.message}),
                status=reply.status,
                content_type="application/json",
                headers={"x-amzn-ErrorType": reply.code},
            )
        tool = body["toolConfig"]["tools"][0]["toolSpec"]["name"]
        payload = {
            "output": {
                "message": {
                    "role": "assistant",
                    "content": [{"toolUse": {"toolUseId": "tooluse_fake", "name": tool, "input": reply}}],
                }
            },
            "stopReason": "tool_use",
            "usage": {"inputTokens": len(json.dumps(body)) // 4, "outputTokens": 25, "totalTokens": 0},
            "metrics": {"latencyMs": 5},
        }
        return Response(json.dumps(payload), status=200, content_type="application/json")


def start_fake_bedrock() -> FakeBedrock:
    import re

    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    fake = FakeBedrock(server)
    server.expect_request(re.compile(r"^/model/.+/converse$"), method="POST").respond_with_handler(
        fake.handle
    )
    server.start()
    return fake
