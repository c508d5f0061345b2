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
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

LOG = logging.getLogger("docjobs_local.server")


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
    ) -> None:
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
        self._http: ThreadingHTTPServer | None = None
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
        self._http = ThreadingHTTPServer((self.host, self.port), _make_handler(self))
        self._http.daemon_threads = True
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
            f"  aws --endpoint-url {self.moto_url} s3 cp file.pdf s3://{bucket}/uploads/dev/file.pdf",
            f"  curl -T file.pdf {self.moto_url}/{bucket}/uploads/dev/file.pdf",
            "",
        ]
        return "\n".join(lines)


def _bucket_logical_id(stack: Any) -> str:
    buckets = list(stack.template.resources_of_type("AWS::S3::Bucket"))
    return buckets[0] if buckets else ""


def _make_handler(server: LocalServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "docjobs-local"

        def _forward(self) -> None:
            started = time.monotonic()
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            url = urlsplit(self.path)
            status, headers, data = server.stack.gateway.handle(
                self.command,
                url.path,
                headers=list(self.headers.items()),
                query=url.query,
                body=body,
                source_ip=self.client_address[0],
            )
            self.send_response(status)
            for k, v in headers.items():
                if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            if server.access_log:
                ms = (time.monotonic() - started) * 1000
                sys.stderr.write(f"{self.command} {self.path} -> {status} ({ms:.0f} ms)\n")

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _forward

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


#: Template parameters the local runtime takes from the environment, and their local defaults:
#: OCR runs on Tesseract and vectorizing stays off unless PINECONE_API_KEY and
#: PINECONE_INDEX_HOST are set (OCR_ENGINE=textract runs the Textract path against moto).
LOCAL_PARAMETERS_FROM_ENV = {
    "OcrEngine": ("OCR_ENGINE", "tesseract"),
    "PineconeIndexHost": ("PINECONE_INDEX_HOST", ""),
    "EmbedDimension": ("EMBED_DIMENSION", None),
    "ChildPollSeconds": ("CHILD_POLL_SECONDS", "1"),
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
        "--info-file", type=Path, help="write URLs, keys and resource names here as JSON when ready"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    started = time.monotonic()
    server = LocalServer(
        args.template or find_template(),
        port=args.port,
        moto_port=args.moto_port,
        parameters=local_parameters(_pairs(args.parameter_overrides, "--parameter-overrides")),
        env=_pairs(args.env, "--env"),
        throttling=not args.no_throttle,
        access_log=not args.quiet,
    )
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
