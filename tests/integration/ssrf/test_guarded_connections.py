"""The relay's HTTP client resolves at connect time, checks every address, and
connects only to a checked one: a refusal comes before any connection attempt (a
recording network backend fails the test otherwise), so DNS rebinding reaches
nothing. The one real connection here is to a TLS server on 127.0.0.1."""

from __future__ import annotations

import ipaddress
import re
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx
import pytest

from tests.integration.ssrf.test_refused_addresses import REFUSED, literal
from tests.integration.ssrf.tls_server import TlsServer
from warmintro.domain.errors import InvalidInput
from warmintro.infra.guarded_http import guarded_client
from warmintro.infra.url_guard import IPAddress, UrlGuard


class Rebinding:
    """A resolver whose answers change from one ask to the next, as an attacker's
    DNS server would (the last answer repeats)."""

    def __init__(self, *answers: str | list[str]) -> None:
        self.answers = [[a] if isinstance(a, str) else a for a in answers]
        self.asked: list[tuple[str, int]] = []

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        self.asked.append((host, port))
        answer = self.answers[min(len(self.asked), len(self.answers)) - 1]
        return [ipaddress.ip_address(a) for a in answer]


class RecordingNetwork(httpcore.AsyncNetworkBackend):
    """Records where a connection was attempted, and never makes one."""

    def __init__(self) -> None:
        self.attempts: list[tuple[str, int]] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.attempts.append((host, port))
        raise httpcore.ConnectError("the recording network connects nowhere")


CONTEXT = ssl.create_default_context()
"""One for all tests: building a context (loading CA roots) is the slow part."""


async def post(guard: UrlGuard, network: RecordingNetwork, url: str) -> None:
    async with guarded_client(guard, timeout=5, network=network, ssl_context=CONTEXT) as client:
        await client.post(url, content=b"{}")


@pytest.mark.parametrize("address", REFUSED)
async def test_a_name_resolving_to_a_refused_address_is_refused_before_connecting(
    address: str,
) -> None:
    network = RecordingNetwork()
    guard = UrlGuard(allow_private=False, resolver=Rebinding(["8.8.8.8", address]))

    with pytest.raises(InvalidInput, match="public addresses only"):
        await post(guard, network, "https://hooks.example.com/hook")

    assert network.attempts == []


@pytest.mark.parametrize("address", REFUSED)
async def test_a_url_naming_a_refused_address_is_refused_before_connecting(address: str) -> None:
    network, resolver = RecordingNetwork(), Rebinding("8.8.8.8")
    guard = UrlGuard(allow_private=False, resolver=resolver)

    with pytest.raises(InvalidInput, match="public addresses only"):
        await post(guard, network, f"https://{literal(address)}/hook")

    assert network.attempts == [] and resolver.asked == []


async def test_a_name_that_rebinds_after_registration_is_refused_at_connect_time() -> None:
    network = RecordingNetwork()
    resolver = Rebinding("93.184.215.14", "127.0.0.1")
    guard = UrlGuard(allow_private=False, resolver=resolver)
    await guard.check("https://rebind.example.com/hook")  # registration: public

    with pytest.raises(InvalidInput, match=re.escape("127.0.0.1 is loopback")):
        await post(guard, network, "https://rebind.example.com/hook")

    assert len(resolver.asked) == 2, "resolved again when connecting"
    assert network.attempts == []


async def test_a_public_name_is_connected_to_by_the_address_that_was_checked() -> None:
    network = RecordingNetwork()
    guard = UrlGuard(allow_private=False, resolver=Rebinding(["93.184.215.14", "8.8.4.4"]))

    with pytest.raises(httpx.ConnectError):
        await post(guard, network, "https://hooks.example.com/hook")

    assert network.attempts == [("93.184.215.14", 443), ("8.8.4.4", 443)]


async def test_without_allow_private_a_loopback_receiver_is_never_reached() -> None:
    async with TlsServer("hooks.test") as server:
        guard = UrlGuard(allow_private=False, resolver=Rebinding("127.0.0.1"))
        async with guarded_client(guard, timeout=5, ssl_context=server.client_context) as client:
            with pytest.raises(InvalidInput):
                await client.post(f"https://hooks.test:{server.port}/hook", content=b"{}")
        assert server.requests == []


async def test_the_checked_address_is_dialled_with_the_name_for_sni_tls_and_host() -> None:
    """A name resolving to 127.0.0.1, allowed here: the TLS handshake names the host
    (the certificate is for the name only, so a check against the IP would fail) and
    so does the Host header."""
    async with TlsServer("hooks.test") as server:
        guard = UrlGuard(allow_private=True, resolver=Rebinding("127.0.0.1"))
        async with guarded_client(guard, timeout=5, ssl_context=server.client_context) as client:
            r = await client.post(f"https://hooks.test:{server.port}/hook", content=b"{}")

    assert r.status_code == 204
    assert server.server_names == ["hooks.test"]
    assert server.requests == [f"POST /hook host=hooks.test:{server.port}"]
