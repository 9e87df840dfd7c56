"""Whom a connector might ask: their connections ranked for one request.

Used wherever suggestions are shown: the JSON API, the connector's email and
the connector's decision page, so all three agree on who comes first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from warmintro.domain.intro_request import IntroRequest
from warmintro.domain.matching import mentions
from warmintro.domain.people import Person
from warmintro.domain.ports import PeopleMatching


@dataclass(frozen=True, slots=True)
class Suggestion:
    person: Person
    strength: int
    score: float
    matched: tuple[str, ...] = ()
    """The person's expertise tags the request's topic names."""
    target: bool = False
    """The person the asker hopes to meet (`targets.target_first` puts them first)."""


async def rank_suggestions(
    matching: PeopleMatching, request: IntroRequest, now: datetime, limit: int
) -> list[Suggestion]:
    """The connector's connections whose tags, headline or bio match the topic as
    words (domain/matching.py), ranked in the database: tags the topic names weigh
    most, then the headline, then the bio; among equal matches the stronger
    connection first. Never the request's own parties, nor anyone who cannot be
    asked now."""
    found = await matching.connections_matching(
        request.workspace_id,
        request.connector_id,
        request.topic,
        exclude=frozenset(request.parties()),
        askable_at=now,
        limit=limit,
    )
    return [
        Suggestion(
            m.person,
            m.strength,
            m.score.value,
            tuple(t for t in m.person.expertise if mentions(request.topic, t)),
        )
        for m in found
    ]
