"""Connections and member tokens on fakes: people record whom they know (themselves,
or through the workspace's API key), once, and only to someone in the workspace; a
backend mints a member token for a person, for between a minute and a day."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.unit.world import Cast, World, unchanged
from warmintro.domain.commands import AddConnection, ListConnections, MintMemberToken
from warmintro.domain.errors import (
    AlreadyExists,
    InvalidInput,
    NotFound,
    NotPermitted,
    UnknownPerson,
)


def erase(w: World, person_id: uuid.UUID) -> None:
    person = w.store.person(w.workspace.id, person_id)
    assert person is not None
    w.store.data.people[(w.workspace.id, person_id)] = person.erased(w.clock.now())


# ---- connections ----------------------------------------------------------------


async def test_people_record_whom_they_know(w: World, cast: Cast) -> None:
    commits = w.commits
    made = await w.run(
        AddConnection(cast.connector, cast.expert, strength=4, context=" worked together "),
        w.member(cast.connector),
    )
    by_operator = await w.run(AddConnection(cast.asker, cast.connector, 2), w.operator())

    assert (made.person_id, made.other_id, made.strength) == (cast.connector, cast.expert, 4)
    assert made.context == "worked together"
    assert w.store.data.connections == {
        (w.workspace.id, cast.connector, cast.expert): made,
        (w.workspace.id, cast.asker, cast.connector): by_operator,
    }
    assert w.commits == commits + 2


async def test_a_member_may_not_record_connections_for_someone_else(w: World, cast: Cast) -> None:
    before = unchanged(w)
    with pytest.raises(NotPermitted):
        await w.run(AddConnection(cast.connector, cast.expert, 3), w.member(cast.asker))
    with pytest.raises(NotPermitted):
        await w.run(ListConnections(cast.connector), w.member(cast.asker))
    assert w.store.contents() == before


@pytest.mark.parametrize("other", ["unknown", "erased"])
async def test_a_connection_to_nobody_known_is_an_unknown_person(
    w: World, cast: Cast, other: str
) -> None:
    other_id = uuid.uuid4() if other == "unknown" else cast.expert
    if other == "erased":
        erase(w, cast.expert)
    before = unchanged(w)

    with pytest.raises(UnknownPerson) as info:
        await w.run(AddConnection(cast.connector, other_id, 3), w.member(cast.connector))

    assert info.value.facts["field"] == "person_id"
    assert w.store.contents() == before


async def test_a_connection_is_recorded_once(w: World, cast: Cast) -> None:
    me = w.member(cast.connector)
    await w.run(AddConnection(cast.connector, cast.expert, 3), me)
    before = unchanged(w)

    with pytest.raises(AlreadyExists):
        await w.run(AddConnection(cast.connector, cast.expert, 5), me)

    assert w.store.contents() == before


async def test_a_mutual_connection_records_both_directions_alike(w: World, cast: Cast) -> None:
    commits = w.commits
    made = await w.run(
        AddConnection(cast.connector, cast.expert, 4, "co-founders", mutual=True),
        w.member(cast.connector),
    )

    back = w.store.data.connections[(w.workspace.id, cast.expert, cast.connector)]
    assert (back.strength, back.context, back.created_at) == (4, "co-founders", made.created_at)
    assert len(w.store.data.connections) == 2
    assert w.commits == commits + 1


async def test_mutual_leaves_the_direction_the_other_recorded(w: World, cast: Cast) -> None:
    theirs = await w.run(AddConnection(cast.expert, cast.connector, 1, "met once"), w.operator())

    await w.run(AddConnection(cast.connector, cast.expert, 5, mutual=True), w.operator())

    assert w.store.data.connections[(w.workspace.id, cast.expert, cast.connector)] == theirs


async def test_a_mutual_connection_repeated_changes_nothing(w: World, cast: Cast) -> None:
    add = AddConnection(cast.connector, cast.expert, 4, mutual=True)
    await w.run(add, w.operator())
    before = unchanged(w)

    with pytest.raises(AlreadyExists):
        await w.run(add, w.operator())

    assert w.store.contents() == before


async def test_people_list_their_own_connections(w: World, cast: Cast) -> None:
    me = w.member(cast.connector)
    for other in (cast.expert, cast.other_expert):
        await w.run(AddConnection(cast.connector, other, 3), me)
    await w.run(AddConnection(cast.asker, cast.expert, 3), w.member(cast.asker))

    mine = await w.run(ListConnections(cast.connector), me)
    as_operator = await w.run(ListConnections(cast.connector), w.operator())

    assert {c.other_id for c in mine.items} == {cast.expert, cast.other_expert}
    assert as_operator.items == mine.items


# ---- member tokens ------------------------------------------------------------


@pytest.mark.parametrize("ttl", [timedelta(seconds=60), timedelta(hours=24)])
async def test_an_operator_mints_a_member_token_for_a_person(
    w: World, cast: Cast, ttl: timedelta
) -> None:
    minted = await w.run(MintMemberToken(cast.asker, ttl), w.operator())

    assert minted.person_id == cast.asker
    assert minted.expires_at == w.clock.now() + ttl
    assert w.member_tokens.verify(minted.token) == (w.workspace.id, cast.asker)


@pytest.mark.parametrize("ttl", [timedelta(seconds=59), timedelta(hours=24, seconds=1)])
async def test_a_member_token_lives_between_a_minute_and_a_day(
    w: World, cast: Cast, ttl: timedelta
) -> None:
    with pytest.raises(InvalidInput) as info:
        await w.run(MintMemberToken(cast.asker, ttl), w.operator())
    assert info.value.facts["field"] == "ttl_seconds"


async def test_a_member_may_not_mint_tokens(w: World, cast: Cast) -> None:
    with pytest.raises(NotPermitted):
        await w.run(MintMemberToken(cast.asker), w.member(cast.asker))


async def test_no_token_for_an_erased_person(w: World, cast: Cast) -> None:
    erase(w, cast.asker)
    with pytest.raises(NotFound):
        await w.run(MintMemberToken(cast.asker), w.operator())
