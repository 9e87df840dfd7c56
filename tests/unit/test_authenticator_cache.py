"""What the Authenticator remembers between requests, for whom, and for how long.

The cache keeps the hot path free of queries; it must never hand one caller another
caller's workspace; a revoked key lingers at most its TTL, an erased member not at all.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from tests.unit.fakes import FakeMemberTokenCodec, FakeStore, FakeUnitOfWorkFactory
from warmintro.domain import access
from warmintro.domain.access import Authenticator, hash_api_key, new_api_key
from warmintro.domain.errors import Unauthenticated
from warmintro.domain.ids import new_id
from warmintro.domain.people import Person, Workspace
from warmintro.domain.ports import ApiKey, UnitOfWorkFactory

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class HandMovedMonotonic:
    """Stands in for the `time` module the Authenticator reads its TTLs from."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def monotonic(self) -> float:
        return self.seconds


@pytest.fixture
def ticks(monkeypatch: pytest.MonkeyPatch) -> HandMovedMonotonic:
    clock = HandMovedMonotonic()
    monkeypatch.setattr(access, "time", clock)
    return clock


class Tenants:
    """Workspaces with API keys and members on fakes, and an Authenticator over them."""

    def __init__(self, **options: Any) -> None:
        """`options` go to the Authenticator (ttl_seconds, max_entries); none means its defaults."""
        self.store = FakeStore()
        self.uows = FakeUnitOfWorkFactory(self.store)
        self.tokens = FakeMemberTokenCodec(T0)
        # The fakes lag behind the ports (provider_events, a few repository methods);
        # the Authenticator uses only workspaces, api_keys and people.get.
        self.auth = Authenticator(cast(UnitOfWorkFactory, self.uows), self.tokens, **options)

    def workspace(self, name: str) -> Workspace:
        workspace = Workspace(id=new_id(), name=name, created_at=T0)
        self.store.data.workspaces[workspace.id] = workspace
        return workspace

    def key(self, workspace: Workspace) -> str:
        key = new_api_key(workspace.id)
        self.store.data.api_keys[(workspace.id, hash_api_key(key))] = ApiKey(
            new_id(), workspace.id, "", T0
        )
        return key

    def member_token(self, workspace: Workspace) -> tuple[uuid.UUID, str]:
        person = Person(
            id=new_id(),
            workspace_id=workspace.id,
            email=f"{uuid.uuid4().hex[:8]}@example.org",
            name="Ada",
            created_at=T0,
            updated_at=T0,
        )
        self.store.data.people[(workspace.id, person.id)] = person
        token, _ = self.tokens.mint(workspace.id, person.id, timedelta(hours=1))
        return person.id, token

    @property
    def key_lookups(self) -> int:
        return self.store.counters.api_key_lookups

    @property
    def workspace_lookups(self) -> int:
        return self.store.counters.workspace_lookups


# ---- whose entry is whose -----------------------------------------------------------


async def test_members_of_two_workspaces_each_keep_their_own_workspace() -> None:
    t = Tenants()
    alumni, makers = t.workspace("Alumni"), t.workspace("Makers")
    ada, ada_token = t.member_token(alumni)
    bo, bo_token = t.member_token(makers)

    for _ in range(2):  # the second round comes from the cache
        first = await t.auth.authenticate(ada_token, None)
        second = await t.auth.authenticate(bo_token, None)
        assert (first.workspace, first.person_id) == (alumni, ada)
        assert (second.workspace, second.person_id) == (makers, bo)


async def test_two_members_of_one_workspace_are_remembered_separately() -> None:
    t = Tenants()
    alumni = t.workspace("Alumni")
    _, ada_token = t.member_token(alumni)
    _, cyd_token = t.member_token(alumni)
    await t.auth.authenticate(ada_token, None)

    await t.auth.authenticate(cyd_token, None)

    assert t.workspace_lookups == 2


async def test_a_cached_member_token_still_resolves_to_its_workspace() -> None:
    t = Tenants()
    alumni = t.workspace("Alumni")
    _, token = t.member_token(alumni)
    await t.auth.authenticate(token, None)

    cached = await t.auth.authenticate(token, None)

    assert cached.workspace == alumni
    assert t.workspace_lookups == 1


async def test_keys_of_two_workspaces_each_keep_their_own_workspace() -> None:
    t = Tenants()
    alumni, makers = t.workspace("Alumni"), t.workspace("Makers")
    alumni_key, makers_key = t.key(alumni), t.key(makers)

    for _ in range(2):
        assert (await t.auth.authenticate(alumni_key, None)).workspace == alumni
        assert (await t.auth.authenticate(makers_key, None)).workspace == makers


async def test_lookups_only_read() -> None:
    t = Tenants()
    alumni = t.workspace("Alumni")
    _, token = t.member_token(alumni)

    await t.auth.authenticate(t.key(alumni), None)
    await t.auth.authenticate(token, None)

    assert len(t.uows.created) == 2
    assert [uow.write for uow in t.uows.created] == [False, False]


# ---- for how long --------------------------------------------------------------------


async def test_a_key_is_trusted_from_the_cache_for_thirty_seconds_by_default(
    ticks: HandMovedMonotonic,
) -> None:
    t = Tenants()
    key = t.key(t.workspace("Alumni"))
    await t.auth.authenticate(key, None)

    ticks.seconds += 29.5
    await t.auth.authenticate(key, None)
    assert t.key_lookups == 1

    ticks.seconds += 0.5
    await t.auth.authenticate(key, None)
    assert t.key_lookups == 2


async def test_a_member_is_trusted_from_the_cache_until_its_ttl_ends(
    ticks: HandMovedMonotonic,
) -> None:
    t = Tenants(ttl_seconds=10)
    _, token = t.member_token(t.workspace("Alumni"))
    await t.auth.authenticate(token, None)

    ticks.seconds += 9.5
    await t.auth.authenticate(token, None)
    assert t.workspace_lookups == 1

    ticks.seconds += 0.5
    await t.auth.authenticate(token, None)
    assert t.workspace_lookups == 2


async def test_a_zero_ttl_caches_nothing_even_within_one_clock_tick(
    ticks: HandMovedMonotonic,
) -> None:
    t = Tenants(ttl_seconds=0)
    alumni = t.workspace("Alumni")
    key = t.key(alumni)
    _, token = t.member_token(alumni)

    for _ in range(2):
        await t.auth.authenticate(key, None)
        await t.auth.authenticate(token, None)

    assert t.key_lookups == 2
    assert t.workspace_lookups == 4  # a key and a token lookup each time


async def test_an_erased_member_is_refused_at_once_though_the_workspace_is_cached(
    ticks: HandMovedMonotonic,
) -> None:
    t = Tenants(ttl_seconds=30)
    alumni = t.workspace("Alumni")
    ada, token = t.member_token(alumni)
    await t.auth.authenticate(token, None)
    person = t.store.data.people[(alumni.id, ada)]
    t.store.data.people[(alumni.id, ada)] = person.erased(T0)

    ticks.seconds += 0.001  # well within the TTL, and no forget() was called

    with pytest.raises(Unauthenticated):
        await t.auth.authenticate(token, None)


async def test_a_deleted_member_is_refused_at_once() -> None:
    t = Tenants()
    alumni = t.workspace("Alumni")
    ada, token = t.member_token(alumni)
    await t.auth.authenticate(token, None)
    del t.store.data.people[(alumni.id, ada)]

    with pytest.raises(Unauthenticated):
        await t.auth.authenticate(token, None)


# ---- how much -----------------------------------------------------------------------


async def test_a_full_key_cache_starts_over() -> None:
    t = Tenants(max_entries=2)
    alumni = t.workspace("Alumni")
    first, second, third = t.key(alumni), t.key(alumni), t.key(alumni)
    await t.auth.authenticate(first, None)
    await t.auth.authenticate(second, None)
    await t.auth.authenticate(first, None)
    assert t.key_lookups == 2  # two entries fit

    await t.auth.authenticate(third, None)  # the cache is full: emptied, then the third
    await t.auth.authenticate(first, None)

    assert t.key_lookups == 4


async def test_a_full_member_cache_starts_over() -> None:
    t = Tenants(max_entries=1)
    alumni = t.workspace("Alumni")
    _, ada_token = t.member_token(alumni)
    _, cyd_token = t.member_token(alumni)
    await t.auth.authenticate(ada_token, None)
    await t.auth.authenticate(cyd_token, None)

    await t.auth.authenticate(ada_token, None)

    assert t.workspace_lookups == 3
