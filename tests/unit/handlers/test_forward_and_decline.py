"""Forwarding to another connector and declining: hand-off to fallbacks, the
expert's no going back to the connector, one email per decision."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.unit.world import Cast, World, unchanged
from warmintro.domain.errors import (
    AskBudgetExceeded,
    DuplicateRequest,
    UnknownPerson,
)
from warmintro.domain.intro_request import (
    DeclineReason,
    Role,
    State,
)


async def test_forward_asks_the_new_connector(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)

    seen = await w.forward(request.id, cast.connector, cast.fallback)

    assert w.stored(request.id).connector_id == cast.fallback
    assert w.stored(request.id).hops == 1
    assert w.emails()[-1] == ("connector_ask", cast.fallback, ())
    # The forwarding connector still sees the request, as a (past) connector.
    assert seen.viewer_role is Role.CONNECTOR


async def test_forward_to_an_unknown_person_is_refused(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    with pytest.raises(UnknownPerson):
        await w.forward(request.id, cast.connector, uuid.uuid4())
    assert w.stored(request.id).connector_id == cast.connector


async def test_forward_to_a_connector_over_budget_is_refused(w: World, cast: Cast) -> None:
    busy = w.person("Busy", ask_budget=0)
    request = await w.create(cast.asker, cast.connector)
    before = unchanged(w)

    with pytest.raises(AskBudgetExceeded):
        await w.forward(request.id, cast.connector, busy)

    assert w.store.contents() == before


async def test_forward_to_a_connector_already_holding_the_ask_is_a_duplicate(
    w: World, cast: Cast
) -> None:
    await w.create(cast.asker, cast.fallback)
    request = await w.create(cast.asker, cast.connector)
    before = unchanged(w)

    with pytest.raises(DuplicateRequest):
        await w.forward(request.id, cast.connector, cast.fallback)

    assert w.store.contents() == before


async def test_connector_decline_tells_the_asker_not_this_time(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)

    await w.decline(request.id, cast.connector, DeclineReason.NOT_NOW)

    stored = w.stored(request.id)
    assert stored.state is State.DECLINED
    assert stored.decline_reason is DeclineReason.NOT_NOW
    assert w.emails()[-1] == ("asker_not_this_time", cast.asker, ())


async def test_connector_decline_hands_off_to_an_available_fallback(w: World, cast: Cast) -> None:
    snoozed = w.person("Snoozy", snooze_until=w.clock.now() + timedelta(days=3))
    opted_out = w.person("Out", never_contact=True)
    full = w.person("Full", ask_budget=0)
    request = await w.create(
        cast.asker,
        cast.connector,
        fallback_connector_ids=(snoozed, opted_out, full, cast.fallback),
    )

    await w.decline(request.id, cast.connector)

    stored = w.stored(request.id)
    assert stored.state is State.AWAITING_CONNECTOR
    assert stored.connector_id == cast.fallback
    assert w.emails()[-1] == ("connector_ask", cast.fallback, ())
    assert ("asker_not_this_time", cast.asker, ()) not in w.emails()


async def test_connector_decline_with_no_available_fallback_closes(w: World, cast: Cast) -> None:
    opted_out = w.person("Out", never_contact=True)
    request = await w.create(cast.asker, cast.connector, fallback_connector_ids=(opted_out,))

    await w.decline(request.id, cast.connector)

    assert w.stored(request.id).state is State.DECLINED
    assert w.emails()[-1] == ("asker_not_this_time", cast.asker, ())


async def test_decline_skips_a_fallback_who_already_holds_the_same_ask(
    w: World, cast: Cast
) -> None:
    """Handing off must not create a second open ask to one connector."""
    await w.create(cast.asker, cast.fallback)
    request = await w.create(cast.asker, cast.connector, fallback_connector_ids=(cast.fallback,))

    await w.decline(request.id, cast.connector)

    stored = w.stored(request.id)
    assert stored.connector_id != cast.fallback
    assert stored.state is State.DECLINED


async def test_expert_decline_goes_back_to_the_connector(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)

    seen = await w.decline(request.id, cast.expert, DeclineReason.NOT_A_FIT)

    stored = w.stored(request.id)
    assert stored.state is State.AWAITING_CONNECTOR
    assert stored.expert_id is None
    assert w.emails()[-1] == ("connector_expert_declined", cast.connector, ())
    assert seen.viewer_role is Role.EXPERT
    assert seen.expert_id is None


async def test_declining_twice_sends_one_email(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.decline(request.id, cast.connector)
    emails = w.emails()

    await w.decline(request.id, cast.connector)

    assert w.emails() == emails
    assert w.stored(request.id).version == 1
