"""The search index on people and a people search on it: PostgreSQL full text on
`people.search` (a generated tsvector: tags weight A, headline B, bio C, name D
with no stemming, GIN-indexed after workspace_id), SQLite FTS5 on `people_search`
(porter stemming; name, tags, headline, bio; rowid = people.rowid, kept in step
with `people` by triggers). Migration 0010 creates both, so writes to `people`
need no code of their own to keep the index in step. The rules are
domain/matching.py's.
"""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa

from warmintro.domain import matching
from warmintro.infra.tables import people

SEARCH_COLUMN = "search"
"""PostgreSQL: people's generated tsvector (not in tables.py: SQLite has no such column)."""
SEARCH_INDEX = "ix_people_search"
"""PostgreSQL: the GIN index on (workspace_id, search, known_by): a people search
reads it for its words, a person's matching connections for both (migration 0015)."""
TAG_PHRASES = "tag_phrases"
"""PostgreSQL: people's generated tsquery[], each tag's phrase query
(`phraseto_tsquery`), so that a topic names a tag whole without parsing the tag
at query time (migration 0016)."""
SEARCH_TABLE = "people_search"
"""SQLite: the FTS5 table (name, tags, headline, bio), rowid = people.rowid."""
TAG_START, TAG_END = "tagstart", "tagend"
"""SQLite: each tag is indexed between these words, so a phrase can be held to a whole tag."""

PG_ENGLISH: sa.ColumnElement[Any] = sa.literal_column("'english'::regconfig")
PG_SIMPLE: sa.ColumnElement[Any] = sa.literal_column("'simple'::regconfig")
PG_DOC: sa.ColumnElement[Any] = sa.literal_column(f"people.{SEARCH_COLUMN}")
PG_TAG_PHRASES: sa.ColumnElement[Any] = sa.literal_column(f"people.{TAG_PHRASES}")
FTS = sa.table(SEARCH_TABLE, sa.column("rowid"))
MARK = "\x1e"
"""What SQLite's highlight() puts before each tag a topic names, to count them."""


def query_words(text: str) -> list[str]:
    """The words of a search or a topic that the index is asked for (domain/matching.py),
    never the words that mark where SQLite's tags start and end."""
    return [w for w in matching.words(text) if w not in (TAG_START, TAG_END)]


@functools.lru_cache(maxsize=256)
def search_filter(dialect: str, q: str, match_email: bool) -> sa.ColumnElement[bool]:
    """People a search matches: every word in tags, headline or bio, or starting a
    word of the name; with `match_email`, a `q` that looks like part of an address
    also matches in addresses. Built once per search on each database (its
    expressions only carry the search's words)."""
    words = query_words(q)
    if not words:
        found: sa.ColumnElement[bool] = sa.false()
    elif dialect == "postgresql":
        query = None
        for w in words:
            either = sa.func.to_tsquery(PG_ENGLISH, sa.literal(f"{w}:ABC")).op("||")(
                sa.func.to_tsquery(PG_SIMPLE, sa.literal(f"{w}:*D"))
            )
            query = either if query is None else query.op("&&")(either)
        found = PG_DOC.op("@@")(query)
    else:
        expr = " AND ".join(f'({{name}} : "{w}" * OR {{tags headline bio}} : "{w}")' for w in words)
        found = people.c.id.in_(_fts_ids(expr))
    if match_email and matching.names_an_address(q):
        like = f"%{escape_like(q.strip().casefold())}%"
        found = sa.or_(found, people.c.email_key.like(like, escape="\\"))
    return found


def _fts_ids(expr: str) -> sa.Select[Any]:
    """SQLite: the ids of people the FTS5 expression matches (any workspace: the
    caller filters by its own)."""
    return (
        sa.select(people.c.id)
        .select_from(people.join(FTS, FTS.c.rowid == sa.literal_column("people.rowid")))
        .where(sa.literal_column(SEARCH_TABLE).op("MATCH")(expr))
    )


def escape_like(text: str) -> str:
    """The text matched literally by LIKE ... ESCAPE '\\'."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
