"""Warm paths: which of the asker's own connections is most likely to help with a
topic, and why.

A connection's score (0 to 100) adds four parts, each from 0 to 1 times its
weight:

- own expertise, weight 35: their match to the topic (`MatchScore.value`: 3 a
  tag the topic names, 1 the headline, 0.5 the bio), full from one named tag;
- matching connections, weight 30: how many of *their* connections match the
  topic, full from 5 (counted only among people who are `discoverable`, never
  the asker; never named);
- strength, weight 20: the asker's connection to them, 1 to 5, over 5;
- answers, weight 15: their answer rate as a connector in this workspace, over
  their most recent asks (`answering.RECENT_ASKS`); 0.5 (neither good nor bad)
  before they have settled any ask.

Someone who cannot take an ask now — at their connector budget, or snoozed —
keeps a fifth of that score, so they rank below anyone as good who can, and
their reasons say why (`at_budget`, `snoozed`). People who can never be asked
(they opted out, their email bounces) are left out, as are connections who
match nothing of the topic, directly or through their network.

With a target, the path is through the connections who know the target: they
rank by their connection to the target, then the asker's to them, then score.
"""

from __future__ import annotations

from dataclasses import dataclass

from warmintro.domain.answering import AnswerRecord
from warmintro.domain.matching import MatchScore
from warmintro.domain.people import Person

EXPERTISE_WEIGHT = 35.0
NETWORK_WEIGHT = 30.0
STRENGTH_WEIGHT = 20.0
ANSWERS_WEIGHT = 15.0
FULL_NETWORK = 5
"""Matching connections that count in full."""
UNAVAILABLE_FACTOR = 0.2
"""What is kept of the score of someone at their budget or snoozed."""
UNKNOWN_ANSWER_RATE = 0.5
MAX_STRENGTH = 5


@dataclass(frozen=True, slots=True)
class Candidate:
    """One of the asker's connections and everything known about them for a topic."""

    person: Person
    strength: int
    """The asker's connection to them."""
    match: MatchScore | None
    matched_tags: tuple[str, ...]
    matching_connections: int
    record: AnswerRecord | None
    """Their answering record; None until read, which only those who could still rank
    need (`could_still_rank`)."""
    open_asks: int
    budget: int
    snoozed: bool
    knows_target_strength: int | None = None


@dataclass(frozen=True, slots=True)
class WarmPath:
    candidate: Candidate
    score: float

    @property
    def at_budget(self) -> bool:
        return self.candidate.open_asks >= self.candidate.budget


def score(c: Candidate) -> float:
    """The candidate's score by the weights above, rounded to one decimal; their
    answering record must have been read."""
    if c.record is None:
        raise ValueError("a candidate is scored with their answering record")
    rate = c.record.answer_rate
    return _score(c, UNKNOWN_ANSWER_RATE if rate is None else rate)


def _score(c: Candidate, answers: float) -> float:
    """The score with `answers` (0 to 1) as the answering part."""
    expertise = min((c.match.value if c.match else 0.0) / 3.0, 1.0)
    network = min(c.matching_connections, FULL_NETWORK) / FULL_NETWORK
    strength = max(0, min(c.strength, MAX_STRENGTH)) / MAX_STRENGTH
    total = (
        EXPERTISE_WEIGHT * expertise
        + NETWORK_WEIGHT * network
        + STRENGTH_WEIGHT * strength
        + ANSWERS_WEIGHT * answers
    )
    if c.open_asks >= c.budget or c.snoozed:
        total *= UNAVAILABLE_FACTOR
    return round(total, 1)


FIRST_READ = 2
"""Records read first, per answer asked for (`first_to_read`)."""


def first_to_read(
    candidates: list[Candidate], limit: int
) -> tuple[list[Candidate], list[Candidate]]:
    """The relevant candidates split in two, by the best score each could have (with
    the best answering record): the first `FIRST_READ * limit`, whose records are
    read first, and the rest, best first (see `could_still_rank`)."""
    found = sorted((c for c in candidates if relevant(c)), key=lambda c: -_score(c, 1.0))
    first = FIRST_READ * limit
    return found[:first], found[first:]


def could_still_rank(rest: list[Candidate], read: list[Candidate], limit: int) -> list[Candidate]:
    """Of `rest` (records not read), those who could still be among the first `limit`
    beside `read` (records read): everyone whose best possible score reaches the
    `limit`-th best score of `read`. Anyone else scores below `limit` others
    however they answer, so their record need not be read; all of `rest` while
    fewer than `limit` were read."""
    if len(read) < limit:
        return rest
    floor = sorted((score(c) for c in read), reverse=True)[limit - 1]
    return [c for c in rest if _score(c, 1.0) >= floor]


def relevant(c: Candidate) -> bool:
    """Whether they can help at all: they match the topic, or people they know do."""
    return (c.match is not None and c.match.value > 0) or c.matching_connections > 0


def rank(candidates: list[Candidate], limit: int) -> list[WarmPath]:
    """The relevant candidates, best score first (then the stronger link, then by
    name); at most `limit`."""
    paths = [WarmPath(c, score(c)) for c in candidates if relevant(c)]
    paths.sort(
        key=lambda p: (
            -p.score,
            -p.candidate.strength,
            p.candidate.person.name,
            p.candidate.person.id,
        )
    )
    return paths[:limit]


def rank_towards_target(candidates: list[Candidate], limit: int) -> list[WarmPath]:
    """The candidates who know the target, strongest link to the target first, then
    the stronger link from the asker, then the better score; at most `limit`."""
    paths = [WarmPath(c, score(c)) for c in candidates if c.knows_target_strength is not None]
    paths.sort(
        key=lambda p: (
            -(p.candidate.knows_target_strength or 0),
            -p.candidate.strength,
            -p.score,
            p.candidate.person.name,
            p.candidate.person.id,
        )
    )
    return paths[:limit]
