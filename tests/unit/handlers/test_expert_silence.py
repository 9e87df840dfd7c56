"""A silent expert on fakes: the timer returns the ask to the connector with the
reason `no_answer`, the connector is emailed and may name someone else; an ask
past the workspace's lifetime expires at its next deadline instead."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

import pytest

from tests.unit.world import Cast, World
from warmintro.domain import commands as c
from warmintro.domain.errors import InvalidInput
from warmintro.domain.intro_request import DeclineReason, State
from warmintro.domain.people import Timing


async def test_a_silent_expert_returns_the_ask_and_the_connector_is_told(
    w: World, cast: Cast
) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    w.clock.advance(timedelta(days=7))

    assert await w.fire_timers() == 1

    stored = w.stored(request.id)
    assert (stored.state, stored.connector_id) == (State.AWAITING_CONNECTOR, cast.connector)
    assert stored.deadline_at == w.clock.now() + timedelta(days=5)
    assert w.emails()[-1] == ("connector_expert_declined", cast.connector, ())
    seen = await w.run(c.GetIntroRequest(request.id), w.member(cast.connector))
    assert seen.decline_reason is DeclineReason.NO_ANSWER
    events = await w.events(request.id, w.member(cast.connector))
    assert events[-1].type == "intro_request.expert_declined"
    assert events[-1].actor_id is None
    assert events[-1].data["reason"] == "no_answer"


async def test_after_a_silent_expert_the_connector_names_someone_else(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    w.clock.advance(timedelta(days=7))
    await w.fire_timers()

    with pytest.raises(InvalidInput):
        await w.propose(request.id, cast.connector, expert_id=cast.expert)
    await w.propose(request.id, cast.connector, expert_id=cast.other_expert)

    assert w.stored(request.id).state is State.AWAITING_EXPERT
    assert w.emails()[-1] == ("expert_consent", cast.other_expert, ())


async def test_the_asker_learns_nothing_of_a_silent_expert(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    w.clock.advance(timedelta(days=7))
    sent_before = len(w.emails())
    await w.fire_timers()

    seen = await w.run(c.GetIntroRequest(request.id), w.member(cast.asker))
    events = await w.events(request.id, w.member(cast.asker))

    assert seen.decline_reason is None
    assert seen.state is State.AWAITING_CONNECTOR
    assert all(str(cast.expert) not in map(str, e.data.values()) for e in events)
    assert [e[1] for e in w.emails()[sent_before:]] == [cast.connector]


async def test_an_ask_past_its_lifetime_expires_at_the_experts_deadline(
    w: World, cast: Cast
) -> None:
    timing = replace(Timing(), ask_lifetime=timedelta(days=10))
    w.store.data.workspaces[w.workspace.id] = replace(w.workspace, timing=timing)
    w.workspace = w.store.data.workspaces[w.workspace.id]
    request = await w.create(cast.asker, cast.connector, fallback_connector_ids=(cast.fallback,))
    w.clock.advance(timedelta(days=4))
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    w.clock.advance(timedelta(days=7))  # 11 days after the ask: past its lifetime

    await w.fire_timers()

    assert w.stored(request.id).state is State.EXPIRED
    assert w.emails()[-1] == ("asker_expired", cast.asker, ())


async def stop_emails(w: World, person: uuid.UUID) -> None:
    await w.run(c.UpdatePerson(person, never_contact=True), w.member(person))


async def test_an_ask_back_from_a_silent_expert_to_an_unreachable_connector_expires(
    w: World, cast: Cast
) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    await stop_emails(w, cast.connector)
    w.clock.advance(timedelta(days=7))

    await w.fire_timers()

    assert w.stored(request.id).state is State.EXPIRED, "not a connector deadline of waiting"
    assert w.emails()[-1] == ("asker_expired", cast.asker, ())


async def test_an_ask_back_from_a_no_to_an_unreachable_connector_goes_to_the_fallback(
    w: World, cast: Cast
) -> None:
    request = await w.create(cast.asker, cast.connector, fallback_connector_ids=(cast.fallback,))
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    await stop_emails(w, cast.connector)

    await w.decline(request.id, cast.expert)

    stored = w.stored(request.id)
    assert (stored.state, stored.connector_id) == (State.AWAITING_CONNECTOR, cast.fallback)
    assert ("connector_ask", cast.fallback, ()) in w.emails()
