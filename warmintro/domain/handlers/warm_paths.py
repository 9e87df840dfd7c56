"""Finding the way in: the asker's connections ranked for a topic (domain/warm_paths.py).

A fixed number of queries whatever the size of the asker's network: whom to
score (the best matches by their own expertise and by their network, ranked and
bounded in the database; with a target, those who know the target), the asker's
links to them, those people, who of them match, how many of *their* connections
match, their open asks and their answering record (their most recent asks only),
each read for all at once.

The two rankings of the pool run at once, each on a read-only unit of work of its
own, so the database spends its cores on them side by side; each is followed on
its unit of work by the reads that score what it found, reading nothing its
ranking returned. Two, not more: every unit of work costs a connection and a few
statements of its own, which a busy server pays in throughput. Answering records
come last, and only for those who could still rank (`records_that_count`)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

from warmintro.domain.access import Principal
from warmintro.domain.answering import RECENT_ASKS
from warmintro.domain.commands import FindWarmPaths
from warmintro.domain.errors import InvalidInput
from warmintro.domain.handlers.env import Env
from warmintro.domain.handlers.lookups import visible_person
from warmintro.domain.intro_request import MAX_TOPIC, Role
from warmintro.domain.matching import mentions
from warmintro.domain.people import Person, Workspace
from warmintro.domain.ports import Match, UnitOfWork
from warmintro.domain.warm_paths import (
    Candidate,
    WarmPath,
    could_still_rank,
    first_to_read,
    rank,
    rank_towards_target,
)

T = TypeVar("T")
U = TypeVar("U")

MAX_LIMIT = 50
POOL = 200
"""How many of the best matches by their own expertise, and by their network,
are scored: the answer is drawn from at most twice this many people."""


def _asker_of(cmd: FindWarmPaths, principal: Principal) -> uuid.UUID:
    """A member asks for itself; an API key names the asker (or acts on behalf of one)."""
    asker = cmd.asker_id or principal.person_id
    if asker is None:
        raise InvalidInput("an API key must name the asker", field="asker_id")
    return asker


def _check(cmd: FindWarmPaths) -> str:
    topic = cmd.topic.strip()
    if not topic or len(topic) > MAX_TOPIC:
        raise InvalidInput(f"topic must be 1 to {MAX_TOPIC} characters", field="topic")
    if not 1 <= cmd.limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    return topic


async def find_warm_paths(cmd: FindWarmPaths, env: Env, principal: Principal) -> list[WarmPath]:
    """The asker's own connections who could help with the topic, best first, each
    with the reasons; a member token sees only its own (someone else's asker is
    refused like their connections list). Never the asker, never anyone who cannot
    be asked at all; nobody two steps away is named, only counted."""
    topic = _check(cmd)
    async with env.uows(write=False) as uow:
        asker = await visible_person(uow, principal, _asker_of(cmd, principal))
        principal.require_self_or_operator(asker.id)
        to_target: dict[uuid.UUID, int] = {}
        if cmd.target_id is not None:
            target = await visible_person(uow, principal, cmd.target_id)
            to_target = await _knowing_target(uow, asker, target)
    scoring = _Scoring(env, principal.workspace, asker, topic, env.clock.now(), to_target)
    if cmd.target_id is not None:
        found = await _reading(env, lambda uow: scoring.candidates(uow, set(to_target)))
        return rank_towards_target(found, cmd.limit)
    pool = await _from_pool(scoring)
    found = await _reading(env, lambda uow: scoring.records_that_count(uow, pool, cmd.limit))
    return rank(found, cmd.limit)


async def _from_pool(s: _Scoring) -> list[Candidate]:
    """Whom to score: the asker's connections who match the topic best themselves,
    and those who know the most people who do, each ranked and bounded in the
    database, so a network of any size costs the same few reads; their records not
    yet read."""
    # The network's ranking starts first: it takes the longest.
    by_network, by_expertise = await _together(
        _reading(s.env, s.best_by_network), _reading(s.env, s.best_by_expertise)
    )
    return list({**by_network, **by_expertise}.values())


@dataclass(frozen=True, slots=True)
class _Scoring:
    """What scoring the candidates needs, besides who they are."""

    env: Env
    workspace: Workspace
    asker: Person
    topic: str
    now: datetime
    to_target: dict[uuid.UUID, int]

    async def best_by_expertise(self, uow: UnitOfWork) -> dict[uuid.UUID, Candidate]:
        """The asker's connections who match the topic best: their ranking brings who
        they are, how they match and the asker's link to them."""
        ws, asker = self.workspace.id, self.asker.id
        found = await uow.matching.connections_matching(
            ws, asker, self.topic, exclude=frozenset({asker}), askable_at=None, limit=POOL
        )
        counts = await uow.matching.count_connections_matching(
            ws, {m.person.id for m in found}, self.topic, exclude=frozenset({asker})
        )
        return await self._as_candidates(uow, found, counts)

    async def best_by_network(self, uow: UnitOfWork) -> dict[uuid.UUID, Candidate]:
        """The asker's connections who know the most people matching the topic: their
        ranking brings those counts, who they are, how they match and the link."""
        ws, asker = self.workspace.id, self.asker.id
        knowers = await uow.matching.connections_by_network(
            ws, asker, self.topic, exclude=frozenset({asker}), limit=POOL
        )
        counts = {k.match.person.id: k.matching for k in knowers}
        return await self._as_candidates(uow, [k.match for k in knowers], counts)

    async def candidates(self, uow: UnitOfWork, pool: set[uuid.UUID]) -> list[Candidate]:
        """Those of `pool` (the asker's connections) whom the asker may ask, with
        what scores them."""
        ws, asker = self.workspace.id, self.asker.id
        found = await uow.matching.connections_among(ws, asker, pool, self.topic)
        counts = await uow.matching.count_connections_matching(
            ws, pool, self.topic, exclude=frozenset({asker})
        )
        scored = await self._as_candidates(uow, found, counts)
        return await self.with_records(uow, list(scored.values()))

    async def records_that_count(
        self, uow: UnitOfWork, pool: list[Candidate], limit: int
    ) -> list[Candidate]:
        """The candidates who could rank among the first `limit`, with their answering
        records: read first for those who could score best, then only for the rest
        who could still beat them (at a million requests the records were most of
        what the pool cost to read, and few of the pool can rank)."""
        first, rest = first_to_read(pool, limit)
        read = await self.with_records(uow, first)
        more = could_still_rank(rest, read, limit)
        return read + await self.with_records(uow, more) if more else read

    async def with_records(self, uow: UnitOfWork, found: list[Candidate]) -> list[Candidate]:
        """The candidates with their answering records (their most recent asks)."""
        ids = {c.person.id for c in found}
        records = await uow.requests.answer_records(self.workspace.id, ids, recent=RECENT_ASKS)
        return [replace(c, record=records[c.person.id]) for c in found]

    async def _as_candidates(
        self, uow: UnitOfWork, found: list[Match], counts: dict[uuid.UUID, int]
    ) -> dict[uuid.UUID, Candidate]:
        """Those `found` (the asker's connections, each with how they match the topic)
        whom the asker may ask, with their open asks read, each as a candidate (their
        record not yet read); `counts`: how many of their connections match."""
        askable = {m.person.id: m for m in found if m.person.reachable()}
        if not askable:
            return {}
        ws, topic = self.workspace.id, self.topic
        loads = await uow.requests.loads(ws, askable, Role.CONNECTOR)
        default = self.workspace.budgets.connector_open
        return {
            i: Candidate(
                person=m.person,
                strength=m.strength,
                match=m.score if m.score.value > 0 else None,
                matched_tags=tuple(t for t in m.person.expertise if mentions(topic, t))
                if m.score.value > 0
                else (),
                matching_connections=counts.get(i, 0),
                record=None,
                open_asks=loads[i].count if i in loads else 0,
                budget=m.person.preferences.ask_budget
                if m.person.preferences.ask_budget is not None
                else default,
                snoozed=m.person.snoozed(self.now),
                knows_target_strength=self.to_target.get(i),
            )
            for i, m in askable.items()
        }


async def _reading(env: Env, read: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    """One read on a read-only unit of work of its own."""
    async with env.uows(write=False) as uow:
        return await read(uow)


async def _together(first: Awaitable[T], second: Awaitable[U]) -> tuple[T, U]:
    """Two reads at once."""
    return await asyncio.gather(first, second)


async def _knowing_target(uow: UnitOfWork, asker: Person, target: Person) -> dict[uuid.UUID, int]:
    """The asker's connections who have a connection to the target, and its
    strength."""
    found = await uow.connections.all_to(target.workspace_id, target.id)
    knowing = {c.person_id: c.strength for c in found if c.person_id != asker.id}
    links = await uow.connections.among(asker.workspace_id, [(asker.id, i) for i in knowing])
    return {i: strength for i, strength in knowing.items() if (asker.id, i) in links}
