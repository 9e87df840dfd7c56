"""What the email provider reports, on fakes: a bounce or a drop stops mail to the
address and moves on what waited on that person, a spam report suppresses it,
deliveries and opens are noted, and each event is acted on once."""

from __future__ import annotations

import uuid
from datetime import timedelta
from itertools import count

import pytest

from tests.unit.world import Cast, World, unchanged
from warmintro.domain.commands import ProviderEvent, RecordProviderEvents
from warmintro.domain.intro_request import State
from warmintro.domain.people import EmailStatus

_ids = count(1)


def event(
    w: World,
    kind: str,
    email: str,
    *,
    event_id: str | None = None,
    outbox_id: uuid.UUID | None = None,
    workspace_id: uuid.UUID | None = None,
) -> ProviderEvent:
    return ProviderEvent(
        workspace_id=workspace_id or w.workspace.id,
        event_id=event_id or f"sg-{next(_ids)}",
        kind=kind,
        email=email,
        outbox_id=outbox_id,
        occurred_at=w.clock.now() - timedelta(minutes=5),
    )


async def record(w: World, *events: ProviderEvent) -> int:
    return await w.use_cases(RecordProviderEvents(events))


def status(w: World, person_id: uuid.UUID) -> EmailStatus:
    person = w.store.person(w.workspace.id, person_id)
    assert person is not None
    return person.email_status


@pytest.mark.parametrize("kind", ["bounce", "dropped"])
async def test_a_bounce_marks_the_address_and_expires_the_ask_waiting_on_it(
    w: World, cast: Cast, kind: str
) -> None:
    request = await w.create(cast.asker, cast.connector)

    assert await record(w, event(w, kind, "cyd@example.org")) == 1

    assert status(w, cast.connector) is EmailStatus.BOUNCED
    assert w.stored(request.id).state is State.EXPIRED
    assert w.emails()[-1] == ("asker_expired", cast.asker, ())


async def test_a_bounce_hands_the_ask_to_a_fallback_or_back_from_the_expert(
    w: World, cast: Cast
) -> None:
    to_fallback = await w.create(
        cast.asker, cast.connector, fallback_connector_ids=(cast.fallback,)
    )
    from_expert = await w.create(cast.stranger, cast.other_expert)
    await w.propose(from_expert.id, cast.other_expert, expert_id=cast.connector)

    await record(w, event(w, "bounce", "CYD@Example.org"))

    handed = w.stored(to_fallback.id)
    assert (handed.state, handed.connector_id) == (State.AWAITING_CONNECTOR, cast.fallback)
    back = w.stored(from_expert.id)
    assert (back.state, back.expert_id) == (State.AWAITING_CONNECTOR, None)
    assert ("connector_expert_unreachable", cast.other_expert, ()) in w.emails()


async def test_a_spam_report_suppresses_the_address_and_moves_asks_on(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)

    await record(w, event(w, "spamreport", "eve@example.org"))

    assert status(w, cast.expert) is EmailStatus.SUPPRESSED
    assert w.stored(request.id).state is State.AWAITING_CONNECTOR


async def test_a_spam_report_outranks_a_bounce_and_a_bounce_does_not_undo_it(
    w: World, cast: Cast
) -> None:
    await record(w, event(w, "bounce", "eve@example.org"))
    await record(w, event(w, "spamreport", "eve@example.org"))
    assert status(w, cast.expert) is EmailStatus.SUPPRESSED

    await record(w, event(w, "bounce", "eve@example.org"))
    assert status(w, cast.expert) is EmailStatus.SUPPRESSED


@pytest.mark.parametrize("kind", ["delivered", "open"])
async def test_deliveries_and_opens_are_noted_on_the_outbox_row(
    w: World, cast: Cast, kind: str
) -> None:
    await w.create(cast.asker, cast.connector)
    [row] = [r for r in w.store.data.outbox if r.intent.template == "connector_ask"]
    reported = event(w, kind, "cyd@example.org", outbox_id=row.id)

    assert await record(w, reported) == 1

    [noted] = [r for r in w.store.data.outbox if r.id == row.id]
    at = noted.delivered_at if kind == "delivered" else noted.opened_at
    other = noted.opened_at if kind == "delivered" else noted.delivered_at
    assert (at, other) == (reported.occurred_at, None)
    assert status(w, cast.connector) is EmailStatus.OK


async def test_a_resent_event_counts_once_and_changes_nothing_twice(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector, fallback_connector_ids=(cast.fallback,))
    bounce = event(w, "bounce", "cyd@example.org", event_id="sg-same")
    assert await record(w, bounce) == 1
    handed = w.stored(request.id).connector_id
    before, commits = unchanged(w), w.commits

    assert await record(w, bounce) == 0
    assert await record(w, event(w, "bounce", "flo@example.org", event_id="sg-same")) == 0

    assert w.store.contents() == before
    assert w.commits == commits
    assert handed == cast.fallback
    assert status(w, cast.fallback) is EmailStatus.OK


async def test_a_batch_answers_how_many_events_were_new(w: World, cast: Cast) -> None:
    await record(w, event(w, "open", "ada@example.org", event_id="sg-old"))
    commits = w.commits

    new = await record(
        w,
        event(w, "bounce", "sam@example.org", event_id="sg-old"),
        event(w, "delivered", "ada@example.org"),
        event(w, "spamreport", "sam@example.org"),
    )

    assert new == 2
    assert w.commits == commits + 2
    assert status(w, cast.stranger) is EmailStatus.SUPPRESSED


async def test_an_unknown_address_or_workspace_changes_nobody(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    before = unchanged(w)

    new = await record(
        w,
        event(w, "bounce", "nobody@example.org"),
        event(w, "bounce", "cyd@example.org", workspace_id=uuid.uuid4()),
    )

    assert new == 2  # recorded, so a resend is still recognised
    after = w.store.contents()
    assert (after["people"], after["requests"]) == (before["people"], before["requests"])
    assert w.stored(request.id).state is State.AWAITING_CONNECTOR
