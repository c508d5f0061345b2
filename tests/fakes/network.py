"""Fake DNS and a connection guard for ``docjobs.url_safety`` (installed for every test).

Tests never resolve a real name and never connect outside 127.0.0.0/8: ``FakeNetwork.names``
says what a name resolves to; a connection to a listed public address is routed to a local
port (``route``), one to 127.0.0.0/8 goes through, anything else is refused. Every address a
connection used is recorded in ``connections``, so a test asserts on it.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

#: Stands in for a public web server (example.com's address).
PUBLIC_ADDRESS = "93.184.216.34"


@dataclass
class FakeNetwork:
    names: dict[str, list[str] | Callable[[], list[str]]] = field(default_factory=dict)
    routes: dict[str, str] = field(default_factory=dict)  # public address -> 127.0.0.x
    lookups: list[str] = field(default_factory=list)
    connections: list[tuple[str, int]] = field(default_factory=list)

    def resolve(self, host: str) -> list[str]:
        self.lookups.append(host)
        key = host.lower()
        answer = self.names.get(key)
        if answer is None and key.endswith("."):
            answer = self.names.get(key[:-1])
        if answer is None:
            raise socket.gaierror(socket.EAI_NONAME, f"fake DNS: {host} is unknown")
        return list(answer() if callable(answer) else answer)

    def route(self, address: str, to: str = "127.0.0.1") -> None:
        self.routes[address] = to

    def connect(self, address: tuple[str, int], timeout: float | None = None) -> socket.socket:
        host, port = address
        self.connections.append((host, port))
        target = self.routes.get(host, host)
        if not ipaddress.ip_address(target).is_loopback:
            raise ConnectionRefusedError(f"tests connect to 127.0.0.0/8 only, not {host}")
        return socket.create_connection((target, port), timeout)


def default_network() -> FakeNetwork:
    return FakeNetwork(
        names={
            "localhost": ["127.0.0.1"],
            "example.com": [PUBLIC_ADDRESS],
            "hooks.example.com": [PUBLIC_ADDRESS],
            "files.example.com": [PUBLIC_ADDRESS],
        }
    )


_current = default_network()


def use(network: FakeNetwork) -> FakeNetwork:
    """Make ``network`` the one ``resolve`` and ``connect`` use (each test gets a fresh one)."""
    global _current
    _current = network
    return network


def resolve(host: str) -> list[str]:
    return _current.resolve(host)


def connect(address: tuple[str, int], timeout: float | None = None) -> socket.socket:
    return _current.connect(address, timeout)
