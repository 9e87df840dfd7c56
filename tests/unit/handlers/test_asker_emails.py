"""Which emails each turn of an ask sends, and to whom, from the asker's side
(the lifecycle): the asker hears when the ask is sent, passed on, introduced, did
not work out and expired, and never anything about experts before the accept.
The introduction is one message to the three of them. The words: e2e
(tests/e2e/email/test_asker_emails.py)."""

from __future__ import annotations

from datetime import timedelta

from tests.unit.world import Cast, World
from warmintro.domain.commands import Decline
from warmintro.domain.intro_request import DeclineReason
from warmintro.domain.notifications import EmailIntent


def to_asker(w: World, cast: Cast) -> list[str]:
    """The templates of every email the asker is in, as recipient, in To or in Cc."""
    return [
        e.template
        for e in w.store.emails
        if cast.asker in (e.recipient_id, *e.also_to_ids, *e.cc_ids)
    ]


def since(w: World, mark: int) -> list[EmailIntent]:
    return w.store.emails[mark:]


async def test_the_asker_hears_the_ask_went_to_the_connector(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)

    assert w.emails() == [("asker_ask_sent", cast.asker, ()), ("connector_ask", cast.connector, ())]
    assert {e.request_id for e in w.store.emails} == {request.id}


async def test_a_forward_tells_the_asker_and_asks_the_new_connector(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    mark = len(w.store.emails)

    await w.forward(request.id, cast.connector, cast.fallback)

    assert [(e.template, e.recipient_id) for e in since(w, mark)] == [
        ("asker_passed_on", cast.asker),
        ("connector_ask", cast.fallback),
    ]
    forwarded = w.store.stored_events(w.workspace.id, request.id)[-1]
    assert {e.event_id for e in since(w, mark)} == {forwarded.id}


async def test_a_hand_off_to_a_fallback_tells_the_asker_too(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector, fallback_connector_ids=(cast.fallback,))
    mark = len(w.store.emails)

    await w.decline(request.id, cast.connector)

    assert [(e.template, e.recipient_id) for e in since(w, mark)] == [
        ("asker_passed_on", cast.asker),
        ("connector_ask", cast.fallback),
    ]


async def test_nothing_about_experts_reaches_the_asker_before_the_accept(
    w: World, cast: Cast
) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.other_expert)
    await w.decline(request.id, cast.other_expert, DeclineReason.NOT_A_FIT)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    w.clock.advance(timedelta(days=4))
    await w.fire_timers()  # the expert's reminder

    assert to_asker(w, cast) == ["asker_ask_sent"]
    for e in w.store.emails:
        if cast.asker in (e.recipient_id, *e.also_to_ids, *e.cc_ids):
            assert not {cast.expert, cast.other_expert} & {*e.also_to_ids, *e.cc_ids}


async def test_the_introduction_is_one_message_to_asker_and_expert_cc_the_connector(
    w: World, cast: Cast
) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.forward(request.id, cast.connector, cast.fallback)
    await w.propose(request.id, cast.fallback, expert_id=cast.expert)
    mark = len(w.store.emails)

    await w.accept(request.id, cast.expert)

    [intro] = since(w, mark)
    assert intro.template == "introduction"
    assert (intro.recipient_id, intro.also_to_ids) == (cast.asker, (cast.expert,))
    assert intro.cc_ids == (cast.fallback,), "the connector who made it, not the first one"


async def test_a_connectors_no_tells_the_asker_it_did_not_work_out(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    await w.decline(request.id, cast.expert)
    mark = len(w.store.emails)

    await w.decide(request.id, cast.connector, Decline(DeclineReason.BUSY, note="Sorry"))

    assert w.emails()[mark:] == [("asker_not_this_time", cast.asker, ())]


async def test_an_ask_nobody_answered_tells_the_asker_it_expired(w: World, cast: Cast) -> None:
    await w.create(cast.asker, cast.connector)
    w.clock.advance(timedelta(days=5))
    mark = len(w.store.emails)

    await w.fire_timers()

    assert w.emails()[mark:] == [("asker_expired", cast.asker, ())]
    assert "asker_not_this_time" not in to_asker(w, cast), "its own words, not 'not this time'"


async def test_a_whole_ask_tells_the_asker_each_turn_once(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.forward(request.id, cast.connector, cast.fallback)
    await w.propose(request.id, cast.fallback, expert_id=cast.other_expert)
    await w.decline(request.id, cast.other_expert)
    await w.propose(request.id, cast.fallback, expert_id=cast.expert)
    await w.accept(request.id, cast.expert)
    await w.accept(request.id, cast.expert)  # a repeat sends nothing
    w.clock.advance(timedelta(days=3))
    await w.fire_timers()

    assert to_asker(w, cast) == [
        "asker_ask_sent",
        "asker_passed_on",
        "introduction",
        "asker_feedback_ask",
    ]
