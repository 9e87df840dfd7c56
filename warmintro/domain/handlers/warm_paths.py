"""Finding the way in: the asker's connections ranked for a topic (domain/warm_paths.py).

A fixed number of queries whatever the size of the asker's network: whom to
score (the best matches by their own expertise and by their network, ranked and
bounded in the database; with a target, those who know the target), the asker's
links to them, those people, who of them match, how many of *their* connections
match, their open asks and their answering record (their most recent asks only),
each read for all at once.
"""

from __future__ import annotations

import uuid

from warmintro.domain.access import Principal
from warmintro.domain.answering import RECENT_ASKS
from warmintro.domain.commands import FindWarmPaths
from warmintro.domain.errors import InvalidInput
from warmintro.domain.handlers.env import Env
from warmintro.domain.handlers.lookups import visible_person
from warmintro.domain.intro_request import MAX_TOPIC, Role
from warmintro.domain.matching import mentions
from warmintro.domain.people import Person
from warmintro.domain.ports import UnitOfWork
from warmintro.domain.warm_paths import Candidate, WarmPath, rank, rank_towards_target

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
    now = env.clock.now()
    workspace = principal.workspace
    async with env.uows(write=False) as uow:
        asker = await visible_person(uow, principal, _asker_of(cmd, principal))
        principal.require_self_or_operator(asker.id)
        to_target: dict[uuid.UUID, int] = {}
        if cmd.target_id is not None:
            target = await visible_person(uow, principal, cmd.target_id)
            to_target = await _knowing_target(uow, target)
            pool = set(to_target) - {asker.id}
        else:
            pool = await _pool(uow, asker, topic)
        links = await uow.connections.among(workspace.id, [(asker.id, i) for i in pool])
        people = await uow.people.get_many(workspace.id, pool)
        askable = {i: p for i, p in people.items() if p.reachable() and (asker.id, i) in links}
        if not askable:
            return []
        ids = set(askable)
        matches = {
            m.person.id: m.score
            for m in await uow.matching.among(workspace.id, ids, topic, limit=len(ids))
        }
        counts = await uow.matching.count_connections_matching(
            workspace.id, ids, topic, discoverable_only=True, exclude=frozenset({asker.id})
        )
        loads = await uow.requests.loads(workspace.id, ids, Role.CONNECTOR)
        records = await uow.requests.answer_records(workspace.id, ids, recent=RECENT_ASKS)
    default = workspace.budgets.connector_open
    candidates = [
        Candidate(
            person=p,
            strength=links[(asker.id, i)].strength,
            match=matches.get(i),
            matched_tags=tuple(t for t in p.expertise if mentions(topic, t))
            if i in matches
            else (),
            matching_connections=counts.get(i, 0),
            record=records[i],
            open_asks=loads[i].count if i in loads else 0,
            budget=p.preferences.ask_budget if p.preferences.ask_budget is not None else default,
            snoozed=p.snoozed(now),
            knows_target_strength=to_target.get(i),
        )
        for i, p in askable.items()
    ]
    if cmd.target_id is not None:
        return rank_towards_target(candidates, cmd.limit)
    return rank(candidates, cmd.limit)


async def _pool(uow: UnitOfWork, asker: Person, topic: str) -> set[uuid.UUID]:
    """Whom to score: the asker's connections who match the topic best themselves,
    and those who know the most people who do, each ranked and bounded in the
    database, so a network of any size costs the same few reads."""
    ws, exclude = asker.workspace_id, frozenset({asker.id})
    own = await uow.matching.connections_matching(
        ws, asker.id, topic, exclude=exclude, askable_at=None, limit=POOL
    )
    network = await uow.matching.connections_by_network(
        ws, asker.id, topic, exclude=exclude, limit=POOL
    )
    return {m.person.id for m in own} | set(network)


async def _knowing_target(uow: UnitOfWork, target: Person) -> dict[uuid.UUID, int]:
    """Who has a connection to the target, and its strength (the caller keeps the
    asker's own connections among them)."""
    found = await uow.connections.all_to(target.workspace_id, target.id)
    return {c.person_id: c.strength for c in found}
