"""Intro requests remember how a connector named the expert, or the next
connector, when they named them by email (the address and name typed): all the
connector sees of them (of an expert, until they accept)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 14:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    # Requests made before remember nothing typed: whoever they name shows by id,
    # as it did when they were made.
    with op.batch_alter_table("intro_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expert_named_as", JSON, nullable=True))
        batch_op.add_column(sa.Column("connector_named_as", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("intro_requests", schema=None) as batch_op:
        batch_op.drop_column("connector_named_as")
        batch_op.drop_column("expert_named_as")
