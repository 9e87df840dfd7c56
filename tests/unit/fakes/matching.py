"""Matching people to text on the fakes: the rules of domain/matching.py, with its
crude stemmer standing in for the databases' English ones."""

from __future__ import annotations

import uuid
from datetime import datetime

from tests.unit.fakes.store import FakeStore
from warmintro.domain.matching import MatchScore, mentions, names_an_address, stem, tokens, words
from warmintro.domain.people import Connection, Person
from warmintro.domain.ports import Knower, Match


def _stems(*texts: str) -> set[str]:
    return {stem(t) for text in texts for t in tokens(text)}


def search_matches(person: Person, q: str, match_email: bool) -> bool:
    """Every word of `q` in the tags, headline or bio (stemmed), or starting a word
    of the name; with `match_email`, a `q` that looks like part of an address also matches in it."""
    if match_email and names_an_address(q) and q.strip().casefold() in person.email_key:
        return True
    wanted = words(q)
    if not wanted:
        return False
    profile = _stems(*person.expertise, person.headline, person.bio)
    name = tokens(person.name)
    return all(stem(w) in profile or any(n.startswith(w) for n in name) for w in wanted)


def topic_score(person: Person, topic: str) -> MatchScore:
    """Tags the topic names whole; a word of the topic in the headline, in the bio."""
    wanted = {stem(w) for w in words(topic)}
    return MatchScore(
        tags=sum(1 for t in person.expertise if mentions(topic, t)),
        headline=bool(wanted & _stems(person.headline)),
        bio=bool(wanted & _stems(person.bio)),
    )


class FakePeopleMatching:
    def __init__(self, store: FakeStore) -> None:
        self._store = store

    def _known(self, workspace_id: uuid.UUID, person_id: uuid.UUID) -> list[Connection]:
        return [
            c
            for (ws, p, _), c in self._store.data.connections.items()
            if ws == workspace_id and p == person_id
        ]

    def _person(self, workspace_id: uuid.UUID, person_id: uuid.UUID) -> Person | None:
        person = self._store.data.people.get((workspace_id, person_id))
        return person if person is not None and person.erased_at is None else None

    def _ranked(self, found: list[tuple[Person, int]], topic: str, limit: int) -> list[Match]:
        scored = [Match(p, topic_score(p, topic), strength) for p, strength in found]
        kept = [m for m in scored if m.score.value > 0]
        kept.sort(key=lambda m: (-m.score.value, -m.strength, m.person.name, m.person.id))
        return kept[:limit]

    async def connections_matching(
        self,
        workspace_id: uuid.UUID,
        person_id: uuid.UUID,
        text: str,
        *,
        exclude: frozenset[uuid.UUID],
        askable_at: datetime | None,
        limit: int,
    ) -> list[Match]:
        found = []
        for c in self._known(workspace_id, person_id):
            p = self._person(workspace_id, c.other_id)
            if p is None or p.id in exclude:
                continue
            if askable_at is not None and (not p.reachable() or p.snoozed(askable_at)):
                continue
            found.append((p, c.strength))
        return self._ranked(found, text, limit)

    async def connections_among(
        self, workspace_id: uuid.UUID, person_id: uuid.UUID, ids: set[uuid.UUID], text: str
    ) -> list[Match]:
        return [
            Match(p, topic_score(p, text), c.strength)
            for c in self._known(workspace_id, person_id)
            if c.other_id in ids and (p := self._person(workspace_id, c.other_id)) is not None
        ]

    async def count_connections_matching(
        self,
        workspace_id: uuid.UUID,
        person_ids: set[uuid.UUID],
        text: str,
        *,
        discoverable_only: bool = True,
        exclude: frozenset[uuid.UUID] = frozenset(),
    ) -> dict[uuid.UUID, int]:
        counts = {}
        for person_id in person_ids:
            known = [
                p
                for c in self._known(workspace_id, person_id)
                if (p := self._person(workspace_id, c.other_id)) is not None and p.id not in exclude
            ]
            if discoverable_only:
                known = [p for p in known if p.preferences.discoverable]
            count = sum(1 for p in known if topic_score(p, text).value > 0)
            if count:
                counts[person_id] = count
        return counts

    async def connections_by_network(
        self,
        workspace_id: uuid.UUID,
        person_id: uuid.UUID,
        text: str,
        *,
        exclude: frozenset[uuid.UUID],
        limit: int,
    ) -> list[Knower]:
        known = {c.other_id for c in self._known(workspace_id, person_id)} - exclude
        counts = await self.count_connections_matching(
            workspace_id, known, text, discoverable_only=True, exclude=exclude
        )
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        found = await self.connections_among(workspace_id, person_id, set(counts), text)
        by_id = {m.person.id: m for m in found}
        return [Knower(by_id[i], n) for i, n in ranked if i in by_id]

    async def connections_listed(
        self,
        workspace_id: uuid.UUID,
        person_id: uuid.UUID,
        *,
        q: str,
        exclude: frozenset[uuid.UUID],
        first: tuple[uuid.UUID, ...] = (),
        only: frozenset[uuid.UUID] | None = None,
        limit: int,
        count_up_to: int,
    ) -> tuple[list[Person], int]:
        found = []
        for c in self._known(workspace_id, person_id):
            p = self._person(workspace_id, c.other_id)
            if p is None or p.id in exclude or not p.reachable():
                continue
            if only is not None and p.id not in only:
                continue
            if q.strip() and not search_matches(p, q, match_email=False):
                continue
            found.append(p)
        rank = {p: i for i, p in enumerate(first)}
        found.sort(key=lambda p: (rank.get(p.id, len(first)), p.name.casefold(), p.id))
        return found[:limit], min(len(found), count_up_to + 1)
