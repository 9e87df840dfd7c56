"""How a person answers the asks they receive as a connector, read from the
timelines of the requests they were a connector on (in one workspace).

- an ask is *received* when a request names them connector: when it is created,
  forwarded or handed off to them;
- it is *answered* when they take a connector's decision on it: propose an
  expert, forward it, or decline it (a no that hands it to a fallback connector
  counts); the hours to answer run from receiving it to their first decision;
- an ask still waiting on them (not answered, and the request neither moved on
  nor closed) is *pending*: it counts neither for nor against their answer rate;
- an *introduction made* is a request where the expert they proposed accepted.

A record counts only the person's `RECENT_ASKS` most recent asks as a connector
(the newest requests that named them connector, by when each was opened): how
they answer now, read in a bounded time however long their history.
"""

from __future__ import annotations

import statistics
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from warmintro.domain.events import Event, EventType

RECENT_ASKS = 50
"""How many of a person's most recent asks as a connector their record counts."""

_RECEIVED = (EventType.CREATED, EventType.FORWARDED, EventType.HANDED_OFF)
_DECISIONS = (
    EventType.EXPERT_PROPOSED,
    EventType.FORWARDED,
    EventType.DECLINED,
    EventType.HANDED_OFF,
)
_MOVED_ON = (EventType.HANDED_OFF, EventType.EXPIRED, EventType.CANCELLED)


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    asks_received: int = 0
    answered: int = 0
    pending: int = 0
    introductions_made: int = 0
    median_hours_to_answer: float | None = None

    @property
    def answer_rate(self) -> float | None:
        """Answered over the asks decided one way or the other (None before any)."""
        settled = self.asks_received - self.pending
        return round(self.answered / settled, 2) if settled > 0 else None


def _record_of(person: str, timelines: Iterable[list[Event]]) -> AnswerRecord:
    received = answered = pending = introduced = 0
    hours: list[float] = []
    for timeline in timelines:
        got: datetime | None = None
        answered_at: datetime | None = None
        moved_on = False
        proposed_by_them = False
        for e in timeline:
            if got is None:
                if e.type in _RECEIVED and e.data.get("connector_id") == person:
                    got = e.occurred_at
                continue
            acted = e.actor_id is not None and str(e.actor_id) == person
            if answered_at is None and acted and e.type in _DECISIONS:
                answered_at = e.occurred_at
            if e.type is EventType.EXPERT_PROPOSED:
                proposed_by_them = acted
            if e.type is EventType.INTRODUCED and proposed_by_them:
                introduced += 1
            moved_on = moved_on or e.type in _MOVED_ON
        if got is None:
            continue
        received += 1
        if answered_at is not None:
            answered += 1
            hours.append((answered_at - got).total_seconds() / 3600)
        elif not moved_on:
            pending += 1
    return AnswerRecord(
        asks_received=received,
        answered=answered,
        pending=pending,
        introductions_made=introduced,
        median_hours_to_answer=round(statistics.median(hours), 1) if hours else None,
    )


def answer_records(
    asks: Iterable[tuple[uuid.UUID, Event]], person_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, AnswerRecord]:
    """Each person's record from the events of the requests that count for them:
    `asks` pairs a person with one event of such a request (any order); people
    with none get an empty record."""
    timelines: dict[uuid.UUID, dict[uuid.UUID, list[Event]]] = {}
    for person, e in asks:
        timelines.setdefault(person, {}).setdefault(e.request_id, []).append(e)
    return {
        p: _record_of(
            str(p), [sorted(t, key=lambda e: e.seq) for t in timelines.get(p, {}).values()]
        )
        for p in person_ids
    }
