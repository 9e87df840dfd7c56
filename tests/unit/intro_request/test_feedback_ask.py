"""The one "did it help?" ask (the lifecycle): some days after the introduction, once,
and only while the asker has neither answered nor cancelled."""

from __future__ import annotations

from datetime import timedelta

from tests.unit.intro_request.examples import (
    ASKER,
    CONNECTOR,
    EXPERT,
    T0,
    TIMING,
    new_request,
    snapshot,
)
from warmintro.domain.intro_request import IntroRequest, Rating
from warmintro.domain.people import Timing

INTRODUCED_AT = T0 + timedelta(days=1)
DUE = INTRODUCED_AT + timedelta(days=3)
SECOND = timedelta(seconds=1)


def introduced(timing: Timing = TIMING) -> IntroRequest:
    request = new_request(timing=timing)
    request.propose(CONNECTOR, EXPERT, "", T0, timing)
    request.accept(EXPERT, "", INTRODUCED_AT, timing)
    return request


def test_did_it_help_falls_due_three_days_after_the_introduction() -> None:
    request = introduced()

    assert request.feedback_due_at == DUE
    assert request.next_due() == DUE


def test_did_it_help_follows_the_workspace_delay() -> None:
    request = introduced(Timing(feedback_delay=timedelta(hours=12)))

    assert request.next_due() == INTRODUCED_AT + timedelta(hours=12)


def test_did_it_help_is_not_asked_before_its_day() -> None:
    request = introduced()
    before = snapshot(request)

    assert request.ask_feedback(DUE - SECOND) is False
    assert request.tick(DUE - SECOND, TIMING) is False

    assert snapshot(request) == before


def test_did_it_help_is_asked_on_its_day_by_nobody() -> None:
    request = introduced()

    assert request.ask_feedback(DUE) is True

    event = request.events[-1]
    assert (event.type, event.actor_id, event.occurred_at) == (
        "intro_request.feedback_requested",
        None,
        DUE,
    )
    assert request.feedback_asked is True
    assert request.next_due() is None


def test_did_it_help_is_asked_only_once() -> None:
    request = introduced()
    request.ask_feedback(DUE)
    before = snapshot(request)

    assert request.ask_feedback(DUE + timedelta(days=1)) is False
    assert request.tick(DUE + timedelta(days=2), TIMING) is False

    assert snapshot(request) == before


def test_a_tick_on_its_day_asks_did_it_help() -> None:
    request = introduced()

    assert request.tick(DUE, TIMING) is True

    assert request.events[-1].type == "intro_request.feedback_requested"


def test_no_did_it_help_once_the_asker_has_answered() -> None:
    request = introduced()
    request.record_feedback(ASKER, Rating.SOMEWHAT, "", INTRODUCED_AT + timedelta(hours=1))
    before = snapshot(request)

    assert request.ask_feedback(DUE) is False

    assert snapshot(request) == before


def test_no_did_it_help_once_the_asker_has_cancelled() -> None:
    request = introduced()
    request.cancel(ASKER, INTRODUCED_AT + timedelta(hours=1))
    before = snapshot(request)

    assert request.ask_feedback(DUE) is False

    assert snapshot(request) == before
