"""Server-side request forgery guard for webhook URLs.

A webhook may only reach public unicast addresses, in every environment, unless
ALLOW_PRIVATE_WEBHOOKS=true. The URL is checked when an endpoint is registered,
and again where it matters: at connect time, by the network backend of the
relay's HTTP client (see `guarded_http`), which resolves the host itself, checks
every address, and connects only to one it checked. A DNS answer that changes
between registration and delivery (rebinding) therefore reaches nothing private.

Refused: loopback, "this network", private (RFC 1918, ULA), carrier-grade NAT,
link-local (cloud metadata at 169.254.169.254 among them), site-local,
multicast, broadcast, reserved, documentation and benchmarking ranges, and any
IPv6 form that carries a refused IPv4 address: IPv4-mapped, IPv4-compatible,
NAT64 (64:ff9b::/96; the local-use 64:ff9b:1::/48 always), 6to4 and Teredo.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Protocol
from urllib.parse import urlsplit

from warmintro.domain.errors import InvalidInput

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_V4 = ipaddress.ip_network
REFUSED_V4 = (
    (_V4("0.0.0.0/8"), "is 'this network'"),
    (_V4("10.0.0.0/8"), "is private"),
    (_V4("100.64.0.0/10"), "is carrier-grade NAT"),
    (_V4("127.0.0.0/8"), "is loopback"),
    (_V4("169.254.0.0/16"), "is link-local (cloud metadata lives here)"),
    (_V4("172.16.0.0/12"), "is private"),
    (_V4("192.0.0.0/24"), "is reserved for protocols"),
    (_V4("192.0.2.0/24"), "is for documentation"),
    (_V4("192.88.99.0/24"), "is the 6to4 relay anycast"),
    (_V4("192.168.0.0/16"), "is private"),
    (_V4("198.18.0.0/15"), "is for benchmarking"),
    (_V4("198.51.100.0/24"), "is for documentation"),
    (_V4("203.0.113.0/24"), "is for documentation"),
    (_V4("224.0.0.0/4"), "is multicast"),
    (_V4("240.0.0.0/4"), "is reserved (and broadcast)"),
)
REFUSED_V6 = (
    (_V4("::/96"), "is unspecified, loopback or IPv4-compatible (deprecated)"),
    (_V4("64:ff9b:1::/48"), "is local-use NAT64"),
    (_V4("100::/64"), "is a discard prefix"),
    (_V4("2001:db8::/32"), "is for documentation"),
    (_V4("fc00::/7"), "is private (unique local; cloud metadata lives here too)"),
    (_V4("fe80::/10"), "is link-local"),
    (_V4("fec0::/10"), "is site-local"),
    (_V4("ff00::/8"), "is multicast"),
)
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
TEREDO = ipaddress.IPv6Network("2001::/32")


def refusal(address: IPAddress) -> str | None:
    """Why a webhook may not connect to `address`; None if it may."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_v4(address)
        if embedded is not None:
            reason = refusal(embedded)
            return f"carries {embedded}, which {reason}" if reason else None
        table: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = REFUSED_V6
    else:
        table = REFUSED_V4
    for network, reason in table:
        if address in network:
            return reason
    if not address.is_global:
        return "is not a public address"
    return None


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form stands for, where the packet would really go."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address in TEREDO and address.teredo is not None:
        server, client = address.teredo
        # Both ends must be public: the client is where it lands, the server relays.
        return client if refusal(server) is None else server
    return None


class Resolver(Protocol):
    """Names to addresses (the system's resolver; a fake in tests)."""

    async def resolve(self, host: str, port: int) -> list[IPAddress]: ...


class SystemResolver:
    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        # A scope (fe80::1%eth0) is dropped: the address alone decides.
        return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


class UrlGuard:
    """The AddressCheck port, and the addresses the relay's connections may use."""

    def __init__(self, *, allow_private: bool, resolver: Resolver | None = None) -> None:
        self.allow_private = allow_private
        self.allow_http_loopback = allow_private
        """Plain http to loopback goes with private addresses (ALLOW_PRIVATE_WEBHOOKS)."""
        self._resolver = resolver or SystemResolver()

    async def check(self, url: str) -> None:
        if self.allow_private:
            return  # anything goes; delivery still resolves at connect time
        parts = urlsplit(url)
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise InvalidInput("the webhook URL has a bad port", field="url") from None
        await self.addresses(parts.hostname or "", port)

    async def addresses(self, host: str, port: int) -> list[IPAddress]:
        """Every address `host` stands for, each one allowed; raises InvalidInput
        (naming the first refused address and why) otherwise."""
        try:
            found = [ipaddress.ip_address(host.strip("[]"))]
        except ValueError:
            try:
                found = await self._resolver.resolve(host, port)
            except (OSError, UnicodeError, ValueError):
                raise InvalidInput("the webhook host does not resolve", field="url") from None
        if not found:
            raise InvalidInput("the webhook host does not resolve", field="url")
        if self.allow_private:
            return found
        for address in found:
            reason = refusal(address)
            if reason is not None:
                raise InvalidInput(
                    f"webhook URLs must resolve to public addresses only: {address} {reason}",
                    field="url",
                )
        return found
