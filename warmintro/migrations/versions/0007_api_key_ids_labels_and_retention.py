"""API keys gain an id and a label, so they can be listed and revoked; workspaces
gain how long sent mail, delivered webhooks and spent links are kept

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 12:15:00.000000
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("retention_s", sa.Integer, nullable=False, server_default="7776000")
        )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("id", sa.Uuid(as_uuid=True), nullable=True))
        batch_op.add_column(sa.Column("label", sa.String(100), nullable=False, server_default=""))
    # Every key that exists already gets an id of its own, so it can be revoked too.
    keys = sa.table(
        "api_keys",
        sa.column("workspace_id", sa.Uuid(as_uuid=True)),
        sa.column("key_hash", sa.String(64)),
        sa.column("id", sa.Uuid(as_uuid=True)),
    )
    conn = op.get_bind()
    for workspace_id, key_hash in conn.execute(sa.select(keys.c.workspace_id, keys.c.key_hash)):
        conn.execute(
            keys.update()
            .where(keys.c.workspace_id == workspace_id, keys.c.key_hash == key_hash)
            .values(id=uuid.uuid4())
        )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.alter_column("id", existing_type=sa.Uuid(as_uuid=True), nullable=False)
        batch_op.create_unique_constraint("uq_api_keys_workspace_id_id", ["workspace_id", "id"])


def downgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_constraint("uq_api_keys_workspace_id_id", type_="unique")
        batch_op.drop_column("label")
        batch_op.drop_column("id")
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_column("retention_s")
