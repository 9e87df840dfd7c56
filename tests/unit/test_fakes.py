"""The fakes satisfy their ports, and keep the books the handler tests read.

What they promise through the ports (rollback, unique emails, open asks, stale
versions, keyset pages) is the repository contract in tests/integration/repositories,
which runs on the fakes as on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from tests.clock import FakeClock
from tests.unit.fakes import (
    FakeApiKeys,
    FakeConnections,
    FakeIntroRequests,
    FakeMemberTokenCodec,
    FakeOutbox,
    FakePeople,
    FakeProviderEvents,
    FakeRetention,
    FakeStore,
    FakeUnitOfWork,
    FakeUnitOfWorkFactory,
    FakeWebhooks,
    FakeWorkspaces,
)
from warmintro.domain.ids import new_id
from warmintro.domain.people import Person
from warmintro.domain.ports import (
    ApiKeyRepository,
    Clock,
    ConnectionRepository,
    IntroRequestRepository,
    MemberTokenCodec,
    Outbox,
    PersonRepository,
    ProviderEventLog,
    Retention,
    UnitOfWork,
    UnitOfWorkFactory,
    WebhookRepository,
    WorkspaceRepository,
)

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
WS = uuid.uuid4()


def person(name: str) -> Person:
    return Person(
        id=new_id(),
        workspace_id=WS,
        email=f"{name}@example.org",
        name=name,
        created_at=T0,
        updated_at=T0,
    )


def test_the_fakes_satisfy_the_protocols() -> None:
    """A static check: mypy --strict (which ./scripts/test runs over the tests) accepts
    each assignment below only if the fake has every member of its protocol in
    `warmintro.domain.ports` with a compatible signature, so a fake that drifts from
    its port fails the type check. At run time: the factory hands out fakes."""
    store = FakeStore()
    ports: tuple[
        WorkspaceRepository,
        ApiKeyRepository,
        PersonRepository,
        ConnectionRepository,
        IntroRequestRepository,
        Outbox,
        WebhookRepository,
        ProviderEventLog,
        Retention,
        MemberTokenCodec,
        Clock,
    ] = (
        FakeWorkspaces(store),
        FakeApiKeys(store),
        FakePeople(store),
        FakeConnections(store),
        FakeIntroRequests(store),
        FakeOutbox(store),
        FakeWebhooks(store),
        FakeProviderEvents(store),
        FakeRetention(store),
        FakeMemberTokenCodec(T0),
        FakeClock(T0),
    )
    assert len(ports) == 11
    factory: UnitOfWorkFactory = FakeUnitOfWorkFactory(store)
    uow: UnitOfWork = factory(write=False)
    assert isinstance(uow, FakeUnitOfWork)
    assert uow.write is False


async def test_uncommitted_work_is_rolled_back() -> None:
    store = FakeStore()
    async with FakeUnitOfWork(store) as uow:
        await uow.people.add(person("ada"))
    assert store.data.people == {}
    assert uow.committed == 0


async def test_a_raising_use_case_rolls_back() -> None:
    store = FakeStore()
    with pytest.raises(RuntimeError):
        async with FakeUnitOfWork(store) as uow:
            await uow.people.add(person("ada"))
            raise RuntimeError("boom")
    assert store.data.people == {}


async def test_committed_work_stays_and_later_work_rolls_back() -> None:
    store = FakeStore()
    ada, bob = person("ada"), person("bob")
    async with FakeUnitOfWork(store) as uow:
        await uow.people.add(ada)
        await uow.commit()
        await uow.people.add(bob)
    assert set(store.data.people) == {(WS, ada.id)}
    assert uow.committed == 1
