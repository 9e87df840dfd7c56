"""The open asks a person holds (as connector, as expert) are counted from the
index alone: the indexes on (who, state) also carry `deadline_at`, the one other
column a load reads, so warm paths' loads of hundreds of people and the budget
check of a create read no table rows however many requests the workspace holds

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 20:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = ("connector_id", "expert_id")


def upgrade() -> None:
    for who in ROLES:
        op.drop_index(f"ix_intro_requests_workspace_id_{who}_state", table_name="intro_requests")
        op.create_index(
            f"ix_intro_requests_workspace_id_{who}_state_deadline_at",
            "intro_requests",
            ["workspace_id", who, "state", "deadline_at"],
        )


def downgrade() -> None:
    for who in ROLES:
        op.drop_index(
            f"ix_intro_requests_workspace_id_{who}_state_deadline_at", table_name="intro_requests"
        )
        op.create_index(
            f"ix_intro_requests_workspace_id_{who}_state",
            "intro_requests",
            ["workspace_id", who, "state"],
        )
