"""Request counts against the rate limits, kept by the `limits` library: in memory
for one process, in Redis when several processes share the limits.

Counters are keyed by a hash of who is counted (a credential, a client address):
no credential or address is ever written to the storage. The limits protect the
service; they are not worth an outage. When the storage does not answer, every
request passes: one warning when that starts, one line when it answers again, and
meanwhile the storage is asked again only every few seconds.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from enum import Enum
from urllib.parse import urlsplit

import limits
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import (
    FixedWindowRateLimiter,
    MovingWindowRateLimiter,
    RateLimiter,
    SlidingWindowCounterRateLimiter,
)
from limits.errors import StorageError
from limits.storage import storage_from_string

from warmintro.infra.settings import Settings

log = logging.getLogger("warmintro.rate_limits")

STRATEGIES: dict[str, Callable[[Storage], RateLimiter]] = {
    "moving-window": MovingWindowRateLimiter,
    "fixed-window": FixedWindowRateLimiter,
    "sliding-window-counter": SlidingWindowCounterRateLimiter,
}
STORAGE_TIMEOUT_SECONDS = 1.0
"""A storage slower than this counts as down: a limit must not stall the request."""
PAUSE_SECONDS = 5.0
"""How long requests pass unlimited, without asking the storage, after it failed."""
SWEEP_SECONDS = 1.0
"""How often, at most, the memory storage drops counts whose windows have passed."""


class Rule(Enum):
    """What is counted, and for whom."""

    API_KEY = "api_key"
    MEMBER = "member"
    LINK_PAGES = "link_pages"
    AUTH_FAILURES = "auth_failures"


def storage_uri(setting: str) -> str:
    """`RATE_LIMIT_STORAGE` as the `limits` library names its asyncio storages:
    `redis://…` becomes `async+redis://…`."""
    return setting if setting.startswith("async+") else f"async+{setting}"


def _counted_as(who: str) -> str:
    return hashlib.sha256(who.encode()).hexdigest()[:32]


class RateLimits:
    """Counts requests under each `Rule`'s limits (all must hold) and says how long
    a caller over one must wait, in whole seconds."""

    def __init__(
        self,
        storage: Storage,
        rules: Mapping[Rule, Sequence[limits.RateLimitItem]],
        strategy: str = "moving-window",
        *,
        monotonic: Callable[[], float] = time.monotonic,
        where: str = "memory",
    ) -> None:
        self._storage = storage
        self._limiter = STRATEGIES[strategy](storage)
        self._rules = {rule: tuple(items) for rule, items in rules.items() if items}
        self._monotonic = monotonic
        self._where = where
        self._down_until: float | None = None

    def applies(self, rule: Rule) -> bool:
        return rule in self._rules

    async def take(self, rule: Rule, who: str) -> int | None:
        """Counts one request of `who`: None if every limit allows it, else the
        seconds until the fullest window frees (the request is then not counted
        under the limit it broke)."""
        return await self._guarded(rule, who, self._limiter.hit)

    async def spent(self, rule: Rule, who: str) -> int | None:
        """Whether `who` has used up a limit, without counting anything: None if
        not, else the seconds to wait."""
        return await self._guarded(rule, who, self._limiter.test)

    def close(self) -> None:
        """Closes the connections to a Redis storage (memory storage holds none)."""
        # `limits` offers no close; its Redis storage keeps the client on its bridge.
        client = getattr(getattr(self._storage, "bridge", None), "storage", None)
        pool = getattr(client, "connection_pool", None)
        if pool is not None:
            pool.disconnect()

    async def clear(self) -> None:
        """Forgets every count under this service's key prefix."""
        await self._storage.reset()

    async def _guarded(
        self,
        rule: Rule,
        who: str,
        step: Callable[[limits.RateLimitItem, str, str], Awaitable[bool]],
    ) -> int | None:
        items = self._rules.get(rule)
        if not items:
            return None
        if self._down_until is not None and self._monotonic() < self._down_until:
            return None
        try:
            wait = await self._count(items, rule.value, _counted_as(who), step)
        except (StorageError, OSError) as exc:
            if self._down_until is None:
                log.warning(
                    "rate limits are off: their storage (%s) does not answer (%s); "
                    "requests pass unlimited until it does",
                    self._where,
                    getattr(exc, "storage_error", exc),
                )
            self._down_until = self._monotonic() + PAUSE_SECONDS
            return None
        if self._down_until is not None:
            log.warning("rate limits are on again: their storage (%s) answers", self._where)
            self._down_until = None
        return wait

    async def _count(
        self,
        items: Sequence[limits.RateLimitItem],
        rule: str,
        who: str,
        step: Callable[[limits.RateLimitItem, str, str], Awaitable[bool]],
    ) -> int | None:
        waits = []
        for item in items:
            if not await step(item, rule, who):
                stats = await self._limiter.get_window_stats(item, rule, who)
                # The library's windows run on the wall clock.
                waits.append(max(1, math.ceil(stats.reset_time - time.time())))
        return max(waits) if waits else None


class SweepingMemory(MemoryStorage):
    """`limits`' storage in this process's memory, sweeping expired counts out at most
    once a second. The library sweeps after every hit, and hands each key's entries
    to a thread to find where they expire: a thread hand-off per key per request
    (about 2% of a create's profile, and a thread wake-up each). A hit never depends
    on the sweep (it compares timestamps); only the memory held does."""

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **_: str) -> None:
        self.swept_at = -math.inf  # before the library's constructor schedules a sweep
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **_)

    async def _MemoryStorage__schedule_expiry(self) -> None:  # the library's, as mangled
        now = time.monotonic()
        if now - self.swept_at >= SWEEP_SECONDS:
            self.swept_at = now
            await super()._MemoryStorage__schedule_expiry()  # type: ignore[misc]


def rate_limits_from(settings: Settings) -> RateLimits:
    uri = storage_uri(settings.rate_limit_storage)
    parts = urlsplit(uri)
    storage: Storage
    if parts.scheme == "async+memory":
        storage = SweepingMemory(uri, wrap_exceptions=True)
    else:
        shared = storage_from_string(
            uri,
            key_prefix=settings.rate_limit_key_prefix,
            wrap_exceptions=True,
            connect_timeout=STORAGE_TIMEOUT_SECONDS,
            stream_timeout=STORAGE_TIMEOUT_SECONDS,
        )
        assert isinstance(shared, Storage)
        storage = shared
    rules = {
        Rule.API_KEY: settings.rate_limit_per_api_key,
        Rule.MEMBER: settings.rate_limit_per_member,
        Rule.LINK_PAGES: settings.rate_limit_per_ip_links,
        Rule.AUTH_FAILURES: settings.rate_limit_auth_failures_per_ip,
    }
    # Never the password: only where the storage is.
    where = f"{parts.scheme.removeprefix('async+')}://{parts.hostname or ''}" + (
        f":{parts.port}" if parts.port else ""
    )
    return RateLimits(
        storage,
        {rule: limits.parse_many(text) if text.strip() else [] for rule, text in rules.items()},
        settings.rate_limit_strategy,
        where=where,
    )
