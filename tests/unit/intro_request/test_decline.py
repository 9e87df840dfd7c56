"""Declining: the connector closes or hands off to the next available fallback;
the expert's no returns the request to the connector."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.unit.intro_request.examples import (
    CONNECTOR,
    EVERYONE,
    EXPERT,
    F1,
    F2,
    F3,
    OTHER_EXPERT,
    STRANGER,
    T0,
    TIMING,
    new_request,
    proposed,
    snapshot,
    types,
)
from warmintro.domain.errors import InvalidInput, NotPermitted, WrongState
from warmintro.domain.intro_request import (
    MAX_NOTE,
    DeclineReason,
    Role,
    State,
)


def test_connector_decline_without_fallbacks_closes_the_request() -> None:
    request = new_request()
    later = T0 + timedelta(days=1)

    assert request.decline(CONNECTOR, DeclineReason.BUSY, "swamped", later, TIMING) is True

    assert request.state is State.DECLINED
    assert request.decline_reason is DeclineReason.BUSY
    assert request.deadline_at is None
    assert request.reminder_at is None
    assert request.updated_at == later
    event = request.events[-1]
    assert event.type == "intro_request.declined"
    assert event.actor_id == CONNECTOR
    assert event.data["reason"] == "busy"
    assert event.data["state"] == "declined"


def test_connector_decline_hands_off_to_the_first_available_fallback() -> None:
    request = new_request(fallback_connector_ids=(F1, F2))
    later = T0 + timedelta(days=1)

    assert request.decline(CONNECTOR, DeclineReason.NOT_NOW, "", later, TIMING, EVERYONE) is True

    assert request.state is State.AWAITING_CONNECTOR
    assert request.connector_id == F1
    assert request.fallback_connector_ids == (F2,)
    assert request.declined_connector_ids == (CONNECTOR,)
    assert request.past_connector_ids == (CONNECTOR,)
    assert request.hops == 0
    assert request.deadline_at == later + timedelta(days=5)
    assert types(request) == ["intro_request.created", "intro_request.handed_off"]
    event = request.events[-1]
    assert event.data["from_connector_id"] == str(CONNECTOR)
    assert event.data["connector_id"] == str(F1)
    assert event.data["cause"] == "declined"


def test_connector_decline_skips_unavailable_fallbacks() -> None:
    request = new_request(fallback_connector_ids=(F1, F2, F3))

    request.decline(CONNECTOR, DeclineReason.BUSY, "", T0, TIMING, frozenset({F2, F3}))

    assert request.connector_id == F2
    assert F1 not in request.parties()
    assert request.fallback_connector_ids == (F3,)


def test_connector_decline_with_no_available_fallback_closes_the_request() -> None:
    request = new_request(fallback_connector_ids=(F1, F2))

    request.decline(CONNECTOR, DeclineReason.BUSY, "", T0, TIMING, frozenset())

    assert request.state is State.DECLINED
    assert request.connector_id == CONNECTOR
    assert request.fallback_connector_ids == ()
    assert types(request)[-1] == "intro_request.declined"


def test_fallbacks_are_tried_one_at_a_time_until_none_is_left() -> None:
    request = new_request(fallback_connector_ids=(F1, F2))

    request.decline(CONNECTOR, DeclineReason.BUSY, "", T0, TIMING, EVERYONE)
    request.decline(F1, DeclineReason.BUSY, "", T0, TIMING, EVERYONE)
    assert request.connector_id == F2
    request.decline(F2, DeclineReason.OTHER, "", T0, TIMING, EVERYONE)

    assert request.state is State.DECLINED
    assert request.declined_connector_ids == (CONNECTOR, F1, F2)


def test_a_fallback_already_part_of_the_request_is_skipped() -> None:
    request = new_request(fallback_connector_ids=(F1, F2))
    request.forward(CONNECTOR, F1, "", T0, TIMING)

    request.decline(F1, DeclineReason.BUSY, "", T0, TIMING, EVERYONE)

    assert request.connector_id == F2


def test_connector_decline_repeated_is_idempotent() -> None:
    request = new_request()
    request.decline(CONNECTOR, DeclineReason.BUSY, "", T0, TIMING)
    before = snapshot(request)

    assert request.decline(CONNECTOR, DeclineReason.OTHER, "", T0, TIMING) is False

    assert snapshot(request) == before


def test_decline_after_hand_off_by_the_old_connector_is_idempotent() -> None:
    request = new_request(fallback_connector_ids=(F1,))
    request.decline(CONNECTOR, DeclineReason.BUSY, "", T0, TIMING, EVERYONE)
    before = snapshot(request)

    assert request.decline(CONNECTOR, DeclineReason.BUSY, "", T0, TIMING, EVERYONE) is False

    assert snapshot(request) == before


def test_decline_by_a_non_party_is_not_permitted() -> None:
    request = new_request()
    with pytest.raises(NotPermitted):
        request.decline(STRANGER, DeclineReason.BUSY, "", T0, TIMING)
    assert request.state is State.AWAITING_CONNECTOR


def test_decline_by_the_connector_while_awaiting_the_expert_names_the_state() -> None:
    request = proposed()
    with pytest.raises(WrongState) as info:
        request.decline(CONNECTOR, DeclineReason.BUSY, "", T0, TIMING)
    assert info.value.current_state == State.AWAITING_EXPERT


def test_decline_with_an_oversize_note_changes_nothing() -> None:
    request = new_request(fallback_connector_ids=(F1,))
    before = snapshot(request)
    with pytest.raises(InvalidInput):
        request.decline(CONNECTOR, DeclineReason.BUSY, "x" * (MAX_NOTE + 1), T0, TIMING, EVERYONE)
    assert snapshot(request) == before


def test_expert_decline_returns_the_request_to_the_connector() -> None:
    request = proposed()
    later = T0 + timedelta(days=2)

    assert request.decline(EXPERT, DeclineReason.NOT_A_FIT, "not my field", later, TIMING) is True

    assert request.state is State.AWAITING_CONNECTOR
    assert request.expert_id is None
    assert request.connector_id == CONNECTOR
    assert request.decline_reason is DeclineReason.NOT_A_FIT
    assert request.declined_expert_ids == (EXPERT,)
    assert request.role_of(EXPERT) is Role.EXPERT
    assert request.deadline_at == later + timedelta(days=5)
    assert request.reminder_at == later + timedelta(days=3)
    event = request.events[-1]
    assert event.type == "intro_request.expert_declined"
    assert event.data["expert_id"] == str(EXPERT)
    assert event.data["reason"] == "not_a_fit"


def test_expert_decline_repeated_is_idempotent() -> None:
    request = proposed()
    request.decline(EXPERT, DeclineReason.BUSY, "", T0, TIMING)
    before = snapshot(request)

    assert request.decline(EXPERT, DeclineReason.BUSY, "", T0, TIMING) is False

    assert snapshot(request) == before


def test_after_an_expert_decline_the_connector_may_propose_someone_else() -> None:
    request = proposed()
    request.decline(EXPERT, DeclineReason.BUSY, "", T0, TIMING)

    assert request.propose(CONNECTOR, OTHER_EXPERT, "", T0, TIMING) is True
    assert request.accept(OTHER_EXPERT, "", T0) is True

    assert request.state is State.INTRODUCED
    assert request.expert_id == OTHER_EXPERT


def test_after_an_expert_decline_the_connector_may_decline() -> None:
    request = proposed()
    request.decline(EXPERT, DeclineReason.BUSY, "", T0, TIMING)

    assert request.decline(CONNECTOR, DeclineReason.NOT_NOW, "", T0, TIMING) is True

    assert request.state is State.DECLINED
    assert request.decline_reason is DeclineReason.NOT_NOW
