"""Fake workspaces, API keys, people and connections."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import replace
from datetime import datetime

from tests.unit.fakes.matching import search_matches
from tests.unit.fakes.store import FakeStore, in_utc
from warmintro.domain.errors import AlreadyExists
from warmintro.domain.people import Connection, Person, Workspace
from warmintro.domain.ports import ApiKey, Page


class FakeWorkspaces:
    def __init__(self, store: FakeStore) -> None:
        self._store = store

    async def add(self, workspace: Workspace) -> None:
        if workspace.id in self._store.data.workspaces:
            raise AlreadyExists("workspace exists")
        self._store.data.workspaces[workspace.id] = workspace

    async def get(self, workspace_id: uuid.UUID) -> Workspace | None:
        self._store.counters.workspace_lookups += 1
        return self._store.data.workspaces.get(workspace_id)

    async def update(self, workspace: Workspace) -> None:
        if workspace.id in self._store.data.workspaces:
            self._store.data.workspaces[workspace.id] = workspace

    async def named(self, name: str) -> list[Workspace]:
        """Workspaces called `name` (names need not be unique), oldest first."""
        found = [w for w in self._store.data.workspaces.values() if w.name == name]
        return sorted(found, key=lambda w: (w.created_at, w.id))

    async def every(self) -> list[Workspace]:
        return sorted(self._store.data.workspaces.values(), key=lambda w: (w.created_at, w.id))


class FakeApiKeys:
    def __init__(self, store: FakeStore) -> None:
        self._store = store

    async def add(self, key: ApiKey, key_hash: str) -> None:
        if (key.workspace_id, key_hash) in self._store.data.api_keys:
            raise AlreadyExists("api key exists")
        self._store.data.api_keys[(key.workspace_id, key_hash)] = key

    async def exists(self, workspace_id: uuid.UUID, key_hash: str) -> bool:
        self._store.counters.api_key_lookups += 1
        key = (workspace_id, key_hash)
        stored = self._store.data.api_keys.get(key)
        return stored is not None and stored.active and key not in self._store.data.revoked_keys

    async def listed(self, workspace_id: uuid.UUID) -> list[ApiKey]:
        keys = [k for (ws, _), k in self._store.data.api_keys.items() if ws == workspace_id]
        return sorted(keys, key=lambda k: (k.created_at, k.id))

    async def revoke(self, workspace_id: uuid.UUID, key_id: uuid.UUID, at: datetime) -> None:
        for (ws, digest), key in self._store.data.api_keys.items():
            if ws == workspace_id and key.id == key_id and key.active:
                self._store.data.api_keys[(ws, digest)] = in_utc(replace(key, revoked_at=at))
                self._store.data.revoked_keys.add((ws, digest))


class FakePeople:
    def __init__(self, store: FakeStore) -> None:
        self._store = store

    @property
    def _people(self) -> dict[tuple[uuid.UUID, uuid.UUID], Person]:
        return self._store.data.people

    def _email_taken(self, person: Person) -> bool:
        return any(
            other.workspace_id == person.workspace_id
            and other.id != person.id
            and other.email_key == person.email_key
            for other in self._people.values()
        )

    async def add(self, person: Person) -> None:
        """Raises AlreadyExists when the email is taken in the workspace."""
        if (person.workspace_id, person.id) in self._people or self._email_taken(person):
            raise AlreadyExists("a person with this email already exists", field="email")
        self._people[(person.workspace_id, person.id)] = in_utc(person)

    async def get(self, workspace_id: uuid.UUID, person_id: uuid.UUID) -> Person | None:
        return self._people.get((workspace_id, person_id))

    async def get_many(
        self, workspace_id: uuid.UUID, ids: set[uuid.UUID], *, lock: bool = False
    ) -> dict[uuid.UUID, Person]:
        if lock:
            await self.lock(workspace_id, sorted(ids))
        return {
            i: self._people[(workspace_id, i)] for i in ids if (workspace_id, i) in self._people
        }

    async def get_by_email(self, workspace_id: uuid.UUID, email: str) -> Person | None:
        key = email.casefold()
        for person in self._people.values():
            if person.workspace_id == workspace_id and person.email_key == key:
                return person
        return None

    async def update(self, person: Person) -> None:
        """Rewrites a stored person (an unknown one is not created, as in SQL)."""
        if self._email_taken(person):
            raise AlreadyExists("a person with this email already exists", field="email")
        if (person.workspace_id, person.id) in self._people:
            self._people[(person.workspace_id, person.id)] = in_utc(person)

    async def erase_traces(self, workspace_id: uuid.UUID, person_id: uuid.UUID, email: str) -> None:
        """Remove an erased person from stored API responses and webhook logs: the
        fakes store neither, so there is nothing to remove."""

    async def lock(self, workspace_id: uuid.UUID, ids: list[uuid.UUID]) -> None:
        """Serialise concurrent asks to these people until the transaction ends."""
        self._store.counters.locks.append(tuple(ids))

    async def search(
        self,
        workspace_id: uuid.UUID,
        *,
        expertise: str | None,
        q: str | None,
        after: uuid.UUID | None,
        limit: int,
        match_email: bool = True,
    ) -> Page[Person]:
        """People oldest first; `q` is a search by the rules of domain/matching.py."""
        found = []
        for person in self._people.values():
            if person.workspace_id != workspace_id or person.erased_at is not None:
                continue
            if expertise and expertise not in person.expertise:
                continue
            if q and not search_matches(person, q, match_email):
                continue
            if after is not None and person.id <= after:
                continue
            found.append(person)
        found.sort(key=lambda p: p.id)
        items = found[:limit]
        return Page(items, items[-1].id if len(found) > limit else None)

    async def by_emails(self, workspace_id: uuid.UUID, keys: Collection[str]) -> dict[str, Person]:
        wanted = set(keys)
        return {
            p.email_key: p
            for p in self._people.values()
            if p.workspace_id == workspace_id and p.email_key in wanted
        }

    async def add_many(self, new: list[Person]) -> None:
        """Insert people in bulk; raises AlreadyExists when an email is taken."""
        for person in new:
            await self.add(person)

    async def update_many(self, changed: list[Person]) -> None:
        for person in changed:
            await self.update(person)


class FakeConnections:
    def __init__(self, store: FakeStore) -> None:
        self._store = store

    @property
    def _rows(self) -> dict[tuple[uuid.UUID, uuid.UUID, uuid.UUID], Connection]:
        return self._store.data.connections

    async def add(self, connection: Connection) -> None:
        """Raises AlreadyExists when the pair is already connected."""
        key = (connection.workspace_id, connection.person_id, connection.other_id)
        if key in self._rows:
            raise AlreadyExists("these people are already connected", field="person_id")
        self._rows[key] = in_utc(connection)

    async def page(
        self, workspace_id: uuid.UUID, person_id: uuid.UUID, *, after: uuid.UUID | None, limit: int
    ) -> Page[Connection]:
        found = sorted(
            (
                c
                for c in await self.all_of(workspace_id, person_id)
                if after is None or c.other_id > after
            ),
            key=lambda c: c.other_id,
        )
        items = found[:limit]
        return Page(items, items[-1].other_id if len(found) > limit else None)

    async def all_of(self, workspace_id: uuid.UUID, person_id: uuid.UUID) -> list[Connection]:
        return [
            c
            for (ws, person, _), c in self._rows.items()
            if ws == workspace_id and person == person_id
        ]

    async def between(
        self, workspace_id: uuid.UUID, person_id: uuid.UUID, other_id: uuid.UUID
    ) -> Connection | None:
        """`person_id`'s connection to `other_id`, if they recorded one."""
        return self._rows.get((workspace_id, person_id, other_id))

    async def all_to(self, workspace_id: uuid.UUID, person_id: uuid.UUID) -> list[Connection]:
        """Connections others recorded to this person."""
        return [
            c
            for (ws, _, other), c in self._rows.items()
            if ws == workspace_id and other == person_id
        ]

    async def remove_all_of(self, workspace_id: uuid.UUID, person_id: uuid.UUID) -> None:
        for key in [k for k in self._rows if k[0] == workspace_id and person_id in (k[1], k[2])]:
            del self._rows[key]

    async def among(
        self, workspace_id: uuid.UUID, pairs: Collection[tuple[uuid.UUID, uuid.UUID]]
    ) -> dict[tuple[uuid.UUID, uuid.UUID], Connection]:
        return {
            (a, b): self._rows[(workspace_id, a, b)]
            for a, b in pairs
            if (workspace_id, a, b) in self._rows
        }

    async def add_many(self, new: list[Connection]) -> None:
        """Insert in bulk; raises AlreadyExists when a pair is already connected."""
        for connection in new:
            await self.add(connection)

    async def update_many(self, changed: list[Connection]) -> None:
        for c in changed:
            if (key := (c.workspace_id, c.person_id, c.other_id)) in self._rows:
                self._rows[key] = replace(self._rows[key], strength=c.strength, context=c.context)
