"""The rate limits' own rules: several limits all hold, a storage that fails lets
requests pass (one warning per outage, the storage left alone for a while), the
settings refuse what would not parse, and IPv6 clients count by their /64."""

from __future__ import annotations

import asyncio
import logging

import limits
import pytest
from limits.aio.storage import MemoryStorage
from limits.errors import StorageError
from pydantic import ValidationError

from tests.settings import SettingsWithoutEnvFile
from warmintro.api.ratelimit import client_address
from warmintro.infra.rate_limits import (
    PAUSE_SECONDS,
    RateLimits,
    Rule,
    SweepingMemory,
    rate_limits_from,
)


class FlakyStorage(MemoryStorage):
    """Memory storage that fails as an unreachable Redis would while `down`."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.asked = 0

    async def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        self.asked += 1
        if self.down:
            raise StorageError(ConnectionRefusedError(111, "Connection refused"))
        return await super().acquire_entry(key, limit, expiry, amount)


class Monotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def per_key(
    text: str, storage: MemoryStorage | None = None, monotonic: Monotonic | None = None
) -> RateLimits:
    items = {Rule.API_KEY: limits.parse_many(text)}
    return RateLimits(storage or MemoryStorage(), items, monotonic=monotonic or Monotonic())


async def test_every_limit_of_a_rule_holds_and_the_longest_wait_is_given() -> None:
    rates = per_key("5/minute;2/hour")
    assert [await rates.take(Rule.API_KEY, "key") for _ in range(2)] == [None, None]
    wait = await rates.take(Rule.API_KEY, "key")
    assert wait is not None and 3540 < wait <= 3600
    assert await rates.take(Rule.API_KEY, "another key") is None


async def test_spent_tells_without_counting() -> None:
    rates = per_key("2/minute")
    assert await rates.spent(Rule.API_KEY, "key") is None
    assert await rates.spent(Rule.API_KEY, "key") is None
    await rates.take(Rule.API_KEY, "key")
    await rates.take(Rule.API_KEY, "key")
    wait = await rates.spent(Rule.API_KEY, "key")
    assert wait is not None and 1 <= wait <= 60


async def test_a_rule_without_limits_limits_nothing() -> None:
    rates = per_key("1/minute")
    assert not rates.applies(Rule.MEMBER)
    assert [await rates.take(Rule.MEMBER, "token") for _ in range(5)] == [None] * 5


async def test_a_failing_storage_lets_requests_pass_with_one_warning_per_outage(
    caplog: pytest.LogCaptureFixture,
) -> None:
    storage, clock = FlakyStorage(), Monotonic()
    rates = per_key("1/minute", storage, monotonic=clock)
    caplog.set_level(logging.INFO, logger="warmintro.rate_limits")
    storage.down = True
    assert [await rates.take(Rule.API_KEY, "key") for _ in range(5)] == [None] * 5
    assert storage.asked == 1, "left alone while paused"
    clock.now += PAUSE_SECONDS
    assert await rates.take(Rule.API_KEY, "key") is None
    assert storage.asked == 2
    assert [r.getMessage()[:20] for r in caplog.records] == ["rate limits are off:"]

    storage.down = False
    clock.now += PAUSE_SECONDS
    assert await rates.take(Rule.API_KEY, "key") is None
    assert await rates.take(Rule.API_KEY, "key") is not None, "limited again"
    assert caplog.records[-1].getMessage().startswith("rate limits are on again")
    storage.down = True
    await rates.take(Rule.API_KEY, "key")
    assert [r.getMessage()[:20] for r in caplog.records].count("rate limits are off:") == 2


def test_the_defaults_limit_keys_members_link_pages_and_failures() -> None:
    settings = SettingsWithoutEnvFile()
    assert (settings.rate_limit_per_api_key, settings.rate_limit_per_member) == (
        "6000/minute",
        "120/minute",
    )
    assert settings.rate_limit_per_ip_links == "60/minute"
    assert settings.rate_limit_auth_failures_per_ip == "20/minute"
    assert settings.rate_limit_storage == "memory://"
    rates = rate_limits_from(settings)
    assert all(rates.applies(rule) for rule in Rule)


def test_an_empty_limit_turns_it_off() -> None:
    rates = rate_limits_from(SettingsWithoutEnvFile(rate_limit_per_member=""))
    assert not rates.applies(Rule.MEMBER) and rates.applies(Rule.API_KEY)


@pytest.mark.parametrize("text", ["lots", "600 per fortnight", "0/minute", "10/second;x"])
def test_a_limit_that_does_not_parse_is_refused(text: str) -> None:
    with pytest.raises(ValidationError, match="RATE_LIMIT_PER_API_KEY must read like"):
        SettingsWithoutEnvFile(rate_limit_per_api_key=text)


def test_an_unknown_storage_is_refused_without_echoing_its_password() -> None:
    with pytest.raises(ValidationError, match="RATE_LIMIT_STORAGE must be") as refused:
        SettingsWithoutEnvFile(rate_limit_storage="memcached://:hunter2@127.0.0.1:11211")
    assert "hunter2" not in str(refused.value)


@pytest.mark.parametrize(
    ("client", "counted_as"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("testclient", "testclient"),
    ],
)
def test_a_client_is_counted_by_its_address_and_ipv6_by_its_64(
    client: str, counted_as: str
) -> None:
    assert client_address({"type": "http", "client": (client, 1234)}) == counted_as
    assert client_address({"type": "http", "client": None}) == "unknown"


async def test_the_memory_storage_sweeps_out_old_counts_at_most_once_a_second() -> None:
    storage = rate_limits_from(SettingsWithoutEnvFile(rate_limit_per_api_key="3/minute"))
    memory = storage._storage
    assert isinstance(memory, SweepingMemory)
    sweeps = 0
    sweep = memory._MemoryStorage__expire_events  # type: ignore[attr-defined]

    async def counted() -> None:
        nonlocal sweeps
        sweeps += 1
        await sweep()

    memory._MemoryStorage__expire_events = counted  # type: ignore[attr-defined]
    waits = []
    for _ in range(6):
        waits.append(await storage.take(Rule.API_KEY, "key"))
        await asyncio.sleep(0)  # let a sweep scheduled by the hit run
    assert waits[:3] == [None] * 3 and all(waits[3:]), "the limit holds without sweeps"
    assert sweeps == 1, "one sweep for six hits within a second"
