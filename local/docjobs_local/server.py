"""Run the whole stack on this machine: ``python -m docjobs_local.server`` (``make run``).

- a moto server in this process (``ThreadedMotoServer`` on 127.0.0.1:MOTO_PORT, free port
  by default) with ``AWS_ENDPOINT_URL`` pointing at it, so handlers' boto3 clients, presigned
  URLs and moto's Step Functions interpreter all talk to it;
- template.yaml deployed into it (``EmulatedStack``), handlers run in this process;
- a dev API key for tenant ``dev`` (``DOCJOBS_API_KEY`` fixes its value), plus one key per
  ``DOCJOBS_EXTRA_TENANTS`` entry (``tenant`` or ``tenant=key``, comma separated);
- an HTTP server on 127.0.0.1:PORT (default 3000) that forwards every request to the API
  Gateway emulation.

State lives in memory and is gone when the process stops.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import signal
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

LOG = logging.getLogger("docjobs_local.server")


#: Seconds a connection may stay silent (request line, headers, between keep-alive requests,
#: inside a body) and may take to send its whole body, before it is answered 408 or closed.
#: ``--read-timeout`` / ``DOCJOBS_LOCAL_READ_TIMEOUT`` change the first.
READ_TIMEOUT_SECONDS = 10.0
BODY_TIMEOUT_SECONDS = 30.0
#: Connections served at once; more wait for a worker (in the accept queue or the pool's).
HTTP_WORKERS = 64
#: The listen backlog (socketserver's default of 5 reset connections under a burst).
LISTEN_BACKLOG = 256
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_CONTENT_LENGTH = re.compile(r"[0-9]{1,19}")
_CHUNK_SIZE = re.compile(rb"([0-9a-fA-F]{1,16})[ \t]*(?:;.*)?")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def preferred_port(port: int) -> int:
    """``port`` when it is free on 127.0.0.1 (so the README's commands work as printed), else any."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return free_port()
    return port


def find_template(start: Path | None = None) -> Path:
    """template.yaml of the project: from the working directory upwards, else beside this package."""
    for base in [(start or Path.cwd()).resolve(), *(start or Path.cwd()).resolve().parents]:
        if (base / "template.yaml").is_file():
            return base / "template.yaml"
    candidate = Path(__file__).resolve().parents[2] / "template.yaml"
    if candidate.is_file():
        return candidate
    raise SystemExit("template.yaml not found (run from the project, or pass --template)")


def _pairs(values: list[str] | None, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values or []:
        for part in item.split():
            if "=" not in part:
                raise SystemExit(f"{what}: expected NAME=VALUE, got {part!r}")
            k, v = part.split("=", 1)
            out[k] = v
    return out


def go_offline(hosts: dict[str, str]) -> None:
    """Client-chosen URLs (input documents, webhooks) resolve only through ``hosts`` and connect
    only to 127.0.0.0/8: for running the stack, and its tests, without touching any network.
    (``docjobs.domain.url_safety`` still applies its checks to what this resolves to.)"""
    import ipaddress

    from docjobs.domain import url_safety

    def resolve(host: str) -> list[str]:
        address = hosts.get(host.lower().rstrip("."))
        if address is None:
            raise socket.gaierror(socket.EAI_NONAME, f"{host} is not in DOCJOBS_LOCAL_HOSTS (offline)")
        return [address]

    def connect(address: tuple[str, int], timeout: float | None = None) -> socket.socket:
        if not ipaddress.ip_address(address[0]).is_loopback:
            raise ConnectionRefusedError(f"offline: no connection to {address[0]} (127.0.0.0/8 only)")
        return socket.create_connection(address, timeout)

    url_safety.resolve_host = resolve
    url_safety.open_connection = connect


def configure_moto_for_server() -> None:
    """Select moto's non-Docker Lambda and executing Step Functions backends (this process)."""
    from moto.core.config import default_user_config

    from .emulator import MOTO_CONFIG

    default_user_config["lambda"] = dict(MOTO_CONFIG["lambda"])  # type: ignore[typeddict-item]
    default_user_config["stepfunctions"] = dict(MOTO_CONFIG["stepfunctions"])  # type: ignore[typeddict-item]


class LocalServer:
    """The moto server + deployed stack + HTTP front; ``start()``/``stop()``."""

    def __init__(
        self,
        template: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 3000,
        moto_port: int | None = None,
        parameters: dict[str, str] | None = None,
        env: dict[str, str] | None = None,
        throttling: bool = True,
        access_log: bool = True,
        read_timeout: float = READ_TIMEOUT_SECONDS,
    ) -> None:
        self.read_timeout = read_timeout
        self.template = template
        self.host = host
        self.port = port
        self.moto_port = moto_port or preferred_port(port + 1)
        self.parameters = parameters or {}
        self.env = env or {}
        self.throttling = throttling
        self.access_log = access_log
        self.keys: dict[str, str] = {}
        self.stack: Any = None
        self._moto: Any = None
        self._http: PooledHTTPServer | None = None
        self._http_thread: threading.Thread | None = None

    @property
    def moto_url(self) -> str:
        return f"http://127.0.0.1:{self.moto_port}"

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
        os.environ.setdefault("AWS_DEFAULT_REGION", os.environ.get("AWS_REGION", "us-east-1"))
        os.environ.setdefault("AWS_REGION", os.environ["AWS_DEFAULT_REGION"])
        os.environ["AWS_ENDPOINT_URL"] = self.moto_url
        os.environ["MOTO_PORT"] = str(self.moto_port)  # moto's Step Functions → Lambda calls

        from moto.server import ThreadedMotoServer

        from .emulator import EmulatedStack

        configure_moto_for_server()
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=self.moto_port, verbose=False)
        self._moto.start()
        self.stack = EmulatedStack(
            self.template,
            parameters=self.parameters,
            env_overrides=self.env,
            async_events=True,
            endpoint_url=self.moto_url,
            throttling=self.throttling,
        ).deploy()
        self._create_keys()
        self._http = PooledHTTPServer((self.host, self.port), _make_handler(self), HTTP_WORKERS)
        self.port = int(self._http.server_address[1])
        self._http_thread = threading.Thread(
            target=self._http.serve_forever, name="docjobs-local-http", daemon=True
        )
        self._http_thread.start()

    def _create_keys(self) -> None:
        from docjobs.adapters import api_keys, aws_clients

        aws_clients.reset_clients()  # the endpoint changed since any client was made
        key = os.environ.get("DOCJOBS_API_KEY")
        self.keys["dev"] = api_keys.create_api_key(tenant_id="dev", name="local", key=key or None)
        credits = os.environ.get("DOCJOBS_DEV_CREDITS", "").strip()
        if credits:  # the dev tenant's monthly credit limit (default: unlimited)
            from docjobs.adapters.ledger import set_credit_limit

            set_credit_limit("dev", int(credits))
        for entry in filter(
            None, (e.strip() for e in os.environ.get("DOCJOBS_EXTRA_TENANTS", "").split(","))
        ):
            tenant, _, extra_key = entry.partition("=")
            self.keys[tenant] = api_keys.create_api_key(tenant_id=tenant, name="local", key=extra_key or None)

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        if self.stack is not None:
            self.stack.close()
        if self._moto is not None:
            self._moto.stop()
            self._moto = None

    def info(self) -> dict[str, Any]:
        return {
            "api_url": self.api_url,
            "moto_url": self.moto_url,
            "api_keys": self.keys,
            "resources": self.stack.resource_names() if self.stack else {},
            # IAM is enforced: credentials for tools (the local administrator)
            "aws_credentials": (
                {
                    "AWS_ACCESS_KEY_ID": self.stack.identities.admin.access_key,
                    "AWS_SECRET_ACCESS_KEY": self.stack.identities.admin.secret_key,
                }
                if self.stack and self.stack.identities
                else None
            ),
            "pid": os.getpid(),
        }

    def banner(self, startup_seconds: float) -> str:
        key = self.keys["dev"]
        api = self.api_url
        bucket = self.stack.physical_name(_bucket_logical_id(self.stack)) if self.stack else "?"
        lines = [
            "",
            f"docjobs local stack is up in {startup_seconds:.1f}s (template: {self.template})",
            "  State is in memory only: everything is gone when this process stops (Ctrl-C).",
            f"  API:          {api}",
            f"  AWS (moto):   {self.moto_url}   (AWS_ENDPOINT_URL for tools)",
            f"  API key:      {key}   (tenant 'dev')",
            f"  Credits:      {os.environ.get('DOCJOBS_DEV_CREDITS') or 'unlimited'} per month for 'dev'"
            " (DOCJOBS_DEV_CREDITS); GET /api/usage shows them",
        ]
        for tenant, extra in self.keys.items():
            if tenant != "dev":
                lines.append(f"  API key:      {extra}   (tenant {tenant!r})")
        lines += [
            f"  Dashboard:    {api}/   (paste the API key)",
            f"  API docs:     {api}/api/docs",
            "",
            "First job, with the CLI (pip install ./clients/python, or .venv/bin/docjobs):",
            f"  export DOCJOBS_API_URL={api} DOCJOBS_API_KEY={key}",
            "  docjobs parse file.pdf --wait",
            "",
            "First upload, with curl:",
            f"  export KEY={key}",
            f'  curl -s -X POST {api}/api/documents -H "Authorization: Bearer $KEY" \\',
            "       -H 'Content-Type: application/json' -d '{\"filename\": \"file.pdf\"}'",
            '  # → {"document_id": ..., "upload_url": ...}; then send the file to the upload URL:',
            '  curl -T file.pdf "<upload_url>"',
            f'  curl -s -X POST {api}/api/jobs -H "Authorization: Bearer $KEY" \\',
            "       -H 'Content-Type: application/json' \\",
            '       -d \'{"type": "parse", "document_id": "<document_id>"}\'',
            f'  curl -s {api}/api/jobs/<job id> -H "Authorization: Bearer $KEY"',
            "",
            "Drop-in upload (an object under uploads/<tenant>/ starts a parse job):",
            *self._tool_credentials(),
            f'  curl --aws-sigv4 "aws:amz:{self.stack.region if self.stack else "us-east-1"}:s3" '
            '--user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \\',
            '       -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" '
            f"-T file.pdf {self.moto_url}/{bucket}/uploads/dev/file.pdf",
            f"  # or: aws --endpoint-url {self.moto_url} s3 cp file.pdf s3://{bucket}/uploads/dev/file.pdf",
            "",
        ]
        return "\n".join(lines)

    def _tool_credentials(self) -> list[str]:
        """IAM is enforced (each function runs as its role): tools sign as the local administrator."""
        identities = self.stack.identities if self.stack else None
        if identities is None:
            return []
        return [
            f"  export AWS_ACCESS_KEY_ID={identities.admin.access_key} "
            f"AWS_SECRET_ACCESS_KEY={identities.admin.secret_key}   # IAM is enforced",
        ]


def _bucket_logical_id(stack: Any) -> str:
    buckets = list(stack.template.resources_of_type("AWS::S3::Bucket"))
    return buckets[0] if buckets else ""


class PooledHTTPServer(HTTPServer):
    """An HTTP server with a raised listen backlog and a bounded pool of worker threads."""

    request_queue_size = LISTEN_BACKLOG
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], workers: int) -> None:
        super().__init__(address, handler)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="docjobs-local-http")

    def process_request(self, request: Any, client_address: Any) -> None:
        self._pool.submit(self._serve, request, client_address)

    def _serve(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:  # noqa: BLE001 - one connection's failure never stops the server
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)

    def server_close(self) -> None:
        super().server_close()
        self._pool.shutdown(wait=False, cancel_futures=True)


class _Refused(Exception):
    """A request the front refuses before the gateway sees it (framing, size, timeouts)."""

    def __init__(self, status: int, message: str, error_code: str = "VALIDATION_ERROR") -> None:
        super().__init__(message)
        self.status, self.message, self.error_code = status, message, error_code


def _make_handler(server: LocalServer) -> type[BaseHTTPRequestHandler]:
    from .gateway import MAX_BODY_BYTES

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "docjobs-local"
        timeout = server.read_timeout  # socket timeout: request line, headers, keep-alive idle

        def _forward(self) -> None:
            started = time.monotonic()
            try:
                body = self._read_body(time.monotonic() + BODY_TIMEOUT_SECONDS)
                self.connection.settimeout(self.timeout)
            except _Refused as refused:
                self.close_connection = True
                self._answer(refused.status, {"Content-Type": "application/json"}, _error_body(refused))
                self._log(refused.status, started)
                return
            url = urlsplit(self.path)
            status, headers, data = server.stack.gateway.handle(
                self.command,
                url.path,
                headers=list(self.headers.items()),
                query=url.query,
                body=body,
                source_ip=self.client_address[0],
            )
            self._answer(status, headers, data)
            self._log(status, started)

        def _answer(self, status: int, headers: dict[str, str], data: bytes) -> None:
            self.send_response(status)
            for k, v in headers.items():
                if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def _log(self, status: int, started: float) -> None:
            if server.access_log:
                ms = (time.monotonic() - started) * 1000
                sys.stderr.write(f"{self.command} {self.path} -> {status} ({ms:.0f} ms)\n")

        # ---- request body framing (as a gateway in front of the API would check it)

        def _read_body(self, deadline: float) -> bytes | None:
            encodings = self.headers.get_all("Transfer-Encoding") or []
            lengths = self.headers.get_all("Content-Length") or []
            if encodings and lengths:
                raise _Refused(400, "send either Transfer-Encoding or Content-Length, not both")
            if encodings:
                if [e.strip().lower() for e in ",".join(encodings).split(",")] != ["chunked"]:
                    raise _Refused(400, f"Transfer-Encoding {', '.join(encodings)!r} is not supported")
                return self._read_chunked(deadline)
            if not lengths:
                if self.command in _BODY_METHODS:
                    raise _Refused(411, "Content-Length is required (or Transfer-Encoding: chunked)")
                return None
            values = {v.strip() for v in lengths}
            value = values.pop()
            if values or not _CONTENT_LENGTH.fullmatch(value):
                raise _Refused(400, f"Content-Length {', '.join(lengths)!r} is not a non-negative integer")
            length = int(value)
            if length > MAX_BODY_BYTES:
                raise _Refused(413, _too_large_message(MAX_BODY_BYTES))
            return self._read_exactly(length, deadline) if length else None

        def _read_exactly(self, length: int, deadline: float) -> bytes:
            parts: list[bytes] = []
            remaining = length
            while remaining:
                self._arm(deadline, length)
                try:
                    block = self.rfile.read1(min(remaining, 1 << 20))
                except TimeoutError:
                    block = None
                if block is None:
                    raise _Refused(
                        408,
                        f"the request body was not received in time ({length - remaining} of "
                        f"{length} bytes announced by Content-Length)",
                    )
                if not block:
                    raise _Refused(
                        400, f"the request body ended after {length - remaining} of {length} bytes"
                    )
                parts.append(block)
                remaining -= len(block)
            return b"".join(parts)

        def _arm(self, deadline: float, length: int) -> None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Refused(408, f"the request body was not received within {BODY_TIMEOUT_SECONDS:.0f} s")
            self.connection.settimeout(min(left, self.timeout))

        def _read_line(self, deadline: float) -> bytes:
            self._arm(deadline, 0)
            try:
                line = self.rfile.readline(1024)
            except TimeoutError:
                raise _Refused(408, "the chunked request body was not received in time") from None
            if not line.endswith(b"\n"):
                raise _Refused(400, "the chunked request body is malformed (a line is cut or too long)")
            return line.rstrip(b"\r\n")

        def _read_chunked(self, deadline: float) -> bytes | None:
            parts: list[bytes] = []
            total = 0
            while True:
                match = _CHUNK_SIZE.fullmatch(self._read_line(deadline))
                if match is None:
                    raise _Refused(400, "the chunked request body is malformed (bad chunk size)")
                size = int(match.group(1), 16)
                if size == 0:
                    while self._read_line(deadline):  # trailer fields, then the empty line
                        pass
                    return b"".join(parts) or None
                total += size
                if total > MAX_BODY_BYTES:
                    raise _Refused(413, _too_large_message(MAX_BODY_BYTES))
                parts.append(self._read_exactly(size, deadline))
                if self._read_line(deadline) != b"":
                    raise _Refused(400, "the chunked request body is malformed (no CRLF after a chunk)")

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            """Errors of the request line and headers (400, 414, 431, 501) in the error shape."""
            self.close_connection = True
            body = json.dumps(
                {
                    "error": message or self.responses.get(code, ("",))[0],
                    "error_code": "VALIDATION_ERROR" if code < 500 else "INTERNAL_ERROR",
                }
            ).encode()
            self.send_response(code, message)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD" and code >= 200 and code not in (204, 304):
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _forward

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def _too_large_message(limit: int) -> str:
    return f"the request body is larger than the limit of {limit // (1024 * 1024)} MB ({limit} bytes)"


def _error_body(refused: _Refused) -> bytes:
    return json.dumps({"error": refused.message, "error_code": refused.error_code}).encode()


#: Template parameters the local runtime takes from the environment, and their local defaults:
#: OCR runs on Tesseract and vectorizing stays off unless PINECONE_API_KEY and
#: PINECONE_INDEX_HOST are set (OCR_ENGINE=textract runs the Textract path against moto).
#: Model engines are off (extract runs on rules) unless OPENAI_BASE_URL and OPENAI_MODEL point at
#: an OpenAI-compatible server (a local Ollama: http://127.0.0.1:11434/v1), or BEDROCK_MODEL_ID
#: names a Bedrock model (real AWS credentials needed: Bedrock is not emulated).
LOCAL_PARAMETERS_FROM_ENV = {
    "OcrEngine": ("OCR_ENGINE", "tesseract"),
    "PineconeIndexHost": ("PINECONE_INDEX_HOST", ""),
    "EmbedDimension": ("EMBED_DIMENSION", None),
    "ChildPollSeconds": ("CHILD_POLL_SECONDS", "1"),
    "BedrockModelId": ("BEDROCK_MODEL_ID", ""),
    "OpenAIBaseUrl": ("OPENAI_BASE_URL", ""),
    "OpenAIModel": ("OPENAI_MODEL", ""),
    "OpenAIAllowedModels": ("OPENAI_ALLOWED_MODELS", ""),
    "CorsAllowOrigins": ("CORS_ALLOW_ORIGINS", None),
}


def local_parameters(explicit: dict[str, str]) -> dict[str, str]:
    """Template parameter overrides for the local runtime: explicit ones win over the environment."""
    parameters: dict[str, str] = {}
    for name, (variable, default) in LOCAL_PARAMETERS_FROM_ENV.items():
        value = os.environ.get(variable) or default
        if value is not None:
            parameters[name] = value
    parameters.update(explicit)
    return parameters


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Run docjobs locally: template.yaml on moto, in one process."
    )
    parser.add_argument(
        "--template", type=Path, default=None, help="default: ./template.yaml (searched upwards)"
    )
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("PORT", "3000")), help="API port (PORT)"
    )
    parser.add_argument(
        "--moto-port", type=int, default=int(os.environ["MOTO_PORT"]) if os.environ.get("MOTO_PORT") else None
    )
    parser.add_argument("--parameter-overrides", nargs="*", help="template parameters, Name=Value")
    parser.add_argument("--env", action="append", help="environment override for all handlers, NAME=VALUE")
    parser.add_argument(
        "--no-throttle", action="store_true", help="ignore the API's MethodSettings throttling"
    )
    parser.add_argument("--quiet", action="store_true", help="no access log")
    parser.add_argument(
        "--read-timeout",
        type=float,
        default=float(os.environ.get("DOCJOBS_LOCAL_READ_TIMEOUT", READ_TIMEOUT_SECONDS)),
        help="seconds a client may stay silent while sending a request (408 after)",
    )
    parser.add_argument(
        "--info-file", type=Path, help="write URLs, keys and resource names here as JSON when ready"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    # One process runs the API and the pipelines: CPU-bound stage threads would hold the GIL for
    # Python's default 5 ms slices while API requests, which release it at every I/O, queue
    # behind them (the convoy effect). Shorter slices keep the API responsive under load.
    sys.setswitchinterval(float(os.environ.get("DOCJOBS_LOCAL_SWITCH_INTERVAL", "0.0005")))
    started = time.monotonic()
    server = LocalServer(
        args.template or find_template(),
        port=args.port,
        moto_port=args.moto_port,
        parameters=local_parameters(_pairs(args.parameter_overrides, "--parameter-overrides")),
        env=_pairs(args.env, "--env"),
        throttling=not args.no_throttle,
        access_log=not args.quiet,
        read_timeout=args.read_timeout,
    )
    if os.environ.get("DOCJOBS_LOCAL_OFFLINE", "").lower() in {"1", "true", "yes"}:
        hosts = os.environ.get("DOCJOBS_LOCAL_HOSTS", "").replace(",", " ")
        go_offline(_pairs([hosts], "DOCJOBS_LOCAL_HOSTS"))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    server.start()
    print(server.banner(time.monotonic() - started), flush=True)
    if args.info_file:
        tmp = args.info_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(server.info(), indent=2))
        tmp.replace(args.info_file)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        print("stopping docjobs local stack...", flush=True)
        server.stop()


if __name__ == "__main__":
    main()
