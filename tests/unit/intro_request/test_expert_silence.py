"""An expert's silence is a no (`no_answer`) that returns the ask to the same
connector; every return to a connector starts their wait afresh; an ask older than
the workspace's `ask_lifetime` ends at its next deadline instead."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from tests.unit.intro_request.examples import (
    CONNECTOR,
    EVERYONE,
    EXPERT,
    F1,
    OTHER_EXPERT,
    T0,
    TIMING,
    new_request,
    proposed,
    snapshot,
    types,
)
from warmintro.domain.errors import InvalidInput
from warmintro.domain.intro_request import GIVEN_REASONS, DeclineReason, IntroRequest, State
from warmintro.domain.people import Timing

LATER = T0 + timedelta(days=2)


def test_a_silent_expert_counts_as_declined_and_cannot_be_named_again() -> None:
    request = proposed()
    request.expire(T0 + timedelta(days=7), TIMING)

    with pytest.raises(InvalidInput) as info:
        request.propose(CONNECTOR, EXPERT, "", T0 + timedelta(days=7), TIMING)

    assert info.value.facts["field"] == "expert_id"
    assert request.propose(CONNECTOR, OTHER_EXPERT, "", T0 + timedelta(days=7), TIMING)


def test_nothing_happens_before_the_experts_deadline() -> None:
    request = proposed()
    before = snapshot(request)

    assert request.expire(T0 + timedelta(days=7) - timedelta(seconds=1), TIMING) is False

    assert snapshot(request) == before


def test_the_connector_is_reminded_again_after_a_silent_expert() -> None:
    request = proposed()
    back = T0 + timedelta(days=7)
    request.tick(back, TIMING)

    assert request.tick(back + timedelta(days=3), TIMING) is True

    assert types(request)[-1] == "intro_request.reminder_due"
    assert request.events[-1].data["role"] == "connector"


@pytest.mark.parametrize("reason", [DeclineReason.NO_ANSWER])
def test_nobody_may_give_no_answer_as_their_reason(reason: DeclineReason) -> None:
    expert_asked = proposed()
    connector_asked = new_request()
    before = snapshot(expert_asked)

    with pytest.raises(InvalidInput) as info:
        expert_asked.decline(EXPERT, reason, "", LATER, TIMING)
    with pytest.raises(InvalidInput):
        connector_asked.decline(CONNECTOR, reason, "", LATER, TIMING)

    assert info.value.facts["field"] == "reason"
    assert snapshot(expert_asked) == before
    assert reason not in GIVEN_REASONS
    assert set(GIVEN_REASONS) == set(DeclineReason) - {DeclineReason.NO_ANSWER}


def _expert_declines(now: datetime) -> IntroRequest:
    request = proposed()
    request.remind(T0 + timedelta(days=4))
    request.decline(EXPERT, DeclineReason.BUSY, "", now, TIMING)
    return request


def _expert_is_silent(now: datetime) -> IntroRequest:
    request = proposed()
    request.remind(T0 + timedelta(days=4))
    request.expire(now, TIMING)
    return request


def _expert_bounces(now: datetime) -> IntroRequest:
    request = proposed()
    request.party_unreachable(EXPERT, now, TIMING)
    return request


def _forwarded(now: datetime) -> IntroRequest:
    request = new_request()
    request.remind(T0 + timedelta(days=3))
    request.forward(CONNECTOR, F1, "", now, TIMING)
    return request


def _handed_off_after_a_no(now: datetime) -> IntroRequest:
    request = new_request(fallback_connector_ids=(F1,))
    request.remind(T0 + timedelta(days=3))
    request.decline(CONNECTOR, DeclineReason.BUSY, "", now, TIMING, EVERYONE)
    return request


def _handed_off_after_silence(now: datetime) -> IntroRequest:
    request = new_request(fallback_connector_ids=(F1,))
    request.remind(T0 + timedelta(days=3))
    request.expire(now, TIMING, EVERYONE)
    return request


@pytest.mark.parametrize(
    "returns",
    [
        _expert_declines,
        _expert_is_silent,
        _expert_bounces,
        _forwarded,
        _handed_off_after_a_no,
        _handed_off_after_silence,
    ],
)
def test_every_return_to_a_connector_starts_their_wait_afresh(
    returns: Callable[[datetime], IntroRequest],
) -> None:
    now = T0 + timedelta(days=8)

    request = returns(now)

    assert request.state is State.AWAITING_CONNECTOR
    assert request.deadline_at == now + TIMING.connector_deadline
    assert request.reminder_at == now + TIMING.connector_reminder
    assert request.reminded is False


SHORT = Timing(
    connector_deadline=timedelta(days=5),
    connector_reminder=timedelta(days=3),
    expert_deadline=timedelta(days=7),
    expert_reminder=timedelta(days=4),
    ask_lifetime=timedelta(days=10),
)


def test_an_outlived_ask_expires_at_the_experts_deadline() -> None:
    request = new_request(timing=SHORT)
    request.propose(CONNECTOR, EXPERT, "", T0 + timedelta(days=3), SHORT)

    assert request.expire(T0 + timedelta(days=10), SHORT) is True

    assert request.state is State.EXPIRED
    assert request.events[-1].data["waiting_on"] == "expert"
    assert request.events[-1].actor_id is None


def test_an_outlived_ask_expires_at_the_connectors_deadline_instead_of_a_hand_off() -> None:
    request = new_request(timing=SHORT, fallback_connector_ids=(F1,))
    request.propose(CONNECTOR, EXPERT, "", T0, SHORT)
    request.decline(EXPERT, DeclineReason.BUSY, "", T0 + timedelta(days=6), SHORT)

    assert request.expire(T0 + timedelta(days=11), SHORT, EVERYONE) is True

    assert request.state is State.EXPIRED
    assert request.connector_id == CONNECTOR
    assert request.events[-1].data["waiting_on"] == "connector"


def test_an_ask_just_short_of_its_lifetime_still_goes_back_to_the_connector() -> None:
    request = new_request(timing=SHORT)
    request.propose(CONNECTOR, EXPERT, "", T0 + timedelta(days=3) - timedelta(seconds=1), SHORT)
    deadline = request.deadline_at
    assert deadline is not None and deadline - T0 < SHORT.ask_lifetime

    assert request.expire(deadline, SHORT) is True

    assert request.state is State.AWAITING_CONNECTOR
    assert request.outlived(T0 + SHORT.ask_lifetime, SHORT)
    assert not request.outlived(T0 + SHORT.ask_lifetime - timedelta(seconds=1), SHORT)
