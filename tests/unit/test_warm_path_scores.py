"""The warm-path score (domain/warm_paths.py) and the answering record it reads
(domain/answering.py), as pure functions."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.clock import FakeClock
from warmintro.domain.answering import AnswerRecord, answer_records
from warmintro.domain.ids import new_id
from warmintro.domain.intro_request import DeclineReason, IntroRequest
from warmintro.domain.matching import MatchScore
from warmintro.domain.people import Person, Timing
from warmintro.domain.warm_paths import (
    Candidate,
    could_still_rank,
    first_to_read,
    rank,
    rank_towards_target,
    score,
)

NOW = FakeClock().now()
WS = new_id()


def _candidate(name: str, **fields: object) -> Candidate:
    person = Person(
        id=new_id(),
        workspace_id=WS,
        email=f"{name}@example.org",
        name=name,
        created_at=NOW,
        updated_at=NOW,
    )
    base = Candidate(
        person=person,
        strength=3,
        match=MatchScore(1, False, False),
        matched_tags=("pricing",),
        matching_connections=0,
        record=AnswerRecord(),
        open_asks=0,
        budget=5,
        snoozed=False,
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def test_the_weights_add_up_to_a_hundred_for_the_best_possible_connection() -> None:
    best = _candidate(
        "ada",
        strength=5,
        matching_connections=9,
        record=AnswerRecord(asks_received=4, answered=4),
    )

    assert score(best) == 100.0


def test_matching_connections_a_strong_link_and_answering_each_raise_the_score() -> None:
    plain = _candidate("ada")

    assert score(replace(plain, matching_connections=2)) > score(plain)
    assert score(replace(plain, strength=5)) > score(plain)
    assert score(replace(plain, record=AnswerRecord(asks_received=2, answered=2))) > score(plain)
    assert score(replace(plain, record=AnswerRecord(asks_received=2, answered=0))) < score(plain)


def test_someone_at_budget_or_snoozed_keeps_a_fifth_and_ranks_below() -> None:
    free = _candidate("ada")
    full = _candidate("bob", open_asks=5, budget=5, strength=5)
    away = _candidate("cyd", snoozed=True, strength=5)

    ranked = rank([full, away, free], limit=10)

    assert [p.candidate.person.name for p in ranked] == ["ada", "bob", "cyd"]
    assert ranked[1].at_budget and not ranked[0].at_budget
    assert score(full) == round(score(replace(full, open_asks=0)) * 0.2, 1)


def test_connections_that_match_nothing_of_the_topic_are_left_out() -> None:
    nothing = _candidate("ada", match=None, matched_tags=())
    through_network = _candidate("bob", match=None, matched_tags=(), matching_connections=1)

    assert [p.candidate.person.name for p in rank([nothing, through_network], 10)] == ["bob"]


def test_towards_a_target_the_strongest_link_to_the_target_comes_first() -> None:
    weak = _candidate("ada", knows_target_strength=2, strength=5, matching_connections=5)
    strong = _candidate("bob", knows_target_strength=4, strength=1, match=None)
    tie = _candidate("cyd", knows_target_strength=4, strength=3, match=None)
    stranger = _candidate("dan")

    ranked = rank_towards_target([weak, strong, tie, stranger], limit=10)

    assert [p.candidate.person.name for p in ranked] == ["cyd", "bob", "ada"]


def _ask(asker: uuid.UUID, connector: uuid.UUID, topic: str) -> IntroRequest:
    return IntroRequest.open_new(
        workspace_id=WS,
        asker_id=asker,
        connector_id=connector,
        topic=topic,
        message="hi",
        now=NOW,
        timing=Timing(),
    )


def test_an_answering_record_counts_asks_answers_hours_and_introductions() -> None:
    asker, connector, expert, other = new_id(), new_id(), new_id(), new_id()
    timing = Timing()
    answered = _ask(asker, connector, "Pricing")
    answered.propose(connector, expert, "", NOW + timedelta(hours=4), timing)
    answered.accept(expert, "", NOW + timedelta(hours=5), timing)
    declined = _ask(asker, connector, "Hiring")
    declined.decline(connector, DeclineReason.BUSY, "", NOW + timedelta(hours=2), timing)
    waiting = _ask(asker, connector, "Sales")
    elsewhere = _ask(asker, other, "Legal")
    every = [*answered.events, *declined.events, *waiting.events, *elsewhere.events]

    records = answer_records([(connector, e) for e in reversed(every)], [connector, expert])

    assert records[connector] == AnswerRecord(
        asks_received=3, answered=2, pending=1, introductions_made=1, median_hours_to_answer=3.0
    )
    assert records[connector].answer_rate == 1.0
    assert records[expert] == AnswerRecord()
    assert records[expert].answer_rate is None


def test_a_candidate_is_not_scored_before_their_record_is_read() -> None:
    with pytest.raises(ValueError, match="answering record"):
        score(_candidate("ada", record=None))


@st.composite
def _records(draw: st.DrawFn) -> AnswerRecord:
    received = draw(st.integers(0, 6))
    answered = draw(st.integers(0, received))
    pending = draw(st.integers(0, received - answered))
    return AnswerRecord(asks_received=received, answered=answered, pending=pending)


@given(
    people=st.lists(
        # Close in all but their records, so that records decide who ranks.
        st.tuples(
            st.integers(0, 1),  # tags matched
            st.integers(0, 2),  # matching connections
            st.integers(3, 5),  # strength
            _records(),
            st.booleans(),  # snoozed
        ),
        min_size=12,
        max_size=40,
    ),
    limit=st.integers(1, 4),
)
@settings(max_examples=300, deadline=None)
def test_reading_only_the_records_that_count_ranks_as_reading_them_all(
    people: list[tuple[int, int, int, AnswerRecord, bool]], limit: int
) -> None:
    full = [
        _candidate(
            f"p{i}",
            match=MatchScore(tags, False, False) if tags else None,
            matched_tags=(),
            matching_connections=connections,
            strength=strength,
            record=record,
            snoozed=snoozed,
        )
        for i, (tags, connections, strength, record, snoozed) in enumerate(people)
    ]
    records = {c.person.id: c.record for c in full}

    def read(found: list[Candidate]) -> list[Candidate]:
        return [replace(c, record=records[c.person.id]) for c in found]

    unread = [replace(c, record=None) for c in full]
    first, rest = first_to_read(unread, limit)
    found = read(first)
    found += read(could_still_rank(rest, found, limit))

    assert rank(found, limit) == rank(full, limit)


def test_no_record_is_read_for_those_who_cannot_catch_up_however_they_answer() -> None:
    strong = [
        _candidate(
            f"strong{i}", match=MatchScore(3, True, True), matching_connections=5, strength=5
        )
        for i in range(10)
    ]
    weak = [_candidate(f"weak{i}", strength=1) for i in range(20)]
    unread = [replace(c, record=None) for c in weak + strong]

    first, rest = first_to_read(unread, 5)
    read = [replace(c, record=AnswerRecord(asks_received=3)) for c in first]

    assert {c.person.name for c in first} == {c.person.name for c in strong}
    # The weak score at most 54 with a perfect record; each strong one 85 with
    # none of their three asks answered.
    assert could_still_rank(rest, read, 5) == []
