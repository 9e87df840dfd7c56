"""Using an email link is one transaction: the decision and the mark that the link
was used are committed together or not at all.

A crash is simulated where it would hurt most, on a real database: after the
decision has been saved and its emails queued, when the link is marked used (and
the other way round, when the decision's save fails). Either way nothing of the
attempt remains, and the same link still works afterwards.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

import pytest
import sqlalchemy as sa

from tests.workspaces import Workspace as WorkspaceFixture
from warmintro.api.container import Container
from warmintro.domain.access import Principal
from warmintro.domain.action_links import Purpose, token_hash
from warmintro.domain.commands import (
    CreateIntroRequest,
    CreatePerson,
    Decline,
    Propose,
    UseActionLink,
)
from warmintro.domain.intro_request import DeclineReason, State
from warmintro.domain.use_cases import UseCases
from warmintro.infra.repositories.action_links import SqlActionLinks
from warmintro.infra.repositories.intro_requests import SqlIntroRequests
from warmintro.infra.tables import action_links, events, outbox
from warmintro.infra.uow import SqlUnitOfWork


class Crash(Exception):
    """The process dying mid-use-case, as far as the transaction can tell."""


class CrashWhenMarkingUsed(SqlActionLinks):
    async def mark_used(self, *args: object, **kwargs: object) -> None:
        raise Crash("the process died before the link was marked used")


class CrashWhenSavingTheDecision(SqlIntroRequests):
    async def save(self, *args: object, **kwargs: object) -> None:
        raise Crash("the process died while saving the decision")


class CrashingUnitOfWork(SqlUnitOfWork):
    """The real unit of work with one repository that dies at the step named."""

    def __init__(self, container: Container, step: str, *, write: bool = True) -> None:
        super().__init__(container.engine, write=write)
        self._step = step

    async def __aenter__(self) -> CrashingUnitOfWork:
        await super().__aenter__()
        assert self._conn is not None
        if self._step == "mark_used":
            self.action_links = CrashWhenMarkingUsed(self._conn)
        else:
            self.requests = CrashWhenSavingTheDecision(self._conn)
        return self


def crashing(container: Container, step: str) -> UseCases:
    def uows(*, write: bool = True) -> CrashingUnitOfWork:
        return CrashingUnitOfWork(container, step, write=write)

    return UseCases(replace(container.use_cases.env, uows=uows))


@dataclass
class Scene:
    request_id: uuid.UUID
    connector: uuid.UUID
    expert: uuid.UUID
    token: str


async def scene(container: Container, workspace: WorkspaceFixture) -> Scene:
    """An ask waiting on its connector, and the link their email would carry."""
    async with container.uow(write=False) as uow:
        ws = await uow.workspaces.get(workspace.id)
    assert ws is not None
    operator = Principal(ws, None, operator=True)
    ids = []
    for name in ("Ann Asker", "Cat Connector", "Eve Expert"):
        email = f"{name.split()[0].lower()}-{uuid.uuid4().hex[:8]}@example.com"
        ids.append((await container.use_cases(CreatePerson(email=email, name=name), operator)).id)
    asker, connector, expert = ids
    created = await container.use_cases(
        CreateIntroRequest(
            asker_id=asker, connector_id=connector, topic="pricing", message="How to price?"
        ),
        operator,
    )
    async with container.engine.begin() as conn:
        url = await container.links.mint(conn, Purpose.CONNECTOR, ws.id, connector, created.id)
    return Scene(created.id, connector, expert, url.rsplit("/a/", 1)[1])


@dataclass(frozen=True)
class Traces:
    """What a decision leaves: the request's state and version, its events, its queued
    emails, and the link's record."""

    state: State
    version: int
    events: int
    emails: int
    used_at: datetime | None
    used_action: str | None


async def traces(container: Container, s: Scene) -> Traces:
    async with container.engine.connect() as conn:
        request = await SqlIntroRequests(conn).get(*await _ids(container, s))
        assert request is not None
        n_events = await conn.scalar(
            sa.select(sa.func.count()).where(events.c.request_id == s.request_id)
        )
        n_emails = await conn.scalar(
            sa.select(sa.func.count()).where(outbox.c.request_id == s.request_id)
        )
        link = (
            await conn.execute(
                sa.select(action_links.c.used_at, action_links.c.used_action).where(
                    action_links.c.token_hash == token_hash(s.token)
                )
            )
        ).one()
    return Traces(
        request.state, request.version, n_events or 0, n_emails or 0, link.used_at, link.used_action
    )


async def _ids(container: Container, s: Scene) -> tuple[uuid.UUID, uuid.UUID]:
    claims = container.use_cases.env.link_tokens.verify(s.token)
    return claims.workspace_id, s.request_id


@pytest.mark.parametrize("step", ["mark_used", "save"])
async def test_a_crash_while_using_a_link_leaves_neither_the_decision_nor_the_mark(
    container: Container, workspace: WorkspaceFixture, step: str
) -> None:
    s = await scene(container, workspace)
    before = await traces(container, s)
    assert before.state is State.AWAITING_CONNECTOR and before.used_at is None

    with pytest.raises(Crash):
        await crashing(container, step)(UseActionLink(s.token, Propose(expert_id=s.expert)))

    assert await traces(container, s) == before, "nothing of the attempt remains"
    # The link was not spent: the person can still take their decision.
    outcome = await container.use_cases(UseActionLink(s.token, Propose(expert_id=s.expert)))
    assert (outcome.action, outcome.repeated) == ("propose", False)
    after = await traces(container, s)
    assert after.state is State.AWAITING_EXPERT and after.events == before.events + 1
    assert after.used_at is not None and after.used_action == "propose"


async def test_the_decision_and_the_mark_are_committed_together(
    container: Container, workspace: WorkspaceFixture
) -> None:
    """Used once, the link takes no second decision: the same one is answered as
    already taken, another is refused, and neither changes anything."""
    s = await scene(container, workspace)
    first = await container.use_cases(UseActionLink(s.token, Decline(DeclineReason.BUSY)))
    assert not first.repeated
    after = await traces(container, s)
    assert after.state is State.DECLINED and after.used_action == "decline"

    again = await container.use_cases(UseActionLink(s.token, Decline(DeclineReason.BUSY)))
    assert again.repeated
    assert await traces(container, s) == after
