"""What using a link tells its page (on fakes): the workspace, and the parties' names
as the person holding the link may see them; the unsubscribe link and its undo,
which takes back only the person's own "never contact me"."""

from __future__ import annotations

import pytest

from tests.unit.world import Cast, World, unchanged
from warmintro.domain.action_links import (
    RESUBSCRIBE,
    UNSUBSCRIBE,
    Answered,
    DecisionPage,
    LinkOutcome,
    NothingToDecide,
    Purpose,
    UnsubscribePage,
)
from warmintro.domain.commands import (
    Accept,
    Decision,
    Decline,
    ErasePerson,
    Forward,
    GiveFeedback,
    Propose,
    Resubscribe,
    ShowActionLink,
    Unsubscribe,
    UseActionLink,
)
from warmintro.domain.errors import NotFound, NotOffered
from warmintro.domain.intro_request import Action, DeclineReason, Rating, State
from warmintro.domain.people import EmailStatus

Choice = Decision | Unsubscribe | Resubscribe


async def use(w: World, token: str, decision: Choice) -> LinkOutcome:
    return await w.use_cases(UseActionLink(token, decision))


def names(outcome: LinkOutcome) -> tuple[str, str, str, str, State | None]:
    return outcome.workspace, outcome.asker, outcome.connector, outcome.expert, outcome.state


async def test_a_proposal_names_who_is_asked_and_for_whom(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    token = w.issue_link(Purpose.CONNECTOR, cast.connector, request.id)

    outcome = await use(w, token, Propose(cast.expert))

    assert outcome.purpose is Purpose.CONNECTOR
    assert names(outcome) == ("Alumni", "Ada", "Cyd", "Eve", State.AWAITING_EXPERT)
    again = await use(w, token, Propose(cast.expert))
    assert again.repeated and names(again) == names(outcome)


async def test_a_forward_names_who_holds_the_ask_now(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    token = w.issue_link(Purpose.CONNECTOR, cast.connector, request.id)

    outcome = await use(w, token, Forward(connector_id=cast.fallback))

    assert names(outcome) == ("Alumni", "Ada", "Flo", "", State.AWAITING_CONNECTOR)


async def test_an_expert_s_yes_names_everyone_introduced(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    token = w.issue_link(Purpose.EXPERT, cast.expert, request.id)

    outcome = await use(w, token, Accept())

    assert outcome.purpose is Purpose.EXPERT
    assert names(outcome) == ("Alumni", "Ada", "Cyd", "Eve", State.INTRODUCED)


async def test_a_connector_s_no_says_whether_the_ask_went_on_to_a_fallback(
    w: World, cast: Cast
) -> None:
    alone = await w.create(cast.asker, cast.connector, topic="pricing")
    with_fallback = await w.create(
        cast.asker, cast.connector, topic="hiring", fallback_connector_ids=(cast.fallback,)
    )
    no = Decline(DeclineReason.BUSY)

    closed = await use(w, w.issue_link(Purpose.CONNECTOR, cast.connector, alone.id), no)
    handed = await use(w, w.issue_link(Purpose.CONNECTOR, cast.connector, with_fallback.id), no)

    assert (closed.state, handed.state) == (State.DECLINED, State.AWAITING_CONNECTOR)


async def test_the_asker_s_thanks_names_the_connector_to_thank(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    await w.propose(request.id, cast.connector, expert_id=cast.expert)
    await w.accept(request.id, cast.expert)
    token = w.issue_link(Purpose.ASKER, cast.asker, request.id)

    outcome = await use(w, token, GiveFeedback(Rating.YES))

    assert names(outcome) == ("Alumni", "Ada", "Cyd", "Eve", State.COMPLETED)


async def test_unsubscribing_then_undoing_it_flips_never_contact_both_ways(
    w: World, cast: Cast
) -> None:
    token = w.issue_link(Purpose.UNSUBSCRIBE, cast.connector)
    page = ShowActionLink(token)
    assert await w.use_cases(page) == UnsubscribePage("cyd@example.org", "Alumni", False)

    stopped = await use(w, token, Unsubscribe())
    assert (stopped.action, stopped.workspace) == (UNSUBSCRIBE, "Alumni")
    assert await w.use_cases(page) == UnsubscribePage("cyd@example.org", "Alumni", True)

    undone = await use(w, token, Resubscribe())
    assert (undone.action, undone.workspace, undone.deliverable) == (RESUBSCRIBE, "Alumni", True)
    person = w.store.person(w.workspace.id, cast.connector)
    assert person is not None and person.reachable()
    assert await w.use_cases(page) == UnsubscribePage("cyd@example.org", "Alumni", False)

    before = unchanged(w)
    assert await use(w, token, Resubscribe()) == LinkOutcome(RESUBSCRIBE)
    assert w.store.contents() == before


async def test_undoing_an_unsubscribe_does_not_revive_a_bounced_address(
    w: World, cast: Cast
) -> None:
    bounced = w.person("Bo", email_status=EmailStatus.BOUNCED, never_contact=True)
    token = w.issue_link(Purpose.UNSUBSCRIBE, bounced)

    undone = await use(w, token, Resubscribe())

    assert not undone.deliverable, "the page must not promise emails that cannot arrive"
    person = w.store.person(w.workspace.id, bounced)
    assert person is not None and not person.preferences.never_contact
    assert person.email_status is EmailStatus.BOUNCED and not person.reachable()


async def test_an_erased_person_cannot_undo_their_unsubscribe(w: World, cast: Cast) -> None:
    token = w.issue_link(Purpose.UNSUBSCRIBE, cast.expert)
    await w.run(ErasePerson(cast.expert), w.operator())
    before = unchanged(w)

    with pytest.raises(NotFound):
        await use(w, token, Resubscribe())

    assert w.store.contents() == before


@pytest.mark.parametrize("purpose", [Purpose.CONNECTOR, Purpose.EXPERT, Purpose.ASKER])
async def test_only_an_unsubscribe_link_may_resubscribe(
    w: World, cast: Cast, purpose: Purpose
) -> None:
    request = await w.create(cast.asker, cast.connector)
    person = {Purpose.CONNECTOR: cast.connector, Purpose.EXPERT: cast.expert}.get(
        purpose, cast.asker
    )
    with pytest.raises(NotOffered):
        await use(w, w.issue_link(purpose, person, request.id), Resubscribe())
    assert Action.PROPOSE not in Purpose.UNSUBSCRIBE.offers


async def test_every_page_of_a_sound_link_names_the_workspace(w: World, cast: Cast) -> None:
    request = await w.create(cast.asker, cast.connector)
    connector = w.issue_link(Purpose.CONNECTOR, cast.connector, request.id)
    expert = w.issue_link(Purpose.EXPERT, cast.expert, request.id)

    asking = await w.use_cases(ShowActionLink(connector))
    await use(w, connector, Propose(cast.expert))
    answered = await w.use_cases(ShowActionLink(connector))
    await w.cancel(request.id, cast.asker)
    closed = await w.use_cases(ShowActionLink(expert))

    assert isinstance(asking, DecisionPage) and asking.workspace == "Alumni"
    assert answered == Answered(Action.PROPOSE, "Alumni")
    assert closed == NothingToDecide(State.CANCELLED, "Alumni")
