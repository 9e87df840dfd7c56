"""How the database matches people to a topic, on the search index of
infra/repositories/search.py: its phrases against whole tags (a tag counts only
when the topic names all of it, in order), and its words against the headline
and the bio; and what each person scores. infra/repositories/matching.py builds
its queries on it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from warmintro.domain import matching
from warmintro.infra.repositories.search import (
    FTS,
    MARK,
    PG_DOC,
    PG_ENGLISH,
    PG_TAG_PHRASES,
    SEARCH_TABLE,
    TAG_END,
    TAG_START,
    query_words,
)


@dataclass(frozen=True, slots=True)
class TopicMatch:
    """How the database matches people to one topic: a filter on `people` (any word
    of the topic), what each person scores, and the tables to join."""

    found: sa.ColumnElement[bool]
    tags: sa.ColumnElement[Any]
    """How many of the person's tags the topic names whole."""
    headline: sa.ColumnElement[Any]
    bio: sa.ColumnElement[Any]
    relevance: sa.ColumnElement[Any]
    """The database's own rank (ts_rank, bm25), to order equal scores."""
    matched: sa.CTE | None = None
    """SQLite: the people FTS5 matches, found once (see `_sqlite_topic`)."""

    def scores(self) -> sa.ColumnElement[bool]:
        """A word in the headline or bio, or a tag named whole: a word of a
        multi-word tag alone passes `found` but is not a match. The tag count goes
        last: an OR stops at the first true part, and it is the costly one."""
        return sa.or_(self.headline, self.bio, self.tags > 0)

    def source(self, base: sa.FromClause, *, outer: bool = False) -> sa.FromClause:
        """`base` (with `people`) joined to what the match needs; `outer` keeps the
        people who do not match (their scores are then NULL on SQLite)."""
        if self.matched is None:
            return base
        on = self.matched.c.rowid == sa.literal_column("people.rowid")
        return base.join(self.matched, on, isouter=outer)


@functools.cache  # one for each database and `ranked`
def topic_match(dialect: str, *, ranked: bool = True) -> TopicMatch:
    """How to match people to a topic on this database ("postgresql", "sqlite"),
    the topic given at each execution by the values of `topic_values`; `ranked`
    False when only who matches counts, not by how much. Built once: a statement
    built on it serves every topic."""
    if dialect != "postgresql":
        return _sqlite_topic(ranked=ranked)

    def any_of(name: str) -> sa.ColumnElement[Any]:
        return sa.func.to_tsquery(PG_ENGLISH, sa.bindparam(name, type_=sa.String))

    topic = sa.func.to_tsvector(PG_ENGLISH, sa.bindparam("b_topic", type_=sa.String))
    # Each tag's phrase query, parsed when the person was written (migration 0016):
    # parsing every tag of every person matched, at every query, was about a third
    # of what ranking them cost.
    phrase = sa.func.unnest(PG_TAG_PHRASES).table_valued("phrase").render_derived("phrases")
    tags = (
        sa.select(sa.func.count())
        .select_from(phrase)
        .where(topic.op("@@")(phrase.c.phrase))
        .scalar_subquery()
    )
    weights: sa.ColumnElement[Any] = sa.literal_column("'{0.05,0.2,0.4,1.0}'::float4[]")
    return TopicMatch(
        found=PG_DOC.op("@@")(any_of("b_topic_any")),
        tags=tags,
        headline=PG_DOC.op("@@")(any_of("b_topic_headline")),
        bio=PG_DOC.op("@@")(any_of("b_topic_bio")),
        relevance=sa.func.ts_rank(weights, PG_DOC, any_of("b_topic_any")),
    )


def topic_values(dialect: str, text: str) -> dict[str, str] | None:
    """The values a statement built on `topic_match` is given for this topic, or
    None when it has no word to match (nobody matches it)."""
    words = query_words(text)
    if not words:
        return None
    if dialect != "postgresql":
        return {"b_topic_fts": _sqlite_expression(text, words)}

    def any_of(weights: str) -> str:
        return " | ".join(f"{w}:{weights}" for w in words)

    return {
        "b_topic": text,
        "b_topic_any": any_of("ABC"),
        "b_topic_headline": any_of("B"),
        "b_topic_bio": any_of("C"),
    }


def _sqlite_expression(text: str, words: list[str]) -> str:
    """The FTS5 expression for a topic: a tag named whole, or a word of the
    headline or bio."""
    tag_phrases = " OR ".join(
        f'"{TAG_START} {" ".join(p)} {TAG_END}"'
        for p in matching.phrases(text)
        if TAG_START not in p and TAG_END not in p
    )
    any_word = " OR ".join(f'"{w}"' for w in words)  # quoted: "or", "not" are words here
    expr = f"{{headline bio}} : ({any_word})"
    return f"{{tags}} : ({tag_phrases}) OR {expr}" if tag_phrases else expr


def _sqlite_topic(*, ranked: bool) -> TopicMatch:
    """FTS5 answers MATCH once for the whole table quickly, but once per row very
    slowly (each call runs the query again), so the people it matches are found
    first, in a CTE SQLite must materialize, and joined to `people` by rowid. Its
    expression (`b_topic_fts`) is a match already. The ranking functions
    (highlight, bm25) run only in that scan, and only when `ranked`."""
    fts: sa.ColumnElement[Any] = sa.literal_column(SEARCH_TABLE)
    columns: list[sa.ColumnElement[Any]] = [FTS.c.rowid]
    if ranked:
        marked = sa.func.coalesce(sa.func.highlight(fts, 1, MARK, ""), "")  # no tags: NULL
        columns += [
            (sa.func.length(marked) - sa.func.length(sa.func.replace(marked, MARK, ""))).label(
                "in_tags"
            ),
            (sa.func.bm25(fts, 0, 0, 1, 0) < 0).label("in_headline"),
            (sa.func.bm25(fts, 0, 0, 0, 1) < 0).label("in_bio"),
            (-sa.func.bm25(fts, 0, 10, 3, 1)).label("relevance"),
        ]
    matched = (
        sa.select(*columns)
        .select_from(FTS)
        .where(fts.op("MATCH")(sa.bindparam("b_topic_fts", type_=sa.String)))
        .cte("matched")
        .prefix_with("MATERIALIZED")
    )
    if not ranked:
        # Every row of `matched` is a match; the scores are never read.
        return TopicMatch(sa.true(), sa.literal(0), sa.true(), sa.true(), sa.literal(0), matched)
    c = matched.c
    return TopicMatch(sa.true(), c.in_tags, c.in_headline, c.in_bio, c.relevance, matched)
