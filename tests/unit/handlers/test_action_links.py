"""Using an email link, on fakes (`UseActionLink`): the decision and the mark that the
link was used are one transaction; a decision link works once (the same decision
again is "already answered", another is refused); a refusal stores nothing; an
unsubscribe link may be used again. What the pages show: test_action_link_pages.py."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.unit.world import Cast, World, unchanged
from warmintro.domain.action_links import UNSUBSCRIBE, LinkOutcome, Purpose, token_hash
from warmintro.domain.commands import (
    Accept,
    Cancel,
    Decision,
    Decline,
    GiveFeedback,
    NewPerson,
    Propose,
    Unsubscribe,
    UseActionLink,
)
from warmintro.domain.errors import (
    InvalidInput,
    LinkAlreadyUsed,
    LinkExpired,
    MovedOn,
    NotFound,
    NotOffered,
    RecipientUnavailable,
    WrongState,
)
from warmintro.domain.intro_request import MAX_NOTE, Action, DeclineReason, IntroRequest, Rating
from warmintro.domain.intro_request import State as S


async def use(w: World, token: str, decision: Decision | Unsubscribe | None) -> LinkOutcome:
    return await w.use_cases(UseActionLink(token, decision))


def used_action(w: World, token: str) -> str | None:
    return w.store.data.action_links[(w.workspace.id, token_hash(token))].used_action


async def asked(w: World, cast: Cast) -> tuple[IntroRequest, str]:
    """An ask waiting on the connector, and the connector's link."""
    request = await w.create(cast.asker, cast.connector)
    return request, w.issue_link(Purpose.CONNECTOR, cast.connector, request.id)


async def test_each_link_takes_its_decision_and_is_marked_in_one_commit(
    w: World, cast: Cast
) -> None:
    request, connector_link = await asked(w, cast)
    steps: list[tuple[str, Purpose, uuid.UUID, Decision, S]] = [
        ("connector", Purpose.CONNECTOR, cast.connector, Propose(cast.expert), S.AWAITING_EXPERT),
        ("expert", Purpose.EXPERT, cast.expert, Accept(note="Happy to"), S.INTRODUCED),
        ("asker", Purpose.ASKER, cast.asker, GiveFeedback(Rating.YES), S.COMPLETED),
    ]
    for role, purpose, person, decision, state in steps:
        token = connector_link if role == "connector" else w.issue_link(purpose, person, request.id)
        commits = w.commits
        w.clock.advance(timedelta(minutes=1))

        outcome = await use(w, token, decision)

        assert outcome == LinkOutcome(decision.action), role
        assert w.stored(request.id).state is state, role
        link = w.store.data.action_links[(w.workspace.id, token_hash(token))]
        assert (link.used_action, link.used_at) == (decision.action, w.clock.now()), role
        assert w.commits == commits + 1, role
    assert [t for t, *_ in w.emails()] == [
        "asker_ask_sent",
        "connector_ask",
        "expert_consent",
        "introduction",
        "connector_thank_you",
    ]


async def test_the_same_decision_again_is_answered_as_already_taken(w: World, cast: Cast) -> None:
    request, token = await asked(w, cast)
    await use(w, token, Propose(cast.expert))
    before, commits = unchanged(w), w.commits

    again = await use(w, token, Propose(cast.other_expert))

    assert again == LinkOutcome(Action.PROPOSE, repeated=True)
    assert w.store.contents() == before
    assert w.commits == commits
    assert w.stored(request.id).expert_id == cast.expert


async def test_another_decision_on_a_used_link_is_refused(w: World, cast: Cast) -> None:
    _, token = await asked(w, cast)
    await use(w, token, Propose(cast.expert))
    before = unchanged(w)

    with pytest.raises(LinkAlreadyUsed) as info:
        await use(w, token, Decline(DeclineReason.BUSY))

    assert (info.value.used_for, info.value.asked) == (Action.PROPOSE, Action.DECLINE)
    assert w.store.contents() == before


@pytest.mark.parametrize(
    "decision",
    [Accept(), Cancel(), GiveFeedback(Rating.YES), Unsubscribe(), None],
    ids=["accept", "cancel", "feedback", "unsubscribe", "none"],
)
async def test_a_decision_the_link_does_not_offer_is_refused(
    w: World, cast: Cast, decision: Decision | Unsubscribe | None
) -> None:
    _, token = await asked(w, cast)
    before = unchanged(w)

    with pytest.raises(NotOffered):
        await use(w, token, decision)

    assert w.store.contents() == before


async def test_a_link_whose_turn_passed_to_someone_else_has_moved_on(w: World, cast: Cast) -> None:
    request, token = await asked(w, cast)
    await w.forward(request.id, cast.connector, cast.fallback)
    before = unchanged(w)

    with pytest.raises(MovedOn) as info:
        await use(w, token, Propose(cast.expert))

    assert info.value.current_state == S.AWAITING_CONNECTOR
    assert w.store.contents() == before


async def test_a_link_to_a_closed_request_names_its_state(w: World, cast: Cast) -> None:
    request, token = await asked(w, cast)
    await w.cancel(request.id, cast.asker)
    before = unchanged(w)

    with pytest.raises(WrongState) as info:
        await use(w, token, Decline(DeclineReason.BUSY))

    assert type(info.value) is WrongState
    assert info.value.current_state == S.CANCELLED
    assert w.store.contents() == before


async def test_an_expired_link_takes_no_decision(w: World, cast: Cast) -> None:
    _, token = await asked(w, cast)
    w.clock.advance(Purpose.CONNECTOR.lifetime)
    before = unchanged(w)

    with pytest.raises(LinkExpired):
        await use(w, token, Propose(cast.expert))

    assert w.store.contents() == before


async def test_a_forged_or_unrecorded_link_is_not_found(w: World, cast: Cast) -> None:
    _, token = await asked(w, cast)
    del w.store.data.action_links[(w.workspace.id, token_hash(token))]
    before = unchanged(w)

    for forged in ("link.forged", token):
        with pytest.raises(NotFound):
            await use(w, forged, Propose(cast.expert))

    assert w.store.contents() == before


async def test_a_refused_decision_stores_nothing_and_leaves_the_link_usable(
    w: World, cast: Cast
) -> None:
    shy = w.person("Shy", never_contact=True)
    request, token = await asked(w, cast)
    before = unchanged(w)

    with pytest.raises(RecipientUnavailable):
        await use(w, token, Propose(shy))
    with pytest.raises(InvalidInput):
        new = NewPerson("nina@example.org", "Nina")
        await use(w, token, Propose(expert=new, note="x" * (MAX_NOTE + 1)))

    assert w.store.contents() == before
    assert used_action(w, token) is None
    assert await use(w, token, Propose(cast.expert)) == LinkOutcome(Action.PROPOSE)
    assert w.stored(request.id).expert_id == cast.expert


async def test_unsubscribing_stops_contact_and_moves_waiting_asks_on(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector, fallback_connector_ids=(cast.fallback,))
    token = w.issue_link(Purpose.UNSUBSCRIBE, cast.connector)
    commits = w.commits

    outcome = await use(w, token, Unsubscribe())

    assert outcome == LinkOutcome(UNSUBSCRIBE)
    person = w.store.person(w.workspace.id, cast.connector)
    assert person is not None and person.preferences.never_contact
    moved = w.stored(request.id)
    assert (moved.state, moved.connector_id) == (S.AWAITING_CONNECTOR, cast.fallback)
    assert used_action(w, token) == UNSUBSCRIBE
    assert w.commits == commits + 1


async def test_an_unsubscribe_link_may_be_used_again(w: World, cast: Cast) -> None:
    token = w.issue_link(Purpose.UNSUBSCRIBE, cast.connector)
    await use(w, token, Unsubscribe())
    before = unchanged(w)

    assert await use(w, token, Unsubscribe()) == LinkOutcome(UNSUBSCRIBE)

    assert w.store.contents() == before
