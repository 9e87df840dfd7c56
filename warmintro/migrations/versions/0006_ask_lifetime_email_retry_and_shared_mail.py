"""Workspaces gain the ask lifetime and the email retry window; an outbox row may
go To several people (the one introduction message)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 11:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ask_lifetime_s", sa.Integer, nullable=False, server_default="2592000")
        )
        batch_op.add_column(
            sa.Column("email_retry_s", sa.Integer, nullable=False, server_default="259200")
        )
    # A workspace whose deadlines already run past 30 days keeps them: its asks
    # live at least as long as its longest deadline, as the settings require.
    workspaces = sa.table(
        "workspaces",
        sa.column("ask_lifetime_s", sa.Integer),
        sa.column("connector_deadline_s", sa.Integer),
        sa.column("expert_deadline_s", sa.Integer),
    )
    for deadline in (workspaces.c.connector_deadline_s, workspaces.c.expert_deadline_s):
        op.execute(
            workspaces.update()
            .where(deadline > workspaces.c.ask_lifetime_s)
            .values(ask_lifetime_s=deadline)
        )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("also_to_ids", JSON, nullable=False, server_default=sa.text("'[]'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("also_to_ids")
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_column("email_retry_s")
        batch_op.drop_column("ask_lifetime_s")
