"""Server-side request forgery guard for webhook URLs.

Outside development a webhook URL must resolve only to public addresses, checked
when the endpoint is registered and again before every delivery (DNS can change).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from warmintro.domain.errors import InvalidInput


class UrlGuard:
    def __init__(self, *, allow_private: bool) -> None:
        self._allow_private = allow_private

    async def check(self, url: str) -> None:
        if self._allow_private:
            return
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError:
            raise InvalidInput("the webhook host does not resolve", field="url") from None
        for info in infos:
            address = ipaddress.ip_address(info[4][0])
            if not address.is_global:
                raise InvalidInput("webhook URLs must resolve to public addresses", field="url")
