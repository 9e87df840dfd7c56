"""The connector's page on fakes: opened on one expert by a suggestion's own link,
the top suggestion preselected, at most MAX_CANDIDATES options, and a search that
finds the rest. Showing changes nothing."""

from __future__ import annotations

import uuid

import pytest

from tests.unit.world import Cast, World, unchanged
from warmintro.domain.action_links import COUNTED_UP_TO, MAX_CANDIDATES, DecisionPage, Purpose
from warmintro.domain.commands import AddConnection, ShowActionLink
from warmintro.domain.people import Connection


async def page_of(
    w: World, token: str, expert_id: uuid.UUID | None = None, query: str = ""
) -> DecisionPage:
    page = await w.use_cases(ShowActionLink(token, expert_id=expert_id, query=query))
    assert isinstance(page, DecisionPage), page
    return page


async def connect(w: World, connector: uuid.UUID, *others: uuid.UUID) -> None:
    for other in others[:3]:
        await w.run(AddConnection(connector, other, 3), w.operator())
    # Large networks straight into the store: a use case per connection would copy
    # the whole fake store each time.
    ws = w.workspace.id
    for other in others[3:]:
        known = Connection(ws, connector, other, 3, "", w.clock.now())
        w.store.data.connections[(ws, connector, other)] = known


async def ask(w: World, cast: Cast) -> str:
    """The connector's link to a new ask."""
    request = await w.create(cast.asker, cast.connector)
    return w.issue_link(Purpose.CONNECTOR, cast.connector, request.id)


async def test_the_top_suggestion_is_preselected(w: World, cast: Cast) -> None:
    pricing = w.person("Pia", expertise=("b2b saas", "pricing"))
    saas = w.person("Sol", expertise=("b2b saas",))
    await connect(w, cast.connector, w.person("Abe"), saas, pricing)
    token = await ask(w, cast)

    page = await page_of(w, token)

    assert [c.name for c in page.candidates] == ["Pia", "Sol", "Abe"]
    assert page.preselected == pricing
    assert page.chosen is None


async def test_without_a_suggestion_nothing_is_preselected(w: World, cast: Cast) -> None:
    await connect(w, cast.connector, w.person("Abe"))
    token = await ask(w, cast)

    page = await page_of(w, token)

    assert page.preselected is None


async def test_a_suggestions_link_opens_the_page_on_that_expert(w: World, cast: Cast) -> None:
    pricing = w.person("Pia", expertise=("pricing",), headline="Pricing lead")
    await connect(w, cast.connector, pricing, cast.expert)
    token = await ask(w, cast)
    before = unchanged(w)

    page = await page_of(w, token, expert_id=cast.expert)

    assert page.chosen is not None
    assert (page.chosen.id, page.chosen.name) == (cast.expert, "Eve")
    assert page.preselected == cast.expert
    assert w.store.contents() == before


async def test_a_link_naming_someone_who_cannot_be_asked_opens_the_plain_page(
    w: World, cast: Cast
) -> None:
    shy = w.person("Shy", never_contact=True)
    await connect(w, cast.connector, shy, cast.asker, cast.expert)
    token = await ask(w, cast)

    for named in (shy, cast.asker, cast.stranger, uuid.uuid4()):
        page = await page_of(w, token, expert_id=named)
        assert page.chosen is None, named
        assert page.preselected != named


async def test_a_large_network_lists_at_most_the_limit_and_search_finds_the_rest(
    w: World, cast: Cast
) -> None:
    many = [w.person(f"Member {n:03d}", headline="Gardener") for n in range(200)]
    nia = w.person("Nia Quist", headline="Community lead", expertise=("events",))
    await connect(w, cast.connector, *many, nia)
    token = await ask(w, cast)

    page = await page_of(w, token)
    assert len(page.candidates) == MAX_CANDIDATES
    assert page.unlisted == 201 - MAX_CANDIDATES
    assert nia not in [c.id for c in page.candidates]

    for query in ("nia", "QUIST", "community", "events", "  nia   quist "):
        found = await page_of(w, token, query=query)
        assert [c.id for c in found.candidates] == [nia], query
        assert found.preselected == nia
        assert found.unlisted == 0
    assert (await page_of(w, token, query="nia quist")).query == "nia quist"
    assert (await page_of(w, token, query="nobody-like-this")).candidates == ()
    wide = await page_of(w, token, query="gardener")
    assert len(wide.candidates) == MAX_CANDIDATES
    assert wide.unlisted == 200 - MAX_CANDIDATES


@pytest.mark.parametrize(("network", "over"), [(COUNTED_UP_TO, False), (COUNTED_UP_TO + 1, True)])
async def test_a_network_past_the_count_says_over(
    w: World, cast: Cast, network: int, over: bool
) -> None:
    many = [w.person(f"Member {n:04d}") for n in range(network)]
    await connect(w, cast.connector, *many)
    token = await ask(w, cast)

    page = await page_of(w, token)
    assert len(page.candidates) == MAX_CANDIDATES
    assert (page.unlisted, page.unlisted_over) == (COUNTED_UP_TO - MAX_CANDIDATES, over)


async def test_the_chosen_expert_stays_chosen_through_a_search(w: World, cast: Cast) -> None:
    many = [w.person(f"Member {n:03d}") for n in range(60)]
    await connect(w, cast.connector, *many, cast.expert)
    token = await ask(w, cast)

    page = await page_of(w, token, expert_id=many[-1], query="member")

    assert page.chosen is not None and page.chosen.id == many[-1]
    assert page.preselected == many[-1]
    assert many[-1] in [c.id for c in page.candidates]
    assert len(page.candidates) == MAX_CANDIDATES
    assert cast.expert not in [c.id for c in page.candidates]


async def test_a_search_never_lists_parties_or_people_who_cannot_be_asked(
    w: World, cast: Cast
) -> None:
    shy = w.person("Ada Shy", never_contact=True)
    await connect(w, cast.connector, shy, cast.asker)
    token = await ask(w, cast)

    page = await page_of(w, token, query="ada")

    assert page.candidates == ()
    assert page.preselected is None
