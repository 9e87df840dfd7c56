"""Opening an ask: one connector, default deadlines, one created event, and the
limits on text, targets and fallbacks (the lifecycle)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.unit.intro_request.examples import (
    ASKER,
    C2,
    C3,
    C4,
    CONNECTOR,
    F1,
    F2,
    F3,
    T0,
    new_request,
)
from warmintro.domain.errors import InvalidInput
from warmintro.domain.intro_request import (
    MAX_MESSAGE,
    MAX_TOPIC,
    State,
)


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
