"""PostgreSQL: each person carries the phrase query of each of their tags
(`people.tag_phrases`, generated from `expertise`), so that counting the tags a
topic names whole reads them rather than parsing every tag of every person
matched, at every query. SQLite keeps no such column: FTS5 holds each tag
between its own markers

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 12:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A generated column may not hold a subquery: the function does. It is IMMUTABLE
# because each of its parts is (a text search configuration named outright), and
# its names are schema-qualified, so the search_path of whoever writes a person
# cannot change what it computes. Adding a stored generated column rewrites
# `people` (about 3 s for 100k people on the benchmark host), during which the
# table is locked, as 0010's `search` column was.
POSTGRES_UP = [
    """CREATE FUNCTION people_tag_phrases(tags jsonb) RETURNS tsquery[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT ARRAY(SELECT pg_catalog.phraseto_tsquery('pg_catalog.english'::regconfig, tag)
                     FROM pg_catalog.jsonb_array_elements_text(tags) AS tag)
    $$""",
    """ALTER TABLE people ADD COLUMN tag_phrases tsquery[]
    GENERATED ALWAYS AS (people_tag_phrases(expertise)) STORED""",
]
POSTGRES_DOWN = [
    "ALTER TABLE people DROP COLUMN tag_phrases",
    "DROP FUNCTION people_tag_phrases(jsonb)",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_DOWN:
            op.execute(statement)
