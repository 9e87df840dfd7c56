"""IntroRequest rules the lifecycle tests leave loose: the facts a refusal carries (the
API returns them: `action` and `current_state` for a 409, `field` for a 422), what a
request keeps from its opening, and experts who said no staying out of reach."""

from __future__ import annotations

import dataclasses
import itertools
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

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
    T0,
    TIMING,
    introduced,
    new_request,
    proposed,
)
from warmintro.domain.errors import InvalidInput, WrongState
from warmintro.domain.intro_request import (
    MAX_NOTE,
    DeclineReason,
    IntroRequest,
    Rating,
    Role,
    State,
    topic_key,
)

THIRD_EXPERT, TARGET = uuid.uuid4(), uuid.uuid4()
LONG_NOTE = "n" * (MAX_NOTE + 1)


def completed() -> IntroRequest:
    request = introduced()
    request.record_feedback(ASKER, Rating.YES, "", T0)
    return request


def snapshot(request: IntroRequest) -> dict[str, Any]:
    values = {f.name: getattr(request, f.name) for f in dataclasses.fields(request)}
    values["events"] = list(request.events)
    return values


# ---- a transition from the wrong state names the action and the state ----------------------

WRONG_STATE: list[tuple[Callable[[], IntroRequest], Callable[[IntroRequest], bool], str]] = [
    (
        proposed,
        lambda r: r.propose(CONNECTOR, OTHER_EXPERT, "", T0, TIMING),
        "propose an expert for",
    ),
    (proposed, lambda r: r.forward(CONNECTOR, C2, "", T0, TIMING), "forward"),
    (proposed, lambda r: r.decline(CONNECTOR, DeclineReason.BUSY, "", T0, TIMING), "decline"),
    (new_request, lambda r: r.accept(EXPERT, "", T0, TIMING), "accept"),
    (completed, lambda r: r.cancel(ASKER, T0), "cancel"),
    (proposed, lambda r: r.record_feedback(ASKER, Rating.YES, "", T0), "give feedback on"),
]


@pytest.mark.parametrize(
    ("make", "act", "action"), WRONG_STATE, ids=[action for _, _, action in WRONG_STATE]
)
def test_a_wrong_state_refusal_names_the_action_and_the_current_state(
    make: Callable[[], IntroRequest], act: Callable[[IntroRequest], bool], action: str
) -> None:
    request = make()
    state = request.state
    before = snapshot(request)

    with pytest.raises(WrongState) as info:
        act(request)

    assert info.value.facts == {"action": action, "current_state": state}
    assert snapshot(request) == before


# ---- invalid input names its field ------------------------------------------------------------

LONG_NOTES: list[tuple[str, Callable[[], IntroRequest], Callable[[IntroRequest], bool]]] = [
    ("propose", new_request, lambda r: r.propose(CONNECTOR, EXPERT, LONG_NOTE, T0, TIMING)),
    ("forward", new_request, lambda r: r.forward(CONNECTOR, C2, LONG_NOTE, T0, TIMING)),
    (
        "connector-decline",
        new_request,
        lambda r: r.decline(CONNECTOR, DeclineReason.BUSY, LONG_NOTE, T0, TIMING),
    ),
    (
        "expert-decline",
        proposed,
        lambda r: r.decline(EXPERT, DeclineReason.BUSY, LONG_NOTE, T0, TIMING),
    ),
    ("accept", proposed, lambda r: r.accept(EXPERT, LONG_NOTE, T0, TIMING)),
    ("feedback", introduced, lambda r: r.record_feedback(ASKER, Rating.YES, LONG_NOTE, T0)),
]


@pytest.mark.parametrize(
    ("make", "act"), [(m, a) for _, m, a in LONG_NOTES], ids=[n for n, _, _ in LONG_NOTES]
)
def test_an_oversize_note_is_refused_as_the_note_field_and_changes_nothing(
    make: Callable[[], IntroRequest], act: Callable[[IntroRequest], bool]
) -> None:
    request = make()
    before = snapshot(request)

    with pytest.raises(InvalidInput) as info:
        act(request)

    assert info.value.facts["field"] == "note"
    assert snapshot(request) == before


def test_a_note_of_exactly_the_limit_is_kept() -> None:
    request = proposed()

    request.accept(EXPERT, "n" * MAX_NOTE, T0, TIMING)

    assert request.events[-1].data["note"] == "n" * MAX_NOTE


def test_a_forward_past_the_hop_limit_is_refused_as_the_connector_field() -> None:
    request = new_request()
    for frm, to in itertools.pairwise([CONNECTOR, C2, C3, C4]):
        request.forward(frm, to, "", T0, TIMING)

    with pytest.raises(InvalidInput) as info:
        request.forward(C4, C5, "", T0, TIMING)

    assert info.value.facts["field"] == "connector_id"


@pytest.mark.parametrize("topic", ["Pricing\nB2B", "Pricing\rB2B", "Pricing\x00B2B"])
def test_a_topic_of_more_than_one_line_is_refused_as_the_topic_field(topic: str) -> None:
    with pytest.raises(InvalidInput) as info:
        new_request(topic=topic)

    assert info.value.facts["field"] == "topic"


# ---- what a request keeps from its opening -----------------------------------------------------


def test_a_request_keeps_its_target() -> None:
    request = new_request(target_id=TARGET)

    assert request.target_id == TARGET


def test_a_new_request_was_created_and_last_updated_when_opened() -> None:
    request = new_request()

    assert (request.created_at, request.updated_at) == (T0, T0)


def test_topics_differing_only_in_case_and_spacing_share_one_key() -> None:
    assert topic_key("  Pricing   a B2B\tSaaS \n") == "pricing a b2b saas"
    assert topic_key("PRICING A B2B SAAS") == topic_key("pricing a  b2b saas")


# ---- experts who said no stay out of reach -----------------------------------------------------


def test_a_second_expert_decline_does_not_forget_the_first() -> None:
    request = proposed()
    request.decline(EXPERT, DeclineReason.BUSY, "", T0, TIMING)
    request.propose(CONNECTOR, OTHER_EXPERT, "", T0, TIMING)

    request.decline(OTHER_EXPERT, DeclineReason.NOT_A_FIT, "", T0, TIMING)

    assert request.declined_expert_ids == (EXPERT, OTHER_EXPERT)
    assert request.role_of(EXPERT) is Role.EXPERT
    assert {EXPERT, OTHER_EXPERT} <= request.parties()


@pytest.mark.parametrize("again", [EXPERT, OTHER_EXPERT], ids=["first", "second"])
def test_the_connector_cannot_propose_an_expert_who_already_said_no(again: uuid.UUID) -> None:
    request = proposed()
    request.decline(EXPERT, DeclineReason.BUSY, "", T0, TIMING)
    request.propose(CONNECTOR, OTHER_EXPERT, "", T0, TIMING)
    request.decline(OTHER_EXPERT, DeclineReason.NOT_A_FIT, "", T0, TIMING)

    with pytest.raises(InvalidInput) as info:
        request.propose(CONNECTOR, again, "", T0, TIMING)

    assert info.value.facts["field"] == "expert_id"
    assert request.propose(CONNECTOR, THIRD_EXPERT, "", T0, TIMING) is True


def test_an_expert_who_said_no_can_say_it_only_once() -> None:
    request = proposed()
    request.decline(EXPERT, DeclineReason.BUSY, "", T0, TIMING)
    request.propose(CONNECTOR, OTHER_EXPERT, "", T0, TIMING)
    request.decline(OTHER_EXPERT, DeclineReason.NOT_A_FIT, "", T0, TIMING)
    before = snapshot(request)

    assert (
        request.decline(EXPERT, DeclineReason.OTHER, "", T0 + timedelta(hours=1), TIMING) is False
    )

    assert snapshot(request) == before
    assert request.state is State.AWAITING_CONNECTOR
