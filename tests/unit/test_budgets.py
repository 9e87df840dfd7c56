"""Ask budgets (the lifecycle): how many asks a person may hold in each role, who may
receive none, and when a refused ask may be tried again."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from tests.unit.fakes import FakeStore, FakeUnitOfWork, FakeUnitOfWorkFactory
from warmintro.domain.budgets import can_ask, ensure_can_ask
from warmintro.domain.errors import AskBudgetExceeded, RecipientUnavailable
from warmintro.domain.ids import new_id
from warmintro.domain.intro_request import IntroRequest, Role
from warmintro.domain.people import Budgets, EmailStatus, Person, Preferences, Workspace
from warmintro.domain.ports import UnitOfWork

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=1)


def as_port(uow: FakeUnitOfWork) -> UnitOfWork:
    """The fake unit of work lags behind the UnitOfWork protocol (provider_events and a
    few repository methods); the budget rules read only `requests.load`, which it has."""
    return cast(UnitOfWork, uow)


class Asks:
    """One workspace on fakes whose people hold open asks as connector or as expert."""

    def __init__(self, budgets: Budgets | None = None) -> None:
        self.store = FakeStore()
        self.uows = FakeUnitOfWorkFactory(self.store)
        self.workspace = Workspace(
            id=new_id(), name="Alumni", created_at=T0, budgets=budgets or Budgets()
        )
        self.store.data.workspaces[self.workspace.id] = self.workspace

    def person(self, **fields: Any) -> Person:
        prefs = {
            k: fields.pop(k) for k in ("ask_budget", "snooze_until", "never_contact") if k in fields
        }
        person = Person(
            id=new_id(),
            workspace_id=self.workspace.id,
            email=f"{uuid.uuid4().hex[:8]}@example.org",
            name="Someone",
            created_at=T0,
            updated_at=T0,
            preferences=Preferences(**prefs),
            **fields,
        )
        self.store.data.people[(self.workspace.id, person.id)] = person
        return person

    def _open(self, connector_id: uuid.UUID, opened_at: datetime) -> IntroRequest:
        request = IntroRequest.open_new(
            workspace_id=self.workspace.id,
            asker_id=new_id(),
            connector_id=connector_id,
            topic="Pricing a B2B SaaS",
            message="How do developer tools price?",
            now=opened_at,
            timing=self.workspace.timing,
        )
        self.store.data.requests[(self.workspace.id, request.id)] = request
        return request

    def hold_as_connector(self, person: Person, count: int) -> list[IntroRequest]:
        """`count` asks waiting on `person`, opened an hour apart from T0 on."""
        return [self._open(person.id, T0 + timedelta(hours=i)) for i in range(count)]

    def hold_as_expert(self, person: Person, count: int) -> list[IntroRequest]:
        """`count` consents waiting on `person`, proposed an hour apart from T0 on."""
        held = []
        for i in range(count):
            at = T0 + timedelta(hours=i)
            request = self._open(new_id(), at)
            request.propose(request.connector_id, person.id, "", at, self.workspace.timing)
            held.append(request)
        return held

    async def ensure(self, person: Person, role: Role, now: datetime = NOW) -> None:
        async with self.uows(write=False) as uow:
            await ensure_can_ask(as_port(uow), self.workspace, person, role, now)

    async def may_ask(self, person: Person, role: Role, now: datetime = NOW) -> bool:
        async with self.uows(write=False) as uow:
            return await can_ask(as_port(uow), self.workspace, person, role, now)

    async def refusal(self, person: Person, role: Role, now: datetime = NOW) -> AskBudgetExceeded:
        with pytest.raises(AskBudgetExceeded) as info:
            await self.ensure(person, role, now)
        return info.value


# ---- the workspace's budgets ---------------------------------------------------


async def test_a_connector_holds_at_most_five_open_asks_by_default() -> None:
    asks = Asks()
    cyd = asks.person()
    asks.hold_as_connector(cyd, 4)
    await asks.ensure(cyd, Role.CONNECTOR)

    asks.hold_as_connector(cyd, 1)
    refused = await asks.refusal(cyd, Role.CONNECTOR)

    assert refused.facts["role"] == "connector"


async def test_an_expert_holds_at_most_three_pending_consents_by_default() -> None:
    asks = Asks()
    eve = asks.person()
    asks.hold_as_expert(eve, 2)
    await asks.ensure(eve, Role.EXPERT)

    asks.hold_as_expert(eve, 1)
    refused = await asks.refusal(eve, Role.EXPERT)

    assert refused.facts["role"] == "expert"


async def test_each_role_is_held_to_its_own_workspace_budget() -> None:
    asks = Asks(Budgets(connector_open=4, expert_pending=2))
    cyd, eve = asks.person(), asks.person()
    asks.hold_as_connector(cyd, 3)
    asks.hold_as_expert(eve, 2)

    await asks.ensure(cyd, Role.CONNECTOR)  # 3 of 4
    await asks.refusal(eve, Role.EXPERT)  # 2 of 2


# ---- a person's own budget -------------------------------------------------------


async def test_a_personal_budget_above_the_workspace_default_allows_more_asks() -> None:
    asks = Asks()
    cyd = asks.person(ask_budget=7)
    asks.hold_as_connector(cyd, 6)
    await asks.ensure(cyd, Role.CONNECTOR)

    asks.hold_as_connector(cyd, 1)
    await asks.refusal(cyd, Role.CONNECTOR)


async def test_a_personal_budget_above_the_default_applies_to_expert_consents_too() -> None:
    asks = Asks()
    eve = asks.person(ask_budget=5)
    asks.hold_as_expert(eve, 4)

    await asks.ensure(eve, Role.EXPERT)


async def test_a_personal_budget_below_the_workspace_default_allows_fewer_asks() -> None:
    asks = Asks()
    cyd = asks.person(ask_budget=1)
    asks.hold_as_connector(cyd, 1)

    await asks.refusal(cyd, Role.CONNECTOR)


async def test_a_personal_budget_of_zero_refuses_even_the_first_ask() -> None:
    asks = Asks()
    cyd = asks.person(ask_budget=0)

    refused = await asks.refusal(cyd, Role.CONNECTOR)

    assert refused.facts["role"] == "connector"


# ---- when to try again ------------------------------------------------------------


async def test_over_budget_retry_after_is_the_earliest_deadline_among_the_held_asks() -> None:
    asks = Asks()
    cyd = asks.person()
    held = asks.hold_as_connector(cyd, 5)

    refused = await asks.refusal(cyd, Role.CONNECTOR)

    assert refused.retry_after == held[0].deadline_at == T0 + timedelta(days=5)


async def test_a_zero_budget_with_nothing_held_retries_a_day_from_now_not_in_the_past() -> None:
    asks = Asks()
    eve = asks.person(ask_budget=0)

    refused = await asks.refusal(eve, Role.EXPERT, now=NOW)

    assert refused.retry_after == NOW + timedelta(days=1)
    assert refused.retry_after > NOW


# ---- who receives no asks at all ---------------------------------------------------


async def test_a_snoozed_person_is_refused_until_the_snooze_ends() -> None:
    asks = Asks()
    until = NOW + timedelta(days=2)
    eve = asks.person(snooze_until=until)

    refused = await asks.refusal(eve, Role.EXPERT)

    assert refused.retry_after == until
    assert refused.facts["role"] == "expert"


async def test_a_snooze_that_has_ended_blocks_nothing() -> None:
    asks = Asks()
    cyd = asks.person(snooze_until=NOW - timedelta(hours=1))

    await asks.ensure(cyd, Role.CONNECTOR)


@pytest.mark.parametrize(
    "fields",
    [
        {"never_contact": True},
        {"email_status": EmailStatus.BOUNCED},
        {"email_status": EmailStatus.SUPPRESSED},
    ],
    ids=["never-contact", "bounced", "suppressed"],
)
@pytest.mark.parametrize("role", [Role.CONNECTOR, Role.EXPERT], ids=str)
async def test_a_person_we_may_not_email_is_unavailable_in_either_role(
    fields: dict[str, Any], role: Role
) -> None:
    asks = Asks()
    person = asks.person(**fields)

    with pytest.raises(RecipientUnavailable) as info:
        await asks.ensure(person, role)

    assert info.value.facts["role"] == role.value


async def test_an_erased_person_is_unavailable() -> None:
    asks = Asks()
    gone = asks.person().erased(T0)

    with pytest.raises(RecipientUnavailable):
        await asks.ensure(gone, Role.CONNECTOR)


# ---- can_ask: the same rules as a yes or no ----------------------------------------


async def test_can_ask_answers_yes_within_budget_and_no_for_every_refusal() -> None:
    asks = Asks()
    free = asks.person()
    full = asks.person(ask_budget=0)
    snoozed = asks.person(snooze_until=NOW + timedelta(days=1))
    opted_out = asks.person(never_contact=True)

    assert await asks.may_ask(free, Role.CONNECTOR) is True
    assert await asks.may_ask(full, Role.CONNECTOR) is False
    assert await asks.may_ask(snoozed, Role.CONNECTOR) is False
    assert await asks.may_ask(opted_out, Role.CONNECTOR) is False
