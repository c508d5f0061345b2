"""Outbound URLs chosen by clients (input documents, webhooks) must not reach private networks."""

from __future__ import annotations

import ipaddress
import socket

from docjobs.core.errors import InputValidationError
from docjobs.core.settings import get_settings


def check_public_host(host: str, *, what: str) -> None:
    """Refuse a host that resolves to a private, loopback or link-local address (SSRF).

    ``ALLOW_PRIVATE_INPUT_URLS=true`` lifts this for the local runtime and tests only.
    """
    if get_settings().allow_private_input_urls:
        return
    if not host:
        raise InputValidationError(f"{what} has no host")
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror as exc:
        raise InputValidationError(f"{what} host '{host}' does not resolve") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise InputValidationError(f"{what} host '{host}' is not a public address")
