"""What the page behind an email link shows, on fakes (`ShowActionLink`): the decision
it waits for, with what the person needs to take it; that nothing is left to decide
once the turn passed; that it was answered; or the unsubscribe page. Showing changes
nothing, since mail scanners fetch every link. Using links: test_action_links.py."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

import pytest

from tests.unit.world import MESSAGE, TOPIC, Cast, World, unchanged
from warmintro.domain.action_links import (
    ActionClaims,
    ActionLink,
    Answered,
    Candidate,
    DecisionPage,
    LinkPage,
    NothingToDecide,
    Purpose,
    Someone,
    UnsubscribePage,
    token_hash,
)
from warmintro.domain.commands import (
    AddConnection,
    ErasePerson,
    Propose,
    ShowActionLink,
    UpdatePerson,
    UseActionLink,
)
from warmintro.domain.errors import LinkExpired, NotFound
from warmintro.domain.intro_request import Action, DeclineReason, State


async def show(w: World, token: str) -> LinkPage:
    return await w.use_cases(ShowActionLink(token))


async def decision_page(w: World, token: str) -> DecisionPage:
    page = await show(w, token)
    assert isinstance(page, DecisionPage), page
    return page


async def test_the_connector_sees_the_ask_and_what_they_may_do(w: World, cast: Cast) -> None:
    await w.run(UpdatePerson(cast.asker, headline="Founder"), w.member(cast.asker))
    request = await w.create(cast.asker, cast.connector)

    page = await decision_page(w, w.issue_link(Purpose.CONNECTOR, cast.connector, request.id))

    assert page.purpose is Purpose.CONNECTOR
    assert page.actions == {Action.PROPOSE, Action.FORWARD, Action.DECLINE}
    assert (page.topic, page.message) == (TOPIC, MESSAGE)
    assert (page.asker, page.connector, page.expert) == (
        Someone("Ada", "Founder"),
        Someone("Cyd"),
        Someone("someone"),
    )
    assert page.expert_declined is None


async def test_candidates_come_suggested_first_without_parties_or_unreachable_people(
    w: World, cast: Cast
) -> None:
    zed = w.person("Zed", expertise=("b2b saas",), headline="Pricing advisor")
    abe = w.person("Abe")
    shy = w.person("Shy", expertise=("b2b saas",), never_contact=True)
    for other in (cast.asker, zed, abe, shy, cast.other_expert):
        await w.run(AddConnection(cast.connector, other, 3), w.operator())
    request = await w.create(cast.asker, cast.connector)

    page = await decision_page(w, w.issue_link(Purpose.CONNECTOR, cast.connector, request.id))

    assert page.candidates == (
        Candidate(zed, "Zed", "Pricing advisor", suggested=True),
        Candidate(abe, "Abe", "", suggested=False),
        Candidate(cast.other_expert, "Ezra", "", suggested=False),
    )


async def test_after_the_experts_no_the_connector_sees_why(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    await w.decline(request.id, cast.expert, DeclineReason.NOT_A_FIT)

    page = await decision_page(w, w.issue_link(Purpose.CONNECTOR, cast.connector, request.id))

    assert page.expert_declined is DeclineReason.NOT_A_FIT
    assert cast.expert not in {c.id for c in page.candidates}


async def test_a_connectors_own_no_is_not_shown_as_an_experts(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector, fallback_connector_ids=(cast.fallback,))
    await w.decline(request.id, cast.connector, DeclineReason.BUSY)

    page = await decision_page(w, w.issue_link(Purpose.CONNECTOR, cast.fallback, request.id))

    assert page.expert_declined is None


async def test_an_earlier_experts_no_is_not_shown_to_whoever_holds_the_ask_next(
    w: World, cast: Cast
) -> None:
    """Only the connector who named the expert hears why they said no: not a fallback
    who takes over after that connector's own no, nor someone it is forwarded to."""
    handed = await w.create(cast.asker, cast.connector, fallback_connector_ids=(cast.fallback,))
    await w.propose(handed.id, cast.connector, expert_id=cast.expert)
    await w.decline(handed.id, cast.expert, DeclineReason.NOT_A_FIT)
    await w.decline(handed.id, cast.connector, DeclineReason.BUSY)
    forwarded = await w.create(cast.asker, cast.connector, topic="Hiring a designer")
    await w.propose(forwarded.id, cast.connector, expert_id=cast.expert)
    await w.decline(forwarded.id, cast.expert, DeclineReason.NOT_NOW)
    await w.forward(forwarded.id, cast.connector, cast.stranger)

    for holder, request in ((cast.fallback, handed), (cast.stranger, forwarded)):
        link = w.issue_link(Purpose.CONNECTOR, holder, request.id)
        assert (await decision_page(w, link)).expert_declined is None


async def test_the_expert_sees_what_the_connector_wrote_when_proposing(
    w: World, cast: Cast
) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.other_expert, note="For Ezra")
    await w.decline(request.id, cast.other_expert)
    await w.propose(request.id, cast.connector, expert_id=cast.expert, note="You priced Acme")

    page = await decision_page(w, w.issue_link(Purpose.EXPERT, cast.expert, request.id))

    assert page.purpose is Purpose.EXPERT
    assert page.actions == {Action.ACCEPT, Action.DECLINE}
    assert page.proposal_note == "You priced Acme"
    assert (page.asker.name, page.expert.name) == ("Ada", "Eve")


async def test_once_the_turn_passed_there_is_nothing_to_decide(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    token = w.issue_link(Purpose.CONNECTOR, cast.connector, request.id)

    await w.forward(request.id, cast.connector, cast.fallback)
    assert await show(w, token) == NothingToDecide(State.AWAITING_CONNECTOR, "Alumni")

    await w.cancel(request.id, cast.asker)
    assert await show(w, token) == NothingToDecide(State.CANCELLED, "Alumni")


async def test_a_used_link_says_what_it_answered(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    token = w.issue_link(Purpose.CONNECTOR, cast.connector, request.id)
    await w.use_cases(UseActionLink(token, Propose(expert_id=cast.expert)))

    assert await show(w, token) == Answered(Action.PROPOSE, "Alumni")


async def test_an_unsubscribe_link_names_the_address_and_the_workspace(
    w: World, cast: Cast
) -> None:
    token = w.issue_link(Purpose.UNSUBSCRIBE, cast.expert)

    assert await show(w, token) == UnsubscribePage("eve@example.org", "Alumni")

    await w.run(ErasePerson(cast.expert), w.operator())
    with pytest.raises(NotFound):
        await show(w, token)


async def test_showing_a_link_changes_nothing(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    tokens = [
        w.issue_link(Purpose.CONNECTOR, cast.connector, request.id),
        w.issue_link(Purpose.EXPERT, cast.expert, request.id),
        w.issue_link(Purpose.ASKER, cast.asker, request.id),
        w.issue_link(Purpose.UNSUBSCRIBE, cast.expert),
    ]
    before, commits = unchanged(w), w.commits

    for token in tokens:
        await show(w, token)
        await show(w, token)

    assert w.store.contents() == before
    assert w.commits == commits
    assert all(link.used_at is None for link in w.store.data.action_links.values())


async def test_an_expired_link_says_so(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    token = w.issue_link(Purpose.CONNECTOR, cast.connector, request.id)
    w.clock.advance(Purpose.CONNECTOR.lifetime - timedelta(seconds=1))
    await decision_page(w, token)

    w.clock.advance(timedelta(seconds=1))
    with pytest.raises(LinkExpired):
        await show(w, token)


async def test_forged_unrecorded_or_mismatched_links_are_not_found(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    claims = ActionClaims(Purpose.CONNECTOR, w.workspace.id, cast.connector, request.id)
    unrecorded = w.link_tokens.mint(claims)
    # A genuine token whose hash is on record for someone else's link.
    mismatched = w.link_tokens.mint(claims)
    w.store.data.action_links[(w.workspace.id, token_hash(mismatched))] = ActionLink(
        replace(claims, person_id=cast.stranger),
        token_hash(mismatched),
        w.clock.now(),
        w.clock.now() + timedelta(days=1),
    )
    not_a_party = w.issue_link(Purpose.CONNECTOR, cast.stranger, request.id)
    no_such_request = w.issue_link(Purpose.CONNECTOR, cast.connector, uuid.uuid4())

    for token in ("link.forged", unrecorded, mismatched, not_a_party, no_such_request):
        with pytest.raises(NotFound):
            await show(w, token)
