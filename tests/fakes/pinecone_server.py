"""A local fake of the parts of Pinecone's HTTP API docjobs uses, for the real ``pinecone`` SDK.

Endpoints (one server plays both planes):

* ``POST /embed`` — the inference API (``pc.inference.embed``). Checks the model, the
  ``input_type``/``truncate``/``dimension`` parameters and the batch size (at most 96 inputs) and
  returns deterministic unit vectors of the requested dimension (a hash of the text).
* ``POST /vectors/upsert`` — the data plane of one index (``pc.Index(host=...).upsert``). Checks
  the 1,000-vector / 2 MB request limits and the 40 KB metadata limit, and stores the vectors by
  namespace and id (an upsert of an existing id overwrites it, as Pinecone does).

Every request is recorded (:attr:`FakePinecone.embed_requests`, :attr:`FakePinecone.upserts`) and
faults can be injected (:meth:`FakePinecone.fail_next`): e.g. one 429 then success, a 401, a 400
with a message. Errors use Pinecone's body shape ``{"error": {"code", "message"}, "status"}``.

Point the SDK at it with ``Pinecone(api_key=..., host=fake.url)`` (or the environment variable
``PINECONE_CONTROLLER_HOST=fake.url``: the SDK's inference client uses the control-plane host) and
``pc.Index(host=fake.url)`` (``PINECONE_INDEX_HOST`` for docjobs). Standalone, for the local
runtime::

    python -m tests.fakes.pinecone_server --port 5081
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import struct
import threading
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

EMBED_MODEL = "llama-text-embed-v2"
EMBED_DIMENSIONS = frozenset({384, 512, 768, 1024, 2048})
EMBED_MAX_INPUTS = 96
UPSERT_MAX_VECTORS = 1000
UPSERT_MAX_BYTES = 2 * 1024 * 1024
METADATA_MAX_BYTES = 40 * 1024
API_KEY_HEADER = "Api-Key"


def deterministic_vector(text: str, dimension: int) -> list[float]:
    """A unit vector derived from ``text`` only (same text, same vector)."""
    values: list[float] = []
    counter = 0
    while len(values) < dimension:
        digest = hashlib.sha256(f"{counter}:{text}".encode()).digest()
        for (n,) in struct.iter_unpack(">I", digest):
            values.append(n / 2**31 - 1.0)
        counter += 1
    values = values[:dimension]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [round(v / norm, 6) for v in values]


@dataclass
class UpsertRecord:
    """One ``/vectors/upsert`` request as the fake saw it."""

    namespace: str
    ids: list[str]
    body_bytes: int
    metadata_bytes: list[int]
    dimensions: list[int]


@dataclass
class _Fault:
    path: str
    status: int
    message: str
    remaining: int


@dataclass
class FakePinecone:
    """The fake's state; :meth:`start` serves it on ``host:port`` (0 picks a free port)."""

    api_key: str = "test-api-key"
    host: str = "127.0.0.1"
    port: int = 0
    embed_requests: list[dict[str, Any]] = field(default_factory=list)
    upserts: list[UpsertRecord] = field(default_factory=list)
    #: (namespace, ids) of each ``/vectors/delete`` request
    deletes: list[tuple[str, list[str]]] = field(default_factory=list)
    #: namespace → id → {"values": [...], "metadata": {...}}
    vectors: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    _faults: list[_Fault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: HTTPServer | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakePinecone:
        server = HTTPServer(host=self.host, port=self.port)
        server.expect_request("/embed", method="POST").respond_with_handler(self._handle_embed)
        server.expect_request("/vectors/upsert", method="POST").respond_with_handler(self._handle_upsert)
        server.expect_request("/vectors/delete", method="POST").respond_with_handler(self._handle_delete)
        server.start()
        self._server = server
        self.port = server.port
        return self

    def stop(self) -> None:
        if self._server is not None and self._server.is_running():
            self._server.stop()
        self._server = None

    @property
    def url(self) -> str:
        """Base URL for both the control/inference plane and the index host."""
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> FakePinecone:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ fault injection

    def fail_next(self, path: str, status: int, message: str = "injected fault", *, times: int = 1) -> None:
        """Answer the next ``times`` requests to ``path`` with ``status`` and ``message``."""
        with self._lock:
            self._faults.append(_Fault(path, status, message, times))

    def reset(self) -> None:
        with self._lock:
            self.embed_requests.clear()
            self.upserts.clear()
            self.vectors.clear()
            self._faults.clear()

    def _take_fault(self, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.path == path and fault.remaining > 0:
                    fault.remaining -= 1
                    return fault
        return None

    # ------------------------------------------------------------------ handlers

    @staticmethod
    def _error(status: int, message: str) -> Response:
        codes = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "FORBIDDEN", 429: "RESOURCE_EXHAUSTED"}
        body = {"error": {"code": codes.get(status, "INTERNAL"), "message": message}, "status": status}
        return Response(json.dumps(body), status=status, content_type="application/json")

    def _precheck(self, request: Request, path: str) -> Response | None:
        fault = self._take_fault(path)
        if fault is not None:
            return self._error(fault.status, fault.message)
        if request.headers.get(API_KEY_HEADER) != self.api_key:
            return self._error(401, "Invalid API Key")
        return None

    def _handle_embed(self, request: Request) -> Response:
        if (early := self._precheck(request, "/embed")) is not None:
            return early
        body = json.loads(request.get_data())
        with self._lock:
            self.embed_requests.append(
                {"body": body, "api_version": request.headers.get("X-Pinecone-API-Version")}
            )
        model = body.get("model")
        inputs = body.get("inputs") or []
        params = body.get("parameters") or {}
        if model != EMBED_MODEL:
            return self._error(400, f"Model '{model}' not found")
        if not inputs:
            return self._error(400, "Must specify at least one input")
        if len(inputs) > EMBED_MAX_INPUTS:
            return self._error(
                400, f"Batch size exceeds {EMBED_MAX_INPUTS} for model {EMBED_MODEL}: got {len(inputs)}"
            )
        if params.get("input_type") not in {"passage", "query"}:
            return self._error(400, "Parameter input_type must be 'passage' or 'query'")
        if params.get("truncate", "END") not in {"END", "START", "NONE"}:
            return self._error(400, "Parameter truncate must be END, START or NONE")
        dimension = int(params.get("dimension", 1024))
        if dimension not in EMBED_DIMENSIONS:
            return self._error(400, f"Dimension {dimension} is not supported by {EMBED_MODEL}")
        data = [
            {"values": deterministic_vector(str(item.get("text", "")), dimension), "vector_type": "dense"}
            for item in inputs
        ]
        tokens = sum(len(str(item.get("text", "")).split()) for item in inputs)
        payload = {"model": model, "vector_type": "dense", "data": data, "usage": {"total_tokens": tokens}}
        return Response(json.dumps(payload), status=200, content_type="application/json")

    def _handle_delete(self, request: Request) -> Response:
        if (early := self._precheck(request, "/vectors/delete")) is not None:
            return early
        body = json.loads(request.get_data() or b"{}")
        namespace = str(body.get("namespace") or "")
        ids = [str(i) for i in body.get("ids") or []]
        with self._lock:
            store = self.vectors.get(namespace, {})
            for vector_id in ids:
                store.pop(vector_id, None)
            if namespace in self.vectors and not store:
                del self.vectors[namespace]
            self.deletes.append((namespace, ids))
        return Response("{}", status=200, content_type="application/json")

    def _handle_upsert(self, request: Request) -> Response:
        if (early := self._precheck(request, "/vectors/upsert")) is not None:
            return early
        raw = request.get_data()
        body = json.loads(raw)
        namespace = str(body.get("namespace") or "")
        vectors = body.get("vectors") or []
        record = UpsertRecord(
            namespace=namespace,
            ids=[str(v.get("id")) for v in vectors],
            body_bytes=len(raw),
            metadata_bytes=[
                len(json.dumps(v.get("metadata") or {}, ensure_ascii=False).encode()) for v in vectors
            ],
            dimensions=[len(v.get("values") or []) for v in vectors],
        )
        with self._lock:
            self.upserts.append(record)
        if len(raw) > UPSERT_MAX_BYTES:
            return self._error(
                400, f"Request size {len(raw)} exceeds the maximum of {UPSERT_MAX_BYTES} bytes"
            )
        if len(vectors) > UPSERT_MAX_VECTORS:
            return self._error(400, f"Upsert batch of {len(vectors)} exceeds {UPSERT_MAX_VECTORS} vectors")
        for vector, size in zip(vectors, record.metadata_bytes, strict=True):
            if size > METADATA_MAX_BYTES:
                return self._error(
                    400,
                    f"Metadata size is {size} bytes, which exceeds the limit of {METADATA_MAX_BYTES} bytes",
                )
            if not vector.get("values"):
                return self._error(400, "Vector values must not be empty")
        with self._lock:
            store = self.vectors.setdefault(namespace, {})
            for vector in vectors:
                store[str(vector["id"])] = {"values": vector["values"], "metadata": vector.get("metadata")}
        return Response(
            json.dumps({"upsertedCount": len(vectors)}), status=200, content_type="application/json"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve a fake Pinecone (embed + upsert) locally.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5081)
    parser.add_argument("--api-key", default="test-api-key", help="the Api-Key the fake accepts")
    args = parser.parse_args(argv)
    fake = FakePinecone(api_key=args.api_key, host=args.host, port=args.port).start()
    print(f"Fake Pinecone on {fake.url} (PINECONE_CONTROLLER_HOST and PINECONE_INDEX_HOST)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
