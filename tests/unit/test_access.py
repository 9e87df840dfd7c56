"""Authenticator: API keys (hashed, cached) and member tokens, on fakes."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest

from tests.clock import FakeClock
from tests.unit.fakes import FakeMemberTokenCodec, FakeStore, FakeUnitOfWorkFactory
from warmintro.domain.access import Authenticator, hash_api_key, new_api_key
from warmintro.domain.errors import InvalidInput, Unauthenticated
from warmintro.domain.ids import new_id
from warmintro.domain.people import Person, Workspace
from warmintro.domain.ports import ApiKey


class Keys:
    """A workspace with one API key and one member, and an Authenticator over fakes."""

    def __init__(self, ttl_seconds: float = 30.0) -> None:
        self.clock = FakeClock()
        self.store = FakeStore()
        self.uows = FakeUnitOfWorkFactory(self.store)
        self.tokens = FakeMemberTokenCodec(self.clock.now())
        self.auth = Authenticator(self.uows, self.tokens, ttl_seconds=ttl_seconds)
        self.workspace = self.add_workspace("Alumni")
        self.key = self.add_key(self.workspace)
        self.member = Person(
            id=new_id(),
            workspace_id=self.workspace.id,
            email="ada@example.org",
            name="Ada",
            created_at=self.clock.now(),
            updated_at=self.clock.now(),
        )
        self.store.data.people[(self.workspace.id, self.member.id)] = self.member

    def add_workspace(self, name: str) -> Workspace:
        workspace = Workspace(id=new_id(), name=name, created_at=self.clock.now())
        self.store.data.workspaces[workspace.id] = workspace
        return workspace

    def add_key(self, workspace: Workspace) -> str:
        key = new_api_key(workspace.id)
        self.store.data.api_keys[(workspace.id, hash_api_key(key))] = ApiKey(
            new_id(), workspace.id, "", self.clock.now()
        )
        return key

    def token(self, person_id: uuid.UUID | None = None) -> str:
        token, _ = self.tokens.mint(
            self.workspace.id, person_id or self.member.id, timedelta(hours=1)
        )
        return token

    @property
    def lookups(self) -> int:
        return self.store.counters.api_key_lookups


@pytest.fixture
def k() -> Keys:
    return Keys()


# ---- API keys ----------------------------------------------------------------


async def test_a_valid_api_key_is_an_operator_of_its_workspace(k: Keys) -> None:
    principal = await k.auth.authenticate(k.key, None)

    assert principal.workspace == k.workspace
    assert principal.operator is True
    assert principal.person_id is None
    assert k.lookups == 1


@pytest.mark.parametrize("bearer", [None, ""])
async def test_missing_credentials_are_unauthenticated(k: Keys, bearer: str | None) -> None:
    with pytest.raises(Unauthenticated):
        await k.auth.authenticate(bearer, None)


@pytest.mark.parametrize(
    "make",
    [
        lambda ws: "wik_",
        lambda ws: f"wik_{ws.hex}",
        lambda ws: f"wik_{ws.hex}_short",
        lambda ws: f"wik_not-a-workspace_{'x' * 43}",
        lambda ws: f"wik__{'x' * 43}",
    ],
    ids=["prefix-only", "no-secret", "short-secret", "bad-workspace", "empty-workspace"],
)
async def test_a_malformed_api_key_is_unauthenticated_without_a_lookup(
    k: Keys, make: Callable[[uuid.UUID], str]
) -> None:
    with pytest.raises(Unauthenticated):
        await k.auth.authenticate(make(k.workspace.id), None)

    assert k.lookups == 0
    assert k.uows.created == []


async def test_an_unknown_api_key_is_unauthenticated(k: Keys) -> None:
    forged = new_api_key(k.workspace.id)

    with pytest.raises(Unauthenticated):
        await k.auth.authenticate(forged, None)

    assert k.lookups == 1


async def test_a_key_under_another_workspace_id_is_unknown(k: Keys) -> None:
    other = k.add_workspace("Other")
    secret = k.key.split("_", 2)[2]

    with pytest.raises(Unauthenticated):
        await k.auth.authenticate(f"wik_{other.id.hex}_{secret}", None)


async def test_a_revoked_key_is_unauthenticated(k: Keys) -> None:
    k.store.data.revoked_keys.add((k.workspace.id, hash_api_key(k.key)))

    with pytest.raises(Unauthenticated):
        await k.auth.authenticate(k.key, None)


async def test_a_key_whose_workspace_is_gone_is_unauthenticated(k: Keys) -> None:
    del k.store.data.workspaces[k.workspace.id]

    with pytest.raises(Unauthenticated):
        await k.auth.authenticate(k.key, None)


async def test_a_cached_key_needs_no_second_lookup(k: Keys) -> None:
    first = await k.auth.authenticate(k.key, None)
    transactions = k.store.counters.transactions

    second = await k.auth.authenticate(k.key, None)

    assert second == first
    assert k.lookups == 1
    assert k.store.counters.transactions == transactions


async def test_an_expired_cache_entry_is_looked_up_again() -> None:
    k = Keys(ttl_seconds=0)
    await k.auth.authenticate(k.key, None)

    await k.auth.authenticate(k.key, None)

    assert k.lookups == 2


async def test_forget_empties_the_cache(k: Keys) -> None:
    await k.auth.authenticate(k.key, None)
    k.auth.forget()

    await k.auth.authenticate(k.key, None)

    assert k.lookups == 2


async def test_a_revoked_key_stays_valid_only_until_the_cache_forgets(k: Keys) -> None:
    await k.auth.authenticate(k.key, None)
    k.store.data.revoked_keys.add((k.workspace.id, hash_api_key(k.key)))
    await k.auth.authenticate(k.key, None)  # still cached

    k.auth.forget()

    with pytest.raises(Unauthenticated):
        await k.auth.authenticate(k.key, None)


async def test_an_api_key_acts_on_behalf_of_a_person(k: Keys) -> None:
    person = uuid.uuid4()

    principal = await k.auth.authenticate(k.key, str(person))

    assert principal.person_id == person
    assert principal.operator is True


@pytest.mark.parametrize("value", ["ada", "123", "not-a-uuid-at-all"])
async def test_on_behalf_of_that_is_not_a_uuid_is_invalid_input(k: Keys, value: str) -> None:
    with pytest.raises(InvalidInput) as info:
        await k.auth.authenticate(k.key, value)
    assert info.value.facts["field"] == "X-On-Behalf-Of"


# ---- member tokens -------------------------------------------------------------


async def test_a_member_token_acts_for_its_person_only(k: Keys) -> None:
    principal = await k.auth.authenticate(k.token(), None)

    assert principal.workspace == k.workspace
    assert principal.person_id == k.member.id
    assert principal.operator is False


async def test_a_member_token_with_its_own_person_on_behalf_of_is_accepted(k: Keys) -> None:
    principal = await k.auth.authenticate(k.token(), str(k.member.id))
    assert principal.person_id == k.member.id


async def test_a_member_token_on_behalf_of_someone_else_is_invalid_input(k: Keys) -> None:
    with pytest.raises(InvalidInput) as info:
        await k.auth.authenticate(k.token(), str(uuid.uuid4()))
    assert info.value.facts["field"] == "X-On-Behalf-Of"


async def test_a_member_token_with_a_malformed_on_behalf_of_is_invalid_input(k: Keys) -> None:
    with pytest.raises(InvalidInput):
        await k.auth.authenticate(k.token(), "someone")


async def test_a_forged_member_token_is_unauthenticated(k: Keys) -> None:
    with pytest.raises(Unauthenticated):
        await k.auth.authenticate("eyJhbGciOiJub25lIn0.e30.", None)


async def test_a_token_for_an_erased_person_is_unauthenticated(k: Keys) -> None:
    token = k.token()
    erased = k.member.erased(k.clock.now())
    k.store.data.people[(k.workspace.id, k.member.id)] = erased

    with pytest.raises(Unauthenticated):
        await k.auth.authenticate(token, None)


async def test_a_token_for_an_unknown_person_is_unauthenticated(k: Keys) -> None:
    with pytest.raises(Unauthenticated):
        await k.auth.authenticate(k.token(uuid.uuid4()), None)


async def test_a_token_for_a_workspace_that_is_gone_is_unauthenticated(k: Keys) -> None:
    token = k.token()
    del k.store.data.workspaces[k.workspace.id]

    with pytest.raises(Unauthenticated):
        await k.auth.authenticate(token, None)


async def test_a_cached_member_needs_one_read_of_the_person_and_no_workspace_lookup(
    k: Keys,
) -> None:
    await k.auth.authenticate(k.token(), None)
    transactions = k.store.counters.transactions

    await k.auth.authenticate(k.token(), None)

    assert k.store.counters.transactions == transactions + 1  # is the person still there
    assert k.store.counters.workspace_lookups == 1
