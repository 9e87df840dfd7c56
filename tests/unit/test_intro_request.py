"""The IntroRequest aggregate, transition by transition (DESIGN.md §3)."""

from __future__ import annotations

import dataclasses
import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from warmintro.domain.errors import InvalidInput, NotPermitted, WrongState
from warmintro.domain.intro_request import (
    MAX_HOPS,
    MAX_MESSAGE,
    MAX_NOTE,
    MAX_TOPIC,
    DeclineReason,
    IntroRequest,
    Rating,
    Role,
    State,
)
from warmintro.domain.people import Timing

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
TIMING = Timing()
WS = uuid.uuid4()
ASKER = uuid.uuid4()
CONNECTOR = uuid.uuid4()
EXPERT = uuid.uuid4()
OTHER_EXPERT = uuid.uuid4()
STRANGER = uuid.uuid4()
F1, F2, F3 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
C2, C3, C4, C5 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
EVERYONE = frozenset({F1, F2, F3, C2, C3, C4, C5})


def new_request(**overrides: Any) -> IntroRequest:
    args: dict[str, Any] = dict(
        workspace_id=WS,
        asker_id=ASKER,
        connector_id=CONNECTOR,
        topic="Pricing a B2B SaaS",
        message="I am launching a developer tool and would love to hear how others price it.",
        now=T0,
        timing=TIMING,
    )
    args.update(overrides)
    return IntroRequest.open_new(**args)


def proposed(**overrides: Any) -> IntroRequest:
    request = new_request(**overrides)
    request.propose(CONNECTOR, EXPERT, "she priced three of them", T0, TIMING)
    return request


def introduced() -> IntroRequest:
    request = proposed()
    request.accept(EXPERT, "happy to help", T0)
    return request


def snapshot(request: IntroRequest) -> dict[str, Any]:
    return {
        f.name: getattr(request, f.name) for f in dataclasses.fields(request) if f.name != "events"
    } | {"events": list(request.events)}


def types(request: IntroRequest) -> list[str]:
    return [e.type for e in request.events]


# ---- opening ---------------------------------------------------------------


def test_open_new_waits_on_the_connector_with_default_deadlines() -> None:
    request = new_request()

    assert request.state is State.AWAITING_CONNECTOR
    assert request.deadline_at == T0 + timedelta(days=5)
    assert request.reminder_at == T0 + timedelta(days=3)
    assert request.reminded is False
    assert request.hops == 0


def test_open_new_records_one_created_event_by_the_asker() -> None:
    request = new_request()

    [event] = request.events
    assert event.type == "intro_request.created"
    assert event.seq == 1
    assert event.actor_id == ASKER
    assert event.data["connector_id"] == str(CONNECTOR)
    assert event.data["state"] == "awaiting_connector"
    assert request.event_seq == 1


def test_open_new_strips_topic_and_message() -> None:
    request = new_request(topic="  Pricing  ", message="\n blurb \n")

    assert (request.topic, request.message) == ("Pricing", "blurb")


@pytest.mark.parametrize("topic", ["", "   ", "\n\t"])
def test_open_new_rejects_an_empty_topic(topic: str) -> None:
    with pytest.raises(InvalidInput) as info:
        new_request(topic=topic)
    assert info.value.facts["field"] == "topic"


def test_open_new_rejects_an_empty_message() -> None:
    with pytest.raises(InvalidInput) as info:
        new_request(message="  ")
    assert info.value.facts["field"] == "message"


def test_open_new_rejects_an_oversize_topic_but_accepts_the_limit() -> None:
    assert new_request(topic="t" * MAX_TOPIC).topic == "t" * MAX_TOPIC
    with pytest.raises(InvalidInput) as info:
        new_request(topic="t" * (MAX_TOPIC + 1))
    assert info.value.facts["field"] == "topic"


def test_open_new_rejects_an_oversize_message_but_accepts_the_limit() -> None:
    assert len(new_request(message="m" * MAX_MESSAGE).message) == MAX_MESSAGE
    with pytest.raises(InvalidInput) as info:
        new_request(message="m" * (MAX_MESSAGE + 1))
    assert info.value.facts["field"] == "message"


def test_open_new_rejects_the_asker_as_their_own_connector() -> None:
    with pytest.raises(InvalidInput) as info:
        new_request(connector_id=ASKER)
    assert info.value.facts["field"] == "connector_id"


@pytest.mark.parametrize("target", [ASKER, CONNECTOR])
def test_open_new_rejects_a_party_as_the_target(target: uuid.UUID) -> None:
    with pytest.raises(InvalidInput) as info:
        new_request(target_id=target)
    assert info.value.facts["field"] == "target_id"


@pytest.mark.parametrize(
    "fallbacks",
    [(F1, ASKER), (CONNECTOR,), (F1, F2, F1)],
    ids=["contains-asker", "contains-connector", "duplicates"],
)
def test_open_new_rejects_bad_fallbacks(fallbacks: tuple[uuid.UUID, ...]) -> None:
    with pytest.raises(InvalidInput) as info:
        new_request(fallback_connector_ids=fallbacks)
    assert info.value.facts["field"] == "fallback_connector_ids"


def test_open_new_allows_five_fallbacks_but_not_six() -> None:
    five = (F1, F2, F3, C2, C3)
    assert new_request(fallback_connector_ids=five).fallback_connector_ids == five
    with pytest.raises(InvalidInput) as info:
        new_request(fallback_connector_ids=(*five, C4))
    assert info.value.facts["field"] == "fallback_connector_ids"


# ---- propose ---------------------------------------------------------------


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


# ---- forward ---------------------------------------------------------------


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


# ---- decline by the connector ---------------------------------------------


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


# ---- decline by the expert -------------------------------------------------


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


# ---- accept ----------------------------------------------------------------


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


# ---- cancel ----------------------------------------------------------------


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


# ---- feedback --------------------------------------------------------------


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


# ---- remind ----------------------------------------------------------------


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


# ---- expire ----------------------------------------------------------------


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


def test_expire_closes_a_request_the_expert_never_answered() -> None:
    request = proposed(fallback_connector_ids=(F1,))

    assert request.expire(T0 + timedelta(days=7), TIMING, EVERYONE) is True

    assert request.state is State.EXPIRED
    assert request.events[-1].data["waiting_on"] == "expert"


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


# ---- across transitions ----------------------------------------------------

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
        # the asker cancelling again is the idempotent repeat, tested above
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
