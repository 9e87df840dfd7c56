"""The expert accepts, the asker cancels or says whether it helped; each only by
the right person, in the right state, once."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from tests.unit.intro_request.examples import (
    ASKER,
    CONNECTOR,
    EXPERT,
    STRANGER,
    T0,
    TIMING,
    introduced,
    new_request,
    proposed,
    snapshot,
)
from warmintro.domain.errors import NotPermitted, WrongState
from warmintro.domain.intro_request import (
    DeclineReason,
    Rating,
    State,
)


def test_accept_introduces_everyone() -> None:
    request = proposed()
    later = T0 + timedelta(days=1)

    assert request.accept(EXPERT, "glad to", later) is True

    assert request.state is State.INTRODUCED
    assert request.introduced_at == later
    assert request.deadline_at is None
    assert request.reminder_at is None
    event = request.events[-1]
    assert event.type == "intro_request.introduced"
    assert event.actor_id == EXPERT
    assert event.data["expert_id"] == str(EXPERT)


def test_accept_repeated_is_idempotent() -> None:
    request = introduced()
    before = snapshot(request)

    assert request.accept(EXPERT, "", T0 + timedelta(days=1)) is False

    assert snapshot(request) == before


@pytest.mark.parametrize("actor", [ASKER, CONNECTOR, STRANGER])
def test_accept_by_anyone_but_the_expert_is_not_permitted(actor: uuid.UUID) -> None:
    request = proposed()
    with pytest.raises(NotPermitted):
        request.accept(actor, "", T0)
    assert request.state is State.AWAITING_EXPERT


def test_accept_before_a_proposal_names_the_state() -> None:
    request = new_request()
    with pytest.raises(WrongState) as info:
        request.accept(EXPERT, "", T0)
    assert info.value.current_state == State.AWAITING_CONNECTOR


def test_a_declined_expert_cannot_accept_later() -> None:
    request = proposed()
    request.decline(EXPERT, DeclineReason.BUSY, "", T0, TIMING)
    with pytest.raises(WrongState):
        request.accept(EXPERT, "", T0)
    assert request.state is State.AWAITING_CONNECTOR


@pytest.mark.parametrize("make", [new_request, proposed], ids=["awaiting_connector", "expert"])
def test_asker_cancels_an_open_request(make: Any) -> None:
    request = make()
    later = T0 + timedelta(hours=5)

    assert request.cancel(ASKER, later) is True

    assert request.state is State.CANCELLED
    assert request.deadline_at is None
    assert request.updated_at == later
    assert request.events[-1].type == "intro_request.cancelled"
    assert request.events[-1].actor_id == ASKER


def test_cancel_repeated_is_idempotent() -> None:
    request = new_request()
    request.cancel(ASKER, T0)
    before = snapshot(request)

    assert request.cancel(ASKER, T0 + timedelta(hours=1)) is False

    assert snapshot(request) == before


@pytest.mark.parametrize("actor", [CONNECTOR, STRANGER])
def test_cancel_by_anyone_but_the_asker_is_not_permitted(actor: uuid.UUID) -> None:
    request = new_request()
    with pytest.raises(NotPermitted):
        request.cancel(actor, T0)
    assert request.state is State.AWAITING_CONNECTOR


def test_cancel_after_introduction_stops_the_feedback_ask_and_keeps_the_expert() -> None:
    request = introduced()
    assert request.cancel(ASKER, T0) is True
    assert request.state is State.CANCELLED
    assert request.events[-1].data["was"] == "introduced"
    assert request.next_due() is None
    assert request.expert_visible_to_asker


def test_cancel_after_completion_names_the_state() -> None:
    request = introduced()
    request.record_feedback(ASKER, Rating.YES, "", T0)
    with pytest.raises(WrongState) as info:
        request.cancel(ASKER, T0)
    assert info.value.current_state == State.COMPLETED


def test_feedback_completes_the_request() -> None:
    request = introduced()
    later = T0 + timedelta(days=9)

    assert request.record_feedback(ASKER, Rating.SOMEWHAT, "useful", later) is True

    assert request.state is State.COMPLETED
    assert request.feedback_rating is Rating.SOMEWHAT
    assert request.updated_at == later
    event = request.events[-1]
    assert event.type == "intro_request.completed"
    assert event.data["rating"] == "somewhat"
    assert event.data["note"] == "useful"


def test_feedback_repeated_with_the_same_rating_is_idempotent() -> None:
    request = introduced()
    request.record_feedback(ASKER, Rating.YES, "", T0)
    before = snapshot(request)

    assert request.record_feedback(ASKER, Rating.YES, "", T0) is False

    assert snapshot(request) == before


def test_feedback_with_another_rating_after_completion_names_the_state() -> None:
    request = introduced()
    request.record_feedback(ASKER, Rating.YES, "", T0)

    with pytest.raises(WrongState) as info:
        request.record_feedback(ASKER, Rating.NO, "", T0)

    assert info.value.current_state == State.COMPLETED
    assert request.feedback_rating is Rating.YES


def test_feedback_before_the_introduction_names_the_state() -> None:
    request = proposed()
    with pytest.raises(WrongState) as info:
        request.record_feedback(ASKER, Rating.YES, "", T0)
    assert info.value.current_state == State.AWAITING_EXPERT


@pytest.mark.parametrize("actor", [CONNECTOR, EXPERT, STRANGER])
def test_feedback_by_anyone_but_the_asker_is_not_permitted(actor: uuid.UUID) -> None:
    request = introduced()
    with pytest.raises(NotPermitted):
        request.record_feedback(actor, Rating.YES, "", T0)
    assert request.state is State.INTRODUCED
