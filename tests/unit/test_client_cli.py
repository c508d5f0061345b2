"""The ``docjobs`` CLI without a server (Typer's runner), and the SDK's webhook check."""

from __future__ import annotations

import json
import time

import pytest
from typer.testing import CliRunner

from docjobs.domain import webhooks as server_webhooks
from docjobs_client import webhooks
from docjobs_client.cli import ExitCode, app

runner = CliRunner()
SECRET = "whsec_test_0123456789"
BODY = json.dumps({"event": "job.completed", "job": {"id": "j-42", "status": "completed"}}).encode()


def test_help_lists_the_commands_and_the_exit_codes():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("parse", "extract", "split", "edit", "generate", "submit", "jobs", "usage", "webhooks"):
        assert command in result.output
    assert "Exit codes" in result.output
    # a type without a command of its own is reached through `submit TYPE`
    assert runner.invoke(app, ["workflow", "--help"]).exit_code == ExitCode.USAGE


def test_jobs_group_has_ls_show_cancel_wait_result():
    result = runner.invoke(app, ["jobs", "--help"])
    for command in ("ls", "show", "cancel", "wait", "result"):
        assert command in result.output


def test_missing_api_url_is_a_usage_error(monkeypatch, tmp_path):
    monkeypatch.delenv("DOCJOBS_API_URL", raising=False)
    monkeypatch.delenv("DOCJOBS_API_KEY", raising=False)
    result = runner.invoke(app, ["jobs", "ls"])
    assert result.exit_code == ExitCode.USAGE
    assert "DOCJOBS_API_URL" in result.output


def test_a_missing_file_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["--api-url", "http://127.0.0.1:9", "--api-key", "k", "parse", "nope.pdf"])
    assert result.exit_code == ExitCode.USAGE
    assert "no such file" in result.output


def test_an_unreachable_api_exits_4(monkeypatch):
    from docjobs_client import Client, RetryPolicy, cli

    # no retries, for speed (port 9 on loopback refuses the connection)
    monkeypatch.setattr(
        cli.State, "client", lambda self: Client(self.api_url, self.api_key, retry=RetryPolicy(0))
    )
    result = runner.invoke(app, ["--api-url", "http://127.0.0.1:9", "--api-key", "k", "jobs", "show", "x"])
    assert result.exit_code == ExitCode.UNAVAILABLE, result.output
    assert "127.0.0.1:9" in result.output


def test_webhook_signed_by_the_server_verifies():
    header = server_webhooks.sign(SECRET, int(time.time()), BODY)
    assert webhooks.verify(SECRET, header, BODY)["job"]["id"] == "j-42"
    result = runner.invoke(app, ["webhooks", "verify", "--secret", SECRET, "--signature", header], input=BODY)
    assert result.exit_code == 0, result.output
    assert "valid" in result.output and "j-42" in result.output


@pytest.mark.parametrize(
    ("secret", "body", "age", "reason"),
    [
        ("whsec_other", BODY, 0, "does not match"),
        (SECRET, BODY.replace(b"completed", b"failed"), 0, "does not match"),
        (SECRET, BODY, 3600, "old"),
    ],
)
def test_webhook_with_a_wrong_secret_body_or_age_is_refused(secret, body, age, reason):
    header = webhooks.sign(SECRET, int(time.time()) - age, BODY)
    with pytest.raises(webhooks.SignatureError, match=reason):
        webhooks.verify(secret, header, body)
    result = runner.invoke(
        app, ["--json", "webhooks", "verify", "--secret", secret, "--signature", header], input=body
    )
    assert result.exit_code == 1
    assert json.loads(result.stdout)["valid"] is False


@pytest.mark.parametrize("header", ["", "v1=abc", "t=notanumber,v1=abc", "t=123"])
def test_malformed_signature_headers_are_refused(header):
    with pytest.raises(webhooks.SignatureError):
        webhooks.verify(SECRET, header, BODY)
