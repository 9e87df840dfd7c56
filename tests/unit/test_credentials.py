"""Credentials and what they let the caller do: the API key format, and the Principal's
rules (an operator may act for anyone; a member token only for its own person)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import cast

import pytest

from tests.unit.fakes import FakeMemberTokenCodec, FakeStore, FakeUnitOfWorkFactory
from warmintro.domain.access import Authenticator, Principal, hash_api_key, new_api_key
from warmintro.domain.errors import InvalidInput, NotPermitted, Unauthenticated
from warmintro.domain.ids import new_id
from warmintro.domain.people import Workspace
from warmintro.domain.ports import ApiKey, UnitOfWorkFactory

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
WORKSPACE = Workspace(id=new_id(), name="Alumni", created_at=T0)
ADA, CYD = uuid.uuid4(), uuid.uuid4()


# ---- API keys -------------------------------------------------------------------------


def test_an_api_key_names_its_workspace_and_carries_32_random_bytes() -> None:
    key = new_api_key(WORKSPACE.id)

    match = re.fullmatch(r"wik_([0-9a-f]{32})_([A-Za-z0-9_-]{43})", key)

    assert match is not None, key
    assert uuid.UUID(hex=match[1]) == WORKSPACE.id
    assert new_api_key(WORKSPACE.id) != key


def _authenticator_with(key: str) -> tuple[Authenticator, FakeStore]:
    store = FakeStore()
    store.data.workspaces[WORKSPACE.id] = WORKSPACE
    store.data.api_keys[(WORKSPACE.id, hash_api_key(key))] = ApiKey(new_id(), WORKSPACE.id, "", T0)
    # The fakes lag behind the ports; the Authenticator uses only what they have.
    uows = cast(UnitOfWorkFactory, FakeUnitOfWorkFactory(store))
    return Authenticator(uows, FakeMemberTokenCodec(T0)), store


async def test_a_key_whose_secret_has_32_characters_is_well_formed() -> None:
    key = f"wik_{WORKSPACE.id.hex}_{'s' * 32}"
    auth, _ = _authenticator_with(key)

    principal = await auth.authenticate(key, None)

    assert principal.workspace == WORKSPACE


async def test_a_key_whose_secret_has_31_characters_is_refused_unread() -> None:
    key = f"wik_{WORKSPACE.id.hex}_{'s' * 31}"
    auth, store = _authenticator_with(key)

    with pytest.raises(Unauthenticated):
        await auth.authenticate(key, None)

    assert store.counters.api_key_lookups == 0


# ---- the Principal ----------------------------------------------------------------------


def test_only_an_api_key_is_an_operator() -> None:
    Principal(WORKSPACE, None, operator=True).require_operator()
    Principal(WORKSPACE, ADA, operator=True).require_operator()

    with pytest.raises(NotPermitted):
        Principal(WORKSPACE, ADA, operator=False).require_operator()


def test_an_operator_may_act_on_any_person_whoever_it_acts_for() -> None:
    Principal(WORKSPACE, None, operator=True).require_self_or_operator(ADA)
    Principal(WORKSPACE, CYD, operator=True).require_self_or_operator(ADA)


def test_a_member_may_act_on_its_own_person() -> None:
    Principal(WORKSPACE, ADA, operator=False).require_self_or_operator(ADA)


def test_a_member_may_not_act_on_another_person() -> None:
    with pytest.raises(NotPermitted):
        Principal(WORKSPACE, ADA, operator=False).require_self_or_operator(CYD)


def test_the_actor_is_the_person_acted_for() -> None:
    assert Principal(WORKSPACE, ADA, operator=True).actor() == ADA
    assert Principal(WORKSPACE, ADA, operator=False).actor() == ADA


def test_an_api_key_taking_a_party_decision_must_name_the_person() -> None:
    with pytest.raises(InvalidInput) as info:
        Principal(WORKSPACE, None, operator=True).actor()

    assert info.value.facts["field"] == "X-On-Behalf-Of"
