"""the intro lifecycle schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 22:48:17.797515
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("workspace_id", "key_hash", name=op.f("pk_api_keys")),
    )
    op.create_table(
        "connections",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("other_id", sa.Uuid(), nullable=False),
        sa.Column("strength", sa.SmallInteger(), nullable=False),
        sa.Column("context", sa.String(length=500), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("strength BETWEEN 1 AND 5", name=op.f("ck_connections_strength")),
        sa.PrimaryKeyConstraint(
            "workspace_id", "person_id", "other_id", name=op.f("pk_connections")
        ),
    )
    with op.batch_alter_table("connections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_connections_workspace_id_other_id"),
            ["workspace_id", "other_id"],
            unique=False,
        )

    op.create_table(
        "events",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("data", JSON, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "request_id", "seq", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_events_workspace_id_actor_id"),
            ["workspace_id", "actor_id"],
            unique=False,
        )

    op.create_table(
        "idempotency_keys",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("principal", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response", JSON, nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "workspace_id", "principal", "key", name=op.f("pk_idempotency_keys")
        ),
    )
    op.create_table(
        "intro_requests",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("asker_id", sa.Uuid(), nullable=False),
        sa.Column("connector_id", sa.Uuid(), nullable=False),
        sa.Column("expert_id", sa.Uuid(), nullable=True),
        sa.Column("target_id", sa.Uuid(), nullable=True),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("topic_key", sa.String(length=200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("hops", sa.SmallInteger(), nullable=False),
        sa.Column("fallback_connector_ids", JSON, nullable=False),
        sa.Column("past_connector_ids", JSON, nullable=False),
        sa.Column("declined_expert_ids", JSON, nullable=False),
        sa.Column("declined_connector_ids", JSON, nullable=False),
        sa.Column("forwards", JSON, nullable=False),
        sa.Column("decline_reason", sa.String(length=16), nullable=True),
        sa.Column("feedback_rating", sa.String(length=16), nullable=True),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminder_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded", sa.Boolean(), nullable=False),
        sa.Column("introduced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("event_seq", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "id", name=op.f("pk_intro_requests")),
    )
    with op.batch_alter_table("intro_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_intro_requests_workspace_id_connector_id_state"),
            ["workspace_id", "connector_id", "state"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_intro_requests_workspace_id_expert_id_state"),
            ["workspace_id", "expert_id", "state"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_intro_requests_workspace_id_state_id"),
            ["workspace_id", "state", "id"],
            unique=False,
        )
        batch_op.create_index(
            "uq_intro_requests_open_ask",
            ["workspace_id", "asker_id", "connector_id", "topic_key"],
            unique=True,
            postgresql_where=sa.text("state IN ('awaiting_connector', 'awaiting_expert')"),
            sqlite_where=sa.text("state IN ('awaiting_connector', 'awaiting_expert')"),
        )

    op.create_table(
        "outbox",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("cc_ids", JSON, nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=True),
        sa.Column("event_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("workspace_id", "id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_workspace_id_request_id"),
            ["workspace_id", "request_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_outbox_workspace_id_status_available_at"),
            ["workspace_id", "status", "available_at"],
            unique=False,
        )

    op.create_table(
        "people",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("email_key", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("headline", sa.String(length=300), server_default="", nullable=False),
        sa.Column("bio", sa.Text(), server_default="", nullable=False),
        sa.Column("expertise", JSON, nullable=False),
        sa.Column("email_status", sa.String(length=16), server_default="ok", nullable=False),
        sa.Column("ask_budget", sa.Integer(), nullable=True),
        sa.Column("snooze_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("never_contact", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "id", name=op.f("pk_people")),
        sa.UniqueConstraint(
            "workspace_id", "email_key", name=op.f("uq_people_workspace_id_email_key")
        ),
    )
    op.create_table(
        "person_expertise",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint(
            "workspace_id", "tag", "person_id", name=op.f("pk_person_expertise")
        ),
    )
    op.create_table(
        "request_parties",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint(
            "workspace_id", "person_id", "request_id", name=op.f("pk_request_parties")
        ),
    )
    with op.batch_alter_table("request_parties", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_request_parties_workspace_id_person_id_role_request_id"),
            ["workspace_id", "person_id", "role", "request_id"],
            unique=False,
        )

    op.create_table(
        "workspaces",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("connector_deadline_s", sa.Integer(), nullable=False),
        sa.Column("connector_reminder_s", sa.Integer(), nullable=False),
        sa.Column("expert_deadline_s", sa.Integer(), nullable=False),
        sa.Column("expert_reminder_s", sa.Integer(), nullable=False),
        sa.Column("connector_budget", sa.Integer(), nullable=False),
        sa.Column("expert_budget", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_workspaces")),
    )


def downgrade() -> None:
    op.drop_table("workspaces")
    with op.batch_alter_table("request_parties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_request_parties_workspace_id_person_id_role_request_id"))

    op.drop_table("request_parties")
    op.drop_table("person_expertise")
    op.drop_table("people")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_workspace_id_status_available_at"))
        batch_op.drop_index(batch_op.f("ix_outbox_workspace_id_request_id"))

    op.drop_table("outbox")
    with op.batch_alter_table("intro_requests", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_intro_requests_open_ask",
            postgresql_where=sa.text("state IN ('awaiting_connector', 'awaiting_expert')"),
            sqlite_where=sa.text("state IN ('awaiting_connector', 'awaiting_expert')"),
        )
        batch_op.drop_index(batch_op.f("ix_intro_requests_workspace_id_state_id"))
        batch_op.drop_index(batch_op.f("ix_intro_requests_workspace_id_expert_id_state"))
        batch_op.drop_index(batch_op.f("ix_intro_requests_workspace_id_connector_id_state"))

    op.drop_table("intro_requests")
    op.drop_table("idempotency_keys")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_workspace_id_actor_id"))

    op.drop_table("events")
    with op.batch_alter_table("connections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_connections_workspace_id_other_id"))

    op.drop_table("connections")
    op.drop_table("api_keys")
