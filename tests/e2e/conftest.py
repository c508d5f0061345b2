"""Start ``python -m docjobs_local.server`` in a subprocess on free ports and drive it over HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEV_KEY = "dj_e2e-dev-key-0123456789abcdef"
#: Browser origins the e2e server allows (template parameter CorsAllowOrigins).
CORS_ORIGINS = ("https://ops.example.test", "http://127.0.0.1:5999")
OTHER_KEY = "dj_e2e-other-key-0123456789abcdef"
LOAD_KEY = "dj_e2e-load-key-0123456789abcdef"  # tenant "load": the concurrency test's own


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LocalApi:
    url: str
    moto_url: str
    key: str
    other_key: str
    info: dict

    def request(self, method, path, *, key=None, body=None, headers=None, timeout=30):
        """(status, parsed JSON or raw bytes, headers)."""
        data = None
        hdrs = dict(headers or {})
        if key:
            hdrs["Authorization"] = f"Bearer {key}"
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        url = path if path.startswith("http") else self.url + path
        req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status, raw, rh = resp.status, resp.read(), dict(resp.headers)
        except urllib.error.HTTPError as err:
            status, raw, rh = err.code, err.read(), dict(err.headers)
        try:
            return status, json.loads(raw), rh
        except ValueError:
            return status, raw, rh


@pytest.fixture(scope="session")
def local_api(tmp_path_factory):
    if not (ROOT / "template.yaml").is_file():
        pytest.skip("template.yaml not written yet")
    tmp = tmp_path_factory.mktemp("local-server")
    info_file = tmp / "info.json"
    port, moto_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "DOCJOBS_API_KEY": DEV_KEY,
        "DOCJOBS_EXTRA_TENANTS": f"other={OTHER_KEY},load={LOAD_KEY}",
        "MOTO_PORT": str(moto_port),
        "CORS_ALLOW_ORIGINS": ",".join(CORS_ORIGINS),
        "PORT": str(port),
        "PYTHONUNBUFFERED": "1",
        # No network: client-chosen URLs resolve only through these names, connect to 127/8 only.
        "DOCJOBS_LOCAL_OFFLINE": "1",
        "DOCJOBS_LOCAL_HOSTS": "example.com=93.184.216.34,hooks.example.com=93.184.216.34",
        "DOCJOBS_LOCAL_READ_TIMEOUT": "2",
    }
    env.pop("AWS_ENDPOINT_URL", None)
    log = open(tmp / "server.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "docjobs_local.server", "--quiet", "--info-file", str(info_file)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 90
    while not info_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.close()
            pytest.fail(f"local server did not start:\n{(tmp / 'server.log').read_text()[-4000:]}")
        time.sleep(0.1)
    info = json.loads(info_file.read_text())
    yield LocalApi(info["api_url"], info["moto_url"], DEV_KEY, OTHER_KEY, info)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
