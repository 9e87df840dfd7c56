"""Whom a connector names by email, they see only as they typed them (the address
and the name): an expert until the expert accepts, as the asker sees no expert
before then; a connector they forward to, for good. No id in the request, the
list, the timeline, the link page: an id can be looked up, and would tell the
connector who owns the address. Once the expert accepts, the connector sees them
by id; by id, nothing changes. The person named and the workspace see the id
throughout; webhooks carry it, never the typed name. The asker, told whom their
ask was passed on to, hears the name typed."""

from __future__ import annotations

import uuid
from dataclasses import asdict, replace
from datetime import timedelta
from typing import Any

import pytest

from tests.unit.world import Cast, World
from warmintro.domain import commands as c
from warmintro.domain.action_links import AskerStatus, Purpose
from warmintro.domain.commands import Forward, NewPerson, Propose, ShowActionLink, UseActionLink
from warmintro.domain.events import EventType
from warmintro.domain.intro_request import DeclineReason, NamedAs, State
from warmintro.domain.views import for_integrations

TYPED = NewPerson("elle@Example.ORG", " Typed Name ")
"""As a connector might type it: the address is kept as it is normalised."""


def known_as(w: World, person_id: uuid.UUID, email: str, name: str = "Stored Name") -> None:
    person = w.store.person(w.workspace.id, person_id)
    assert person is not None
    w.store.data.people[(w.workspace.id, person_id)] = replace(person, email=email, name=name)


async def seen_by(w: World, rid: uuid.UUID, person: uuid.UUID) -> list[Any]:
    """Everything the API shows this person of the request: the view, the list, the
    timeline."""
    principal = w.member(person)
    view = await w.run(c.GetIntroRequest(rid), principal)
    listed = (await w.run(c.ListIntroRequests(), principal)).items
    events = await w.events(rid, principal)
    return [asdict(view), *(asdict(v) for v in listed), *(asdict(e) for e in events)]


def mentions(seen: list[Any], person_id: uuid.UUID) -> bool:
    return str(person_id) in repr(seen)


OWNERS = ["new", "known", "unaskable"]


async def named_expert(w: World, cast: Cast, owner: str) -> uuid.UUID | None:
    """The person who owns the typed address beforehand, if anyone does."""
    if owner == "new":
        return None
    until = w.clock.now() + timedelta(days=30)
    person = w.person("Owner", snooze_until=until) if owner == "unaskable" else cast.expert
    known_as(w, person, "elle@example.org")
    return person


@pytest.mark.parametrize("owner", OWNERS)
async def test_the_connector_sees_an_expert_named_by_email_only_as_typed(
    w: World, cast: Cast, owner: str
) -> None:
    await named_expert(w, cast, owner)
    request = await w.create(cast.asker, cast.connector)

    answer = await w.propose(request.id, cast.connector, expert=TYPED, note="she knows")

    expert = w.stored(request.id).expert_id
    assert expert is not None and answer.expert_id is None
    seen = await seen_by(w, request.id, cast.connector)
    assert not mentions(seen, expert) and "Stored Name" not in repr(seen)
    [proposal] = [e for e in await w.events(request.id, w.member(cast.connector)) if e.seq == 2]
    assert proposal.data == {
        "state": "awaiting_expert",
        "note": "she knows",
        "named_as": {"email": "elle@example.org", "name": "Typed Name"},
    }


async def test_the_reminder_and_the_no_answer_name_the_expert_as_typed(
    w: World, cast: Cast
) -> None:
    known_as(w, cast.expert, "elle@example.org")
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert=TYPED)
    w.clock.advance(timedelta(days=4))
    await w.fire_timers()
    w.clock.advance(timedelta(days=3))
    await w.fire_timers()

    events = await w.events(request.id, w.member(cast.connector))

    assert [e.type for e in events][-2:] == [
        "intro_request.reminder_due",
        "intro_request.expert_declined",
    ]
    assert all(e.data["named_as"]["name"] == "Typed Name" for e in events[-3:])
    assert not mentions(await seen_by(w, request.id, cast.connector), cast.expert)
    assert w.stored(request.id).decline_reason is DeclineReason.NO_ANSWER


async def test_the_experts_own_no_is_told_without_their_id(w: World, cast: Cast) -> None:
    known_as(w, cast.expert, "elle@example.org")
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert=TYPED)

    await w.decline(request.id, cast.expert)

    assert not mentions(await seen_by(w, request.id, cast.connector), cast.expert)
    # The next expert, named by id, is seen by id.
    again = await w.propose(request.id, cast.connector, expert_id=cast.other_expert)
    assert again.expert_id == cast.other_expert


async def test_once_the_expert_accepts_the_connector_sees_them_by_id(w: World, cast: Cast) -> None:
    known_as(w, cast.expert, "elle@example.org")
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert=TYPED)

    await w.accept(request.id, cast.expert)

    view = await w.run(c.GetIntroRequest(request.id), w.member(cast.connector))
    assert view.expert_id == cast.expert
    events = await w.events(request.id, w.member(cast.connector))
    assert events[1].data["expert_id"] == str(cast.expert)


async def test_by_id_the_connector_sees_the_expert_by_id(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)

    answer = await w.propose(request.id, cast.connector, expert_id=cast.expert)

    assert answer.expert_id == cast.expert
    events = await w.events(request.id, w.member(cast.connector))
    assert events[1].data["expert_id"] == str(cast.expert) and "named_as" not in events[1].data


async def test_the_expert_and_the_workspace_see_the_id_webhooks_not_the_typed_name(
    w: World, cast: Cast
) -> None:
    known_as(w, cast.expert, "elle@example.org")
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert=TYPED)

    as_expert = await w.run(c.GetIntroRequest(request.id), w.member(cast.expert))
    as_workspace = await w.run(c.GetIntroRequest(request.id), w.operator())
    assert as_expert.expert_id == as_workspace.expert_id == cast.expert
    workspace_events = await w.events(request.id, w.operator())
    assert workspace_events[1].data["expert_id"] == str(cast.expert)
    stored = w.store.data.events[(w.workspace.id, request.id)]
    hooked = for_integrations(stored[1])
    assert hooked["expert_id"] == str(cast.expert) and "named_as" not in hooked


async def test_the_connectors_link_page_names_the_expert_as_typed_when_opened_again(
    w: World, cast: Cast
) -> None:
    known_as(w, cast.expert, "elle@example.org")
    request = await w.create(cast.asker, cast.connector)
    token = w.issue_link(Purpose.CONNECTOR, cast.connector, request.id)
    chosen = Propose(expert=TYPED)
    await w.use_cases(UseActionLink(token, chosen))

    again = await w.use_cases(UseActionLink(token, chosen))

    assert (again.repeated, again.expert) == (True, "Typed Name")


async def test_erasing_the_expert_erases_what_was_typed_for_them(w: World, cast: Cast) -> None:
    known_as(w, cast.expert, "elle@example.org")
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert=TYPED)
    await w.cancel(request.id, cast.asker)

    await w.run(c.ErasePerson(cast.expert), w.operator())

    assert w.stored(request.id).expert_named_as == NamedAs("[erased]", "[erased]")
    stored = w.store.data.events[(w.workspace.id, request.id)]
    assert "elle@example.org" not in repr(stored)
    assert w.stored(request.id).state is State.CANCELLED


@pytest.mark.parametrize("owner", OWNERS)
async def test_the_connector_who_forwards_by_email_sees_the_next_only_as_typed(
    w: World, cast: Cast, owner: str
) -> None:
    await named_expert(w, cast, owner)
    request = await w.create(cast.asker, cast.connector)

    answer = await w.decide(request.id, cast.connector, Forward(connector=TYPED, note="ask her"))

    holder = w.stored(request.id).connector_id
    assert holder != cast.connector and answer.connector_id is None
    seen = await seen_by(w, request.id, cast.connector)
    assert not mentions(seen, holder) and "Stored Name" not in repr(seen)
    forward = (await w.events(request.id, w.member(cast.connector)))[-1]
    assert forward.data == {
        "state": "awaiting_connector",
        "from_connector_id": str(cast.connector),
        "hops": 1,
        "note": "ask her",
        "named_as": {"email": "elle@example.org", "name": "Typed Name"},
    }


async def test_the_asker_hears_the_typed_name_and_the_named_connector_sees_it_whole(
    w: World, cast: Cast
) -> None:
    known_as(w, cast.expert, "elle@example.org")
    request = await w.create(cast.asker, cast.connector)
    status_link = w.issue_link(Purpose.ASKER, cast.asker, request.id)

    await w.decide(request.id, cast.connector, Forward(connector=TYPED))

    forward = (await w.events(request.id, w.member(cast.asker)))[-1]
    assert forward.data["named_as"] == {"name": "Typed Name"}
    assert forward.data["connector_id"] == str(cast.expert)  # it is their ask: who has it
    status = await w.use_cases(ShowActionLink(status_link))
    assert isinstance(status, AskerStatus)
    assert status.connector.name == "Typed Name" and status.timeline[-1].who == "Typed Name"
    as_named = await w.run(c.GetIntroRequest(request.id), w.member(cast.expert))
    assert as_named.connector_id == cast.expert
    theirs = (await w.events(request.id, w.member(cast.expert)))[-1]
    assert theirs.data["connector_id"] == str(cast.expert)
    stored = w.store.data.events[(w.workspace.id, request.id)]
    hooked = for_integrations(stored[-1])
    assert hooked["connector_id"] == str(cast.expert) and "named_as" not in hooked


async def test_the_forwarders_link_page_names_the_next_connector_as_typed(
    w: World, cast: Cast
) -> None:
    known_as(w, cast.expert, "elle@example.org")
    request = await w.create(cast.asker, cast.connector)
    token = w.issue_link(Purpose.CONNECTOR, cast.connector, request.id)

    done = await w.use_cases(UseActionLink(token, Forward(connector=TYPED)))
    again = await w.use_cases(UseActionLink(token, Forward(connector=TYPED)))

    assert (done.connector, again.connector, again.repeated) == ("Typed Name", "Typed Name", True)


async def test_a_connector_named_by_id_after_one_named_by_email_is_seen_by_id(
    w: World, cast: Cast
) -> None:
    known_as(w, cast.expert, "elle@example.org")
    request = await w.create(cast.asker, cast.connector)
    await w.decide(request.id, cast.connector, Forward(connector=TYPED))

    await w.decide(request.id, cast.expert, Forward(connector_id=cast.fallback))

    seen = await w.run(c.GetIntroRequest(request.id), w.member(cast.connector))
    assert seen.connector_id == cast.fallback


async def test_a_later_connector_sees_an_earlier_forward_by_the_name_typed_not_the_address(
    w: World, cast: Cast
) -> None:
    known_as(w, cast.expert, "elle@example.org")
    request = await w.create(cast.asker, cast.connector)
    await w.decide(request.id, cast.connector, Forward(connector=TYPED))
    await w.decide(request.id, cast.expert, Forward(connector_id=cast.fallback))

    seen = await seen_by(w, request.id, cast.fallback)

    assert "elle@example.org" not in repr(seen)
    first_forward = next(e for e in seen if e.get("type") is EventType.FORWARDED)
    assert first_forward["data"]["named_as"] == {"name": "Typed Name"}
