"""What each IntroRequest event records: who acted, the ids it refers to, and the
actor's own note.

The actor matters beyond the timeline: erasure scrubs the notes of the events a
person is the actor of, so a note recorded under the wrong actor (or none) would
survive its author's erasure. What time or a bounce brings is nobody's act.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from tests.unit.intro_request.examples import (
    ASKER,
    C2,
    CONNECTOR,
    EXPERT,
    F1,
    F2,
    OTHER_EXPERT,
    T0,
    TIMING,
    new_request,
)
from warmintro.domain.intro_request import DeclineReason, Rating

TARGET = uuid.uuid4()
EVERYONE = frozenset({F1, F2})


def at(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


# ---- who acted -----------------------------------------------------------------------------


def test_every_decision_is_recorded_with_the_person_who_took_it_as_actor() -> None:
    request = new_request()
    request.forward(CONNECTOR, C2, "", at(1), TIMING)
    request.propose(C2, EXPERT, "", at(2), TIMING)
    request.decline(EXPERT, DeclineReason.BUSY, "", at(3), TIMING)
    request.propose(C2, OTHER_EXPERT, "", at(4), TIMING)
    request.accept(OTHER_EXPERT, "", at(5), TIMING)
    request.record_feedback(ASKER, Rating.YES, "", at(6))

    assert [(e.type, e.actor_id, e.occurred_at) for e in request.events] == [
        ("intro_request.created", ASKER, T0),
        ("intro_request.forwarded", CONNECTOR, at(1)),
        ("intro_request.expert_proposed", C2, at(2)),
        ("intro_request.expert_declined", EXPERT, at(3)),
        ("intro_request.expert_proposed", C2, at(4)),
        ("intro_request.introduced", OTHER_EXPERT, at(5)),
        ("intro_request.completed", ASKER, at(6)),
    ]


def test_a_connectors_no_that_hands_off_is_their_act_and_carries_their_note() -> None:
    request = new_request(fallback_connector_ids=(F1,))

    request.decline(CONNECTOR, DeclineReason.NOT_NOW, "ask Flo", at(1), TIMING, EVERYONE)

    event = request.events[-1]
    assert event.type == "intro_request.handed_off"
    assert event.actor_id == CONNECTOR
    assert event.data == {
        "state": "awaiting_connector",
        "from_connector_id": str(CONNECTOR),
        "connector_id": str(F1),
        "cause": "declined",
        "reason": "not_now",
        "note": "ask Flo",
    }


def test_a_hand_off_at_the_deadline_is_nobodys_act() -> None:
    request = new_request(fallback_connector_ids=(F1,))

    request.expire(T0 + timedelta(days=5), TIMING, EVERYONE)

    event = request.events[-1]
    assert event.type == "intro_request.handed_off"
    assert event.actor_id is None
    assert event.data == {
        "state": "awaiting_connector",
        "from_connector_id": str(CONNECTOR),
        "connector_id": str(F1),
        "cause": "expired",
    }


def test_reminders_and_expiry_are_nobodys_act() -> None:
    request = new_request()
    request.remind(T0 + timedelta(days=3))
    request.expire(T0 + timedelta(days=5), TIMING)

    assert [(e.type, e.actor_id) for e in request.events[1:]] == [
        ("intro_request.reminder_due", None),
        ("intro_request.expired", None),
    ]


def test_cancelling_is_the_askers_act() -> None:
    request = new_request()

    request.cancel(ASKER, at(1))

    event = request.events[-1]
    assert (event.type, event.actor_id) == ("intro_request.cancelled", ASKER)
    assert event.data == {"state": "cancelled", "was": "awaiting_connector"}


# ---- what each decision records --------------------------------------------------------------


def test_the_created_event_names_the_connector_and_the_target() -> None:
    request = new_request(target_id=TARGET)

    assert request.events[0].data == {
        "state": "awaiting_connector",
        "connector_id": str(CONNECTOR),
        "target_id": str(TARGET),
    }


def test_the_created_event_of_an_ask_without_target_says_so() -> None:
    request = new_request()

    assert request.events[0].data["target_id"] is None


def test_a_forward_records_both_connectors_the_hop_and_the_note() -> None:
    request = new_request()

    request.forward(CONNECTOR, C2, " she knows more ", at(1), TIMING)

    assert request.events[-1].data == {
        "state": "awaiting_connector",
        "from_connector_id": str(CONNECTOR),
        "connector_id": str(C2),
        "hops": 1,
        "note": "she knows more",
    }


def test_an_expert_decline_records_the_expert_the_reason_and_the_note() -> None:
    request = new_request()
    request.propose(CONNECTOR, EXPERT, "", at(1), TIMING)

    request.decline(EXPERT, DeclineReason.NOT_A_FIT, "not my field", at(2), TIMING)

    assert request.events[-1].data == {
        "state": "awaiting_connector",
        "expert_id": str(EXPERT),
        "reason": "not_a_fit",
        "note": "not my field",
    }


def test_a_connectors_final_no_records_the_connector_the_reason_and_the_note() -> None:
    request = new_request()

    request.decline(CONNECTOR, DeclineReason.BUSY, "swamped", at(1), TIMING)

    event = request.events[-1]
    assert (event.type, event.actor_id) == ("intro_request.declined", CONNECTOR)
    assert event.data == {
        "state": "declined",
        "connector_id": str(CONNECTOR),
        "reason": "busy",
        "note": "swamped",
    }


def test_an_accept_records_the_expert_and_their_note() -> None:
    request = new_request()
    request.propose(CONNECTOR, EXPERT, "", at(1), TIMING)

    request.accept(EXPERT, "glad to help", at(2), TIMING)

    assert request.events[-1].data == {
        "state": "introduced",
        "expert_id": str(EXPERT),
        "note": "glad to help",
    }


def test_feedback_records_the_rating_and_the_askers_note() -> None:
    request = new_request()
    request.propose(CONNECTOR, EXPERT, "", at(1), TIMING)
    request.accept(EXPERT, "", at(2), TIMING)

    request.record_feedback(ASKER, Rating.NO, "we never met", at(3))

    assert request.events[-1].data == {"state": "completed", "rating": "no", "note": "we never met"}


def test_every_event_has_an_id_of_its_own() -> None:
    request = new_request()
    request.forward(CONNECTOR, C2, "", at(1), TIMING)
    request.decline(C2, DeclineReason.BUSY, "", at(2), TIMING)

    ids = [e.id for e in request.events]

    assert all(isinstance(i, uuid.UUID) for i in ids)
    assert len(set(ids)) == len(ids) == 3
