"""People are searched as words: a full-text index over their tags, headline, bio
and name (PostgreSQL: a generated tsvector with a GIN index after workspace_id;
SQLite: an FTS5 table kept in step with `people` by triggers)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 15:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tags weigh most (A), then the headline (B), then the bio (C), all with English
# stemming; the name (D) is kept unstemmed, for searching it by its first letters.
POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS btree_gin",
    """ALTER TABLE people ADD COLUMN search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, expertise), 'A')
        || setweight(to_tsvector('english'::regconfig, headline), 'B')
        || setweight(to_tsvector('english'::regconfig, bio), 'C')
        || setweight(to_tsvector('simple'::regconfig, name), 'D')
    ) STORED""",
    "CREATE INDEX ix_people_search ON people USING gin (workspace_id, search)",
]

# Each tag between two marker words, so that a phrase can be held to a whole tag.
_TAGS = (
    "(SELECT group_concat('tagstart ' || value || ' tagend', ' ') FROM json_each({row}.expertise))"
)
_INSERT = (
    "INSERT INTO people_search (rowid, name, tags, headline, bio)"
    " VALUES ({row}.rowid, {row}.name, " + _TAGS + ", {row}.headline, {row}.bio);"
)
# People are never deleted (erasure blanks them), but a row that goes takes its
# index entry with it. A migration that rebuilds `people` (batch mode on SQLite)
# drops these triggers with it and must create them again and refill the index.
SQLITE = [
    "CREATE VIRTUAL TABLE people_search USING fts5("
    "name, tags, headline, bio, tokenize = 'porter unicode61')",
    "INSERT INTO people_search (rowid, name, tags, headline, bio)"
    " SELECT people.rowid, people.name, "
    + _TAGS.format(row="people")
    + ", people.headline, people.bio FROM people",
    "CREATE TRIGGER people_search_insert AFTER INSERT ON people BEGIN "
    + _INSERT.format(row="new")
    + " END",
    "CREATE TRIGGER people_search_update AFTER UPDATE OF name, expertise, headline, bio"
    " ON people BEGIN DELETE FROM people_search WHERE rowid = old.rowid; "
    + _INSERT.format(row="new")
    + " END",
    "CREATE TRIGGER people_search_delete AFTER DELETE ON people BEGIN"
    " DELETE FROM people_search WHERE rowid = old.rowid; END",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in POSTGRES if dialect == "postgresql" else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_people_search")
        op.execute("ALTER TABLE people DROP COLUMN search")
        return
    for trigger in ("people_search_delete", "people_search_update", "people_search_insert"):
        op.execute(f"DROP TRIGGER {trigger}")
    op.execute("DROP TABLE people_search")
