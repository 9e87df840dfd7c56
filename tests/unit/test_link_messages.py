"""What a link page says after a decision: what happens next, by name, and never
anything the person holding the link may not know."""

from __future__ import annotations

import pytest

from warmintro.api.link_messages import what_happens_next
from warmintro.domain.action_links import LinkOutcome, Purpose
from warmintro.domain.intro_request import Action, State


def outcome(
    action: Action,
    purpose: Purpose,
    *,
    state: State | None = None,
    connector: str = "Cat",
    expert: str = "",
) -> LinkOutcome:
    return LinkOutcome(
        action,
        workspace="Northwind Alumni",
        purpose=purpose,
        asker="Ann",
        connector=connector,
        expert=expert,
        state=state,
    )


def said(outcome: LinkOutcome) -> str:
    heading, paragraphs = what_happens_next(outcome)
    return " ".join((heading, *paragraphs))


def test_after_a_proposal_the_connector_learns_what_follows_either_way() -> None:
    text = said(outcome(Action.PROPOSE, Purpose.CONNECTOR, expert="Eve"))
    assert text.startswith("Thank you. We have asked Eve")
    assert "If Eve agrees, we will introduce them to Ann by email and copy you" in text
    assert "if not, we will come back to you" in text.lower()


@pytest.mark.parametrize(
    ("state", "next_step"),
    [
        (State.DECLINED, "We will tell Ann that it did not work out this time."),
        (State.AWAITING_CONNECTOR, "Ann named someone else who might help"),
    ],
)
def test_a_connector_s_no_says_whether_the_ask_ends_or_goes_on(
    state: State, next_step: str
) -> None:
    text = said(outcome(Action.DECLINE, Purpose.CONNECTOR, state=state))
    assert next_step in text and "Your reason and your note stay with us." in text


def test_an_expert_s_no_goes_back_to_the_connector_and_never_to_the_asker() -> None:
    text = said(outcome(Action.DECLINE, Purpose.EXPERT, state=State.AWAITING_CONNECTOR))
    assert "We will tell Cat, so they can ask someone else" in text
    assert "Ann never learns that you were asked" in text


def test_an_expert_s_yes_says_everyone_has_the_introduction() -> None:
    text = said(outcome(Action.ACCEPT, Purpose.EXPERT, expert="Eve"))
    assert text.startswith("You and Ann are introduced")
    assert "We have emailed you both an introduction, copying Cat." in text


def test_a_forward_and_a_thank_you_name_who_has_it_now() -> None:
    forward = outcome(Action.FORWARD, Purpose.CONNECTOR, connector="Dan")
    assert said(forward).startswith("Thank you. We have passed it on to Dan")
    assert "We have sent Dan Ann's request" in said(forward)
    thanks = outcome(Action.FEEDBACK, Purpose.ASKER)
    assert "We have passed your answer on to Cat" in said(thanks)


def test_without_names_the_words_still_read() -> None:
    text = said(LinkOutcome(Action.PROPOSE, purpose=Purpose.CONNECTOR))
    assert "If them agrees" not in text and "  " not in text
