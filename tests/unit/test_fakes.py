"""The fakes keep the promises of the ports they stand in for, or the handler tests lie."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.unit.fakes import FakeStore, FakeUnitOfWork, FakeUnitOfWorkFactory
from warmintro.domain.errors import AlreadyExists, ConcurrentUpdate, DuplicateRequest
from warmintro.domain.ids import new_id
from warmintro.domain.intro_request import DeclineReason, IntroRequest, Role, State
from warmintro.domain.people import Person, Timing
from warmintro.domain.ports import UnitOfWork, UnitOfWorkFactory

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


def request(
    asker: uuid.UUID, connector: uuid.UUID, topic: str = "Pricing", now: datetime = T0
) -> IntroRequest:
    return IntroRequest.open_new(
        workspace_id=WS,
        asker_id=asker,
        connector_id=connector,
        topic=topic,
        message="blurb",
        now=now,
        timing=Timing(),
    )


def test_the_fakes_satisfy_the_protocols() -> None:
    factory: UnitOfWorkFactory = FakeUnitOfWorkFactory()
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


async def test_an_email_is_unique_per_workspace_case_insensitively() -> None:
    store = FakeStore()
    async with FakeUnitOfWork(store) as uow:
        await uow.people.add(person("ada"))
        twin = person("ada")
        with pytest.raises(AlreadyExists):
            await uow.people.add(
                Person(
                    id=twin.id,
                    workspace_id=WS,
                    email="ADA@example.org",
                    name="Ada",
                    created_at=T0,
                    updated_at=T0,
                )
            )


async def test_add_refuses_an_open_duplicate_but_not_a_closed_one() -> None:
    store = FakeStore()
    asker, connector = uuid.uuid4(), uuid.uuid4()
    async with FakeUnitOfWork(store) as uow:
        first = request(asker, connector, "Pricing")
        await uow.requests.add(first)
        with pytest.raises(DuplicateRequest):
            await uow.requests.add(request(asker, connector, "  pricing "))
        loaded = await uow.requests.get(WS, first.id)
        assert loaded is not None
        loaded.cancel(asker, T0)
        await uow.requests.save(loaded)
        await uow.requests.add(request(asker, connector, "pricing"))


async def test_save_refuses_a_stale_version() -> None:
    store = FakeStore()
    asker, connector = uuid.uuid4(), uuid.uuid4()
    async with FakeUnitOfWork(store) as uow:
        created = request(asker, connector)
        await uow.requests.add(created)
        mine = await uow.requests.get(WS, created.id)
        theirs = await uow.requests.get(WS, created.id)
        assert mine is not None and theirs is not None
        theirs.cancel(asker, T0)
        await uow.requests.save(theirs)
        mine.decline(connector, DeclineReason.BUSY, "", T0, Timing())

        with pytest.raises(ConcurrentUpdate):
            await uow.requests.save(mine)

        stored = await uow.requests.get(WS, created.id)
        assert stored is not None
        assert stored.state is State.CANCELLED
        assert stored.version == 1


async def test_get_returns_a_detached_copy_without_pending_events() -> None:
    store = FakeStore()
    asker, connector = uuid.uuid4(), uuid.uuid4()
    async with FakeUnitOfWork(store) as uow:
        created = request(asker, connector)
        await uow.requests.add(created)
        loaded = await uow.requests.get(WS, created.id)
        assert loaded is not None
        assert loaded.events == []
        loaded.cancel(asker, T0)
        again = await uow.requests.get(WS, created.id)
        assert again is not None
        assert again.state is State.AWAITING_CONNECTOR
        assert [e.type for e in await uow.requests.events(WS, created.id)] == [
            "intro_request.created"
        ]


async def test_load_counts_the_asks_waiting_on_a_person() -> None:
    store = FakeStore()
    connector = uuid.uuid4()
    async with FakeUnitOfWork(store) as uow:
        for hours in (5, 1, 3):
            await uow.requests.add(
                request(uuid.uuid4(), connector, now=T0 + timedelta(hours=hours))
            )
        load = await uow.requests.load(WS, connector, Role.CONNECTOR)
        assert load.count == 3
        assert load.earliest_deadline == T0 + timedelta(hours=1, days=5)
        assert (await uow.requests.load(WS, connector, Role.EXPERT)).count == 0


async def test_search_pages_newest_first_by_id() -> None:
    store = FakeStore()
    asker = uuid.uuid4()
    async with FakeUnitOfWork(store) as uow:
        ids = []
        for i in range(5):
            created = request(asker, uuid.uuid4(), f"topic {i}")
            ids.append(created.id)
            await uow.requests.add(created)
        first = await uow.requests.search(
            WS, person_id=asker, role=Role.ASKER, state=None, after=None, limit=3
        )
        rest = await uow.requests.search(
            WS, person_id=asker, role=Role.ASKER, state=None, after=first.next_after, limit=3
        )
        as_connector = await uow.requests.search(
            WS, person_id=asker, role=Role.CONNECTOR, state=None, after=None, limit=3
        )
    assert [r.id for r in first.items + rest.items] == sorted(ids, reverse=True)
    assert first.next_after == first.items[-1].id
    assert rest.next_after is None
    assert as_connector.items == []
