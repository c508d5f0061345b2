"""The local server's HTTP front, spoken to over raw sockets: framing errors are answered (400,
408, 411, 413, 415) in the error shape, chunked bodies are read, bursts are not reset."""

from __future__ import annotations

import json
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.e2e


def _address(local_api) -> tuple[str, int]:
    parts = urlsplit(local_api.url)
    return parts.hostname, parts.port


def _exchange(local_api, raw: bytes, *, wait: float = 15.0) -> tuple[int, dict[str, str], bytes]:
    """Send ``raw`` as is; read one answer (status, headers, body)."""
    with socket.create_connection(_address(local_api), timeout=wait) as sock:
        sock.sendall(raw)
        data = b""
        while b"\r\n\r\n" not in data:
            block = sock.recv(65536)
            if not block:
                break
            data += block
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            block = sock.recv(65536)
            if not block:
                break
            body += block
        return status, headers, body


def _request(local_api, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    host, port = _address(local_api)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", f"Authorization: Bearer {local_api.key}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


DOCUMENT = json.dumps({"filename": "chunked.pdf"}).encode()


def test_chunked_body_is_read(local_api) -> None:
    chunks = b"".join(f"{len(part):x}\r\n".encode() + part + b"\r\n" for part in (DOCUMENT[:7], DOCUMENT[7:]))
    raw = _request(
        local_api,
        "POST",
        "/api/documents",
        {"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        chunks + b"0\r\n\r\n",
    )
    status, _, body = _exchange(local_api, raw)
    assert status == 201, body
    assert json.loads(body)["document_id"]


@pytest.mark.parametrize(
    ("headers", "status", "needle"),
    [
        ({"Content-Length": "abc"}, 400, "Content-Length"),
        ({"Content-Length": "-5"}, 400, "Content-Length"),
        ({"Content-Length": "1e3"}, 400, "Content-Length"),
        ({"Content-Length": "5, 6"}, 400, "Content-Length"),
        ({"Content-Length": "5", "Transfer-Encoding": "chunked"}, 400, "not both"),
        ({"Transfer-Encoding": "gzip, chunked"}, 400, "Transfer-Encoding"),
        ({}, 411, "Content-Length is required"),
        ({"Content-Length": str(11 * 1024 * 1024)}, 413, "10 MB"),
    ],
)
def test_bad_framing_is_answered_in_the_error_shape(local_api, headers, status, needle) -> None:
    raw = _request(local_api, "POST", "/api/jobs", {"Content-Type": "application/json", **headers})
    got, answer_headers, body = _exchange(local_api, raw)
    assert got == status, body
    error = json.loads(body)
    assert error["error_code"] == "VALIDATION_ERROR" and needle in error["error"]
    assert answer_headers.get("connection") == "close"


def test_malformed_chunk_is_a_400(local_api) -> None:
    raw = _request(
        local_api, "POST", "/api/documents", {"Transfer-Encoding": "chunked"}, b"zz\r\nhello\r\n0\r\n\r\n"
    )
    status, _, body = _exchange(local_api, raw)
    assert status == 400 and "chunk" in json.loads(body)["error"]


def test_body_shorter_than_content_length_is_answered_408(local_api) -> None:
    """The server's read timeout is 2 s in these tests (DOCJOBS_LOCAL_READ_TIMEOUT)."""
    raw = _request(
        local_api, "POST", "/api/documents", {"Content-Type": "application/json", "Content-Length": "100"}
    )
    started = time.monotonic()
    status, _, body = _exchange(local_api, raw + DOCUMENT, wait=20)
    assert status == 408, body
    assert "100 bytes" in json.loads(body)["error"]
    assert time.monotonic() - started < 15


def test_plain_text_body_is_415(local_api) -> None:
    raw = _request(
        local_api,
        "POST",
        "/api/documents",
        {"Content-Type": "text/plain", "Content-Length": str(len(DOCUMENT))},
        DOCUMENT,
    )
    status, _, body = _exchange(local_api, raw)
    assert status == 415 and json.loads(body)["error_code"] == "VALIDATION_ERROR"


def test_a_burst_of_connections_is_served_without_resets(local_api) -> None:
    statuses: list[int | str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(40)

    def one() -> None:
        raw = _request(
            local_api,
            "POST",
            "/api/documents",
            {"Content-Type": "application/json", "Content-Length": str(len(DOCUMENT))},
            DOCUMENT,
        )
        barrier.wait()
        try:
            status: int | str = _exchange(local_api, raw, wait=60)[0]
        except OSError as exc:
            status = type(exc).__name__
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=one) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses, key=str) == [201] * 40
