"""The fake unit of work: one 'transaction' on the store, rolled back unless committed."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from tests.unit.fakes.intro_requests import FakeIntroRequests
from tests.unit.fakes.links import FakeActionLinks
from tests.unit.fakes.matching import FakePeopleMatching
from tests.unit.fakes.messages import FakeOutbox, FakeProviderEvents, FakeWebhooks
from tests.unit.fakes.people import FakeApiKeys, FakeConnections, FakePeople, FakeWorkspaces
from tests.unit.fakes.retention import FakeRetention
from tests.unit.fakes.store import FakeStore, StoredData


class FakeUnitOfWork:
    """One 'transaction' on the store: rolls back to the last commit on exit."""

    def __init__(self, store: FakeStore, *, write: bool = True) -> None:
        self.store = store
        self.write = write
        self.committed = 0
        self.workspaces = FakeWorkspaces(store)
        self.api_keys = FakeApiKeys(store)
        self.people = FakePeople(store)
        self.connections = FakeConnections(store)
        self.matching = FakePeopleMatching(store)
        self.requests = FakeIntroRequests(store)
        self.outbox = FakeOutbox(store)
        self.webhooks = FakeWebhooks(store)
        self.provider_events = FakeProviderEvents(store)
        self.action_links = FakeActionLinks(store)
        self.retention = FakeRetention(store)
        self._snapshot: StoredData | None = None

    async def __aenter__(self) -> Self:
        if self._snapshot is not None:
            raise RuntimeError("this unit of work is already in a transaction")
        self._snapshot = self.store.snapshot()
        self.store.counters.transactions += 1
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._snapshot is not None
        self.store.restore(self._snapshot)
        self._snapshot = None

    async def commit(self) -> None:
        if self._snapshot is None:
            raise RuntimeError("commit outside a transaction")
        if not self.write:
            raise RuntimeError("commit in a read-only unit of work")
        self._snapshot = self.store.snapshot()
        self.committed += 1
        self.store.counters.commits += 1


class FakeUnitOfWorkFactory:
    """Matches `UnitOfWorkFactory`: a fresh unit of work on one shared store per call."""

    def __init__(self, store: FakeStore | None = None) -> None:
        self.store = store or FakeStore()
        self.created: list[FakeUnitOfWork] = []

    def __call__(self, *, write: bool = True) -> FakeUnitOfWork:
        uow = FakeUnitOfWork(self.store, write=write)
        self.created.append(uow)
        return uow
