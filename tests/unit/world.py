"""The unit tests' world: one workspace on the fakes, a hand-moved clock, and
shortcuts that drive the use cases as a member of the workspace would."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from tests.clock import FakeClock
from tests.unit.fakes import FakeStore, FakeUnitOfWork, FakeUnitOfWorkFactory
from warmintro.domain.access import Principal
from warmintro.domain.handlers import intro_requests as h
from warmintro.domain.ids import new_id
from warmintro.domain.intro_request import DeclineReason, IntroRequest, Rating
from warmintro.domain.people import Budgets, Person, Preferences, Workspace

TOPIC = "Pricing a B2B SaaS"

MESSAGE = "I am launching a developer tool and would love to hear how others price it."


class World:
    """One workspace on fakes, a hand-moved clock, and shortcuts to drive the use cases."""

    def __init__(self, budgets: Budgets | None = None) -> None:
        self.store = FakeStore()
        self.uows = FakeUnitOfWorkFactory(self.store)
        self.clock = FakeClock()
        self.workspace = Workspace(
            id=new_id(), name="Alumni", created_at=self.clock.now(), budgets=budgets or Budgets()
        )
        self.store.data.workspaces[self.workspace.id] = self.workspace

    def person(self, name: str, workspace: Workspace | None = None, **fields: Any) -> uuid.UUID:
        prefs = {
            k: fields.pop(k) for k in ("ask_budget", "snooze_until", "never_contact") if k in fields
        }
        ws = workspace or self.workspace
        person = Person(
            id=new_id(),
            workspace_id=ws.id,
            email=f"{name.lower()}@example.org",
            name=name,
            created_at=self.clock.now(),
            updated_at=self.clock.now(),
            preferences=Preferences(**prefs),
            **fields,
        )
        self.store.data.people[(ws.id, person.id)] = person
        return person.id

    def member(self, person_id: uuid.UUID) -> Principal:
        return Principal(self.workspace, person_id, operator=False)

    def operator(self, on_behalf_of: uuid.UUID | None = None) -> Principal:
        return Principal(self.workspace, on_behalf_of, operator=True)

    def uow(self) -> FakeUnitOfWork:
        return self.uows()

    def stored(self, request_id: uuid.UUID) -> IntroRequest:
        return self.store.request(self.workspace.id, request_id)

    def emails(self) -> list[tuple[str, uuid.UUID, tuple[uuid.UUID, ...]]]:
        return [(e.template, e.recipient_id, e.cc_ids) for e in self.store.emails]

    # ---- use cases -------------------------------------------------------

    async def create(
        self, asker: uuid.UUID, connector: uuid.UUID, topic: str = TOPIC, **fields: Any
    ) -> IntroRequest:
        cmd = h.CreateIntroRequest(
            asker_id=None, connector_id=connector, topic=topic, message=MESSAGE, **fields
        )
        seen = await h.create_intro_request(cmd, self.uow(), self.clock, self.member(asker))
        return seen.request

    async def propose(self, rid: uuid.UUID, connector: uuid.UUID, **fields: Any) -> h.Seen:
        return await h.propose(
            h.Propose(request_id=rid, **fields), self.uow(), self.clock, self.member(connector)
        )

    async def forward(self, rid: uuid.UUID, connector: uuid.UUID, to: uuid.UUID) -> h.Seen:
        return await h.forward(rid, to, "", self.uow(), self.clock, self.member(connector))

    async def decline(
        self, rid: uuid.UUID, actor: uuid.UUID, reason: DeclineReason = DeclineReason.BUSY
    ) -> h.Seen:
        return await h.decline(rid, reason, "", self.uow(), self.clock, self.member(actor))

    async def accept(self, rid: uuid.UUID, expert: uuid.UUID) -> h.Seen:
        return await h.accept(rid, "", self.uow(), self.clock, self.member(expert))

    async def cancel(self, rid: uuid.UUID, asker: uuid.UUID) -> h.Seen:
        return await h.cancel(rid, self.uow(), self.clock, self.member(asker))

    async def feedback(self, rid: uuid.UUID, asker: uuid.UUID, rating: Rating) -> h.Seen:
        return await h.give_feedback(rid, rating, "", self.uow(), self.clock, self.member(asker))

    async def events(self, rid: uuid.UUID, viewer: Principal) -> list[h.SeenEvent]:
        page = await h.list_events(rid, self.uow(), viewer)
        assert page.next_after is None
        return page.items


@dataclass
class Cast:
    asker: uuid.UUID
    connector: uuid.UUID
    expert: uuid.UUID
    other_expert: uuid.UUID
    fallback: uuid.UUID
    stranger: uuid.UUID


def unchanged(w: World) -> dict[str, Any]:
    """Everything stored, to compare after a failed use case."""
    return w.store.contents()
