"""The unit tests' world: one workspace on the fakes, a hand-moved clock, and
shortcuts that drive the use cases, through `UseCases` as every adapter does, as
a member of the workspace would."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, TypeVar

from tests.clock import FakeClock
from tests.unit.fakes import (
    FakeActionTokenCodec,
    FakeAddressCheck,
    FakeEmailAddresses,
    FakeMemberTokenCodec,
    FakeStore,
    FakeUnitOfWork,
    FakeUnitOfWorkFactory,
)
from warmintro.domain import commands as c
from warmintro.domain.access import Principal
from warmintro.domain.action_links import ActionClaims, ActionLink, Purpose, token_hash
from warmintro.domain.handlers.env import Env
from warmintro.domain.ids import new_id
from warmintro.domain.intro_request import DeclineReason, IntroRequest, Rating
from warmintro.domain.people import Budgets, Person, Preferences, Workspace
from warmintro.domain.use_cases import UseCases
from warmintro.domain.views import EventView, RequestView

TOPIC = "Pricing a B2B SaaS"

MESSAGE = "I am launching a developer tool and would love to hear how others price it."

R = TypeVar("R")


class World:
    """One workspace on fakes, a hand-moved clock, and shortcuts to drive the use cases."""

    def __init__(self, budgets: Budgets | None = None) -> None:
        self.store = FakeStore()
        self.uows = FakeUnitOfWorkFactory(self.store)
        self.clock = FakeClock()
        self.member_tokens = FakeMemberTokenCodec(self.clock.now())
        self.link_tokens = FakeActionTokenCodec(self.clock)
        self.addresses = FakeAddressCheck()
        self.use_cases = UseCases(
            Env(
                self.uows,
                self.clock,
                self.member_tokens,
                self.link_tokens,
                self.addresses,
                FakeEmailAddresses(),
            )
        )
        self.workspace = Workspace(
            id=new_id(), name="Alumni", created_at=self.clock.now(), budgets=budgets or Budgets()
        )
        self.store.data.workspaces[self.workspace.id] = self.workspace

    def person(self, name: str, workspace: Workspace | None = None, **fields: Any) -> uuid.UUID:
        prefs = {
            k: fields.pop(k)
            for k in ("ask_budget", "snooze_until", "never_contact", "discoverable")
            if k in fields
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

    @property
    def commits(self) -> int:
        """Transactions committed so far, by any use case."""
        return self.store.counters.commits

    def stored(self, request_id: uuid.UUID) -> IntroRequest:
        return self.store.request(self.workspace.id, request_id)

    def emails(self) -> list[tuple[str, uuid.UUID, tuple[uuid.UUID, ...]]]:
        return [(e.template, e.recipient_id, e.cc_ids) for e in self.store.emails]

    def issue_link(
        self, purpose: Purpose, person_id: uuid.UUID, request_id: uuid.UUID | None = None
    ) -> str:
        """An email link as the outbox relay issues one: the token minted and its hash
        recorded; the plain token is what the email would carry."""
        claims = ActionClaims(purpose, self.workspace.id, person_id, request_id)
        token = self.link_tokens.mint(claims)
        digest, now = token_hash(token), self.clock.now()
        self.store.data.action_links[(self.workspace.id, digest)] = ActionLink(
            claims, digest, issued_at=now, expires_at=now + purpose.lifetime
        )
        return token

    # ---- use cases -------------------------------------------------------

    async def run(self, cmd: c.Command[R], principal: Principal) -> R:
        return await self.use_cases(cmd, principal)

    async def create(
        self, asker: uuid.UUID, connector: uuid.UUID, topic: str = TOPIC, **fields: Any
    ) -> IntroRequest:
        cmd = c.CreateIntroRequest(connector_id=connector, topic=topic, message=MESSAGE, **fields)
        view = await self.run(cmd, self.member(asker))
        return self.stored(view.id)

    async def decide(self, rid: uuid.UUID, actor: uuid.UUID, decision: c.Decision) -> RequestView:
        return await self.run(c.Decide(rid, decision), self.member(actor))

    async def propose(self, rid: uuid.UUID, connector: uuid.UUID, **fields: Any) -> RequestView:
        return await self.decide(rid, connector, c.Propose(**fields))

    async def forward(self, rid: uuid.UUID, connector: uuid.UUID, to: uuid.UUID) -> RequestView:
        return await self.decide(rid, connector, c.Forward(to))

    async def decline(
        self, rid: uuid.UUID, actor: uuid.UUID, reason: DeclineReason = DeclineReason.BUSY
    ) -> RequestView:
        return await self.decide(rid, actor, c.Decline(reason))

    async def accept(self, rid: uuid.UUID, expert: uuid.UUID) -> RequestView:
        return await self.decide(rid, expert, c.Accept())

    async def cancel(self, rid: uuid.UUID, asker: uuid.UUID) -> RequestView:
        return await self.decide(rid, asker, c.Cancel())

    async def feedback(self, rid: uuid.UUID, asker: uuid.UUID, rating: Rating) -> RequestView:
        return await self.decide(rid, asker, c.GiveFeedback(rating))

    async def events(self, rid: uuid.UUID, viewer: Principal) -> list[EventView]:
        page = await self.run(c.ListEvents(rid), viewer)
        assert page.next_after is None
        return page.items

    async def fire_timers(self) -> int:
        return await self.use_cases(c.FireDueTimers())


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
