"""Forwarding names a connector as proposing names an expert: someone known, or
someone new by name and email, created only when the forward happens."""

from __future__ import annotations

import pytest

from tests.unit.world import Cast, World, unchanged
from warmintro.domain import commands as c
from warmintro.domain.errors import InvalidInput, NotPermitted
from warmintro.domain.intro_request import State


def someone_new(email: str = "nia@example.org", name: str = "Nia Ng") -> c.Forward:
    return c.Forward(connector=c.NewPerson(email, name), note="she runs the pricing guild")


async def test_forward_to_someone_new_adds_them_and_asks_them(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)

    await w.decide(request.id, cast.connector, someone_new(" nia@example.org "))

    stored = w.stored(request.id)
    nia = next(p for p in w.store.data.people.values() if p.name == "Nia Ng")
    assert nia.email == "nia@example.org"
    assert (stored.state, stored.connector_id, stored.hops) == (
        State.AWAITING_CONNECTOR,
        nia.id,
        1,
    )
    assert w.emails()[-1] == ("connector_ask", nia.id, ())
    events = await w.events(request.id, w.member(cast.connector))
    assert events[-1].data["note"] == "she runs the pricing guild"


async def test_forward_by_the_email_of_someone_known_forwards_to_them(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    people_before = len(w.store.data.people)

    await w.decide(request.id, cast.connector, someone_new("flo@example.org", "Florence"))

    assert w.stored(request.id).connector_id == cast.fallback
    assert len(w.store.data.people) == people_before


async def test_forward_by_email_back_to_a_party_is_refused(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    before = unchanged(w)

    with pytest.raises(InvalidInput):
        await w.decide(request.id, cast.connector, someone_new("ada@example.org", "Ada"))

    assert w.store.contents() == before


async def test_only_the_current_connector_may_forward_to_someone_new(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    before = unchanged(w)

    with pytest.raises(NotPermitted):
        await w.decide(request.id, cast.asker, someone_new())

    assert w.store.contents() == before  # nobody was created for a refused forward


def test_a_forward_names_exactly_one_connector(cast: Cast) -> None:
    with pytest.raises(InvalidInput):
        c.Forward()
    with pytest.raises(InvalidInput):
        c.Forward(connector_id=cast.fallback, connector=c.NewPerson("nia@example.org", "Nia"))
