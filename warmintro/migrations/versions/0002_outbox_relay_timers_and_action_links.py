"""Outbox relay, timers and action links

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 23:20:56.041572
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "action_links",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=True),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_action", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "token_hash", name=op.f("pk_action_links")),
    )
    with op.batch_alter_table("action_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_action_links_workspace_id_request_id"),
            ["workspace_id", "request_id"],
            unique=False,
        )

    op.create_table(
        "timers",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "request_id", name=op.f("pk_timers")),
    )
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.create_index("ix_timers_due", ["due_at"], unique=False)

    with op.batch_alter_table("intro_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("feedback_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("feedback_asked", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("message_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("provider_id", sa.String(length=255), nullable=True))
        batch_op.create_index(
            "ix_outbox_due",
            ["available_at"],
            unique=False,
            postgresql_where=sa.text("status IN ('pending', 'sending')"),
            sqlite_where=sa.text("status IN ('pending', 'sending')"),
        )

    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("feedback_delay_s", sa.Integer(), server_default="259200", nullable=False)
        )

    # Requests already waiting get their timer, so nothing in flight is forgotten.
    op.execute(
        """
        INSERT INTO timers (workspace_id, request_id, due_at)
        SELECT workspace_id, id,
               CASE WHEN NOT reminded AND reminder_at IS NOT NULL THEN reminder_at
                    ELSE deadline_at END
        FROM intro_requests
        WHERE state IN ('awaiting_connector', 'awaiting_expert') AND deadline_at IS NOT NULL
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_column("feedback_delay_s")

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_outbox_due",
            postgresql_where=sa.text("status IN ('pending', 'sending')"),
            sqlite_where=sa.text("status IN ('pending', 'sending')"),
        )
        batch_op.drop_column("provider_id")
        batch_op.drop_column("message_id")
        batch_op.drop_column("locked_until")

    with op.batch_alter_table("intro_requests", schema=None) as batch_op:
        batch_op.drop_column("feedback_asked")
        batch_op.drop_column("feedback_due_at")

    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_index("ix_timers_due")

    op.drop_table("timers")
    with op.batch_alter_table("action_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_action_links_workspace_id_request_id"))

    op.drop_table("action_links")
