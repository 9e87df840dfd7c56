"""Erasure and export on fakes. Erasing someone moves on what waited on them,
withdraws their own open asks, removes who they are and what they wrote, and tells
the integrations; their export shows their requests as they see them."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta

import pytest

from tests.unit.world import MESSAGE, TOPIC, Cast, World, unchanged
from warmintro.domain.commands import (
    Accept,
    AddConnection,
    CreateEndpoint,
    ErasePerson,
    ExportPerson,
    GetPerson,
)
from warmintro.domain.errors import NotFound, NotPermitted
from warmintro.domain.events import EventType
from warmintro.domain.intro_request import DeclineReason, Role, State

ERASED = "[erased]"


async def erase(w: World, person_id: uuid.UUID) -> None:
    await w.run(ErasePerson(person_id), w.operator())


async def connect(w: World, person: uuid.UUID, other: uuid.UUID) -> None:
    await w.run(AddConnection(person, other, 3), w.operator())


# ---- erasure ------------------------------------------------------------------


async def test_asks_waiting_on_an_erased_person_move_on(w: World, cast: Cast) -> None:
    as_connector = await w.create(
        cast.asker, cast.connector, fallback_connector_ids=(cast.fallback,)
    )
    as_expert = await w.create(cast.stranger, cast.other_expert)
    await w.propose(as_expert.id, cast.other_expert, expert_id=cast.connector)

    await erase(w, cast.connector)

    handed = w.stored(as_connector.id)
    assert (handed.state, handed.connector_id) == (State.AWAITING_CONNECTOR, cast.fallback)
    back = w.stored(as_expert.id)
    assert (back.state, back.expert_id) == (State.AWAITING_CONNECTOR, None)
    assert ("connector_ask", cast.fallback, ()) in w.emails()
    assert ("connector_expert_unreachable", cast.other_expert, ()) in w.emails()


async def test_their_own_open_asks_are_withdrawn_telling_whoever_was_waited_on(
    w: World, cast: Cast
) -> None:
    waiting_on_connector = await w.create(cast.asker, cast.connector)
    waiting_on_expert = await w.create(cast.asker, cast.fallback, topic="Hiring")
    await w.propose(waiting_on_expert.id, cast.fallback, expert_id=cast.expert)
    introduced = await w.create(cast.asker, cast.stranger, topic="Fundraising")
    await w.propose(introduced.id, cast.stranger, expert_id=cast.other_expert)
    await w.accept(introduced.id, cast.other_expert)
    sent = len(w.emails())

    await erase(w, cast.asker)

    assert w.stored(waiting_on_connector.id).state is State.CANCELLED
    assert w.stored(waiting_on_expert.id).state is State.CANCELLED
    assert w.stored(introduced.id).state is State.INTRODUCED
    assert Counter(w.emails()[sent:]) == Counter(
        [("party_cancelled", cast.connector, ()), ("party_cancelled", cast.expert, ())]
    )


async def test_the_erased_person_keeps_only_their_id_and_is_then_not_found(
    w: World, cast: Cast
) -> None:
    commits = w.commits

    await erase(w, cast.asker)

    person = w.store.person(w.workspace.id, cast.asker)
    assert person is not None
    assert person.erased_at == w.clock.now()
    assert (person.name, person.headline) == ("", "")
    # Not a word of the address is left (the id's hex may spell "ada" by chance).
    assert "ada@" not in person.email and "example.org" not in person.email
    assert not person.reachable()
    assert w.commits == commits + 1
    with pytest.raises(NotFound):
        await w.run(GetPerson(cast.asker), w.operator())
    with pytest.raises(NotFound):
        await erase(w, cast.asker)


async def test_connections_both_ways_are_gone(w: World, cast: Cast) -> None:
    await connect(w, cast.connector, cast.expert)
    await connect(w, cast.asker, cast.connector)
    await connect(w, cast.asker, cast.expert)

    await erase(w, cast.connector)

    assert set(w.store.data.connections) == {(w.workspace.id, cast.asker, cast.expert)}


async def test_the_asks_they_wrote_lose_their_topic_and_message(w: World, cast: Cast) -> None:
    theirs = await w.create(cast.asker, cast.connector)
    others = await w.create(cast.stranger, cast.connector)

    await erase(w, cast.asker)

    scrubbed, kept = w.stored(theirs.id), w.stored(others.id)
    assert (scrubbed.topic, scrubbed.message) == (ERASED, ERASED)
    assert (kept.topic, kept.message) == (TOPIC, MESSAGE)


async def test_the_notes_they_wrote_are_scrubbed_and_others_kept(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert, note="Cyd wrote this")
    await w.decide(request.id, cast.expert, Accept(note="Eve wrote this"))

    await erase(w, cast.connector)

    notes = {e.type: e.data.get("note") for e in w.store.stored_events(w.workspace.id, request.id)}
    assert notes[EventType.EXPERT_PROPOSED] == ERASED
    assert notes[EventType.INTRODUCED] == "Eve wrote this"
    assert w.stored(request.id).topic == TOPIC


async def test_subscribed_integrations_are_told_with_the_id_only(w: World, cast: Cast) -> None:
    wants: dict[str, tuple[str, ...]] = {
        "erasures": (EventType.PERSON_ERASED,),
        "everything": (),
        "asks": (EventType.CREATED,),
    }
    endpoints = {
        name: (await w.run(CreateEndpoint(f"https://{name}.test/hook", types), w.operator())).id
        for name, types in wants.items()
    }
    w.clock.advance(timedelta(hours=1))

    await erase(w, cast.asker)

    told = {
        d.endpoint_id: d.payload
        for d in w.store.data.webhook_deliveries.values()
        if d.event_type == EventType.PERSON_ERASED
    }
    assert set(told) == {endpoints["erasures"], endpoints["everything"]}
    assert told[endpoints["erasures"]] == {
        "type": "person.erased",
        "timestamp": "2026-01-05T10:00:00Z",
        "data": {"id": str(cast.asker)},
    }


async def test_a_member_may_erase_only_themself(w: World, cast: Cast) -> None:
    before = unchanged(w)
    with pytest.raises(NotPermitted):
        await w.run(ErasePerson(cast.expert), w.member(cast.asker))
    assert w.store.contents() == before

    await w.run(ErasePerson(cast.asker), w.member(cast.asker))

    person = w.store.person(w.workspace.id, cast.asker)
    assert person is not None and person.erased_at is not None


# ---- export -------------------------------------------------------------------


async def test_the_asker_exports_their_ask_without_the_expert_before_the_accept(
    w: World, cast: Cast
) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert, note="she knows")
    commits = w.commits

    export = await w.run(ExportPerson(cast.asker), w.member(cast.asker))

    assert export.person == w.store.person(w.workspace.id, cast.asker)
    [seen] = export.requests
    assert (seen.id, seen.viewer_role, seen.expert_id) == (request.id, Role.ASKER, None)
    assert [e.type for e in export.events] == [EventType.CREATED]
    assert w.commits == commits


async def test_an_export_holds_only_the_events_the_person_caused(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert, note="she knows")
    await w.decline(request.id, cast.expert, DeclineReason.NOT_NOW)

    export = await w.run(ExportPerson(cast.connector), w.operator())

    assert [(e.type, e.actor_id) for e in export.events] == [
        (EventType.EXPERT_PROPOSED, cast.connector)
    ]
    assert export.events[0].data["note"] == "she knows"
    assert [r.viewer_role for r in export.requests] == [Role.CONNECTOR]


async def test_an_export_shows_events_as_the_persons_own_timeline_does(
    w: World, cast: Cast
) -> None:
    """A connector who handed the ask on keeps their own acts whole (the expert they
    named included), but the request no longer shows them its expert."""
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    await w.decline(request.id, cast.expert)
    await w.forward(request.id, cast.connector, cast.fallback)

    export = await w.run(ExportPerson(cast.connector), w.operator())

    timeline = await w.events(request.id, w.member(cast.connector))
    assert export.events == [e for e in timeline if e.actor_id == cast.connector]
    assert [e.type for e in export.events] == [EventType.EXPERT_PROPOSED, EventType.FORWARDED]
    assert export.events[0].data["expert_id"] == str(cast.expert)
    assert export.requests[0].expert_id is None


async def test_an_export_holds_their_connections_and_who_knows_them(w: World, cast: Cast) -> None:
    await connect(w, cast.connector, cast.expert)
    await connect(w, cast.asker, cast.connector)
    await connect(w, cast.asker, cast.expert)

    export = await w.run(ExportPerson(cast.connector), w.member(cast.connector))

    assert [(c.person_id, c.other_id) for c in export.connections] == [
        (cast.connector, cast.expert)
    ]
    assert [(c.person_id, c.other_id) for c in export.known_by] == [(cast.asker, cast.connector)]
    assert export.requests == [] and export.events == []


async def test_another_member_may_not_export_someone(w: World, cast: Cast) -> None:
    with pytest.raises(NotPermitted):
        await w.run(ExportPerson(cast.asker), w.member(cast.connector))


async def test_an_erased_person_has_nothing_to_export(w: World, cast: Cast) -> None:
    await erase(w, cast.asker)
    with pytest.raises(NotFound):
        await w.run(ExportPerson(cast.asker), w.operator())
