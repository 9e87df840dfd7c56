"""PostgreSQL: the search index also holds who knows each person (`known_by`), so
that a person's connections matching a topic (suggestions, the action page, warm
paths by expertise) are found in the index, and only they are read from the
table, rather than everyone in the workspace the topic matches

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 10:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# One index for both: a GIN index answers a condition on any of its columns, so a
# people search (workspace and words) reads it as it read the two-column one.
# The cost is on writes: a connection added or removed now changes an indexed
# column of the person it names (docs/performance-analysis.md).
INDEX = "ix_people_search"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _rebuild("workspace_id, search, known_by")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _rebuild("workspace_id, search")


def _rebuild(columns: str) -> None:
    """The index on these columns in place of the one there. Built beside it first:
    building blocks only writes to `people`, while dropping the old one locks the
    table to reads too, until the migration commits, which is then at once."""
    op.execute(f"CREATE INDEX {INDEX}_next ON people USING gin ({columns})")
    op.execute(f"DROP INDEX {INDEX}")
    op.execute(f"ALTER INDEX {INDEX}_next RENAME TO {INDEX}")
