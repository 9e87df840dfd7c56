"""Intro requests, their parties, timeline and the open-ask budget counts."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from warmintro.domain.answering import AnswerRecord, answer_records
from warmintro.domain.errors import ConcurrentUpdate, DuplicateRequest
from warmintro.domain.events import Event, EventType
from warmintro.domain.intro_request import (
    DeclineReason,
    IntroRequest,
    NamedAs,
    Rating,
    Role,
    State,
    topic_key,
)
from warmintro.domain.ports import Load, Page
from warmintro.infra.tables import events, intro_requests, request_parties, timers

_ERASED = "[erased]"
_ERASED_NAMING = {"email": _ERASED, "name": _ERASED}


def about(data: dict[str, Any], person_id: uuid.UUID) -> bool:
    """Whether an event's data names this person (the expert, or whom it was
    forwarded to); `named_as` is how it was typed."""
    named = (data.get("expert_id"), data.get("person_id"), data.get("connector_id"))
    return str(person_id) in named


def _event(r: sa.Row[Any]) -> Event:
    return Event(
        id=r.id,
        workspace_id=r.workspace_id,
        request_id=r.request_id,
        seq=r.seq,
        type=EventType(r.type),
        actor_id=r.actor_id,
        occurred_at=r.occurred_at,
        data=dict(r.data),
    )


def _ids(values: Any) -> tuple[uuid.UUID, ...]:
    return tuple(uuid.UUID(v) for v in values)


def _row(r: IntroRequest) -> dict[str, Any]:
    return dict(
        workspace_id=r.workspace_id,
        id=r.id,
        asker_id=r.asker_id,
        connector_id=r.connector_id,
        expert_id=r.expert_id,
        expert_named_as=r.expert_named_as.as_data() if r.expert_named_as else sa.null(),
        target_id=r.target_id,
        topic=r.topic,
        topic_key=topic_key(r.topic),
        message=r.message,
        state=r.state.value,
        hops=r.hops,
        connector_named_as=r.connector_named_as.as_data() if r.connector_named_as else sa.null(),
        fallback_connector_ids=[str(i) for i in r.fallback_connector_ids],
        past_connector_ids=[str(i) for i in r.past_connector_ids],
        declined_expert_ids=[str(i) for i in r.declined_expert_ids],
        declined_connector_ids=[str(i) for i in r.declined_connector_ids],
        forwards=[[str(a), str(b)] for a, b in r.forwards],
        decline_reason=r.decline_reason.value if r.decline_reason else None,
        feedback_rating=r.feedback_rating.value if r.feedback_rating else None,
        deadline_at=r.deadline_at,
        reminder_at=r.reminder_at,
        reminded=r.reminded,
        introduced_at=r.introduced_at,
        feedback_due_at=r.feedback_due_at,
        feedback_asked=r.feedback_asked,
        version=r.version,
        event_seq=r.event_seq,
        created_at=r.created_at,
        updated_at=r.updated_at,
    )


def _request(row: sa.Row[Any]) -> IntroRequest:
    return IntroRequest(
        id=row.id,
        workspace_id=row.workspace_id,
        asker_id=row.asker_id,
        connector_id=row.connector_id,
        expert_id=row.expert_id,
        expert_named_as=NamedAs.from_data(row.expert_named_as),
        target_id=row.target_id,
        topic=row.topic,
        message=row.message,
        state=State(row.state),
        hops=row.hops,
        connector_named_as=NamedAs.from_data(row.connector_named_as),
        fallback_connector_ids=_ids(row.fallback_connector_ids),
        past_connector_ids=_ids(row.past_connector_ids),
        declined_expert_ids=_ids(row.declined_expert_ids),
        declined_connector_ids=_ids(row.declined_connector_ids),
        forwards=tuple((uuid.UUID(a), uuid.UUID(b)) for a, b in row.forwards),
        decline_reason=DeclineReason(row.decline_reason) if row.decline_reason else None,
        feedback_rating=Rating(row.feedback_rating) if row.feedback_rating else None,
        deadline_at=row.deadline_at,
        reminder_at=row.reminder_at,
        reminded=row.reminded,
        introduced_at=row.introduced_at,
        feedback_due_at=row.feedback_due_at,
        feedback_asked=row.feedback_asked,
        version=row.version,
        event_seq=row.event_seq,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _lost_race(exc: DBAPIError) -> bool:
    """PostgreSQL's deadlock (40P01) or serialization failure (40001): retryable."""
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code in ("40P01", "40001")


def _open_ask_conflict(exc: IntegrityError) -> bool:
    """Whether the partial unique index on open asks refused the row.
    PostgreSQL names the index; SQLite names its columns."""
    message = str(exc.orig)
    return "uq_intro_requests_open_ask" in message or "intro_requests.topic_key" in message


def _party_roles(r: IntroRequest) -> dict[uuid.UUID, str]:
    roles = {p: Role.CONNECTOR.value for p in (r.connector_id, *r.past_connector_ids)}
    roles |= {p: Role.EXPERT.value for p in r.declined_expert_ids}
    if r.expert_id:
        roles[r.expert_id] = Role.EXPERT.value
    roles[r.asker_id] = Role.ASKER.value
    return roles


class SqlIntroRequests:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, request: IntroRequest) -> None:
        try:
            await self._conn.execute(intro_requests.insert().values(_row(request)))
        except IntegrityError as exc:
            if _open_ask_conflict(exc):
                raise DuplicateRequest(
                    "an open request for this topic to this connector exists"
                ) from None
            raise
        await self._write_parties(request)
        await self._write_events(request)
        await self.reschedule(request)

    async def get(self, workspace_id: uuid.UUID, request_id: uuid.UUID) -> IntroRequest | None:
        row = (
            await self._conn.execute(
                sa.select(intro_requests).where(
                    intro_requests.c.workspace_id == workspace_id, intro_requests.c.id == request_id
                )
            )
        ).first()
        if row is None:
            return None
        return _request(row)

    async def save(self, request: IntroRequest) -> None:
        values = _row(request)
        values["version"] = request.version + 1
        try:
            result = await self._conn.execute(
                intro_requests.update()
                .where(
                    intro_requests.c.workspace_id == request.workspace_id,
                    intro_requests.c.id == request.id,
                    intro_requests.c.version == request.version,
                )
                .values(values)
            )
        except IntegrityError as exc:
            if _open_ask_conflict(exc):
                raise DuplicateRequest(
                    "the asker already has an open request for this topic with that connector"
                ) from None
            raise
        except DBAPIError as exc:
            if _lost_race(exc):
                raise ConcurrentUpdate() from None
            raise
        if result.rowcount != 1:
            raise ConcurrentUpdate()
        request.version += 1
        await self._write_parties(request)
        await self._write_events(request)
        try:
            await self.reschedule(request)
        except DBAPIError as exc:
            if _lost_race(exc):
                raise ConcurrentUpdate() from None
            raise

    async def find_open(
        self, workspace_id: uuid.UUID, asker_id: uuid.UUID, connector_id: uuid.UUID, topic_key: str
    ) -> uuid.UUID | None:
        t = intro_requests.c
        return (
            await self._conn.execute(
                sa.select(t.id).where(
                    t.workspace_id == workspace_id,
                    t.asker_id == asker_id,
                    t.connector_id == connector_id,
                    t.topic_key == topic_key,
                    t.state.in_([State.AWAITING_CONNECTOR.value, State.AWAITING_EXPERT.value]),
                )
            )
        ).scalar()

    async def load(self, workspace_id: uuid.UUID, person_id: uuid.UUID, role: Role) -> Load:
        t = intro_requests.c
        if role is Role.CONNECTOR:
            who, state = t.connector_id, State.AWAITING_CONNECTOR
        else:
            who, state = t.expert_id, State.AWAITING_EXPERT
        row = (
            await self._conn.execute(
                sa.select(sa.func.count(), sa.func.min(t.deadline_at)).where(
                    t.workspace_id == workspace_id, who == person_id, t.state == state.value
                )
            )
        ).one()
        return Load(count=row[0], earliest_deadline=row[1])

    async def loads(
        self, workspace_id: uuid.UUID, person_ids: Collection[uuid.UUID], role: Role
    ) -> dict[uuid.UUID, Load]:
        t = intro_requests.c
        if role is Role.CONNECTOR:
            who, state = t.connector_id, State.AWAITING_CONNECTOR
        else:
            who, state = t.expert_id, State.AWAITING_EXPERT
        if not person_ids:
            return {}
        rows = await self._conn.execute(
            sa.select(who, sa.func.count(), sa.func.min(t.deadline_at))
            .where(t.workspace_id == workspace_id, who.in_(person_ids), t.state == state.value)
            .group_by(who)
        )
        return {r[0]: Load(count=r[1], earliest_deadline=r[2]) for r in rows}

    async def answer_records(
        self, workspace_id: uuid.UUID, person_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, AnswerRecord]:
        if not person_ids:
            return {}
        p = request_parties.c
        theirs = sa.select(p.request_id).where(
            p.workspace_id == workspace_id,
            p.person_id.in_(person_ids),
            p.role == Role.CONNECTOR.value,
        )
        rows = await self._conn.execute(
            sa.select(events).where(
                events.c.workspace_id == workspace_id, events.c.request_id.in_(theirs)
            )
        )
        return answer_records((_event(r) for r in rows), person_ids)

    async def search(
        self,
        workspace_id: uuid.UUID,
        *,
        person_id: uuid.UUID | None,
        role: Role | None,
        state: State | None,
        after: uuid.UUID | None,
        limit: int,
    ) -> Page[IntroRequest]:
        t = intro_requests
        if person_id is None:
            query = sa.select(t).where(t.c.workspace_id == workspace_id)
            order = t.c.id
        else:
            p = request_parties
            query = (
                sa.select(t)
                .select_from(
                    p.join(
                        t,
                        sa.and_(
                            t.c.workspace_id == p.c.workspace_id,
                            t.c.id == p.c.request_id,
                        ),
                    )
                )
                .where(p.c.workspace_id == workspace_id, p.c.person_id == person_id)
            )
            if role is not None:
                query = query.where(p.c.role == role.value)
            order = p.c.request_id
        if state is not None:
            in_state: sa.ColumnElement[str] = t.c.state
            if person_id is not None and self._conn.dialect.name == "sqlite":
                # An expression, so that SQLite without statistics walks the person's
                # requests newest first rather than every request in that state.
                in_state = t.c.state.op("||")("")
            query = query.where(in_state == state.value)
        if after is not None:
            query = query.where(order < after)
        rows = list(await self._conn.execute(query.order_by(order.desc()).limit(limit + 1)))
        items = [_request(r) for r in rows[:limit]]
        return Page(items, items[-1].id if len(rows) > limit else None)

    async def events(self, workspace_id: uuid.UUID, request_id: uuid.UUID) -> list[Event]:
        rows = await self._conn.execute(
            sa.select(events)
            .where(
                events.c.workspace_id == workspace_id,
                events.c.request_id == request_id,
            )
            .order_by(events.c.seq)
        )
        return [_event(r) for r in rows]

    async def scrub_person(self, workspace_id: uuid.UUID, person_id: uuid.UUID) -> None:
        t = intro_requests.c
        await self._conn.execute(
            intro_requests.update()
            .where(
                t.workspace_id == workspace_id,
                t.asker_id == person_id,
            )
            .values(topic=_ERASED, message=_ERASED)
        )
        rows = await self._conn.execute(
            sa.select(events.c.request_id, events.c.seq, events.c.data).where(
                events.c.workspace_id == workspace_id, events.c.actor_id == person_id
            )
        )
        for row in list(rows):
            if row.data.get("note"):
                await self._conn.execute(
                    events.update()
                    .where(
                        events.c.workspace_id == workspace_id,
                        events.c.request_id == row.request_id,
                        events.c.seq == row.seq,
                    )
                    .values(data={**row.data, "note": _ERASED})
                )
        await self._scrub_naming(workspace_id, person_id)

    async def _scrub_naming(self, workspace_id: uuid.UUID, person_id: uuid.UUID) -> None:
        """The address and name a connector typed for them, in requests and events."""
        t = intro_requests.c
        await self._conn.execute(
            intro_requests.update()
            .where(
                t.workspace_id == workspace_id,
                t.expert_id == person_id,
                t.expert_named_as.is_not(None),
            )
            .values(expert_named_as=_ERASED_NAMING)
        )
        await self._conn.execute(
            intro_requests.update()
            .where(
                t.workspace_id == workspace_id,
                t.connector_id == person_id,
                t.connector_named_as.is_not(None),
            )
            .values(connector_named_as=_ERASED_NAMING)
        )
        theirs = sa.select(request_parties.c.request_id).where(
            request_parties.c.workspace_id == workspace_id,
            request_parties.c.person_id == person_id,
        )
        rows = await self._conn.execute(
            sa.select(events.c.request_id, events.c.seq, events.c.data).where(
                events.c.workspace_id == workspace_id, events.c.request_id.in_(theirs)
            )
        )
        for row in list(rows):
            if row.data.get("named_as") and about(row.data, person_id):
                await self._conn.execute(
                    events.update()
                    .where(
                        events.c.workspace_id == workspace_id,
                        events.c.request_id == row.request_id,
                        events.c.seq == row.seq,
                    )
                    .values(data={**row.data, "named_as": _ERASED_NAMING})
                )

    async def waiting_on(self, workspace_id: uuid.UUID, person_id: uuid.UUID) -> list[uuid.UUID]:
        t = intro_requests.c
        rows = await self._conn.execute(
            sa.select(t.id).where(
                t.workspace_id == workspace_id,
                sa.or_(
                    sa.and_(t.connector_id == person_id, t.state == State.AWAITING_CONNECTOR.value),
                    sa.and_(t.expert_id == person_id, t.state == State.AWAITING_EXPERT.value),
                ),
            )
        )
        return [r.id for r in rows]

    async def reschedule(self, request: IntroRequest) -> None:
        """Keep the request's timer row at its next due time, or remove it."""
        due = request.next_due()
        where = (timers.c.workspace_id == request.workspace_id, timers.c.request_id == request.id)
        if due is None:
            await self._conn.execute(timers.delete().where(*where))
            return
        insert = pg_insert if self._conn.dialect.name == "postgresql" else sqlite_insert
        stmt = insert(timers).values(
            workspace_id=request.workspace_id, request_id=request.id, due_at=due
        )
        await self._conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[timers.c.workspace_id, timers.c.request_id],
                set_={"due_at": stmt.excluded.due_at},
            )
        )

    async def claim_due(self, now: datetime, limit: int) -> list[tuple[uuid.UUID, uuid.UUID]]:
        # Lock the request rows, not the timer rows: a decision locks its request first
        # and then rewrites the timer, so taking the same order here cannot deadlock.
        t = intro_requests
        query = (
            sa.select(timers.c.workspace_id, timers.c.request_id)
            .join(
                t, sa.and_(t.c.workspace_id == timers.c.workspace_id, t.c.id == timers.c.request_id)
            )
            .where(timers.c.due_at <= now)
            .order_by(timers.c.due_at)
            .limit(limit)
        )
        if self._conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=t)
        return [(r.workspace_id, r.request_id) for r in await self._conn.execute(query)]

    async def _write_parties(self, request: IntroRequest) -> None:
        """Record anyone who became a party; rows already there are left alone."""
        rows = [
            dict(
                workspace_id=request.workspace_id,
                person_id=person,
                request_id=request.id,
                role=role,
            )
            for person, role in _party_roles(request).items()
        ]
        insert = pg_insert if self._conn.dialect.name == "postgresql" else sqlite_insert
        await self._conn.execute(insert(request_parties).on_conflict_do_nothing(), rows)

    async def _write_events(self, request: IntroRequest) -> None:
        if request.events:
            await self._conn.execute(
                events.insert(),
                [
                    dict(
                        workspace_id=e.workspace_id,
                        request_id=e.request_id,
                        seq=e.seq,
                        id=e.id,
                        type=e.type.value,
                        actor_id=e.actor_id,
                        data=e.data,
                        occurred_at=e.occurred_at,
                    )
                    for e in request.events
                ],
            )
