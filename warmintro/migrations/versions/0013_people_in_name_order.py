"""People in name order from an index: a connector's page lists the connections
they may ask by name, fifty at a time, and without the index a connector with
20k connections had all 20k people read and sorted for each view

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 00:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_people_workspace_id_lower_name_id"


def upgrade() -> None:
    op.create_index(INDEX, "people", ["workspace_id", sa.text("lower(name)"), "id"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="people")
