"""Which addresses a webhook may reach: every listed non-public form is refused, at
registration and (for a name) whatever it resolves to; public ones pass. No test
here opens a connection: names resolve through a fake resolver."""

from __future__ import annotations

import ipaddress
import re

import pytest

from warmintro.domain.errors import InvalidInput
from warmintro.infra.url_guard import IPAddress, UrlGuard, refusal

REFUSED = {
    # IPv4
    "127.0.0.1": "loopback",
    "127.1.2.3": "loopback",
    "0.0.0.0": "this network",
    "0.1.2.3": "this network",
    "10.1.2.3": "private",
    "172.16.0.1": "private",
    "172.31.255.254": "private",
    "192.168.1.20": "private",
    "100.64.0.1": "carrier-grade NAT",
    "100.100.100.200": "carrier-grade NAT",  # Alibaba Cloud's metadata service
    "169.254.169.254": "link-local",  # AWS, GCP, Azure metadata
    "169.254.1.1": "link-local",
    "192.0.0.1": "reserved for protocols",
    "192.0.2.1": "documentation",
    "198.51.100.7": "documentation",
    "203.0.113.9": "documentation",
    "198.18.0.1": "benchmarking",
    "192.88.99.1": "6to4 relay",
    "224.0.0.1": "multicast",
    "239.255.255.250": "multicast",
    "240.0.0.1": "reserved",
    "255.255.255.255": "broadcast",
    # IPv6
    "::": "unspecified",
    "::1": "loopback",
    "::127.0.0.1": "IPv4-compatible",
    "::8.8.8.8": "IPv4-compatible",
    "::ffff:127.0.0.1": "loopback",  # IPv4-mapped
    "::ffff:10.0.0.1": "private",
    "::ffff:169.254.169.254": "link-local",
    "::ffff:224.0.0.1": "multicast",
    "64:ff9b::7f00:1": "loopback",  # NAT64 of 127.0.0.1
    "64:ff9b::a9fe:a9fe": "link-local",  # NAT64 of 169.254.169.254
    "64:ff9b::a00:1": "private",
    "64:ff9b:1::808:808": "local-use NAT64",
    "2002:7f00:1::": "loopback",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1": "link-local",
    "2002:c0a8:101::1": "private",
    "2001:0:4136:e378:8000:63bf:80ff:fffe": "loopback",  # Teredo, client 127.0.0.1
    "2001:0:a00:1:8000:63bf:f7f7:f7f7": "private",  # Teredo via a private server
    "fec0::1": "site-local",
    "fe80::1": "link-local",
    "fc00::1": "private",
    "fd00:ec2::254": "private",  # AWS's IPv6 metadata service
    "ff02::1": "multicast",
    "ff05::2": "multicast",
    "100::1": "discard",
    "2001:db8::1": "documentation",
}
ALLOWED = ["8.8.8.8", "1.1.1.1", "93.184.215.14", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize(("address", "why"), REFUSED.items())
def test_a_non_public_address_is_refused_with_its_reason(address: str, why: str) -> None:
    reason = refusal(ipaddress.ip_address(address))

    assert reason is not None and why in reason, reason


@pytest.mark.parametrize("address", ALLOWED)
def test_a_public_address_is_allowed(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None


class FakeResolver:
    """Answers every name with the addresses it is given, and remembers the asks."""

    def __init__(self, *answers: str) -> None:
        self.answers = [ipaddress.ip_address(a) for a in answers]
        self.asked: list[tuple[str, int]] = []

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        self.asked.append((host, port))
        return list(self.answers)


def literal(address: str) -> str:
    return f"[{address}]" if ":" in address else address


@pytest.mark.parametrize("address", REFUSED)
async def test_a_url_naming_a_refused_address_is_refused_without_resolving(address: str) -> None:
    resolver = FakeResolver("8.8.8.8")
    guard = UrlGuard(allow_private=False, resolver=resolver)

    with pytest.raises(InvalidInput, match="public addresses only"):
        await guard.check(f"https://{literal(address)}:8443/hook")
    assert resolver.asked == []


@pytest.mark.parametrize("address", REFUSED)
async def test_a_name_with_any_refused_address_among_its_answers_is_refused(address: str) -> None:
    guard = UrlGuard(allow_private=False, resolver=FakeResolver("8.8.8.8", address))

    shown = re.escape(f"{ipaddress.ip_address(address)} ")
    with pytest.raises(InvalidInput, match=shown):
        await guard.check("https://hooks.example.com/hook")


async def test_a_name_with_only_public_answers_passes_and_is_resolved_on_its_port() -> None:
    resolver = FakeResolver("8.8.8.8", "2606:4700:4700::1111")
    guard = UrlGuard(allow_private=False, resolver=resolver)

    await guard.check("https://hooks.example.com:8443/hook")

    assert resolver.asked == [("hooks.example.com", 8443)]


async def test_a_name_that_does_not_resolve_is_refused() -> None:
    guard = UrlGuard(allow_private=False, resolver=FakeResolver())

    with pytest.raises(InvalidInput, match="does not resolve"):
        await guard.check("https://nowhere.example.com/hook")


async def test_allow_private_lets_loopback_and_private_hosts_register() -> None:
    resolver = FakeResolver("127.0.0.1")
    guard = UrlGuard(allow_private=True, resolver=resolver)

    for url in ("http://127.0.0.1:9/hook", "https://10.0.0.5/hook", "https://hooks.internal/"):
        await guard.check(url)

    assert guard.allow_http_loopback
