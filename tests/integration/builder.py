"""Domain objects for the repository tests: people and intro requests in one
workspace, each stored in its own committed unit of work, so a test reads only
what it set out to check. Works on any unit of work: the fakes or SQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from warmintro.domain.handlers.env import Env
from warmintro.domain.ids import new_id
from warmintro.domain.intro_request import IntroRequest
from warmintro.domain.people import Person, Timing
from warmintro.domain.ports import Clock, UnitOfWork, UnitOfWorkFactory
from warmintro.domain.use_cases import UseCases
from warmintro.infra.email.addresses import ValidatedEmailAddresses
from warmintro.infra.tokens import ActionTokens, MemberTokens
from warmintro.infra.url_guard import UrlGuard

NOW = datetime(2026, 1, 5, 9, 0, 0, 123456, tzinfo=UTC)
TIMING = Timing()


def later(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)


def use_cases_on(uows: UnitOfWorkFactory, clock: Clock) -> UseCases:
    """The use cases on this storage, with real token codecs and address checks."""
    secret = "integration-tests-" + "k" * 32
    env = Env(
        uows,
        clock,
        MemberTokens(secret, [], clock),
        ActionTokens(secret, [], clock),
        UrlGuard(allow_private=True),
        ValidatedEmailAddresses(),
    )
    return UseCases(env)


class Builder:
    def __init__(self, uows: UnitOfWorkFactory, workspace_id: uuid.UUID) -> None:
        self.uows = uows
        self.workspace_id = workspace_id
        self._n = count()

    def uow(self, *, write: bool = True) -> UnitOfWork:
        return self.uows(write=write)

    def elsewhere(self) -> Builder:
        """A builder for another workspace on the same storage."""
        return Builder(self.uows, new_id())

    def person(self, **fields: Any) -> Person:
        n = next(self._n)
        values: dict[str, Any] = dict(
            id=new_id(),
            workspace_id=self.workspace_id,
            email=f"person{n}@example.com",
            name=f"Person {n}",
            created_at=NOW,
            updated_at=NOW,
        )
        values.update(fields)
        return Person(**values)

    async def add_person(self, **fields: Any) -> Person:
        person = self.person(**fields)
        async with self.uow() as uow:
            await uow.people.add(person)
            await uow.commit()
        return person

    def request(
        self,
        asker: uuid.UUID,
        connector: uuid.UUID,
        topic: str = "hiring rust engineers",
        now: datetime = NOW,
        **fields: Any,
    ) -> IntroRequest:
        return IntroRequest.open_new(
            workspace_id=self.workspace_id,
            asker_id=asker,
            connector_id=connector,
            topic=topic,
            message="I run a small team and would love 20 minutes of advice.",
            now=now,
            timing=TIMING,
            **fields,
        )

    async def add_request(
        self,
        asker: uuid.UUID,
        connector: uuid.UUID,
        topic: str = "hiring rust engineers",
        **fields: Any,
    ) -> IntroRequest:
        request = self.request(asker, connector, topic, **fields)
        async with self.uow() as uow:
            await uow.requests.add(request)
            await uow.commit()
        request.events.clear()  # as the handlers do once the outbox has them
        return request

    async def cancel(self, request_id: uuid.UUID, at: datetime) -> None:
        """The asker withdraws the request, saved and committed."""
        async with self.uow() as uow:
            request = await uow.requests.get(self.workspace_id, request_id)
            assert request is not None
            request.cancel(request.asker_id, at)
            await uow.requests.save(request)
            await uow.commit()

    async def load(self, request_id: uuid.UUID) -> IntroRequest:
        async with self.uow(write=False) as uow:
            request = await uow.requests.get(self.workspace_id, request_id)
        assert request is not None
        return request
