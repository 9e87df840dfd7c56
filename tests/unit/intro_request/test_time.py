"""Time moves a request: one reminder per wait, then expiry or hand-off; the
workspace's timing sets the deadlines."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.unit.intro_request.examples import (
    ASKER,
    CONNECTOR,
    EVERYONE,
    EXPERT,
    F1,
    F2,
    T0,
    TIMING,
    new_request,
    proposed,
    snapshot,
    types,
)
from warmintro.domain.errors import InvalidInput
from warmintro.domain.intro_request import (
    DeclineReason,
    State,
)
from warmintro.domain.people import Timing


def test_remind_does_nothing_before_the_reminder_is_due() -> None:
    request = new_request()
    before = snapshot(request)

    assert request.remind(T0 + timedelta(days=3) - timedelta(seconds=1)) is False

    assert snapshot(request) == before


def test_remind_the_connector_once() -> None:
    request = new_request()
    due = T0 + timedelta(days=3)

    assert request.remind(due) is True
    assert request.remind(due + timedelta(hours=12)) is False

    assert request.reminded is True
    assert types(request) == ["intro_request.created", "intro_request.reminder_due"]
    event = request.events[-1]
    assert event.actor_id is None
    assert event.data["role"] == "connector"
    assert event.data["person_id"] == str(CONNECTOR)


def test_remind_the_expert_at_four_days() -> None:
    request = proposed()

    assert request.remind(T0 + timedelta(days=4) - timedelta(seconds=1)) is False
    assert request.remind(T0 + timedelta(days=4)) is True

    assert request.events[-1].data["role"] == "expert"
    assert request.events[-1].data["person_id"] == str(EXPERT)


def test_a_new_wait_gets_its_own_reminder() -> None:
    request = new_request()
    request.remind(T0 + timedelta(days=3))
    request.propose(CONNECTOR, EXPERT, "", T0 + timedelta(days=3), TIMING)

    assert request.remind(T0 + timedelta(days=7)) is True


def test_remind_does_nothing_in_a_final_state() -> None:
    request = new_request()
    request.cancel(ASKER, T0)
    before = snapshot(request)

    assert request.remind(T0 + timedelta(days=30)) is False

    assert snapshot(request) == before


def test_expire_does_nothing_before_the_deadline() -> None:
    request = new_request()
    before = snapshot(request)

    assert request.expire(T0 + timedelta(days=5) - timedelta(seconds=1), TIMING) is False

    assert snapshot(request) == before


def test_expire_closes_a_request_the_connector_never_answered() -> None:
    request = new_request()
    deadline = T0 + timedelta(days=5)

    assert request.expire(deadline, TIMING) is True

    assert request.state is State.EXPIRED
    assert request.deadline_at is None
    event = request.events[-1]
    assert event.type == "intro_request.expired"
    assert event.actor_id is None
    assert event.data["waiting_on"] == "connector"


def test_an_expert_who_never_answered_returns_the_ask_to_the_same_connector() -> None:
    request = proposed(fallback_connector_ids=(F1,))
    deadline = T0 + timedelta(days=7)

    assert request.expire(deadline, TIMING, EVERYONE) is True

    assert request.state is State.AWAITING_CONNECTOR
    assert request.connector_id == CONNECTOR
    assert request.expert_id is None
    assert request.declined_expert_ids == (EXPERT,)
    assert request.decline_reason is DeclineReason.NO_ANSWER
    event = request.events[-1]
    assert event.type == "intro_request.expert_declined"
    assert event.actor_id is None
    assert event.data == {
        "state": "awaiting_connector",
        "expert_id": str(EXPERT),
        "reason": "no_answer",
        "note": "",
    }


def test_expire_hands_off_to_the_next_available_fallback() -> None:
    request = new_request(fallback_connector_ids=(F1, F2))
    deadline = T0 + timedelta(days=5)

    assert request.expire(deadline, TIMING, frozenset({F2})) is True

    assert request.state is State.AWAITING_CONNECTOR
    assert request.connector_id == F2
    assert request.past_connector_ids == (CONNECTOR,)
    assert request.declined_connector_ids == ()
    assert request.deadline_at == deadline + timedelta(days=5)
    event = request.events[-1]
    assert event.type == "intro_request.handed_off"
    assert event.data["cause"] == "expired"
    assert event.data["from_connector_id"] == str(CONNECTOR)


def test_expire_with_no_available_fallback_expires() -> None:
    request = new_request(fallback_connector_ids=(F1,))

    assert request.expire(T0 + timedelta(days=5), TIMING, frozenset()) is True

    assert request.state is State.EXPIRED


def test_expire_does_nothing_in_a_final_state() -> None:
    request = new_request()
    request.decline(CONNECTOR, DeclineReason.BUSY, "", T0, TIMING)
    before = snapshot(request)

    assert request.expire(T0 + timedelta(days=30), TIMING) is False

    assert snapshot(request) == before


def test_custom_timing_sets_the_deadlines() -> None:
    timing = Timing(
        connector_deadline=timedelta(days=2),
        connector_reminder=timedelta(days=1),
        expert_deadline=timedelta(hours=10),
        expert_reminder=timedelta(hours=2),
    )
    request = new_request(timing=timing)
    assert request.deadline_at == T0 + timedelta(days=2)
    request.propose(CONNECTOR, EXPERT, "", T0, timing)
    assert request.deadline_at == T0 + timedelta(hours=10)
    assert request.reminder_at == T0 + timedelta(hours=2)


def test_timing_rejects_a_reminder_after_its_deadline() -> None:
    with pytest.raises(InvalidInput):
        Timing(connector_deadline=timedelta(days=1), connector_reminder=timedelta(days=2))
