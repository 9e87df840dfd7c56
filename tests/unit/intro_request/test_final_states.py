"""Across transitions: a final state refuses every decision and names itself;
events are numbered consecutively over a whole lifecycle."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.unit.intro_request.examples import (
    ASKER,
    C2,
    C5,
    CONNECTOR,
    EVERYONE,
    EXPERT,
    F1,
    OTHER_EXPERT,
    T0,
    TIMING,
    WS,
    introduced,
    new_request,
    snapshot,
    types,
)
from warmintro.domain.errors import WrongState
from warmintro.domain.intro_request import (
    DeclineReason,
    IntroRequest,
    Rating,
    Role,
    State,
)

FINAL_ACTIONS = {
    "propose": lambda r: r.propose(CONNECTOR, OTHER_EXPERT, "", T0, TIMING),
    "forward": lambda r: r.forward(CONNECTOR, C5, "", T0, TIMING),
    "accept": lambda r: r.accept(OTHER_EXPERT, "", T0),
    "cancel": lambda r: r.cancel(ASKER, T0),
    "feedback": lambda r: r.record_feedback(ASKER, Rating.NO, "", T0),
}


def _declined() -> IntroRequest:
    request = new_request()
    request.decline(CONNECTOR, DeclineReason.BUSY, "", T0, TIMING)
    return request


def _expired() -> IntroRequest:
    request = new_request()
    request.expire(T0 + timedelta(days=5), TIMING)
    return request


def _cancelled() -> IntroRequest:
    request = new_request()
    request.cancel(ASKER, T0)
    return request


def _completed() -> IntroRequest:
    request = introduced()
    request.record_feedback(ASKER, Rating.YES, "", T0)
    return request


FINAL_STATES = {
    State.DECLINED: _declined,
    State.EXPIRED: _expired,
    State.CANCELLED: _cancelled,
    State.COMPLETED: _completed,
}


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (state, action)
        for state in FINAL_STATES
        for action in sorted(FINAL_ACTIONS)
        # the asker cancelling again is the idempotent repeat (test_accept_cancel_feedback.py)
        if (state, action) != (State.CANCELLED, "cancel")
    ],
    ids=str,
)
def test_a_final_state_refuses_every_decision_and_names_itself(state: State, action: str) -> None:
    request = FINAL_STATES[state]()
    before = snapshot(request)

    with pytest.raises(WrongState) as info:
        FINAL_ACTIONS[action](request)

    assert info.value.current_state == state
    assert info.value.facts["current_state"] == state
    assert state.value in info.value.detail
    assert snapshot(request) == before


def test_connector_decline_in_a_final_state_names_the_state() -> None:
    request = _expired()
    with pytest.raises(WrongState) as info:
        request.decline(CONNECTOR, DeclineReason.BUSY, "", T0, TIMING)
    assert info.value.current_state == State.EXPIRED


def test_events_are_numbered_consecutively_over_a_whole_lifecycle() -> None:
    request = new_request(fallback_connector_ids=(F1,))
    request.decline(CONNECTOR, DeclineReason.BUSY, "", T0, TIMING, EVERYONE)
    request.forward(F1, C2, "", T0, TIMING)
    request.propose(C2, EXPERT, "", T0, TIMING)
    request.decline(EXPERT, DeclineReason.BUSY, "", T0, TIMING)
    request.propose(C2, OTHER_EXPERT, "", T0, TIMING)
    request.accept(OTHER_EXPERT, "", T0)
    request.record_feedback(ASKER, Rating.YES, "", T0)

    assert [e.seq for e in request.events] == list(range(1, 9))
    assert request.event_seq == 8
    assert all(e.request_id == request.id and e.workspace_id == WS for e in request.events)
    assert types(request) == [
        "intro_request.created",
        "intro_request.handed_off",
        "intro_request.forwarded",
        "intro_request.expert_proposed",
        "intro_request.expert_declined",
        "intro_request.expert_proposed",
        "intro_request.introduced",
        "intro_request.completed",
    ]
    assert request.role_of(EXPERT) is Role.EXPERT
    assert request.parties() == {ASKER, CONNECTOR, F1, C2, EXPERT, OTHER_EXPERT}
