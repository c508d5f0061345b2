"""SSRF guard of client-chosen URLs: address forms, redirects, DNS rebinding, pinned connections.

Names resolve through the fake DNS of tests/fakes/network.py; the only connections made go
to local servers on 127.0.0.1 (a "public" address is routed there), and each test asserts on
the address a connection used.
"""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterator

import pytest
import trustme
from pytest_httpserver import HTTPServer

from docjobs.core.errors import InputValidationError
from docjobs.core.settings import get_settings
from docjobs.domain import url_safety
from tests.fakes.network import PUBLIC_ADDRESS, FakeNetwork


@pytest.fixture(autouse=True)
def guarded(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("JOBS_TABLE_NAME", "jobs")
    monkeypatch.setenv("DOCUMENTS_BUCKET_NAME", "docs")
    monkeypatch.delenv("ALLOW_PRIVATE_INPUT_URLS", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.255.255.254",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # shared address space (CGNAT)
        "0.0.0.0",
        "192.0.0.8",  # IETF protocol assignments
        "192.0.2.10",  # documentation
        "198.18.0.1",  # benchmarking
        "224.0.0.1",  # multicast
        "239.255.255.250",
        "240.0.0.1",  # reserved
        "255.255.255.255",
        "::",
        "::1",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "fec0::1",  # site-local
        "ff02::1",  # multicast
        "ff0e::1",
        "2001:db8::1",  # documentation
        "100::1",  # discard-only
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "64:ff9b:1::a00:1",  # local-use NAT64
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:a00:1::1",  # 6to4 of 10.0.0.1
        "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    ],
)
def test_special_purpose_addresses_are_refused(address: str) -> None:
    assert url_safety.forbidden_reason(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize(
    "address",
    [
        PUBLIC_ADDRESS,
        "8.8.8.8",
        "2606:2800:220:1:248:1893:25c8:1946",
        "64:ff9b::5db8:d822",  # NAT64 of a public address
        "2002:5db8:d822::1",  # 6to4 of a public address
    ],
)
def test_public_unicast_addresses_are_allowed(address: str) -> None:
    assert url_safety.forbidden_reason(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://2130706433/doc.pdf",  # decimal
        "https://0177.0.0.1/doc.pdf",  # octal
        "https://0x7f.0.0.1/doc.pdf",  # hex
        "https://0x7f000001/doc.pdf",
        "https://127.1/doc.pdf",  # short form
        "https://0/doc.pdf",
        "https://[::1]/doc.pdf",
        "https://[::ffff:127.0.0.1]/doc.pdf",
        "https://[::ffff:7f00:1]/doc.pdf",
        "https://[64:ff9b::127.0.0.1]/doc.pdf",
        "https://[2002:a9fe:a9fe::]/latest/meta-data",
        "https://localhost/doc.pdf",
        "https://localhost./doc.pdf",  # trailing dot
        "https://LOCALHOST/doc.pdf",
        "https://internal.example.com/doc.pdf",
        "https://internal.example.com./doc.pdf",
        "https://mixed.example.com/doc.pdf",  # one public and one private answer
    ],
)
def test_urls_reaching_private_addresses_are_refused_without_connecting(
    url: str, fake_network: FakeNetwork
) -> None:
    fake_network.names["internal.example.com"] = ["10.20.30.40"]
    fake_network.names["mixed.example.com"] = [PUBLIC_ADDRESS, "192.168.0.10"]
    with pytest.raises(InputValidationError, match=r"input URL host .* is not a public address"):
        with url_safety.open_public_url(url, what="input URL"):
            pass
    assert fake_network.connections == []


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com@127.0.0.1/doc.pdf",
        "https://user:pass@example.com/doc.pdf",
        "https://127.0.0.1#@example.com/",
    ],
)
def test_urls_with_credentials_or_userinfo_tricks_are_refused(url: str, fake_network: FakeNetwork) -> None:
    with pytest.raises(InputValidationError):
        url_safety.check_public_url(url, what="webhook_url")
    assert fake_network.connections == []


def test_unresolvable_host_is_refused_naming_the_field() -> None:
    with pytest.raises(InputValidationError, match=r"webhook_url host 'nowhere\.example' does not resolve"):
        url_safety.check_public_url("https://nowhere.example/h", what="webhook_url")


def test_connection_goes_to_the_checked_address_even_if_dns_changes_its_answer(
    httpserver: HTTPServer, fake_network: FakeNetwork
) -> None:
    """DNS rebinding: the name is resolved once; a second answer (127.0.0.1) is never used."""
    answers = iter([[PUBLIC_ADDRESS], ["127.0.0.1"], ["127.0.0.1"]])
    fake_network.names["rebind.example.com"] = lambda: next(answers)
    fake_network.route(PUBLIC_ADDRESS)
    httpserver.expect_request("/doc.pdf").respond_with_data(b"%PDF-1.7 public")

    url = f"http://rebind.example.com:{httpserver.port}/doc.pdf"
    with url_safety.open_public_url(url, what="input URL") as response:
        assert response.read() == b"%PDF-1.7 public"

    assert fake_network.lookups == ["rebind.example.com"]
    assert fake_network.connections == [(PUBLIC_ADDRESS, httpserver.port)]
    request = httpserver.log[0][0]
    assert request.headers["Host"] == f"rebind.example.com:{httpserver.port}"


def test_redirect_to_a_private_address_is_refused(httpserver: HTTPServer, fake_network: FakeNetwork) -> None:
    fake_network.route(PUBLIC_ADDRESS)
    fake_network.names["internal.example.com"] = ["10.0.0.7"]
    httpserver.expect_request("/to-loopback").respond_with_data(
        "", status=302, headers={"Location": f"http://127.0.0.1:{httpserver.port}/secret.pdf"}
    )
    httpserver.expect_request("/to-internal").respond_with_data(
        "", status=307, headers={"Location": "http://internal.example.com/secret.pdf"}
    )
    httpserver.expect_request("/to-decimal").respond_with_data(
        "", status=301, headers={"Location": f"http://2130706433:{httpserver.port}/secret.pdf"}
    )
    httpserver.expect_request("/secret.pdf").respond_with_data(b"internal only")

    for path in ("/to-loopback", "/to-internal", "/to-decimal"):
        url = f"http://files.example.com:{httpserver.port}{path}"
        with pytest.raises(InputValidationError, match=r"input URL redirect host .* is not a public address"):
            with url_safety.open_public_url(url, what="input URL"):
                pass

    assert all(address == PUBLIC_ADDRESS for address, _ in fake_network.connections)
    assert not any(request.path == "/secret.pdf" for request, _ in httpserver.log)


def test_public_redirects_are_followed_each_hop_checked(
    httpserver: HTTPServer, fake_network: FakeNetwork
) -> None:
    fake_network.names["cdn.example.com"] = ["93.184.216.35"]
    fake_network.route(PUBLIC_ADDRESS)
    fake_network.route("93.184.216.35")
    httpserver.expect_request("/start").respond_with_data(
        "", status=302, headers={"Location": f"http://cdn.example.com:{httpserver.port}/doc.pdf"}
    )
    httpserver.expect_request("/doc.pdf").respond_with_data(b"%PDF-1.7 moved")

    with url_safety.open_public_url(
        f"http://files.example.com:{httpserver.port}/start", what="input URL"
    ) as response:
        assert response.read() == b"%PDF-1.7 moved"
        assert response.url == f"http://cdn.example.com:{httpserver.port}/doc.pdf"

    assert fake_network.lookups == ["files.example.com", "cdn.example.com"]
    assert [address for address, _ in fake_network.connections] == [PUBLIC_ADDRESS, "93.184.216.35"]


def test_redirect_loop_stops_at_the_hop_limit(httpserver: HTTPServer, fake_network: FakeNetwork) -> None:
    fake_network.route(PUBLIC_ADDRESS)
    httpserver.expect_request("/loop").respond_with_data("", status=302, headers={"Location": "/loop"})
    with pytest.raises(InputValidationError, match=f"redirects more than {url_safety.MAX_REDIRECTS} times"):
        with url_safety.open_public_url(f"http://files.example.com:{httpserver.port}/loop", what="input URL"):
            pass
    assert len(fake_network.connections) == url_safety.MAX_REDIRECTS + 1


@pytest.fixture
def https_files(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HTTPServer]:
    """An https server for files.example.com on 127.0.0.1, trusted through SSL_CERT_FILE."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("files.example.com").configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    server.start()
    yield server
    server.clear()
    server.stop()


def test_tls_to_the_pinned_address_keeps_the_name_for_sni_and_certificate(
    https_files: HTTPServer, fake_network: FakeNetwork
) -> None:
    fake_network.route(PUBLIC_ADDRESS)
    https_files.expect_request("/doc.pdf").respond_with_data(b"%PDF-1.7 tls")

    with url_safety.open_public_url(
        f"https://files.example.com:{https_files.port}/doc.pdf", what="input URL"
    ) as response:
        assert response.read() == b"%PDF-1.7 tls"

    assert fake_network.connections == [(PUBLIC_ADDRESS, https_files.port)]
    assert https_files.log[0][0].headers["Host"] == f"files.example.com:{https_files.port}"


def test_https_to_http_redirect_is_refused(https_files: HTTPServer, fake_network: FakeNetwork) -> None:
    fake_network.route(PUBLIC_ADDRESS)
    https_files.expect_request("/doc.pdf").respond_with_data(
        "", status=301, headers={"Location": "http://files.example.com/doc.pdf"}
    )
    with pytest.raises(InputValidationError, match="redirects from https to http"):
        with url_safety.open_public_url(
            f"https://files.example.com:{https_files.port}/doc.pdf", what="input URL"
        ):
            pass
    assert len(fake_network.connections) == 1


def test_local_switch_lifts_the_address_check_only(
    monkeypatch: pytest.MonkeyPatch, httpserver: HTTPServer, fake_network: FakeNetwork
) -> None:
    monkeypatch.setenv("ALLOW_PRIVATE_INPUT_URLS", "true")
    get_settings.cache_clear()
    httpserver.expect_request("/doc.pdf").respond_with_data(b"local")
    with url_safety.open_public_url(httpserver.url_for("/doc.pdf"), what="input URL") as response:
        assert response.read() == b"local"
    with pytest.raises(InputValidationError, match="credentials"):
        url_safety.check_public_url("https://a:b@localhost/", what="input URL")
