"""Whom a connector might ask: their connections ranked for one request.

Used wherever suggestions are shown: the JSON API, the connector's email and
the connector's decision page, so all three agree on who comes first.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from warmintro.domain.intro_request import IntroRequest
from warmintro.domain.people import Connection, Person

STOPWORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "the",
        "of",
        "for",
        "to",
        "in",
        "on",
        "with",
        "about",
        "how",
        "i",
        "we",
        "my",
        "our",
        "is",
        "are",
        "be",
        "at",
        "or",
        "by",
        "from",
        "who",
    }
)
_WORD = re.compile(r"[\w+#.-]+")


@dataclass(frozen=True, slots=True)
class Suggestion:
    person: Person
    strength: int
    score: float
    matched: tuple[str, ...] = ()
    """The person's expertise tags the request mentions."""
    target: bool = False
    """The person the asker hopes to meet (`targets.target_first` puts them first)."""


def words(text: str) -> list[str]:
    """The words that carry meaning: lower-cased, without stopwords and single letters."""
    return [w for w in _WORD.findall(text.casefold()) if w not in STOPWORDS and len(w) > 1]


def rank_suggestions(
    request: IntroRequest,
    connections: Iterable[Connection],
    people: dict[uuid.UUID, Person],
    now: datetime,
    limit: int,
) -> list[Suggestion]:
    """Rank the connector's connections for this request: expertise tags found in the
    topic or blurb weigh most, then headline words in the topic, then closeness. Never
    the request's own parties, nor anyone who cannot be asked now."""
    request_words = set(words(f"{request.topic} {request.message}"))
    topic_words = set(words(request.topic))
    topic = request.topic.casefold()
    parties = request.parties()
    out = []
    for connection in connections:
        person = people.get(connection.other_id)
        if person is None or person.id in parties or not person.reachable() or person.snoozed(now):
            continue
        matched = tuple(t for t in person.expertise if set(words(t)) & request_words or t in topic)
        headline_hits = len(set(words(person.headline)) & topic_words)
        if not matched and not headline_hits:
            continue
        score = 3.0 * len(matched) + 1.0 * headline_hits + 0.5 * connection.strength
        out.append(Suggestion(person, connection.strength, score, matched))
    out.sort(key=lambda s: (-s.score, s.person.name.casefold()))
    return out[:limit]
