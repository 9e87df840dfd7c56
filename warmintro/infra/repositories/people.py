"""People and their expertise index (their connections: `connections.py`)."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Collection, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from warmintro.domain.errors import AlreadyExists
from warmintro.domain.people import EmailStatus, Person, Preferences
from warmintro.domain.ports import Page
from warmintro.infra.repositories.bulk import any_of, in_bound, parts
from warmintro.infra.repositories.direct import Direct
from warmintro.infra.repositories.search import escape_like, search_filter
from warmintro.infra.tables import (
    idempotency_keys,
    people,
    person_expertise,
    webhook_attempts,
)


@functools.lru_cache(maxsize=256)
def _search(dialect: str, q: str, by_tag: bool, after: bool, match_email: bool) -> Direct:
    """A people search's statement, built once for each search text and shape (its
    values bound): building it and its cache key was a tenth of a search's CPU."""
    ws = sa.bindparam("b_workspace_id", type_=people.c.workspace_id.type)
    query = sa.select(people).where(people.c.workspace_id == ws, people.c.erased_at.is_(None))
    if by_tag:
        query = query.where(
            people.c.id.in_(
                sa.select(person_expertise.c.person_id).where(
                    person_expertise.c.workspace_id == ws,
                    person_expertise.c.tag == sa.bindparam("b_tag", type_=sa.String),
                )
            )
        )
    if q:
        # Words, not substrings (infra/repositories/search.py).
        query = query.where(search_filter(dialect, q, match_email))
    if after:
        query = query.where(people.c.id > sa.bindparam("b_after", type_=people.c.id.type))
    return Direct(query.order_by(people.c.id).limit(sa.bindparam("b_limit", type_=sa.Integer)))


def _row(person: Person) -> dict[str, Any]:
    return dict(
        workspace_id=person.workspace_id,
        id=person.id,
        email=person.email,
        email_key=person.email_key,
        name=person.name,
        headline=person.headline,
        bio=person.bio,
        expertise=list(person.expertise),
        email_status=person.email_status.value,
        ask_budget=person.preferences.ask_budget,
        snooze_until=person.preferences.snooze_until,
        never_contact=person.preferences.never_contact,
        discoverable=person.preferences.discoverable,
        erased_at=person.erased_at,
        created_at=person.created_at,
        updated_at=person.updated_at,
    )


_COLUMNS = [
    "workspace_id",
    "id",
    "email",
    "email_key",
    "name",
    "headline",
    "bio",
    "expertise",
    "email_status",
    "ask_budget",
    "snooze_until",
    "never_contact",
    "discoverable",
    "erased_at",
    "created_at",
    "updated_at",
]
# `person_from_row` unpacks a row by position: reading 16 fields of a Row by name was
# a tenth of a people search's CPU (6 µs a person).
assert list(people.columns.keys()) == _COLUMNS, "keep person_from_row in step with the table"


def person_from_row(row: Sequence[Any]) -> Person:
    """A person from a row that starts with `people`'s columns, in the table's order
    (`select(people, ...)`: the matching queries beside this module add theirs after)."""
    (
        workspace_id,
        id_,
        email,
        _email_key,
        name,
        headline,
        bio,
        expertise,
        email_status,
        ask_budget,
        snooze_until,
        never_contact,
        discoverable,
        erased_at,
        created_at,
        updated_at,
    ) = row[: len(_COLUMNS)]
    return Person(
        id=id_,
        workspace_id=workspace_id,
        email=email,
        name=name,
        headline=headline,
        bio=bio,
        expertise=tuple(expertise),
        email_status=EmailStatus(email_status),
        preferences=Preferences(
            ask_budget=ask_budget,
            snooze_until=snooze_until,
            never_contact=never_contact,
            discoverable=discoverable,
        ),
        erased_at=erased_at,
        created_at=created_at,
        updated_at=updated_at,
    )


def _get_many(ids: sa.ColumnElement[bool]) -> sa.Select[Any]:
    return (
        sa.select(people)
        .where(people.c.workspace_id == sa.bindparam("b_workspace_id"), ids)
        .order_by(people.c.id)
    )


_GET_MANY = _get_many(in_bound("sqlite", people.c.id, "b_ids"))
# PostgreSQL: the ids as one array, one statement whatever their number (an IN list
# is a new statement to prepare for each length, and slow to bind).
_GET_MANY_PG = _get_many(in_bound("postgresql", people.c.id, "b_ids"))
_GET_MANY_PG_DIRECT = {False: Direct(_GET_MANY_PG), True: Direct(_GET_MANY_PG.with_for_update())}


class SqlPeople:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, person: Person) -> None:
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(people.insert().values(_row(person)))
        except IntegrityError:
            raise AlreadyExists("a person with this email already exists", field="email") from None
        await self._write_tags(person)

    async def get(self, workspace_id: uuid.UUID, person_id: uuid.UUID) -> Person | None:
        row = (
            await self._conn.execute(
                sa.select(people).where(
                    people.c.workspace_id == workspace_id, people.c.id == person_id
                )
            )
        ).first()
        return person_from_row(row) if row else None

    async def get_many(
        self, workspace_id: uuid.UUID, ids: set[uuid.UUID], *, lock: bool = False
    ) -> dict[uuid.UUID, Person]:
        if not ids:
            return {}
        # Locks are taken in id order, as `lock` takes them, so two askers cannot deadlock.
        params = {"b_workspace_id": workspace_id, "b_ids": list(ids)}
        if self._conn.dialect.name == "postgresql":
            rows = await _GET_MANY_PG_DIRECT[lock].rows(self._conn, params)
        else:
            rows = list(await self._conn.execute(_GET_MANY, params))
        found = (person_from_row(row) for row in rows)
        return {person.id: person for person in found}

    async def get_by_email(self, workspace_id: uuid.UUID, email: str) -> Person | None:
        row = (
            await self._conn.execute(
                sa.select(people).where(
                    people.c.workspace_id == workspace_id, people.c.email_key == email.casefold()
                )
            )
        ).first()
        return person_from_row(row) if row else None

    async def update(self, person: Person) -> None:
        values = _row(person)
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(
                    people.update()
                    .where(
                        people.c.workspace_id == person.workspace_id,
                        people.c.id == person.id,
                    )
                    .values(values)
                )
        except IntegrityError:
            raise AlreadyExists("a person with this email already exists", field="email") from None
        await self._conn.execute(
            person_expertise.delete().where(
                person_expertise.c.workspace_id == person.workspace_id,
                person_expertise.c.person_id == person.id,
            )
        )
        await self._write_tags(person)

    async def erase_traces(self, workspace_id: uuid.UUID, person_id: uuid.UUID, email: str) -> None:
        # Stored API responses that mention the person (their profile, requests they
        # were part of, with the text they wrote) go; only their replays are lost.
        marks = [f"%{escape_like(email.casefold())}%", f"%{person_id}%"]
        response = sa.func.lower(sa.cast(idempotency_keys.c.response, sa.Text))
        await self._conn.execute(
            idempotency_keys.delete().where(
                idempotency_keys.c.workspace_id == workspace_id,
                sa.or_(*(response.like(m, escape="\\") for m in marks)),
            )
        )
        await self._conn.execute(
            webhook_attempts.update()
            .where(
                webhook_attempts.c.workspace_id == workspace_id,
                sa.func.lower(webhook_attempts.c.response_snippet).like(marks[0], escape="\\"),
            )
            .values(response_snippet="[erased]")
        )

    async def lock(self, workspace_id: uuid.UUID, ids: list[uuid.UUID]) -> None:
        if self._conn.dialect.name != "postgresql" or not ids:
            return  # SQLite write transactions are already serial (BEGIN IMMEDIATE)
        await self._conn.execute(
            sa.select(people.c.id)
            .where(
                people.c.workspace_id == workspace_id,
                people.c.id.in_(ids),
            )
            .order_by(people.c.id)
            .with_for_update()
        )

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
        query = _search(
            self._conn.dialect.name, q or "", bool(expertise), after is not None, match_email
        )
        params = dict(
            b_workspace_id=workspace_id, b_tag=expertise, b_after=after, b_limit=limit + 1
        )
        rows = await query.rows(self._conn, params)
        items = [person_from_row(r) for r in rows[:limit]]
        return Page(items, items[-1].id if len(rows) > limit else None)

    async def _write_tags(self, person: Person) -> None:
        if person.expertise:
            await self._conn.execute(
                person_expertise.insert(),
                [
                    dict(workspace_id=person.workspace_id, tag=tag, person_id=person.id)
                    for tag in person.expertise
                ],
            )

    async def by_emails(self, workspace_id: uuid.UUID, keys: Collection[str]) -> dict[str, Person]:
        found: dict[str, Person] = {}
        if self._conn.dialect.name == "postgresql":
            # A bulk import fills a table faster than its statistics follow: after five
            # runs PostgreSQL would keep a generic plan made for an empty table (a scan
            # that grows with every chunk). Plan each lookup of this transaction anew.
            await self._conn.execute(sa.text("SET LOCAL plan_cache_mode = force_custom_plan"))
        for part in parts(list(keys)):
            rows = await self._conn.execute(
                sa.select(people).where(
                    people.c.workspace_id == workspace_id,
                    any_of(self._conn, people.c.email_key, part),
                )
            )
            found.update((row.email_key, person_from_row(row)) for row in rows)
        return found

    async def add_many(self, new: list[Person]) -> None:
        if not new:
            return
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(people.insert(), [_row(p) for p in new])
        except IntegrityError:
            raise AlreadyExists("a person with this email already exists", field="email") from None
        await self._write_all_tags(new)

    async def update_many(self, changed: list[Person]) -> None:
        if not changed:
            return
        # Bound names differ from the columns': SQLAlchemy keeps those for SET.
        await self._conn.execute(
            people.update().where(
                people.c.workspace_id == sa.bindparam("_workspace_id"),
                people.c.id == sa.bindparam("_id"),
            ),
            [
                {"_workspace_id": p.workspace_id, "_id": p.id}
                | {k: v for k, v in _row(p).items() if k not in _KEYS}
                for p in changed
            ],
        )
        for part in parts([p.id for p in changed]):
            await self._conn.execute(
                person_expertise.delete().where(
                    person_expertise.c.workspace_id == changed[0].workspace_id,
                    any_of(self._conn, person_expertise.c.person_id, part),
                )
            )
        await self._write_all_tags(changed)

    async def _write_all_tags(self, of: list[Person]) -> None:
        tags = [
            dict(workspace_id=person.workspace_id, tag=tag, person_id=person.id)
            for person in of
            for tag in person.expertise
        ]
        if tags:
            await self._conn.execute(person_expertise.insert(), tags)


_KEYS = frozenset({"workspace_id", "id", "email", "email_key", "created_at"})
"""What a bulk update never rewrites."""
