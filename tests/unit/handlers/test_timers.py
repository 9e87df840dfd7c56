"""Time on fakes: the durable timer fires reminders, expiry, hand-off and the feedback
ask, each once, and tells whom it should. The same stories end to end (the worker
on SQL, the emails it sends) are in tests/e2e/email/test_timers.py."""

from __future__ import annotations

from datetime import timedelta

from tests.unit.world import Cast, World
from warmintro.domain.intro_request import State


async def fire(w: World) -> int:
    return await w.fire_timers()


def templates(w: World) -> list[str]:
    return [e.template for e in w.store.emails]


async def test_nothing_fires_before_its_time(w: World, cast: Cast) -> None:
    await w.create(cast.asker, cast.connector)
    w.clock.advance(timedelta(days=3) - timedelta(seconds=1))
    assert await fire(w) == 0
    assert templates(w) == ["asker_ask_sent", "connector_ask"]


async def test_the_connector_is_reminded_once_then_the_request_expires(
    w: World, cast: Cast
) -> None:
    request = await w.create(cast.asker, cast.connector)
    w.clock.advance(timedelta(days=3))
    assert await fire(w) == 1
    assert await fire(w) == 0  # the reminder is not sent twice
    assert templates(w) == ["asker_ask_sent", "connector_ask", "connector_reminder"]
    assert w.stored(request.id).state is State.AWAITING_CONNECTOR

    w.clock.advance(timedelta(days=2))
    assert await fire(w) == 1
    assert w.stored(request.id).state is State.EXPIRED
    assert templates(w)[-1] == "asker_expired"
    assert await fire(w) == 0
    assert w.stored(request.id).next_due() is None


async def test_a_late_pass_past_the_deadline_expires_without_a_reminder(
    w: World, cast: Cast
) -> None:
    request = await w.create(cast.asker, cast.connector)
    w.clock.advance(timedelta(days=6))
    await fire(w)
    assert w.stored(request.id).state is State.EXPIRED
    assert "connector_reminder" not in templates(w)


async def test_silence_hands_the_ask_to_the_next_fallback(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector, fallback_connector_ids=(cast.fallback,))
    w.clock.advance(timedelta(days=5))
    await fire(w)
    stored = w.stored(request.id)
    assert (stored.state, stored.connector_id) == (State.AWAITING_CONNECTOR, cast.fallback)
    assert w.emails()[-1] == ("connector_ask", cast.fallback, ())
    assert stored.deadline_at == w.clock.now() + timedelta(days=5)


async def test_the_expert_is_reminded_at_four_days_and_returns_the_ask_at_seven(
    w: World, cast: Cast
) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    w.clock.advance(timedelta(days=4))
    await fire(w)
    assert w.emails()[-1] == ("expert_reminder", cast.expert, ())
    w.clock.advance(timedelta(days=3))
    await fire(w)
    assert w.stored(request.id).state is State.AWAITING_CONNECTOR
    assert w.emails()[-1] == ("connector_expert_declined", cast.connector, ())


async def test_the_asker_is_asked_whether_it_helped_three_days_after(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    await w.accept(request.id, cast.expert)
    w.clock.advance(timedelta(days=3))
    assert await fire(w) == 1
    assert await fire(w) == 0
    assert w.emails()[-1] == ("asker_feedback_ask", cast.asker, ())
    assert w.stored(request.id).state is State.INTRODUCED


async def test_a_decision_moves_the_timer(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    w.clock.advance(timedelta(days=2))
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    w.clock.advance(timedelta(days=3))  # past the connector's old deadline, not the expert's
    await fire(w)
    assert w.stored(request.id).state is State.AWAITING_EXPERT
    assert "connector_reminder" not in templates(w)
