"""Targets in the loop, on fakes: whom the asker hopes to meet leads the current
connector's suggestions (the API's and the page's) when that connector knows them,
even off topic; the page names them to every connector who holds the ask; the
expert page says "asked for by name" only to the target; and only the target
among experts sees `target_id`."""

from __future__ import annotations

import uuid

from tests.unit.world import Cast, World
from warmintro.domain.action_links import DecisionPage, Purpose, Someone
from warmintro.domain.commands import AddConnection, GetIntroRequest, ShowActionLink, SuggestExperts
from warmintro.domain.intro_request import IntroRequest
from warmintro.domain.suggestions import Suggestion


async def connect(w: World, connector: uuid.UUID, *others: uuid.UUID, strength: int = 3) -> None:
    for other in others:
        await w.run(AddConnection(connector, other, strength), w.operator())


async def suggested(w: World, request: IntroRequest, limit: int = 10) -> list[Suggestion]:
    return await w.run(SuggestExperts(request.id, limit=limit), w.operator())


async def connector_page(w: World, request: IntroRequest) -> DecisionPage:
    token = w.issue_link(Purpose.CONNECTOR, request.connector_id, request.id)
    page = await w.use_cases(ShowActionLink(token))
    assert isinstance(page, DecisionPage), page
    return page


def pricing_people(w: World) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """Two who fit the topic, and the target, a gardener who does not."""
    pia = w.person("Pia", expertise=("b2b saas", "pricing"))
    sol = w.person("Sol", expertise=("pricing",))
    jane = w.person("Jane Doe", headline="Head gardener", expertise=("gardening",))
    return pia, sol, jane


async def test_a_known_target_leads_the_suggestions_even_off_topic(w: World, cast: Cast) -> None:
    pia, sol, jane = pricing_people(w)
    await connect(w, cast.connector, pia, sol, jane)
    request = await w.create(cast.asker, cast.connector, target_id=jane)

    found = await suggested(w, request)

    assert [s.person.id for s in found] == [jane, pia, sol]
    assert [s.target for s in found] == [True, False, False]
    assert found[0].score == 0.0
    assert [s.person.id for s in await suggested(w, request, limit=2)] == [jane, pia]


async def test_an_unknown_target_leaves_the_suggestions_as_they_were(w: World, cast: Cast) -> None:
    pia, sol, jane = pricing_people(w)
    await connect(w, cast.connector, pia, sol)
    plain = await w.create(cast.asker, cast.connector)
    targeted = await w.create(cast.asker, cast.connector, topic="Pricing, again", target_id=jane)

    assert [s.person.id for s in await suggested(w, targeted)] == [pia, sol]
    assert [s.person.id for s in await suggested(w, plain)] == [pia, sol]
    page = await connector_page(w, targeted)
    assert (page.target, page.target_suggested) == (Someone("Jane Doe", "Head gardener"), False)
    assert page.preselected == pia
    assert not any(c.target for c in page.candidates)


async def test_the_page_names_the_target_lists_them_first_and_preselects_them(
    w: World, cast: Cast
) -> None:
    pia, sol, jane = pricing_people(w)
    await connect(w, cast.connector, pia, sol, jane)
    request = await w.create(cast.asker, cast.connector, target_id=jane)

    page = await connector_page(w, request)

    assert (page.target, page.target_suggested) == (Someone("Jane Doe", "Head gardener"), True)
    assert page.preselected == jane
    assert [(c.name, c.target, c.suggested) for c in page.candidates] == [
        ("Jane Doe", True, True),
        ("Pia", False, True),
        ("Sol", False, True),
    ]


async def test_after_a_forward_the_new_connectors_network_decides(w: World, cast: Cast) -> None:
    pia, sol, jane = pricing_people(w)
    await connect(w, cast.connector, pia, jane)  # the first connector knows the target
    await connect(w, cast.fallback, sol)  # the next one does not
    request = await w.create(cast.asker, cast.connector, target_id=jane)
    await w.forward(request.id, cast.connector, cast.fallback)
    forwarded = w.stored(request.id)

    assert [s.person.id for s in await suggested(w, forwarded)] == [sol]
    page = await connector_page(w, forwarded)
    assert page.target == Someone("Jane Doe", "Head gardener"), "the next connector reads it too"
    assert page.preselected == sol

    await connect(w, cast.fallback, jane)  # now they know her: she leads
    assert [s.person.id for s in await suggested(w, forwarded)] == [jane, sol]
    assert (await connector_page(w, forwarded)).preselected == jane


async def test_a_target_forwarded_the_ask_is_not_named_to_themself(w: World, cast: Cast) -> None:
    pia, _, jane = pricing_people(w)
    await connect(w, cast.connector, pia, jane)
    await connect(w, jane, pia)
    request = await w.create(cast.asker, cast.connector, target_id=jane)
    await w.forward(request.id, cast.connector, jane)

    page = await connector_page(w, w.stored(request.id))

    assert page.target is None
    assert [c.id for c in page.candidates] == [pia]


async def test_the_expert_page_says_asked_for_by_name_only_to_the_target(
    w: World, cast: Cast
) -> None:
    pia, _, jane = pricing_people(w)
    await connect(w, cast.connector, pia, jane)
    for expert, by_name in ((jane, True), (pia, False)):
        request = await w.create(
            cast.asker, cast.connector, topic=f"Pricing {by_name}", target_id=jane
        )
        await w.propose(request.id, cast.connector, expert_id=expert)
        token = w.issue_link(Purpose.EXPERT, expert, request.id)

        page = await w.use_cases(ShowActionLink(token))

        assert isinstance(page, DecisionPage)
        assert (page.asked_for_by_name, page.target) == (by_name, None)


async def test_only_the_target_among_experts_sees_target_id(w: World, cast: Cast) -> None:
    pia, _, jane = pricing_people(w)
    await connect(w, cast.connector, pia, jane)
    other = await w.create(cast.asker, cast.connector, topic="Pricing one", target_id=jane)
    await w.propose(other.id, cast.connector, expert_id=pia)
    hers = await w.create(cast.asker, cast.connector, topic="Pricing two", target_id=jane)
    await w.propose(hers.id, cast.connector, expert_id=jane)

    assert (await w.run(GetIntroRequest(other.id), w.member(pia))).target_id is None
    created = (await w.events(other.id, w.member(pia)))[0]
    assert created.type == "intro_request.created" and "target_id" not in created.data
    assert (await w.run(GetIntroRequest(hers.id), w.member(jane))).target_id == jane
    assert (await w.events(hers.id, w.member(jane)))[0].data["target_id"] == str(jane)
    for party in (cast.asker, cast.connector):
        assert (await w.run(GetIntroRequest(other.id), w.member(party))).target_id == jane
