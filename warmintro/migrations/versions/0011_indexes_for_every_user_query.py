"""Indexes for the queries people trigger that had none: erasure finds the
requests a person asked by `asker_id`, and "who knows these people" (warm paths'
network counts, the people who know a target) reads the other end of connections
whole from its index

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 17:15:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_intro_requests_workspace_id_asker_id", "intro_requests", ["workspace_id", "asker_id"]
    )
    # With person_id in it, the index answers "who knows X" without reading the table.
    op.drop_index("ix_connections_workspace_id_other_id", table_name="connections")
    op.create_index(
        "ix_connections_workspace_id_other_id_person_id",
        "connections",
        ["workspace_id", "other_id", "person_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_connections_workspace_id_other_id_person_id", table_name="connections")
    op.create_index(
        "ix_connections_workspace_id_other_id", "connections", ["workspace_id", "other_id"]
    )
    op.drop_index("ix_intro_requests_workspace_id_asker_id", table_name="intro_requests")
