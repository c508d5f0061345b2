"""Outbound requests to URLs chosen by clients (input documents, webhooks): never to a private network.

Server-side request forgery is closed at the connection, not only at the first name:

* every host is resolved once, and **every** address it resolves to must be public
  (``forbidden_reason``): not private, loopback, link-local, multicast, reserved, shared
  (CGNAT), documentation or any other special-purpose range of the IANA registries (the
  ``ipaddress`` module's ``is_global`` and friends), including private IPv4 addresses embedded
  in IPv6 (IPv4-mapped ``::ffff:a.b.c.d``, NAT64 ``64:ff9b::/96``, 6to4 ``2002::/16``,
  Teredo ``2001::/32``);
* the connection goes to the exact address that was checked (no second lookup a DNS
  rebinding answer could change), while TLS SNI, certificate verification and the Host header
  keep the name;
* redirects are followed here, not by a library: at most ``MAX_REDIRECTS`` hops, each one
  checked like the first, and never from https to http;
* numeric host forms (``2130706433``, ``0177.0.0.1``, ``0x7f.1``, ``127.1``) are read as the
  addresses they denote, URLs with credentials (``user@host``) are refused, and a trailing-dot
  name (``localhost.``) is resolved like any other name, so its address is what is checked.

``ALLOW_PRIVATE_INPUT_URLS=true`` lifts the address check for the local runtime and tests only.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from docjobs.core.errors import InputValidationError
from docjobs.core.settings import get_settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Redirect hops an input fetch follows (browsers allow 20; documents need few).
MAX_REDIRECTS = 5
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
#: IANA special-purpose ranges that Python releases before 3.12.4 (and 3.13's first ones) still
#: call global; ``ipaddress`` covers every other entry of both registries.
_NOT_GLOBAL = tuple(
    ipaddress.ip_network(n)
    for n in ("192.0.0.0/24", "64:ff9b:1::/48", "2001:2::/48", "3fff::/20", "5f00::/16")
)


def system_resolver(host: str) -> list[str]:
    """The addresses ``host`` resolves to (the system resolver, TCP)."""
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


#: Name resolution and connection: tests replace these two (fake DNS; connections to
#: 127.0.0.1 only) and assert on the address a connection would use.
resolve_host: Callable[[str], list[str]] = system_resolver
open_connection: Callable[[tuple[str, int], float], socket.socket] = socket.create_connection


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    embedded: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        embedded.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        embedded.append(address.sixtofour)
    if address.teredo is not None:
        embedded.extend(address.teredo)
    if address in _NAT64:
        embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return embedded


def forbidden_reason(address: IPAddress) -> str | None:
    """Why a connection to ``address`` is refused, or None for a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        for inner in _embedded_ipv4(address):
            reason = forbidden_reason(inner)
            if reason is not None:
                return f"embeds {inner}, which {reason}"
        if address.scope_id:
            return "is a scoped (link-local) address"
        if address.ipv4_mapped is not None or address in _NAT64:
            return None  # a translation of the (public) IPv4 address it embeds
    checks = (
        ("is_unspecified", "is unspecified"),
        ("is_loopback", "is a loopback address"),
        ("is_link_local", "is link-local"),
        ("is_multicast", "is multicast"),
        ("is_private", "is private"),
        ("is_reserved", "is reserved"),
    )
    for attribute, reason in checks:
        if getattr(address, attribute):
            return reason
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return "is site-local"
    if not address.is_global or any(address in network for network in _NOT_GLOBAL):
        return "is a special-purpose address, not a public one"
    return None


def literal_address(host: str) -> IPAddress | None:
    """``host`` as an IP address when it is one, in any form a resolver would accept."""
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        return ipaddress.ip_address(bare.split("%", 1)[0] if "%" in bare else bare)
    except ValueError:
        pass
    # inet_aton's legacy forms: decimal (2130706433), octal (0177.0.0.1), hex (0x7f.1), short (127.1).
    if bare and all(c in "0123456789abcdefxABCDEFX." for c in bare) and bare[0].isdigit():
        try:
            return ipaddress.IPv4Address(socket.inet_aton(bare))
        except OSError:
            return None
    return None


def checked_addresses(host: str, *, what: str) -> list[IPAddress]:
    """The addresses to connect to for ``host``; raises ``InputValidationError`` naming ``what``
    when it does not resolve or any of its addresses is not public."""
    if not host:
        raise InputValidationError(f"{what} has no host")
    literal = literal_address(host)
    if literal is not None:
        addresses: list[IPAddress] = [literal]
    else:
        try:
            addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in resolve_host(host)]
        except (OSError, UnicodeError, ValueError) as exc:
            raise InputValidationError(f"{what} host '{host}' does not resolve") from exc
        if not addresses:
            raise InputValidationError(f"{what} host '{host}' does not resolve")
    if not get_settings().allow_private_input_urls:
        for address in addresses:
            reason = forbidden_reason(address)
            if reason is not None:
                raise InputValidationError(
                    f"{what} host '{host}' is not a public address ({address} {reason})"
                )
    return addresses


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent on the request line


def parse_target(url: str, *, what: str) -> Target:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InputValidationError(f"{what} is not a valid URL: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in {"https", "http"}:
        raise InputValidationError(f"{what} must be an https:// URL")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise InputValidationError(f"{what} must not contain credentials (user@host)")
    host = parts.hostname or ""
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(url, scheme, host, port or (443 if scheme == "https" else 80), path)


def check_public_url(url: str, *, what: str) -> None:
    """Refuse a URL whose host is not public (what the API checks at submission)."""
    checked_addresses(parse_target(url, what=what).host, what=what)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to ``address``; the Host header names ``host``."""

    def __init__(self, host: str, port: int, address: IPAddress, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = open_connection((str(self.address), self.port), self.timeout)  # type: ignore[arg-type]
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to ``address``; SNI, certificate check and Host header use ``host``."""

    def __init__(
        self, host: str, port: int, address: IPAddress, timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self.address = address
        self.tls_context = context

    def connect(self) -> None:
        sock = open_connection((str(self.address), self.port), self.timeout)  # type: ignore[arg-type]
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = self.tls_context.wrap_socket(sock, server_hostname=self.host)


def _connection(target: Target, address: IPAddress, timeout: float) -> http.client.HTTPConnection:
    if target.scheme == "https":
        context = ssl.create_default_context()  # the system's trust store (SSL_CERT_FILE), each time
        return _PinnedHTTPSConnection(target.host, target.port, address, timeout, context)
    return _PinnedHTTPConnection(target.host, target.port, address, timeout)


def _send(
    target: Target,
    addresses: list[IPAddress],
    method: str,
    body: bytes | None,
    headers: Mapping[str, str],
    timeout: float,
) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    """The request on the first address that accepts a connection (all were checked)."""
    last_error: OSError | None = None
    for address in addresses:
        connection = _connection(target, address, timeout)
        try:
            connection.request(method, target.path, body=body, headers=dict(headers))
            return connection, connection.getresponse()
        except (ConnectionRefusedError, ConnectionResetError, TimeoutError) as exc:
            connection.close()
            last_error = exc
        except BaseException:
            connection.close()
            raise
    assert last_error is not None
    raise last_error


@dataclass
class OutboundResponse:
    """An answer of ``open_public_url``; ``url`` is the one that answered (after redirects)."""

    url: str
    status: int
    reason: str
    headers: http.client.HTTPMessage
    response: http.client.HTTPResponse

    def read(self, size: int = -1) -> bytes:
        return self.response.read(size)


@contextmanager
def open_public_url(
    url: str,
    *,
    what: str,
    method: str = "GET",
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30.0,
    follow_redirects: bool = True,
) -> Iterator[OutboundResponse]:
    """Send one request to a client-chosen URL with the guards above; yields the final answer.

    Guard failures raise ``InputValidationError`` naming ``what``; network failures raise
    ``OSError`` (``TimeoutError``, ``ConnectionError``, ``ssl.SSLError``) or
    ``http.client.HTTPException`` for the caller to classify.
    """
    target = parse_target(url, what=what)
    hops = 0
    while True:
        addresses = checked_addresses(target.host, what=what if hops == 0 else f"{what} redirect")
        connection, response = _send(target, addresses, method, body, headers or {}, timeout)
        try:
            location = response.getheader("Location")
            if follow_redirects and response.status in _REDIRECT_STATUSES and location:
                hops += 1
                if hops > MAX_REDIRECTS:
                    raise InputValidationError(f"{what} redirects more than {MAX_REDIRECTS} times")
                following = parse_target(urljoin(target.url, location.strip()), what=f"{what} redirect")
                if target.scheme == "https" and following.scheme != "https":
                    raise InputValidationError(
                        f"{what} redirects from https to {following.scheme}:// ({following.url}): refused"
                    )
                if response.status == 303 or (response.status in {301, 302} and method == "POST"):
                    method, body = "GET", None
                target = following
                continue
            yield OutboundResponse(target.url, response.status, response.reason, response.msg, response)
            return
        finally:
            response.close()
            connection.close()
