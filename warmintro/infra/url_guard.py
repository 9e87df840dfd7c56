"""Server-side request forgery guard for webhook URLs.

Outside development a webhook URL must resolve only to public addresses. The
check runs when an endpoint is registered and again at every delivery, and the
delivery then connects to the very address that was checked (the Host header
and TLS server name keep the original host), so a DNS answer that changes
between the check and the connection (rebinding) cannot reach a private address.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from warmintro.domain.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Target:
    """Where to connect, and what to send so the server still sees its own name."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, str] = field(default_factory=dict)


class UrlGuard:
    def __init__(self, *, allow_private: bool) -> None:
        self._allow_private = allow_private
        self.allow_http_loopback = allow_private
        """Development: plain http to loopback, as private addresses are allowed too."""

    async def check(self, url: str) -> None:
        await self.pin(url)

    async def pin(self, url: str) -> Target:
        """A vetted address to connect to for `url`; raises InvalidInput if none."""
        if self._allow_private:
            return Target(url)
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError:
            raise InvalidInput("the webhook host does not resolve", field="url") from None
        addresses = []
        for info in infos:
            try:
                address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
            except ValueError:
                raise InvalidInput("the webhook host resolves oddly", field="url") from None
            if not address.is_global:
                raise InvalidInput("webhook URLs must resolve to public addresses", field="url")
            addresses.append(address)
        if not addresses:
            raise InvalidInput("the webhook host does not resolve", field="url")
        first = addresses[0]
        literal = f"[{first}]" if first.version == 6 else str(first)
        netloc = f"{literal}:{port}" if parts.port else literal
        return Target(
            url=urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")),
            headers={"host": parts.netloc.rpartition("@")[2]},
            extensions={"sni_hostname": host} if parts.scheme == "https" else {},
        )
