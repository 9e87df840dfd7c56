"""The connector proposes an expert or passes the ask on: only the current
connector may, once, never back to a party, at most MAX_HOPS times."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta

import pytest

from tests.unit.intro_request.examples import (
    ASKER,
    C2,
    C3,
    C4,
    C5,
    CONNECTOR,
    EXPERT,
    OTHER_EXPERT,
    STRANGER,
    T0,
    TIMING,
    new_request,
    proposed,
    snapshot,
)
from warmintro.domain.errors import InvalidInput, NotPermitted, WrongState
from warmintro.domain.intro_request import (
    MAX_HOPS,
    MAX_NOTE,
    DeclineReason,
    Role,
    State,
)


def test_propose_asks_the_expert_with_expert_deadlines() -> None:
    request = new_request()
    later = T0 + timedelta(days=1)

    assert request.propose(CONNECTOR, EXPERT, "note", later, TIMING) is True

    assert request.state is State.AWAITING_EXPERT
    assert request.expert_id == EXPERT
    assert request.deadline_at == later + timedelta(days=7)
    assert request.reminder_at == later + timedelta(days=4)
    event = request.events[-1]
    assert event.type == "intro_request.expert_proposed"
    assert event.actor_id == CONNECTOR
    assert event.data == {"state": "awaiting_expert", "expert_id": str(EXPERT), "note": "note"}


def test_propose_again_with_the_same_expert_is_idempotent() -> None:
    request = proposed()
    before = snapshot(request)

    assert request.propose(CONNECTOR, EXPERT, "again", T0 + timedelta(hours=1), TIMING) is False

    assert snapshot(request) == before


def test_propose_by_someone_other_than_the_connector_is_not_permitted() -> None:
    for actor in (ASKER, STRANGER, EXPERT):
        request = new_request()
        before = snapshot(request)
        with pytest.raises(NotPermitted):
            request.propose(actor, OTHER_EXPERT, "", T0, TIMING)
        assert snapshot(request) == before


def test_propose_by_a_past_connector_is_not_permitted() -> None:
    request = new_request()
    request.forward(CONNECTOR, C2, "", T0, TIMING)

    with pytest.raises(NotPermitted):
        request.propose(CONNECTOR, EXPERT, "", T0, TIMING)


def test_propose_another_expert_while_awaiting_one_names_the_state() -> None:
    request = proposed()
    before = snapshot(request)

    with pytest.raises(WrongState) as info:
        request.propose(CONNECTOR, OTHER_EXPERT, "", T0, TIMING)

    assert info.value.current_state == State.AWAITING_EXPERT
    assert snapshot(request) == before


@pytest.mark.parametrize("expert", [ASKER, CONNECTOR])
def test_propose_a_party_as_expert_is_invalid(expert: uuid.UUID) -> None:
    request = new_request()
    with pytest.raises(InvalidInput) as info:
        request.propose(CONNECTOR, expert, "", T0, TIMING)
    assert info.value.facts["field"] == "expert_id"
    assert request.state is State.AWAITING_CONNECTOR


def test_propose_an_expert_who_declined_before_is_invalid() -> None:
    request = proposed()
    request.decline(EXPERT, DeclineReason.BUSY, "", T0, TIMING)

    with pytest.raises(InvalidInput):
        request.propose(CONNECTOR, EXPERT, "", T0, TIMING)
    assert request.state is State.AWAITING_CONNECTOR


def test_propose_with_an_oversize_note_changes_nothing() -> None:
    request = new_request()
    before = snapshot(request)

    with pytest.raises(InvalidInput) as info:
        request.propose(CONNECTOR, EXPERT, "n" * (MAX_NOTE + 1), T0, TIMING)

    assert info.value.facts["field"] == "note"
    assert snapshot(request) == before


def test_forward_moves_the_ask_to_the_new_connector() -> None:
    request = new_request()
    later = T0 + timedelta(days=2)

    assert request.forward(CONNECTOR, C2, "she knows more", later, TIMING) is True

    assert request.state is State.AWAITING_CONNECTOR
    assert request.connector_id == C2
    assert request.hops == 1
    assert request.past_connector_ids == (CONNECTOR,)
    assert request.role_of(CONNECTOR) is Role.CONNECTOR
    assert request.deadline_at == later + timedelta(days=5)
    assert request.reminder_at == later + timedelta(days=3)
    event = request.events[-1]
    assert event.type == "intro_request.forwarded"
    assert event.data["from_connector_id"] == str(CONNECTOR)
    assert event.data["connector_id"] == str(C2)
    assert event.data["hops"] == 1


def test_forward_resets_the_reminder() -> None:
    request = new_request()
    assert request.remind(T0 + timedelta(days=3)) is True

    request.forward(CONNECTOR, C2, "", T0 + timedelta(days=3), TIMING)

    assert request.reminded is False


def test_forward_repeated_by_the_same_connector_is_idempotent() -> None:
    request = new_request()
    request.forward(CONNECTOR, C2, "", T0, TIMING)
    before = snapshot(request)

    assert request.forward(CONNECTOR, C2, "", T0 + timedelta(hours=1), TIMING) is False

    assert snapshot(request) == before


def test_forward_is_limited_to_max_hops() -> None:
    request = new_request()
    chain = [CONNECTOR, C2, C3, C4]
    for frm, to in itertools.pairwise(chain):
        assert request.forward(frm, to, "", T0, TIMING) is True
    assert request.hops == MAX_HOPS == 3
    before = snapshot(request)

    with pytest.raises(InvalidInput):
        request.forward(C4, C5, "", T0, TIMING)

    assert snapshot(request) == before


@pytest.mark.parametrize(
    "back_to", ["asker", "self", "previous_connector", "declined_expert"], ids=str
)
def test_forward_never_loops_back_to_a_party(back_to: str) -> None:
    request = proposed()
    request.decline(EXPERT, DeclineReason.NOT_A_FIT, "", T0, TIMING)
    request.forward(CONNECTOR, C2, "", T0, TIMING)
    target = {
        "asker": ASKER,
        "self": C2,
        "previous_connector": CONNECTOR,
        "declined_expert": EXPERT,
    }[back_to]
    before = snapshot(request)

    with pytest.raises(InvalidInput) as info:
        request.forward(C2, target, "", T0, TIMING)

    assert info.value.facts["field"] == "connector_id"
    assert snapshot(request) == before


def test_forward_by_someone_other_than_the_connector_is_not_permitted() -> None:
    request = new_request()
    with pytest.raises(NotPermitted):
        request.forward(ASKER, C2, "", T0, TIMING)
    assert request.connector_id == CONNECTOR


def test_forward_while_awaiting_the_expert_names_the_state() -> None:
    request = proposed()
    with pytest.raises(WrongState) as info:
        request.forward(CONNECTOR, C2, "", T0, TIMING)
    assert info.value.current_state == State.AWAITING_EXPERT
