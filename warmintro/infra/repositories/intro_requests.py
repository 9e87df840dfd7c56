"""Intro requests, their parties, timeline and the open-ask budget counts."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from warmintro.domain.answering import AnswerRecord, answer_records
from warmintro.domain.errors import ConcurrentUpdate, DuplicateRequest
from warmintro.domain.events import Event, EventType
from warmintro.domain.intro_request import (
    IntroRequest,
    Role,
    State,
)
from warmintro.domain.ports import Load, Page
from warmintro.infra.repositories.direct import Direct
from warmintro.infra.repositories.intro_request_rows import (
    about,
    event_from_row,
    party_roles,
    request_from_row,
    request_row,
)
from warmintro.infra.tables import Id, events, intro_requests, request_parties, timers

_ERASED = "[erased]"
_ERASED_NAMING = {"email": _ERASED, "name": _ERASED}


def _lost_race(exc: DBAPIError) -> bool:
    """PostgreSQL's deadlock (40P01) or serialization failure (40001): retryable."""
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code in ("40P01", "40001")


def _open_ask_conflict(exc: IntegrityError) -> bool:
    """Whether the partial unique index on open asks refused the row.
    PostgreSQL names the index; SQLite names its columns."""
    message = str(exc.orig)
    return "uq_intro_requests_open_ask" in message or "intro_requests.topic_key" in message


# Statements built once: building a Core statement costs more CPU than the round
# trip that runs it, and these run on every create, read and decision.
_r, _p = intro_requests.c, request_parties.c
_WORKSPACE: sa.BindParameter[uuid.UUID] = sa.bindparam("b_workspace_id")
_GET = Direct(
    sa.select(intro_requests).where(_r.workspace_id == _WORKSPACE, _r.id == sa.bindparam("b_id"))
)
_INSERT = Direct(intro_requests.insert())
_SAVE = (
    intro_requests.update()
    .where(
        _r.workspace_id == _WORKSPACE,
        _r.id == sa.bindparam("b_id"),
        _r.version == sa.bindparam("b_version"),
    )
    .values({c.name: sa.bindparam(c.name) for c in intro_requests.columns})
)
# Spelled as the partial unique index on open asks spells it, so that SQLite's
# planner sees the index applies (bound values would hide that from it).
_OPEN = sa.text("intro_requests.state IN ('awaiting_connector', 'awaiting_expert')")
_FIND_OPEN = sa.select(_r.id).where(
    _r.workspace_id == _WORKSPACE,
    _r.asker_id == sa.bindparam("b_asker_id"),
    _r.connector_id == sa.bindparam("b_connector_id"),
    _r.topic_key == sa.bindparam("b_topic_key"),
    _OPEN,
)
_LOAD = {
    role: sa.select(sa.func.count(), sa.func.min(_r.deadline_at)).where(
        _r.workspace_id == _WORKSPACE,
        who == sa.bindparam("b_person_id"),
        _r.state == state.value,
    )
    for role, who, state in (
        (Role.CONNECTOR, _r.connector_id, State.AWAITING_CONNECTOR),
        (Role.EXPERT, _r.expert_id, State.AWAITING_EXPERT),
    )
}
# The checks before an ask: its open duplicate, if any, beside the connector's load.
_FIND_OPEN_WITH_LOAD = Direct(
    _LOAD[Role.CONNECTOR].add_columns(_FIND_OPEN.limit(1).correlate(None).scalar_subquery())
)
_INSERT_EVENTS = Direct(events.insert())
_ADD_PARTIES = {
    "postgresql": Direct(pg_insert(request_parties).on_conflict_do_nothing()),
    "sqlite": Direct(sqlite_insert(request_parties).on_conflict_do_nothing()),
}


def _timer_upsert(insert: Any) -> Any:
    stmt = insert(timers)
    return stmt.on_conflict_do_update(
        index_elements=[timers.c.workspace_id, timers.c.request_id],
        set_={"due_at": stmt.excluded.due_at},
    )


_SET_TIMER = {
    "postgresql": Direct(_timer_upsert(pg_insert)),
    "sqlite": Direct(_timer_upsert(sqlite_insert)),
}
_DROP_TIMER = timers.delete().where(
    timers.c.workspace_id == _WORKSPACE, timers.c.request_id == sa.bindparam("b_request_id")
)


_EVENT_COLUMNS = ("seq", "id", "type", "actor_id", "data", "occurred_at")


Timer = Literal["set", "drop", "none"]


def _with_its_rows(statement: Any, timer: Timer, saved: sa.CTE | None = None) -> Any:
    """PostgreSQL: `statement`, which writes a request, with what goes with it as
    data-modifying CTEs: its parties, its new events and its timer (`timer`: "set",
    "drop" or "none"), in one statement and one round trip where SQLite takes
    four. Their rows are bound as arrays and unnested, so that the statement is the
    same whatever their number. With `saved` (an UPDATE's RETURNING) they are
    written only if the request was."""
    ws, request_id = sa.bindparam("b_workspace_id", type_=Id), sa.bindparam("b_id", type_=Id)
    written = [] if saved is None else [sa.exists(sa.select(saved.c.id))]

    who = (
        sa.func.unnest(
            sa.bindparam("b_party_ids", type_=ARRAY(Id)),
            sa.bindparam("b_party_roles", type_=ARRAY(sa.String)),
        )
        .table_valued(sa.column("person_id"), sa.column("role"))
        .render_derived("who")
    )
    parties = pg_insert(request_parties).from_select(
        ["workspace_id", "person_id", "request_id", "role"],
        sa.select(ws, who.c.person_id, request_id, who.c.role).where(*written),
    )
    happened = (
        sa.func.unnest(
            sa.bindparam("b_event_seqs", type_=ARRAY(sa.Integer)),
            sa.bindparam("b_event_ids", type_=ARRAY(Id)),
            sa.bindparam("b_event_types", type_=ARRAY(sa.String)),
            sa.bindparam("b_event_actors", type_=ARRAY(Id)),
            sa.bindparam("b_event_data", type_=ARRAY(JSONB)),
            sa.bindparam("b_event_times", type_=ARRAY(sa.DateTime(timezone=True))),
        )
        .table_valued(*(sa.column(name) for name in _EVENT_COLUMNS))
        .render_derived("happened")
    )
    new_events = events.insert().from_select(
        ["workspace_id", "request_id", *_EVENT_COLUMNS],
        sa.select(ws, request_id, *(happened.c[n] for n in _EVENT_COLUMNS)).where(*written),
    )
    statement = statement.add_cte(parties.on_conflict_do_nothing().cte("parties")).add_cte(
        new_events.cte("new_events")
    )
    if timer == "set":
        due = sa.bindparam("b_due_at", type_=sa.DateTime(timezone=True))
        upsert = pg_insert(timers).from_select(
            ["workspace_id", "request_id", "due_at"], sa.select(ws, request_id, due).where(*written)
        )
        upsert = upsert.on_conflict_do_update(
            index_elements=[timers.c.workspace_id, timers.c.request_id],
            set_={"due_at": upsert.excluded.due_at},
        )
        statement = statement.add_cte(upsert.cte("timer"))
    elif timer == "drop":
        gone = timers.delete().where(
            timers.c.workspace_id == ws, timers.c.request_id == request_id, *written
        )
        statement = statement.add_cte(gone.cte("timer"))
    return statement


@functools.cache
def _add_with_rows(timer: Timer) -> Direct:
    return Direct(_with_its_rows(intro_requests.insert(), timer))


@functools.cache
def _save_with_rows(timer: Timer) -> Direct:
    """The saved request's id if its version was the one read, else no row."""
    saved = _SAVE.returning(_r.id).cte("saved")
    return Direct(_with_its_rows(sa.select(saved.c.id), timer, saved))


def _rows_of(request: IntroRequest) -> tuple[Timer, dict[str, Any]]:
    """What `_with_its_rows` binds for `request`, and which timer it writes."""
    due = request.next_due()
    roles = party_roles(request)
    new = request.events
    return ("drop" if due is None else "set"), {
        "b_party_ids": list(roles),
        "b_party_roles": list(roles.values()),
        "b_event_seqs": [e.seq for e in new],
        "b_event_ids": [e.id for e in new],
        "b_event_types": [e.type.value for e in new],
        "b_event_actors": [e.actor_id for e in new],
        "b_event_data": [e.data for e in new],
        "b_event_times": [e.occurred_at for e in new],
        "b_due_at": due,
    }


def _people(postgres: bool) -> sa.ColumnElement[Any]:
    """The people a statement is about, bound as `b_people`: one array on PostgreSQL
    (one statement whatever their number), an expanding list on SQLite."""
    if postgres:
        return sa.bindparam("b_people", type_=ARRAY(Id))
    return sa.bindparam("b_people", expanding=True)


def _recent_asks(postgres: bool) -> sa.Subquery:
    """Each person's `b_recent` newest requests as a connector (for_person,
    request_id), read from the parties index (workspace, person, role, request)
    newest first: on PostgreSQL a LATERAL scan per person that stops after
    `b_recent`, on SQLite (no LATERAL) numbered by a window over their index
    entries."""
    p = request_parties.c
    recent = sa.bindparam("b_recent", type_=sa.Integer)
    if postgres:
        who = (
            sa.func.unnest(_people(postgres))
            .table_valued(sa.column("person_id", Id))
            .render_derived("who")
        )
        newest = (
            sa.select(p.request_id)
            .where(
                p.workspace_id == _WORKSPACE,
                p.person_id == who.c.person_id,
                p.role == Role.CONNECTOR.value,
            )
            .order_by(p.request_id.desc())
            .limit(recent)
            .lateral("newest")
        )
        return (
            sa.select(who.c.person_id.label("for_person"), newest.c.request_id)
            .select_from(who.join(newest, sa.true()))
            .subquery("asks")
        )
    numbered = (
        sa.select(
            p.person_id.label("for_person"),
            p.request_id,
            sa.func.row_number()
            .over(partition_by=p.person_id, order_by=p.request_id.desc())
            .label("n"),
        )
        .where(
            p.workspace_id == _WORKSPACE,
            p.person_id.in_(_people(postgres)),
            p.role == Role.CONNECTOR.value,
        )
        .subquery("numbered")
    )
    return (
        sa.select(numbered.c.for_person, numbered.c.request_id)
        .where(numbered.c.n <= recent)
        .subquery("asks")
    )


@functools.cache
def _answers(*, postgres: bool) -> Any:
    """The events of each person's most recent asks as a connector (see
    `answer_records`), built once: the workspace, the people and how many asks
    are bound parameters."""
    asks = _recent_asks(postgres)
    e = events.c
    # Of each event's data only what a record reads (domain/answering.py): whom a
    # received ask named connector. Decoding every event's JSON whole cost more
    # than the rest of the read.
    connector = e.data["connector_id"].as_string().label("connector_id")
    return sa.select(
        asks.c.for_person,
        e.workspace_id,
        e.request_id,
        e.seq,
        e.id,
        e.type,
        e.actor_id,
        e.occurred_at,
        connector,
    ).join(
        events,
        sa.and_(e.workspace_id == _WORKSPACE, e.request_id == asks.c.request_id),
    )


@functools.cache
def _loads(role: Role, *, postgres: bool) -> Any:
    """Each person's open asks in `role` (see `loads`), built once."""
    if role is Role.CONNECTOR:
        who, state = _r.connector_id, State.AWAITING_CONNECTOR
    else:
        who, state = _r.expert_id, State.AWAITING_EXPERT
    people = who == sa.any_(_people(postgres)) if postgres else who.in_(_people(postgres))
    return (
        sa.select(who, sa.func.count(), sa.func.min(_r.deadline_at))
        .where(_r.workspace_id == _WORKSPACE, people, _r.state == state.value)
        .group_by(who)
    )


@functools.cache
def _search(*, by_person: bool, by_role: bool, by_state: bool, after: bool, sqlite: bool) -> Direct:
    """The list's statement for one combination of filters, built once (with the
    others above): every filter is a bound parameter."""
    t = intro_requests
    if not by_person:
        query = sa.select(t).where(_r.workspace_id == _WORKSPACE)
        order = _r.id
    else:
        query = (
            sa.select(t)
            .select_from(
                request_parties.join(
                    t, sa.and_(_r.workspace_id == _p.workspace_id, _r.id == _p.request_id)
                )
            )
            .where(_p.workspace_id == _WORKSPACE, _p.person_id == sa.bindparam("b_person_id"))
        )
        if by_role:
            query = query.where(_p.role == sa.bindparam("b_role"))
        order = _p.request_id
    if by_state:
        in_state: sa.ColumnElement[str] = _r.state
        if by_person and sqlite:
            # An expression, so that SQLite without statistics walks the person's
            # requests newest first rather than every request in that state.
            in_state = _r.state.op("||")("")
        query = query.where(in_state == sa.bindparam("b_state"))
    if after:
        query = query.where(order < sa.bindparam("b_after"))
    return Direct(query.order_by(order.desc()).limit(sa.bindparam("b_limit", type_=sa.Integer)))


class SqlIntroRequests:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self._postgres = conn.dialect.name == "postgresql"

    async def add(self, request: IntroRequest) -> None:
        try:
            if self._postgres:
                await self._add_at_once(request)
                return
            await _INSERT.write(self._conn, request_row(request))
        except IntegrityError as exc:
            if _open_ask_conflict(exc):
                raise DuplicateRequest(
                    "an open request for this topic to this connector exists"
                ) from None
            raise
        await self._write_parties(request)
        await self._write_events(request)
        await self.reschedule(request)

    async def _add_at_once(self, request: IntroRequest) -> None:
        timer, values = _rows_of(request)
        values |= request_row(request)
        values |= {"b_workspace_id": request.workspace_id, "b_id": request.id}
        # A new request has no timer to drop.
        await _add_with_rows("none" if timer == "drop" else timer).rows(self._conn, values)

    async def get(self, workspace_id: uuid.UUID, request_id: uuid.UUID) -> IntroRequest | None:
        params = {"b_workspace_id": workspace_id, "b_id": request_id}
        row = await _GET.first(self._conn, params)
        return None if row is None else request_from_row(row)

    async def save(self, request: IntroRequest) -> None:
        values = request_row(request)
        values["version"] = request.version + 1
        values |= {"b_workspace_id": request.workspace_id, "b_id": request.id}
        values["b_version"] = request.version
        try:
            if self._postgres:
                timer, rows = _rows_of(request)
                saved = await _save_with_rows(timer).first(self._conn, values | rows) is not None
            else:
                saved = (await self._conn.execute(_SAVE, values)).rowcount == 1
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
        if not saved:
            raise ConcurrentUpdate()
        request.version += 1
        if self._postgres:
            return
        await self._write_parties(request)
        await self._write_events(request)
        await self.reschedule(request)

    async def find_open(
        self, workspace_id: uuid.UUID, asker_id: uuid.UUID, connector_id: uuid.UUID, topic_key: str
    ) -> uuid.UUID | None:
        params = {
            "b_workspace_id": workspace_id,
            "b_asker_id": asker_id,
            "b_connector_id": connector_id,
            "b_topic_key": topic_key,
        }
        found: uuid.UUID | None = (await self._conn.execute(_FIND_OPEN, params)).scalar()
        return found

    async def load(self, workspace_id: uuid.UUID, person_id: uuid.UUID, role: Role) -> Load:
        params = {"b_workspace_id": workspace_id, "b_person_id": person_id}
        row = (await self._conn.execute(_LOAD[role], params)).one()
        return Load(count=row[0], earliest_deadline=row[1])

    async def find_open_with_load(
        self, workspace_id: uuid.UUID, asker_id: uuid.UUID, connector_id: uuid.UUID, topic_key: str
    ) -> tuple[uuid.UUID | None, Load]:
        params = {
            "b_workspace_id": workspace_id,
            "b_asker_id": asker_id,
            "b_connector_id": connector_id,
            "b_person_id": connector_id,
            "b_topic_key": topic_key,
        }
        count, earliest, found = await _FIND_OPEN_WITH_LOAD.one(self._conn, params)
        return found, Load(count=count, earliest_deadline=earliest)

    async def loads(
        self, workspace_id: uuid.UUID, person_ids: Collection[uuid.UUID], role: Role
    ) -> dict[uuid.UUID, Load]:
        if not person_ids:
            return {}
        rows = await self._conn.execute(
            _loads(role, postgres=self._postgres),
            {"b_workspace_id": workspace_id, "b_people": list(person_ids)},
        )
        return {r[0]: Load(count=r[1], earliest_deadline=r[2]) for r in rows}

    async def answer_records(
        self, workspace_id: uuid.UUID, person_ids: Collection[uuid.UUID], *, recent: int
    ) -> dict[uuid.UUID, AnswerRecord]:
        if not person_ids:
            return {}
        rows = await self._conn.execute(
            _answers(postgres=self._postgres),
            {"b_workspace_id": workspace_id, "b_people": list(person_ids), "b_recent": recent},
        )
        # Unpacked by position: thousands of rows at 1M requests (intro_request_rows.py).
        return answer_records(
            (
                (
                    person,
                    Event(
                        id=event_id,
                        workspace_id=ws,
                        request_id=request_id,
                        seq=seq,
                        type=EventType(kind),
                        actor_id=actor_id,
                        occurred_at=at,
                        data={"connector_id": named} if named else {},
                    ),
                )
                for person, ws, request_id, seq, event_id, kind, actor_id, at, named in rows
            ),
            person_ids,
        )

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
        query = _search(
            by_person=person_id is not None,
            by_role=role is not None,
            by_state=state is not None,
            after=after is not None,
            sqlite=self._conn.dialect.name == "sqlite",
        )
        params = {
            "b_workspace_id": workspace_id,
            "b_person_id": person_id,
            "b_role": role.value if role is not None else None,
            "b_state": state.value if state is not None else None,
            "b_after": after,
            "b_limit": limit + 1,
        }
        rows = await query.rows(self._conn, params)
        items = [request_from_row(r) for r in rows[:limit]]
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
        return [event_from_row(r) for r in rows]

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
        if due is None:
            params = {"b_workspace_id": request.workspace_id, "b_request_id": request.id}
            await self._conn.execute(_DROP_TIMER, params)
            return
        await _SET_TIMER[self._conn.dialect.name].write(
            self._conn,
            {"workspace_id": request.workspace_id, "request_id": request.id, "due_at": due},
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
            for person, role in party_roles(request).items()
        ]
        await _ADD_PARTIES[self._conn.dialect.name].write(self._conn, rows)

    async def _write_events(self, request: IntroRequest) -> None:
        if request.events:
            await _INSERT_EVENTS.write(
                self._conn,
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
