"""The asker's status page behind their email links (`Purpose.ASKER`), on fakes: where
the ask stands, the asker's timeline numbered 1..n for them, cancel while the ask is
open and feedback once introduced; it keeps showing the status after its decision,
and refuses a second one. Also the asker's timeline in the JSON API."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.unit.world import MESSAGE, TOPIC, Cast, World
from warmintro.domain.action_links import AskerStatus, LinkOutcome, Purpose, Someone, Step
from warmintro.domain.commands import (
    Cancel,
    GiveFeedback,
    ListEvents,
    ShowActionLink,
    UseActionLink,
)
from warmintro.domain.errors import LinkAlreadyUsed, LinkExpired
from warmintro.domain.events import EventType as T
from warmintro.domain.intro_request import Action, IntroRequest, Rating, State


async def status(w: World, token: str) -> AskerStatus:
    page = await w.use_cases(ShowActionLink(token))
    assert isinstance(page, AskerStatus), page
    return page


def steps(page: AskerStatus) -> list[tuple[int, str, str]]:
    return [(s.seq, s.type, s.who) for s in page.timeline]


async def bumpy(w: World, cast: Cast) -> IntroRequest:
    """An ask that went through a forward, an expert's no and a reminder to the expert:
    events the asker may not see sit between those they may."""
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.other_expert)
    await w.decline(request.id, cast.other_expert)
    await w.forward(request.id, cast.connector, cast.fallback)
    await w.propose(request.id, cast.fallback, expert_id=cast.expert)
    w.clock.advance(timedelta(days=4))
    await w.fire_timers()
    return request


async def test_the_status_says_where_the_ask_is_and_offers_cancel(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)

    page = await status(w, w.issue_link(Purpose.ASKER, cast.asker, request.id))

    assert page.state is State.AWAITING_CONNECTOR
    assert page.actions == {Action.CANCEL}
    assert (page.topic, page.message, page.workspace) == (TOPIC, MESSAGE, "Alumni")
    assert (page.connector, page.expert) == (Someone("Cyd"), None)
    assert page.timeline == (Step(1, T.CREATED, w.clock.now(), "Cyd"),)
    assert page.answered is None


async def test_the_asker_timeline_is_numbered_without_gaps_and_names_no_expert(
    w: World, cast: Cast
) -> None:
    request = await bumpy(w, cast)

    page = await status(w, w.issue_link(Purpose.ASKER, cast.asker, request.id))

    assert page.state is State.AWAITING_EXPERT
    assert steps(page) == [(1, T.CREATED, "Cyd"), (2, T.FORWARDED, "Flo")]
    assert page.expert is None
    assert "'Eve'" not in repr(page) and "'Ezra'" not in repr(page)
    assert str(cast.expert) not in repr(page)


async def test_the_api_numbers_the_askers_timeline_for_the_asker(w: World, cast: Cast) -> None:
    request = await bumpy(w, cast)
    await w.accept(request.id, cast.expert)

    seen = await w.events(request.id, w.member(cast.asker))
    everything = await w.events(request.id, w.operator())

    assert [(e.seq, e.type) for e in seen] == [
        (1, T.CREATED),
        (2, T.FORWARDED),
        (3, T.INTRODUCED),
    ]
    assert [e.seq for e in everything] == list(range(1, len(everything) + 1))
    assert len(everything) > len(seen)


async def test_the_askers_timeline_pages_by_its_own_numbers(w: World, cast: Cast) -> None:
    request = await bumpy(w, cast)
    await w.accept(request.id, cast.expert)
    asker = w.member(cast.asker)

    first = await w.run(ListEvents(request.id, limit=2), asker)
    assert [e.seq for e in first.items] == [1, 2] and first.next_after == 2
    rest = await w.run(ListEvents(request.id, after_seq=2, limit=2), asker)
    assert [(e.seq, e.type) for e in rest.items] == [(3, T.INTRODUCED)]
    assert rest.next_after is None


async def test_once_introduced_the_asker_may_give_feedback_or_cancel(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    token = w.issue_link(Purpose.ASKER, cast.asker, request.id)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    await w.accept(request.id, cast.expert)

    page = await status(w, token)

    assert page.state is State.INTRODUCED
    assert page.actions == {Action.CANCEL, Action.FEEDBACK}
    assert page.expert == Someone("Eve")
    assert steps(page)[-1] == (2, T.INTRODUCED, "Eve")


async def test_cancel_through_the_link_then_the_page_still_shows_the_status(
    w: World, cast: Cast
) -> None:
    request = await w.create(cast.asker, cast.connector)
    token = w.issue_link(Purpose.ASKER, cast.asker, request.id)

    assert await w.use_cases(UseActionLink(token, Cancel())) == LinkOutcome(Action.CANCEL)

    assert w.stored(request.id).state is State.CANCELLED
    assert w.emails()[-1] == ("party_cancelled", cast.connector, ())
    page = await status(w, token)
    assert page.state is State.CANCELLED
    assert (page.answered, page.actions) == (Action.CANCEL, frozenset())
    assert steps(page) == [(1, T.CREATED, "Cyd"), (2, T.CANCELLED, "")]


async def test_a_second_decision_through_the_status_link_is_refused(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    await w.accept(request.id, cast.expert)
    token = w.issue_link(Purpose.ASKER, cast.asker, request.id)
    await w.use_cases(UseActionLink(token, GiveFeedback(Rating.YES)))
    before = w.store.contents()

    again = await w.use_cases(UseActionLink(token, GiveFeedback(Rating.YES)))
    with pytest.raises(LinkAlreadyUsed):
        await w.use_cases(UseActionLink(token, Cancel()))

    assert again == LinkOutcome(Action.FEEDBACK, repeated=True)
    assert w.store.contents() == before
    page = await status(w, token)
    assert (page.state, page.answered, page.actions) == (
        State.COMPLETED,
        Action.FEEDBACK,
        frozenset(),
    )


async def test_the_status_link_outlives_the_whole_ask_and_its_feedback(
    w: World, cast: Cast
) -> None:
    """An ask lives up to 30 days, the feedback ask comes days after the introduction:
    the link in the first email must still show the status then."""
    request = await w.create(cast.asker, cast.connector)
    token = w.issue_link(Purpose.ASKER, cast.asker, request.id)
    w.clock.advance(timedelta(days=29))
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    await w.accept(request.id, cast.expert)
    w.clock.advance(timedelta(days=30))

    assert (await status(w, token)).actions == {Action.CANCEL, Action.FEEDBACK}

    w.clock.advance(Purpose.ASKER.lifetime - timedelta(days=59))
    with pytest.raises(LinkExpired):
        await status(w, token)
