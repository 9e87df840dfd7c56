"""Who sees what: non-parties get not found, the asker never sees the expert
before the accept, members list only their own requests."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.paging import next_id
from tests.unit.world import Cast, World, unchanged
from warmintro.domain.access import Principal
from warmintro.domain.commands import (
    Cancel,
    Decide,
    Decline,
    GetIntroRequest,
    ListEvents,
    ListIntroRequests,
)
from warmintro.domain.errors import (
    InvalidInput,
    NotFound,
)
from warmintro.domain.ids import new_id
from warmintro.domain.intro_request import (
    DeclineReason,
    Role,
    State,
)
from warmintro.domain.people import Workspace


async def test_a_non_party_gets_not_found(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    stranger = w.member(cast.stranger)
    before = unchanged(w)

    with pytest.raises(NotFound):
        await w.run(GetIntroRequest(request.id), stranger)
    with pytest.raises(NotFound):
        await w.run(ListEvents(request.id), stranger)
    with pytest.raises(NotFound):
        await w.run(Decide(request.id, Cancel()), stranger)
    with pytest.raises(NotFound):
        await w.run(Decide(request.id, Decline(DeclineReason.BUSY)), stranger)

    assert w.store.contents() == before


async def test_a_request_of_another_workspace_is_not_found(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    elsewhere = Workspace(id=new_id(), name="Elsewhere", created_at=w.clock.now())

    with pytest.raises(NotFound):
        await w.run(GetIntroRequest(request.id), Principal(elsewhere, None, operator=True))
    with pytest.raises(NotFound):
        await w.run(Decide(request.id, Cancel()), Principal(elsewhere, cast.asker, False))


async def test_get_shows_the_request_as_the_viewer_may_see_it(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)

    as_asker = await w.run(GetIntroRequest(request.id), w.member(cast.asker))
    as_expert = await w.run(GetIntroRequest(request.id), w.member(cast.expert))
    as_operator = await w.run(GetIntroRequest(request.id), w.operator())

    assert as_asker.viewer_role is Role.ASKER
    assert as_asker.expert_id is None
    assert as_expert.expert_id == cast.expert
    assert as_operator.expert_id == cast.expert
    await w.accept(request.id, cast.expert)
    as_asker = await w.run(GetIntroRequest(request.id), w.member(cast.asker))
    assert as_asker.expert_id == cast.expert


async def test_the_asker_timeline_hides_the_expert_and_the_reasons(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    await w.decline(request.id, cast.expert, DeclineReason.NOT_A_FIT)
    await w.decline(request.id, cast.connector, DeclineReason.BUSY)

    asker_view = await w.events(request.id, w.member(cast.asker))
    connector_view = await w.events(request.id, w.member(cast.connector))

    assert [e.type for e in asker_view] == [
        "intro_request.created",
        "intro_request.declined",
    ]
    assert all("reason" not in e.data for e in asker_view)
    assert all(str(cast.expert) not in map(str, e.data.values()) for e in asker_view)
    assert [e.type for e in connector_view] == [
        "intro_request.created",
        "intro_request.expert_proposed",
        "intro_request.expert_declined",
        "intro_request.declined",
    ]
    assert connector_view[2].data["reason"] == "not_a_fit"
    assert connector_view[3].data["reason"] == "busy"


async def test_the_asker_timeline_shows_the_introduction(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    await w.accept(request.id, cast.expert)

    asker_view = await w.events(request.id, w.member(cast.asker))

    assert [e.type for e in asker_view] == [
        "intro_request.created",
        "intro_request.introduced",
    ]
    assert asker_view[-1].data["expert_id"] == str(cast.expert)


async def test_a_declined_expert_sees_only_their_own_part(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    await w.decline(request.id, cast.expert)
    await w.propose(request.id, cast.connector, expert_id=cast.other_expert)

    view = await w.events(request.id, w.member(cast.expert))

    assert [e.type for e in view] == [
        "intro_request.created",
        "intro_request.expert_proposed",
        "intro_request.expert_declined",
    ]


async def test_a_member_lists_only_their_own_requests(w: World, cast: Cast) -> None:
    mine = await w.create(cast.asker, cast.connector)
    theirs = await w.create(cast.stranger, cast.connector)

    page = await w.run(
        ListIntroRequests(role=None, state=None, after=None, limit=10), w.member(cast.asker)
    )
    everything = await w.run(
        ListIntroRequests(role=None, state=None, after=None, limit=10), w.operator()
    )

    assert [s.id for s in page.items] == [mine.id]
    assert page.items[0].viewer_role is Role.ASKER
    assert {s.id for s in everything.items} == {mine.id, theirs.id}


async def test_list_filters_by_role_and_state(w: World, cast: Cast) -> None:
    as_asker = await w.create(cast.connector, cast.fallback)
    as_connector = await w.create(cast.asker, cast.connector)
    closed = await w.create(cast.stranger, cast.connector)
    await w.decline(closed.id, cast.connector)
    me = w.member(cast.connector)

    asking = await w.run(ListIntroRequests(role=Role.ASKER, state=None, after=None, limit=10), me)
    connecting = await w.run(
        ListIntroRequests(role=Role.CONNECTOR, state=None, after=None, limit=10), me
    )
    declined = await w.run(
        ListIntroRequests(role=None, state=State.DECLINED, after=None, limit=10), me
    )

    assert [s.id for s in asking.items] == [as_asker.id]
    assert {s.id for s in connecting.items} == {as_connector.id, closed.id}
    assert [s.id for s in declined.items] == [closed.id]


async def test_list_pages_with_a_cursor_newest_first(w: World, cast: Cast) -> None:
    created = []
    for i in range(5):
        created.append((await w.create(cast.asker, cast.connector, topic=f"Topic {i}")).id)
        w.clock.advance(timedelta(minutes=1))
    seen: list[uuid.UUID] = []
    after = None
    pages = 0
    while True:
        page = await w.run(
            ListIntroRequests(role=None, state=None, after=after, limit=2), w.member(cast.asker)
        )
        seen += [s.id for s in page.items]
        pages += 1
        if page.next_after is None:
            break
        after = next_id(page)

    assert pages == 3
    assert seen == sorted(created, reverse=True)


async def test_filtering_by_role_without_a_person_is_invalid(w: World, cast: Cast) -> None:
    with pytest.raises(InvalidInput) as info:
        await w.run(
            ListIntroRequests(role=Role.ASKER, state=None, after=None, limit=10), w.operator()
        )
    assert info.value.facts["field"] == "role"
