"""An HTTP client that connects only to addresses the SSRF guard allowed.

httpcore hands its network backend the host name of each new connection; this
backend resolves it through the guard, which refuses the lot if any address is
refused, and then opens the TCP connection to one of those very addresses.
TLS is started afterwards on that stream with the URL's own host name, so SNI,
certificate checks and the Host header are those of the name, not of the IP.
A refusal raises InvalidInput before any connection is attempted.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from warmintro.infra.url_guard import UrlGuard


class GuardedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, guard: UrlGuard, network: httpcore.AsyncNetworkBackend | None = None):
        self._guard = guard
        self._network = network or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._guard.addresses(host, port)
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._network.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # the guard never answers with no address
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("webhooks never use unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._network.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport (its request mapping, its errors) over a pool whose
    every connection goes through `GuardedBackend`."""

    def __init__(
        self,
        guard: UrlGuard,
        *,
        network: httpcore.AsyncNetworkBackend | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(trust_env=False)
        # httpx offers no network_backend argument; the pool it built is replaced
        # before it was ever used.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context or httpx.create_ssl_context(trust_env=False),
            network_backend=GuardedBackend(guard, network),
        )


def guarded_client(
    guard: UrlGuard,
    *,
    timeout: float,
    network: httpcore.AsyncNetworkBackend | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> httpx.AsyncClient:
    """No redirects (each would be a new, unchecked target) and no proxies from the
    environment (a proxy would do the connecting)."""
    return httpx.AsyncClient(
        transport=GuardedTransport(guard, network=network, ssl_context=ssl_context),
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
    )
