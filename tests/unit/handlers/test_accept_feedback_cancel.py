"""Accepting, giving feedback and cancelling; refused decisions commit nothing
and name the state; an API key decides only on behalf of a party."""

from __future__ import annotations

import pytest

from tests.unit.world import Cast, World, unchanged
from warmintro.domain.commands import (
    Accept,
    Cancel,
    Decide,
    Decision,
    Decline,
    GiveFeedback,
    Propose,
)
from warmintro.domain.errors import (
    InvalidInput,
    NotPermitted,
    WrongState,
)
from warmintro.domain.intro_request import (
    DeclineReason,
    Rating,
    State,
)


async def test_accept_introduces_both_in_one_message_with_the_connector_in_copy(
    w: World, cast: Cast
) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)

    await w.accept(request.id, cast.expert)

    assert w.stored(request.id).state is State.INTRODUCED
    intro = w.store.emails[-1]
    assert (intro.template, intro.recipient_id) == ("introduction", cast.asker)
    assert (intro.also_to_ids, intro.cc_ids) == ((cast.expert,), (cast.connector,))
    assert intro.event_id == w.store.stored_events(w.workspace.id, request.id)[-1].id
    assert [t for t, _, _ in w.emails()].count("introduction") == 1


async def test_accepting_twice_sends_the_introduction_once(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    await w.accept(request.id, cast.expert)

    await w.accept(request.id, cast.expert)

    assert [t for t, _, _ in w.emails()].count("introduction") == 1


async def test_feedback_thanks_the_connector(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    await w.accept(request.id, cast.expert)

    await w.feedback(request.id, cast.asker, Rating.YES)

    assert w.stored(request.id).state is State.COMPLETED
    assert w.emails()[-1] == ("connector_thank_you", cast.connector, ())


async def test_cancel_tells_whoever_is_being_waited_on(w: World, cast: Cast) -> None:
    waiting_on_connector = await w.create(cast.asker, cast.connector)
    waiting_on_expert = await w.create(cast.asker, cast.connector, topic="Hiring")
    await w.propose(waiting_on_expert.id, cast.connector, expert_id=cast.expert)

    await w.cancel(waiting_on_connector.id, cast.asker)
    assert w.emails()[-1] == ("party_cancelled", cast.connector, ())
    await w.cancel(waiting_on_expert.id, cast.asker)
    assert w.emails()[-1] == ("party_cancelled", cast.expert, ())


async def test_a_whole_lifecycle_sends_each_email_once(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    await w.accept(request.id, cast.expert)
    await w.feedback(request.id, cast.asker, Rating.SOMEWHAT)

    assert [t for t, _, _ in w.emails()] == [
        "asker_ask_sent",
        "connector_ask",
        "expert_consent",
        "introduction",
        "connector_thank_you",
    ]
    assert [e.seq for e in w.store.stored_events(w.workspace.id, request.id)] == [1, 2, 3, 4]
    assert w.stored(request.id).version == 3


@pytest.mark.parametrize(
    ("who", "action", "error"),
    [
        ("connector", "accept", NotPermitted),
        ("asker", "accept", NotPermitted),
        ("connector", "decline", WrongState),
        ("connector", "cancel", NotPermitted),
        ("asker", "feedback", WrongState),
        ("expert", "propose", WrongState),
    ],
)
async def test_a_refused_decision_commits_and_enqueues_nothing(
    w: World, cast: Cast, who: str, action: str, error: type[Exception]
) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    before = unchanged(w)
    actor = getattr(cast, who)
    commits = w.commits
    decisions: dict[str, Decision] = {
        "accept": Accept(),
        "decline": Decline(DeclineReason.BUSY),
        "cancel": Cancel(),
        "feedback": GiveFeedback(Rating.YES),
        "propose": Propose(expert_id=cast.other_expert),
    }

    with pytest.raises(error):
        await w.decide(request.id, actor, decisions[action])

    assert w.commits == commits
    assert w.store.contents() == before


async def test_a_wrong_state_error_names_the_current_state(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.decline(request.id, cast.connector)

    with pytest.raises(WrongState) as info:
        await w.cancel(request.id, cast.asker)

    assert info.value.current_state == State.DECLINED


async def test_an_api_key_deciding_without_on_behalf_of_is_invalid(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    with pytest.raises(InvalidInput) as info:
        await w.run(Decide(request.id, Cancel()), w.operator())
    assert info.value.facts["field"] == "X-On-Behalf-Of"
    assert w.stored(request.id).state is State.AWAITING_CONNECTOR


async def test_an_api_key_on_behalf_of_a_party_may_decide(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)

    await w.run(Decide(request.id, Cancel()), w.operator(on_behalf_of=cast.asker))

    assert w.stored(request.id).state is State.CANCELLED
