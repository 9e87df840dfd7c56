"""What each person may decide now (`actions_for`, `awaiting`), as the email-link
pages ask it, and "would this apply?" (`would_*`): True when it would change the
request, False for a repeat, an error naming the state when it does not apply.
The hypothesis state machine checks that the two always agree."""

from __future__ import annotations

import pytest

from tests.unit.intro_request.examples import (
    ASKER,
    C2,
    C3,
    C4,
    CONNECTOR,
    EXPERT,
    OTHER_EXPERT,
    STRANGER,
    T0,
    TIMING,
    introduced,
    new_request,
    proposed,
)
from warmintro.domain.errors import InvalidInput, NotPermitted, WrongState
from warmintro.domain.intro_request import MAX_HOPS, Action, DeclineReason, Rating, Role

CONNECTOR_ACTIONS = {Action.PROPOSE, Action.FORWARD, Action.DECLINE}


def test_a_new_ask_waits_on_its_connector_who_may_propose_forward_or_decline() -> None:
    request = new_request()
    assert request.awaiting(CONNECTOR) is Role.CONNECTOR
    assert request.actions_for(CONNECTOR) == CONNECTOR_ACTIONS
    assert request.actions_for(ASKER) == {Action.CANCEL}
    assert request.awaiting(ASKER) is None
    assert request.actions_for(STRANGER) == frozenset()


def test_once_the_hops_are_used_up_the_connector_may_no_longer_forward() -> None:
    request = new_request()
    connectors = [CONNECTOR, C2, C3, C4]
    for hop in range(MAX_HOPS):
        assert Action.FORWARD in request.actions_for(connectors[hop])
        request.forward(connectors[hop], connectors[hop + 1], "", T0, TIMING)
    last = connectors[MAX_HOPS]
    assert request.actions_for(last) == {Action.PROPOSE, Action.DECLINE}
    with pytest.raises(InvalidInput):
        request.would_forward(last, STRANGER)
    # Those who passed it on may do nothing more.
    assert all(request.actions_for(c) == frozenset() for c in connectors[:MAX_HOPS])


def test_a_proposal_waits_on_the_expert_who_may_accept_or_decline() -> None:
    request = proposed()
    assert request.awaiting(EXPERT) is Role.EXPERT
    assert request.actions_for(EXPERT) == {Action.ACCEPT, Action.DECLINE}
    assert request.awaiting(CONNECTOR) is None
    assert request.actions_for(CONNECTOR) == frozenset()
    assert request.actions_for(OTHER_EXPERT) == frozenset()


def test_an_expert_who_said_no_may_do_nothing_more_and_the_connector_decides_again() -> None:
    request = proposed()
    request.decline(EXPERT, DeclineReason.BUSY, "", T0, TIMING)
    assert request.actions_for(EXPERT) == frozenset()
    assert request.would_decline(EXPERT) is False  # the same no again: a repeat
    assert request.actions_for(CONNECTOR) == CONNECTOR_ACTIONS


def test_after_the_introduction_the_asker_may_give_feedback_or_cancel_and_then_nothing() -> None:
    request = introduced()
    assert request.actions_for(ASKER) == {Action.CANCEL, Action.FEEDBACK}
    assert request.actions_for(EXPERT) == frozenset()
    request.record_feedback(ASKER, Rating.YES, "", T0)
    assert request.actions_for(ASKER) == frozenset()
    assert request.would_record_feedback(ASKER, Rating.YES) is False
    with pytest.raises(WrongState):
        request.would_record_feedback(ASKER, Rating.NO)


def test_would_answers_true_for_a_change_false_for_a_repeat_and_raises_otherwise() -> None:
    request = proposed()
    assert request.would_propose(CONNECTOR, EXPERT) is False  # proposed already
    assert request.would_accept(EXPERT) is True
    with pytest.raises(NotPermitted):
        request.would_accept(STRANGER)
    with pytest.raises(WrongState) as info:
        request.would_propose(CONNECTOR, OTHER_EXPERT)
    assert info.value.current_state == "awaiting_expert"
    request.cancel(ASKER, T0)
    assert request.would_cancel(ASKER) is False
    with pytest.raises(WrongState):
        request.would_accept(EXPERT)


def test_asking_what_would_apply_changes_nothing() -> None:
    request = new_request()
    before = (request.state, request.version, request.event_seq, list(request.events))
    request.would_propose(CONNECTOR, EXPERT)
    request.would_forward(CONNECTOR, C2)
    request.would_decline(CONNECTOR)
    request.would_cancel(ASKER)
    request.actions_for(CONNECTOR)
    assert (request.state, request.version, request.event_seq, list(request.events)) == before
