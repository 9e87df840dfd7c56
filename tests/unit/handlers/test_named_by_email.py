"""Naming someone by email tells the connector nothing about who owns it. A known
person who cannot be asked (opted out, bounced, snoozed, at their budget) is
proposed or forwarded to as a new person would be, and is simply not emailed: the
ask then waits out their deadline as for someone who keeps silent. By id, the
connector knows whom they name, and the refusal says why. No answer carries the
stored name."""

from __future__ import annotations

import uuid
from dataclasses import asdict, replace
from datetime import timedelta
from typing import Any

import pytest

from tests.unit.world import Cast, World
from warmintro.domain import commands as c
from warmintro.domain.action_links import Purpose
from warmintro.domain.commands import Forward, NewPerson, Propose, UseActionLink
from warmintro.domain.errors import AskBudgetExceeded
from warmintro.domain.intro_request import DeclineReason, State
from warmintro.domain.people import EmailStatus
from warmintro.domain.views import RequestView

UNASKABLE: dict[str, dict[str, Any]] = {
    "never-contact": {"never_contact": True},
    "snoozed": {"snooze_until": "soon"},
    "over-budget": {"ask_budget": 0},
    "bounced": {"email_status": EmailStatus.BOUNCED},
    "suppressed": {"email_status": EmailStatus.SUPPRESSED},
}


def unaskable(w: World, name: str, how: dict[str, Any]) -> uuid.UUID:
    fields = dict(how)
    if fields.get("snooze_until") == "soon":
        fields["snooze_until"] = w.clock.now() + timedelta(days=30)
    return w.person(name, **fields)


def email_of(w: World, person_id: uuid.UUID) -> str:
    person = w.store.person(w.workspace.id, person_id)
    assert person is not None
    return person.email


def shape(view: RequestView) -> dict[str, Any]:
    """The view with the ids and times left out: what would differ between any two."""
    seen = asdict(view)
    ids = ("id", "asker_id", "connector_id", "expert_id")
    return {k: v for k, v in seen.items() if k not in ids and not k.endswith("_at")}


@pytest.mark.parametrize("how", UNASKABLE.values(), ids=UNASKABLE.keys())
async def test_a_known_expert_who_cannot_be_asked_is_proposed_and_not_emailed(
    w: World, cast: Cast, how: dict[str, Any]
) -> None:
    quinn = unaskable(w, "Quinn", how)
    request = await w.create(cast.asker, cast.connector)
    before = len(w.emails())

    seen = await w.propose(request.id, cast.connector, expert=NewPerson(email_of(w, quinn), "Q"))

    assert (seen.state, seen.expert_id) == (State.AWAITING_EXPERT, None)
    assert w.stored(request.id).expert_id == quinn
    assert w.emails()[before:] == []
    assert w.stored(request.id).deadline_at == w.clock.now() + timedelta(days=7)


async def test_known_or_new_askable_or_not_the_connector_sees_the_same(
    w: World, cast: Cast
) -> None:
    new = NewPerson("nobody-yet@example.org", "New")
    askable = NewPerson(email_of(w, cast.expert), "Known")
    snoozy = unaskable(w, "Snoozy", UNASKABLE["snoozed"])
    snoozed = NewPerson(email_of(w, snoozy), "Snoozy")
    shapes, timelines = [], []
    for i, named in enumerate((new, askable, snoozed)):
        request = await w.create(w.person(f"Asker{i}"), cast.connector)
        seen = await w.propose(request.id, cast.connector, expert=named)
        assert seen.expert_id is None  # seen as typed until they accept
        shapes.append(shape(seen))
        events = await w.events(request.id, w.member(cast.connector))
        timelines.append([(e.type, sorted(e.data)) for e in events])

    assert shapes[0] == shapes[1] == shapes[2], shapes
    assert timelines[0] == timelines[1] == timelines[2]
    consents = [r for t, r, _ in w.emails() if t == "expert_consent"]
    assert len(consents) == 2 and snoozy not in consents


async def test_the_unasked_expert_comes_back_as_no_answer_at_their_deadline(
    w: World, cast: Cast
) -> None:
    quinn = unaskable(w, "Quinn", UNASKABLE["snoozed"])
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert=NewPerson(email_of(w, quinn), "Q"))

    w.clock.advance(timedelta(days=4))
    assert await w.fire_timers() == 1  # the reminder is due, and recorded, as for anyone
    w.clock.advance(timedelta(days=3))
    assert await w.fire_timers() == 1

    stored = w.stored(request.id)
    assert (stored.state, stored.decline_reason) == (
        State.AWAITING_CONNECTOR,
        DeclineReason.NO_ANSWER,
    )
    events = await w.events(request.id, w.member(cast.connector))
    assert [e.type for e in events][-2:] == [
        "intro_request.reminder_due",
        "intro_request.expert_declined",
    ]
    assert [(t, r) for t, r, _ in w.emails() if r == quinn] == []
    assert w.emails()[-1] == ("connector_expert_declined", cast.connector, ())


async def test_the_unasked_expert_is_not_told_the_ask_was_withdrawn(w: World, cast: Cast) -> None:
    quinn = unaskable(w, "Quinn", UNASKABLE["over-budget"])
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert=NewPerson(email_of(w, quinn), "Q"))

    await w.cancel(request.id, cast.asker)

    assert [r for _, r, _ in w.emails() if r == quinn] == []


async def test_an_expert_asked_within_budget_is_reminded_and_told_of_a_withdrawal(
    w: World, cast: Cast
) -> None:
    """Their own ask fills their budget: it is counted once, not held against them."""
    one = w.person("One", ask_budget=1)
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert=NewPerson(email_of(w, one), "One"))
    w.clock.advance(timedelta(days=4))
    await w.fire_timers()
    await w.cancel(request.id, cast.asker)

    assert [t for t, r, _ in w.emails() if r == one] == [
        "expert_consent",
        "expert_reminder",
        "party_cancelled",
    ]


async def test_an_expert_who_snoozes_after_the_ask_is_not_reminded_while_snoozed(
    w: World, cast: Cast
) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    until = w.clock.now() + timedelta(days=10)
    await w.run(c.UpdatePerson(cast.expert, snooze_until=until), w.member(cast.expert))
    w.clock.advance(timedelta(days=4))

    assert await w.fire_timers() == 1

    assert [t for t, r, _ in w.emails() if r == cast.expert] == ["expert_consent"]


@pytest.mark.parametrize("how", UNASKABLE.values(), ids=UNASKABLE.keys())
async def test_a_known_connector_who_cannot_be_asked_is_forwarded_to_and_not_emailed(
    w: World, cast: Cast, how: dict[str, Any]
) -> None:
    quinn = unaskable(w, "Quinn", how)
    request = await w.create(cast.asker, cast.connector, fallback_connector_ids=(cast.fallback,))
    before = len(w.emails())

    seen = await w.decide(
        request.id, cast.connector, Forward(connector=NewPerson(email_of(w, quinn), "Q"))
    )

    assert (seen.state, seen.connector_id, seen.hops) == (State.AWAITING_CONNECTOR, None, 1)
    assert w.stored(request.id).connector_id == quinn
    assert w.emails()[before:] == [("asker_passed_on", cast.asker, ())]
    # Their silence hands the ask on at their deadline, as anyone's would.
    w.clock.advance(timedelta(days=5))
    while await w.fire_timers():
        pass
    assert w.stored(request.id).connector_id == cast.fallback
    assert [r for _, r, _ in w.emails() if r == quinn] == []
    assert w.emails()[-1] == ("connector_ask", cast.fallback, ())


async def test_by_id_the_specific_reason_is_still_given(w: World, cast: Cast) -> None:
    """An id is someone the caller already knows: the precise answer helps them."""
    snoozed = w.person("Sleepy", snooze_until=w.clock.now() + timedelta(days=3))
    request = await w.create(cast.asker, cast.connector)

    with pytest.raises(AskBudgetExceeded):
        await w.propose(request.id, cast.connector, expert_id=snoozed)
    with pytest.raises(AskBudgetExceeded):
        await w.decide(request.id, cast.connector, Forward(connector_id=snoozed))


async def test_a_proposal_by_a_known_email_answers_with_ids_not_the_stored_name(
    w: World, cast: Cast
) -> None:
    known = w.store.person(w.workspace.id, cast.expert)
    assert known is not None
    w.store.data.people[(w.workspace.id, known.id)] = replace(known, name="Stored Secret Name")
    request = await w.create(cast.asker, cast.connector)

    seen = await w.propose(request.id, cast.connector, expert=NewPerson(known.email, "Typed"))

    assert "Stored Secret Name" not in repr(seen)


async def test_through_the_connectors_link_the_page_names_whom_they_typed(
    w: World, cast: Cast
) -> None:
    """The page says "we have asked <name>": the name given, never the name stored,
    and the same whether the address was known, and whether its owner can be asked."""
    sleepy = unaskable(w, "Sleepy", UNASKABLE["snoozed"])
    outcomes = []
    emails = ("nobody-yet@example.org", email_of(w, cast.expert), email_of(w, sleepy))
    for i, email in enumerate(emails):
        request = await w.create(w.person(f"Asker{i}"), cast.connector)
        token = w.issue_link(Purpose.CONNECTOR, cast.connector, request.id)
        chosen = Propose(expert=NewPerson(email, "Typed Name"))
        outcomes.append(await w.use_cases(UseActionLink(token, chosen)))
        again = await w.use_cases(UseActionLink(token, chosen))
        assert (again.repeated, again.expert) == (True, "Typed Name")

    assert {(o.action, o.expert, o.connector, o.state) for o in outcomes} == {
        ("propose", "Typed Name", "Cyd", State.AWAITING_EXPERT)
    }
    consents = [r for t, r, _ in w.emails() if t == "expert_consent"]
    assert len(consents) == 2 and cast.expert in consents
    assert sleepy not in [r for _, r, _ in w.emails()]
