"""A bounce from the person the request waits on (IntroRequest.party_unreachable).

An expert who cannot be emailed is treated like a no without a reason: the ask goes
back to the connector, who may not propose them again. A connector who cannot be
emailed passes the ask to the next available fallback, else it expires. A bounce from
anyone else changes nothing. What a bounce records is nobody's act.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest

from tests.unit.intro_request.examples import (
    ASKER,
    CONNECTOR,
    EXPERT,
    F1,
    F2,
    OTHER_EXPERT,
    STRANGER,
    T0,
    TIMING,
    new_request,
    proposed,
    snapshot,
)
from warmintro.domain.errors import InvalidInput
from warmintro.domain.intro_request import DeclineReason, IntroRequest, Rating, Role, State

LATER = T0 + timedelta(days=2)
EVERYONE = frozenset({F1, F2})


# ---- the expert's email bounces ---------------------------------------------------------


def test_an_unreachable_expert_returns_the_ask_to_the_connector_with_a_fresh_deadline() -> None:
    request = proposed()
    assert request.remind(T0 + timedelta(days=4))

    assert request.party_unreachable(EXPERT, LATER, TIMING) is True

    assert request.state is State.AWAITING_CONNECTOR
    assert request.expert_id is None
    assert request.connector_id == CONNECTOR
    assert request.deadline_at == LATER + timedelta(days=5)
    assert request.reminder_at == LATER + timedelta(days=3)
    assert request.reminded is False
    assert request.updated_at == LATER


def test_an_unreachable_expert_is_recorded_by_nobody_with_the_expert_named() -> None:
    request = proposed()

    request.party_unreachable(EXPERT, LATER, TIMING)

    event = request.events[-1]
    assert len(request.events) == 3
    assert event.type == "intro_request.expert_unreachable"
    assert event.actor_id is None
    assert event.occurred_at == LATER
    assert event.data == {"state": "awaiting_connector", "expert_id": str(EXPERT)}


def test_an_unreachable_expert_leaves_no_decline_reason_behind() -> None:
    request = proposed()
    request.decline(EXPERT, DeclineReason.BUSY, "", T0, TIMING)
    request.propose(CONNECTOR, OTHER_EXPERT, "", T0, TIMING)

    request.party_unreachable(OTHER_EXPERT, LATER, TIMING)

    assert request.decline_reason is None


def test_an_unreachable_expert_stays_a_party_and_cannot_be_proposed_again() -> None:
    request = proposed()
    request.decline(EXPERT, DeclineReason.BUSY, "", T0, TIMING)
    request.propose(CONNECTOR, OTHER_EXPERT, "", T0, TIMING)

    request.party_unreachable(OTHER_EXPERT, LATER, TIMING)

    assert request.declined_expert_ids == (EXPERT, OTHER_EXPERT)
    assert request.role_of(OTHER_EXPERT) is Role.EXPERT
    assert {EXPERT, OTHER_EXPERT} <= request.parties()
    for expert in (EXPERT, OTHER_EXPERT):
        with pytest.raises(InvalidInput):
            request.propose(CONNECTOR, expert, "", LATER, TIMING)


# ---- the connector's email bounces --------------------------------------------------------


def test_an_unreachable_connector_hands_the_ask_to_the_next_available_fallback() -> None:
    request = new_request(fallback_connector_ids=(F1, F2))

    assert request.party_unreachable(CONNECTOR, LATER, TIMING, frozenset({F2})) is True

    assert request.state is State.AWAITING_CONNECTOR
    assert request.connector_id == F2
    assert request.past_connector_ids == (CONNECTOR,)
    assert request.fallback_connector_ids == ()
    assert request.deadline_at == LATER + timedelta(days=5)
    event = request.events[-1]
    assert event.type == "intro_request.handed_off"
    assert event.actor_id is None
    assert event.data == {
        "state": "awaiting_connector",
        "from_connector_id": str(CONNECTOR),
        "connector_id": str(F2),
        "cause": "unreachable",
    }


def test_an_unreachable_connector_without_an_available_fallback_expires_the_ask() -> None:
    request = new_request(fallback_connector_ids=(F1,))

    assert request.party_unreachable(CONNECTOR, LATER, TIMING, frozenset()) is True

    assert request.state is State.EXPIRED
    assert request.deadline_at is None
    assert request.reminder_at is None
    assert request.updated_at == LATER
    event = request.events[-1]
    assert len(request.events) == 2
    assert event.type == "intro_request.expired"
    assert event.actor_id is None
    assert event.occurred_at == LATER
    assert event.data == {"state": "expired", "waiting_on": "connector", "cause": "unreachable"}


def test_an_unreachable_connector_without_fallbacks_expires_the_ask() -> None:
    request = new_request()

    assert request.party_unreachable(CONNECTOR, LATER, TIMING) is True

    assert request.state is State.EXPIRED


# ---- a bounce from anyone else ------------------------------------------------------------


def _introduced() -> IntroRequest:
    request = proposed()
    request.accept(EXPERT, "", T0)
    return request


def _expert_declined() -> IntroRequest:
    request = proposed()
    request.decline(EXPERT, DeclineReason.BUSY, "", T0, TIMING)
    return request


def _forwarded() -> IntroRequest:
    request = new_request()
    request.forward(CONNECTOR, F1, "", T0, TIMING)
    return request


def _completed() -> IntroRequest:
    request = _introduced()
    request.record_feedback(ASKER, Rating.YES, "", T0)
    return request


def _declined() -> IntroRequest:
    request = new_request()
    request.decline(CONNECTOR, DeclineReason.BUSY, "", T0, TIMING)
    return request


def _cancelled_while_asking_the_expert() -> IntroRequest:
    request = proposed()
    request.cancel(ASKER, T0)
    return request


NOT_WAITED_ON: list[tuple[str, Callable[[], IntroRequest], uuid.UUID]] = [
    ("the asker, awaiting the connector", new_request, ASKER),
    ("a stranger, awaiting the connector", new_request, STRANGER),
    ("the connector, awaiting the expert", proposed, CONNECTOR),
    ("the asker, awaiting the expert", proposed, ASKER),
    ("an expert who declined", _expert_declined, EXPERT),
    ("a connector who forwarded", _forwarded, CONNECTOR),
    ("the introduced expert", _introduced, EXPERT),
    ("the connector of an introduced request", _introduced, CONNECTOR),
    ("the expert of a completed request", _completed, EXPERT),
    ("the connector of a declined request", _declined, CONNECTOR),
    ("the expert of a cancelled request", _cancelled_while_asking_the_expert, EXPERT),
]


@pytest.mark.parametrize(
    ("make", "bounced"),
    [(make, who) for _, make, who in NOT_WAITED_ON],
    ids=[label for label, _, _ in NOT_WAITED_ON],
)
def test_a_bounce_from_someone_not_waited_on_changes_nothing(
    make: Callable[[], IntroRequest], bounced: uuid.UUID
) -> None:
    request = make()
    before = snapshot(request)

    assert request.party_unreachable(bounced, LATER, TIMING, EVERYONE) is False

    assert snapshot(request) == before
