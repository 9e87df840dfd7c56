"""PostgreSQL: each person carries who knows them (`people.known_by`, the
`person_id`s of the connections that name them), kept in step with `connections`
by triggers, so that warm paths count who knows the people a topic matches from
the rows the search index already finds rather than one index probe each.
SQLite keeps no such column: its warm paths read `connections`

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 01:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# One statement's connections at a time (a COPY, an erasure's delete), grouped by
# whom they name: each person's row is written once per statement. Connections
# never change whom they join (it is their key), so an UPDATE needs nothing.
# Connections added one statement a row cost about 40 µs each in this trigger,
# which is why an import COPYs them (docs/performance-analysis.md).
POSTGRES = [
    "ALTER TABLE people ADD COLUMN known_by uuid[] NOT NULL DEFAULT '{}'",
    """UPDATE people SET known_by = named.knowers
    FROM (SELECT workspace_id, other_id, array_agg(person_id ORDER BY person_id) AS knowers
          FROM connections GROUP BY workspace_id, other_id) AS named
    WHERE people.workspace_id = named.workspace_id AND people.id = named.other_id""",
    """CREATE FUNCTION people_known_by_added() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE people SET known_by = people.known_by || named.knowers
        FROM (SELECT workspace_id, other_id, array_agg(person_id) AS knowers
              FROM added GROUP BY workspace_id, other_id) AS named
        WHERE people.workspace_id = named.workspace_id AND people.id = named.other_id;
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION people_known_by_removed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE people SET known_by = ARRAY(
            SELECT k FROM unnest(people.known_by) AS k WHERE k <> ALL (named.knowers))
        FROM (SELECT workspace_id, other_id, array_agg(person_id) AS knowers
              FROM removed GROUP BY workspace_id, other_id) AS named
        WHERE people.workspace_id = named.workspace_id AND people.id = named.other_id;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER connections_known_by_added AFTER INSERT ON connections
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION people_known_by_added()""",
    """CREATE TRIGGER connections_known_by_removed AFTER DELETE ON connections
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION people_known_by_removed()""",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER connections_known_by_removed ON connections")
        op.execute("DROP TRIGGER connections_known_by_added ON connections")
        op.execute("DROP FUNCTION people_known_by_removed()")
        op.execute("DROP FUNCTION people_known_by_added()")
        op.execute("ALTER TABLE people DROP COLUMN known_by")
