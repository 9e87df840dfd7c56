"""The target first, if known: the pure step after the topic ranking
(`domain/targets.py`), on hand-made people and connections."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from warmintro.domain.ids import new_id
from warmintro.domain.intro_request import IntroRequest
from warmintro.domain.people import Connection, EmailStatus, Person, Preferences, Timing
from warmintro.domain.suggestions import Suggestion
from warmintro.domain.targets import asked_for_by_name, target_first, target_suggestion

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
WS = new_id()


def person(name: str, **fields: Any) -> Person:
    return Person(new_id(), WS, f"{name.lower()}@example.org", name, NOW, NOW, **fields)


def ask(connector: uuid.UUID, target: uuid.UUID | None) -> IntroRequest:
    return IntroRequest.open_new(
        workspace_id=WS,
        asker_id=new_id(),
        connector_id=connector,
        topic="Pricing a B2B SaaS",
        message="How do I price it?",
        now=NOW,
        timing=Timing(),
        target_id=target,
    )


def knows(a: uuid.UUID, b: uuid.UUID, strength: int = 3) -> Connection:
    return Connection(WS, a, b, strength, "", NOW)


def ranked(*people: Person) -> list[Suggestion]:
    return [Suggestion(p, 3, 10.0 - i, ("pricing",)) for i, p in enumerate(people)]


def test_a_known_target_who_matches_nothing_leads_with_score_zero() -> None:
    pia, sol, jane = person("Pia"), person("Sol"), person("Jane", headline="Gardener")
    request = ask(connector := new_id(), jane.id)
    target = target_suggestion(request, knows(connector, jane.id, 2), jane, NOW)

    out = target_first(ranked(pia, sol), target, 3)

    assert [s.person.name for s in out] == ["Jane", "Pia", "Sol"]
    assert (out[0].target, out[0].score, out[0].strength, out[0].matched) == (True, 0.0, 2, ())
    assert not any(s.target for s in out[1:])


def test_a_target_the_ranking_found_moves_first_once_with_its_own_score() -> None:
    pia, sol, jane = person("Pia"), person("Sol"), person("Jane")
    request = ask(connector := new_id(), jane.id)
    target = target_suggestion(request, knows(connector, jane.id), jane, NOW)

    out = target_first(ranked(pia, sol, jane), target, 3)

    assert [s.person.name for s in out] == ["Jane", "Pia", "Sol"]
    assert (out[0].target, out[0].score, out[0].matched) == (True, 8.0, ("pricing",))


def test_the_target_counts_within_the_limit() -> None:
    pia, sol, jane = person("Pia"), person("Sol"), person("Jane")
    request = ask(connector := new_id(), jane.id)
    target = target_suggestion(request, knows(connector, jane.id), jane, NOW)

    assert [s.person.name for s in target_first(ranked(pia, sol), target, 2)] == ["Jane", "Pia"]
    assert [s.person.name for s in target_first(ranked(pia, sol), None, 1)] == ["Pia"]


def test_without_a_known_target_the_ranking_stands() -> None:
    pia, sol, jane = person("Pia"), person("Sol"), person("Jane")
    request = ask(connector := new_id(), jane.id)
    someone_else = new_id()

    assert target_suggestion(request, None, jane, NOW) is None
    assert target_suggestion(request, knows(someone_else, jane.id), jane, NOW) is None
    assert target_suggestion(ask(connector, None), knows(connector, jane.id), jane, NOW) is None
    other = person("Other")
    assert target_suggestion(request, knows(connector, other.id), other, NOW) is None
    assert target_first(ranked(pia, sol), None, 3) == ranked(pia, sol)


def test_a_target_who_cannot_be_asked_now_is_not_suggested() -> None:
    connector = new_id()
    for unaskable in (
        person("Shy", preferences=Preferences(never_contact=True)),
        person("Away", preferences=Preferences(snooze_until=NOW + timedelta(days=1))),
        person("Bounced", email_status=EmailStatus.BOUNCED),
    ):
        request = ask(connector, unaskable.id)
        assert target_suggestion(request, knows(connector, unaskable.id), unaskable, NOW) is None


def test_a_target_who_is_a_party_is_not_suggested() -> None:
    jane = person("Jane")
    request = ask(connector := new_id(), jane.id)
    request.expert_id = jane.id  # proposed already: a party now

    assert target_suggestion(request, knows(connector, jane.id), jane, NOW) is None
    assert asked_for_by_name(request)
    request.expert_id = new_id()
    assert not asked_for_by_name(request)
