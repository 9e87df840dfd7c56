"""Matching people to a topic, in the database (the `PeopleMatching` port), on the
search index of infra/repositories/search.py.

How a topic matches and scores is infra/repositories/topics.py's; matching and
ranking run in one query, bounded by `limit`; nothing scans people or
connections in Python.
"""

from __future__ import annotations

import functools
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlalchemy.ext.asyncio import AsyncConnection

from warmintro.domain import matching
from warmintro.domain.matching import MatchScore
from warmintro.domain.people import EmailStatus, Person
from warmintro.domain.ports import Knower, Match
from warmintro.infra.repositories.bulk import in_bound, not_in_bound
from warmintro.infra.repositories.direct import Direct
from warmintro.infra.repositories.people import person_from_row
from warmintro.infra.repositories.search import search_filter
from warmintro.infra.repositories.topics import topic_match, topic_values
from warmintro.infra.tables import connections, people

KNOWN_BY = "known_by"
"""PostgreSQL: people's array of who knows them (the `person_id`s of the connections
that name them), kept in step by migration 0014's triggers; not in tables.py, as a
person read never needs it and SQLite has no such column."""

# PostgreSQL plans a prepared statement once for all parameters after five runs
# (asyncpg prepares every statement); a generic plan cannot see how many people a
# topic matches, and chose seconds-long joins. These queries are planned anew on
# each run, and without JIT, which their cost estimates would turn on for ~25 ms.
# Inside a transaction the settings end with it; a read-only unit of work runs
# without one (AUTOCOMMIT, uow.py), where SET LOCAL does nothing, so there they are
# set for the session, and the values found are put back by `restore` before the
# connection goes back to the pool.
_PG_PLANNING = (
    "SELECT set_config('plan_cache_mode', 'force_custom_plan', {local}),"
    " set_config('jit', 'off', {local})"
)
_PG_PLANNING_SESSION = (
    "SELECT found.plan_cache_mode, found.jit,"
    " set_config('plan_cache_mode', 'force_custom_plan', false), set_config('jit', 'off', false)"
    " FROM (SELECT current_setting('plan_cache_mode') AS plan_cache_mode,"
    " current_setting('jit') AS jit OFFSET 0) AS found"
)
_PG_RESTORE = "SELECT set_config('plan_cache_mode', $1, false), set_config('jit', $2, false)"


class SqlPeopleMatching:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self._dialect = conn.dialect.name
        self._planned = self._dialect != "postgresql"
        self._found: tuple[str, str] | None = None
        """The session's planning settings `_plan` changed, until `restore`."""

    @property
    def changed_session(self) -> bool:
        """Whether `_plan` changed the session's settings (until `restore`)."""
        return self._found is not None

    async def _plan(self) -> None:
        """Before a matching query: PostgreSQL's planning, set for this transaction
        (or, without one, for the session until `restore`)."""
        if not self._planned:
            sync = self._conn.sync_connection
            options = sync.get_execution_options() if sync is not None else {}
            if options.get("isolation_level") == "AUTOCOMMIT":
                found = (await self._conn.exec_driver_sql(_PG_PLANNING_SESSION)).one()
                self._found = (str(found.plan_cache_mode), str(found.jit))
            else:
                await self._conn.exec_driver_sql(_PG_PLANNING.format(local="true"))
            self._planned = True

    async def restore(self) -> None:
        """The session's planning settings as `_plan` found them, if it changed them
        for the session (the unit of work calls this before it lets the connection
        go)."""
        if self._found is not None:
            await self._conn.exec_driver_sql(_PG_RESTORE, self._found)
            self._found = None
            self._planned = False

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
        topic = topic_values(self._dialect, text)
        if topic is None or limit <= 0:
            return []
        statement = _matching(self._dialect, bool(exclude), askable_at is not None)
        await self._plan()
        rows = await statement.rows(
            self._conn,
            {
                **topic,
                "b_workspace_id": workspace_id,
                "b_person_id": person_id,
                "b_exclude": list(exclude),
                "b_now": askable_at,
                "b_limit": limit,
            },
        )
        # By position: people's columns, the strength, the three scores, the relevance.
        return [
            Match(person_from_row(r), MatchScore(int(r[-4]), bool(r[-3]), bool(r[-2])), int(r[-5]))
            for r in rows
        ]

    async def connections_among(
        self, workspace_id: uuid.UUID, person_id: uuid.UUID, ids: set[uuid.UUID], text: str
    ) -> list[Match]:
        if not ids:
            return []
        topic = topic_values(self._dialect, text)
        rows = await _among(self._dialect, topic is not None).rows(
            self._conn,
            {
                **(topic or {}),
                "b_workspace_id": workspace_id,
                "b_person_id": person_id,
                "b_ids": list(ids),
            },
        )
        # By position: people's columns, then the strength and the three scores.
        return [
            Match(person_from_row(r), MatchScore(int(r[-3]), bool(r[-2]), bool(r[-1])), int(r[-4]))
            for r in rows
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
        topic = topic_values(self._dialect, text)
        if topic is None or not person_ids:
            return {}
        statement = _counted(self._dialect, discoverable_only, bool(exclude))
        await self._plan()
        rows = await statement.rows(
            self._conn,
            {
                **topic,
                "b_workspace_id": workspace_id,
                "b_ids": list(person_ids),
                "b_exclude": list(exclude),
            },
        )
        return {person_id: int(count) for person_id, count in rows}

    async def connections_by_network(
        self,
        workspace_id: uuid.UUID,
        person_id: uuid.UUID,
        text: str,
        *,
        exclude: frozenset[uuid.UUID],
        limit: int,
    ) -> list[Knower]:
        topic = topic_values(self._dialect, text)
        if topic is None:
            return []
        await self._plan()
        rows = await _by_network(self._dialect, bool(exclude)).rows(
            self._conn,
            {
                **topic,
                "b_workspace_id": workspace_id,
                "b_person_id": person_id,
                "b_exclude": list(exclude),
                "b_limit": limit,
            },
        )
        if self._dialect != "postgresql":
            # SQLite: its scores come from a search of its own (topics.py), read after.
            counts = {knower: int(n) for knower, n in rows}
            found = await self.connections_among(workspace_id, person_id, set(counts), text)
            return sorted(
                (Knower(m, counts[m.person.id]) for m in found),
                key=lambda k: (-k.matching, k.match.person.id),
            )
        # By position: people's columns, the strength, the three scores, the count.
        return [
            Knower(
                Match(
                    person_from_row(r),
                    MatchScore(int(r[-4]), bool(r[-3]), bool(r[-2])),
                    int(r[-5]),
                ),
                int(r[-1]),
            )
            for r in rows
        ]

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
        await self._plan()
        rows = await _listed(self._dialect, q.strip(), only is not None, bool(first)).rows(
            self._conn,
            {
                "b_workspace_id": workspace_id,
                "b_person_id": person_id,
                "b_exclude": list(exclude),
                "b_only": list(only or ()),
                "b_first": list(first),
                "b_limit": max(limit, 1),
                "b_listed": max(limit, 1) + len(first),
                "b_count_limit": count_up_to + 1,
            },
        )
        total = int(rows[0][-1]) if rows else 0
        if first:
            # By position: people's columns, whether `first` has them, the total. The
            # statement puts all of those of `first` ahead; their order is theirs.
            place = {person_id: i for i, person_id in enumerate(first)}
            ahead = sorted((r for r in rows if r[-2]), key=lambda r: place[r[1]])
            rows = ahead + [r for r in rows if not r[-2]]
        return [person_from_row(r) for r in rows[:limit]], total


# The matching statements, built once for each database and shape, every value
# bound (`b_...`, the topic's from `topic_values`), and sent as `Direct`
# statements: built anew for every call, with their cache keys, and run through
# SQLAlchemy's execution, they were a quarter of a warm path's CPU in the server.


def _workspace() -> sa.BindParameter[uuid.UUID]:
    return sa.bindparam("b_workspace_id", type_=people.c.workspace_id.type)


def _person() -> sa.BindParameter[uuid.UUID]:
    return sa.bindparam("b_person_id", type_=connections.c.person_id.type)


def _known() -> sa.Subquery:
    """The person `b_person_id`'s connections."""
    return (
        sa.select(connections.c.workspace_id, connections.c.other_id, connections.c.strength)
        .where(connections.c.workspace_id == _workspace(), connections.c.person_id == _person())
        .subquery("known")
    )


@functools.cache
def _matching(dialect: str, exclude: bool, askable: bool) -> Direct:
    """`connections_matching`: the person's connections matching the topic, ranked
    by match score, then strength, then relevance; at most `b_limit`."""
    topic = topic_match(dialect)
    through = _known()
    where = [people.c.workspace_id == _workspace(), people.c.erased_at.is_(None), topic.found]
    if dialect == "postgresql":
        where.append(_known_by_person())
    if exclude:
        where.append(not_in_bound(dialect, people.c.id, "b_exclude"))
    if askable:
        where += _askable()
    inner = (
        sa.select(
            people,
            through.c.strength.label("strength"),
            topic.tags.label("in_tags"),
            topic.headline.label("in_headline"),
            topic.bio.label("in_bio"),
            topic.relevance.label("relevance"),
        )
        .select_from(topic.source(_joined(people, through)))
        .where(*where)
        # A fence: without it PostgreSQL folds this query into the outer one and
        # computes each person's tag count twice (to filter, then to order).
        .offset(0)
        .subquery()
    )
    score = (
        inner.c.in_tags * matching.TAG_WEIGHT
        + sa.cast(inner.c.in_headline, sa.Integer) * matching.HEADLINE_WEIGHT
        + sa.cast(inner.c.in_bio, sa.Integer) * matching.BIO_WEIGHT
    )
    return Direct(
        sa.select(inner)
        .where(score > 0)
        .order_by(
            score.desc(),
            inner.c.strength.desc(),
            inner.c.relevance.desc(),
            inner.c.name,
            inner.c.id,
        )
        .limit(sa.bindparam("b_limit", type_=sa.Integer))
    )


@functools.cache
def _among(dialect: str, matched: bool) -> Direct:
    """`connections_among`: the people `b_ids` among the person's connections, how
    each matches the topic, matching or not (none of them when not `matched`: a
    topic without a word to match)."""
    through = _known()
    source: sa.FromClause = _joined(people, through)
    scores: list[sa.ColumnElement[Any]] = [sa.literal(0), sa.false(), sa.false()]
    if matched:
        topic = topic_match(dialect)
        # Everyone asked for, matching or not: an outer join to what SQLite's
        # index found, and no filter on the match.
        source = topic.source(source, outer=True)
        scores = [
            sa.func.coalesce(topic.tags, 0),
            sa.func.coalesce(topic.headline, False),
            sa.func.coalesce(topic.bio, False),
        ]
    return Direct(
        sa.select(people, through.c.strength, *scores)
        .select_from(source)
        .where(
            people.c.workspace_id == _workspace(),
            people.c.erased_at.is_(None),
            in_bound(dialect, people.c.id, "b_ids"),
        )
    )


@functools.cache
def _counted(dialect: str, discoverable_only: bool, exclude: bool) -> Direct:
    """`count_connections_matching`: for each of `b_ids`, how many of their
    connections match the topic."""
    whose = in_bound(dialect, connections.c.person_id, "b_ids")
    return Direct(_matches_counted(dialect, whose, discoverable_only, exclude))


def _matches_counted(
    dialect: str, whose: sa.ColumnElement[bool], discoverable_only: bool, exclude: bool
) -> sa.Select[Any]:
    """For each person `whose` picks among `connections.person_id`, how many of
    their connections match the topic (`knower`, `many`): never an erased person;
    only the discoverable, and never `b_exclude`, if asked."""
    topic = topic_match(dialect, ranked=False)
    source = connections.join(
        people,
        sa.and_(
            people.c.workspace_id == connections.c.workspace_id,
            people.c.id == connections.c.other_id,
        ),
    )
    query = (
        sa.select(connections.c.person_id.label("knower"), sa.func.count().label("many"))
        .select_from(topic.source(source))
        .where(
            connections.c.workspace_id == _workspace(),
            whose,
            people.c.erased_at.is_(None),
            topic.found,
            topic.scores(),
        )
        .group_by(connections.c.person_id)
    )
    if discoverable_only:
        query = query.where(people.c.discoverable.is_(True))
    if exclude:
        query = query.where(not_in_bound(dialect, people.c.id, "b_exclude"))
    return query


@functools.cache
def _by_network(dialect: str, exclude: bool) -> Direct:
    """`connections_by_network`: the person's connections who know the most people
    matching the topic, at most `b_limit`. On PostgreSQL with who they are and how
    they match; on SQLite only their ids and counts (`connections_among` reads
    the rest)."""
    topic = topic_match(dialect, ranked=False)
    ws = _workspace()
    # From the people who match (few, from the index) to who knows them, then
    # kept to the person's own connections. On SQLite a MATERIALIZED CTE fixes
    # that order (without statistics it otherwise walked the person's connections
    # and probed each against every match, or scanned people). PostgreSQL finds
    # it itself (each knower probes a hash of the person's connections), and
    # writing the knowers out first cost it a sixth of the ranking (43 → 36 ms,
    # the benchmark's 22,915 knowers).
    matching_people = (
        sa.select(people.c.id)
        .select_from(topic.source(people))
        .where(
            people.c.workspace_id == ws,
            people.c.erased_at.is_(None),
            people.c.discoverable.is_(True),
            topic.found,
            topic.scores(),
        )
    )
    theirs = sa.select(connections.c.other_id).where(
        connections.c.workspace_id == ws, connections.c.person_id == _person()
    )
    if exclude:
        matching_people = matching_people.where(not_in_bound(dialect, people.c.id, "b_exclude"))
        theirs = theirs.where(not_in_bound(dialect, connections.c.other_id, "b_exclude"))
    if dialect == "postgresql":
        # Who knows them, from the rows the search index found (migration 0014):
        # one index probe per match into `connections` was half of the ranking.
        knower: sa.Select[Any] = matching_people.with_only_columns(
            sa.func.unnest(sa.literal_column(f"people.{KNOWN_BY}")).label("knower")
        )
    else:
        knower = sa.select(connections.c.person_id.label("knower")).where(
            connections.c.workspace_id == ws,
            connections.c.other_id.in_(matching_people),
        )
    knowers = knower.cte("knowers")
    if dialect != "postgresql":
        knowers = knowers.prefix_with("MATERIALIZED")
    many = sa.func.count().label("many")
    ranking = (
        sa.select(knowers.c.knower, many)
        .where(knowers.c.knower.in_(theirs))
        .group_by(knowers.c.knower)
        .order_by(many.desc(), knowers.c.knower)
        .limit(sa.bindparam("b_limit", type_=sa.Integer))
    )
    if dialect != "postgresql":
        return Direct(ranking)
    # PostgreSQL: a network no larger than the ranking keeps is ranked by counting
    # each connection's own connections, found by key (~5 ms for 200 at 100k
    # people), not from everyone the topic matches (~25-35 ms however few the
    # person knows). Which one runs is settled once, in the statement (a one-time
    # filter on each branch), so either costs one round trip.
    few = theirs.limit(sa.bindparam("b_limit", type_=sa.Integer) + 1).cte("few")
    small = sa.select(sa.func.count()).select_from(few).scalar_subquery() <= sa.bindparam(
        "b_limit", type_=sa.Integer
    )
    whose = connections.c.person_id.in_(sa.select(few.c.other_id))
    counted = _matches_counted(dialect, whose, True, exclude).where(small)
    large = ranking.where(sa.not_(small)).subquery("large")
    either: sa.CompoundSelect[Any] = sa.union_all(counted, sa.select(large.c.knower, large.c.many))
    # Who they are and how they match, in the same statement.
    scored = topic_match(dialect)
    ranked = either.subquery("ranked")
    through = _known()
    return Direct(
        sa.select(people, through.c.strength, scored.tags, scored.headline, scored.bio)
        .add_columns(ranked.c.many)
        .select_from(
            _joined(
                ranked.join(
                    people, sa.and_(people.c.workspace_id == ws, people.c.id == ranked.c.knower)
                ),
                through,
            )
        )
        .where(people.c.erased_at.is_(None))
        .order_by(ranked.c.many.desc(), ranked.c.knower)
    )


@functools.lru_cache(maxsize=256)
def _listed(dialect: str, q: str, only: bool, first: bool) -> Direct:
    """`connections_listed`: the person's connections who may be asked, but
    `b_exclude` (and only `b_only`), that the search `q` matches: all of those of
    `b_first`, then the rest in name order, at most `b_limit` of them (`b_listed`
    in all); each row with how many matched, counted up to `b_count_limit`. Built
    once for each search text and shape, as a people search is."""
    query = (
        sa.select(people)
        .select_from(_joined(people, _known()))
        .where(
            people.c.workspace_id == _workspace(),
            people.c.erased_at.is_(None),
            people.c.never_contact.is_(False),
            people.c.email_status == EmailStatus.OK.value,
            not_in_bound(dialect, people.c.id, "b_exclude"),
        )
    )
    if only:
        query = query.where(in_bound(dialect, people.c.id, "b_only"))
    if q:
        query = query.where(search_filter(dialect, q, match_email=False))
        if dialect == "postgresql":
            query = query.where(_known_by_person())
    limit = sa.bindparam("b_limit", type_=sa.Integer)
    # The rest in name order, read from the index on people's names (migration
    # 0013) up to `limit`: sorting all of a big network's names to show fifty
    # took a scan of every person in the workspace.
    by_name = query.order_by(sa.func.lower(people.c.name), people.c.id).limit(limit)
    listed: sa.Select[Any] = by_name
    if first:
        ahead = query.where(in_bound(dialect, people.c.id, "b_first"))
        rest = by_name.where(not_in_bound(dialect, people.c.id, "b_first")).subquery()
        both = sa.union_all(
            ahead.add_columns(sa.literal(True).label("ahead")),
            sa.select(rest, sa.literal(False).label("ahead")),
        ).subquery()
        listed = sa.select(both).order_by(
            both.c.ahead.desc(), sa.func.lower(both.c.name), both.c.id
        )
    # Counted up to a bound: an exact count of 20k connections was most of the page.
    count_limit = sa.bindparam("b_count_limit", type_=sa.Integer)
    counted = query.with_only_columns(people.c.id).limit(count_limit).subquery()
    total = sa.select(sa.func.count()).select_from(counted).scalar_subquery()
    listed = listed.add_columns(total.label("total"))
    return Direct(listed.limit(sa.bindparam("b_listed", type_=sa.Integer)))


def _known_by_person() -> sa.ColumnElement[bool]:
    """PostgreSQL: people whom `b_person_id` knows, by their `known_by`. The join to
    `_known` says the same, but this one the search index answers too (migration
    0015 indexes `known_by` beside `search`): only the topic's matches among the
    person's connections are then read from the table, not every match in the workspace
    (6,700 for the bench's topic) to keep a fifth of them."""
    known_by = sa.literal_column(f"people.{KNOWN_BY}", type_=ARRAY(connections.c.person_id.type))
    return known_by.contains(array([_person()]))


def _joined(base: sa.FromClause, through: sa.Subquery) -> sa.Join:
    """`base` (with `people`) joined to a person's connections (`_known`)
    on the people they name."""
    return base.join(
        through,
        sa.and_(through.c.workspace_id == people.c.workspace_id, through.c.other_id == people.c.id),
    )


def _askable() -> list[sa.ColumnElement[bool]]:
    """Who may be asked at `b_now`: reachable (`Person.reachable`) and not snoozed."""
    now = sa.bindparam("b_now", type_=people.c.snooze_until.type)
    return [
        people.c.never_contact.is_(False),
        people.c.email_status == EmailStatus.OK.value,
        sa.or_(people.c.snooze_until.is_(None), people.c.snooze_until <= now),
    ]
