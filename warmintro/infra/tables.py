"""The schema, as SQLAlchemy Core tables. Every key and index leads with
`workspace_id`, so the schema can be distributed by workspace (Citus) as is."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Aware UTC datetimes in and out; SQLite stores them naive in UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def result_processor(self, dialect: sa.Dialect, coltype: Any) -> Any:
        # asyncpg reads every timestamptz (all of ours) as an aware UTC datetime
        # already: a list of 50 requests would call the processor 300 times for nothing.
        if dialect.driver == "asyncpg":
            return None
        return super().result_processor(dialect, coltype)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        aware: datetime = value.replace(tzinfo=UTC) if value.tzinfo is None else value
        return aware.astimezone(UTC)


JSON = sa.JSON().with_variant(JSONB(), "postgresql")
NULLABLE_JSON = sa.JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
"""JSON where None is SQL NULL, also when bound as a parameter of a prebuilt statement
(plain JSON binds None as the JSON value `null`)."""
Id = sa.Uuid(as_uuid=True)


def _ws() -> sa.Column[Any]:
    return sa.Column("workspace_id", Id, nullable=False)


workspaces = sa.Table(
    "workspaces",
    metadata,
    sa.Column("workspace_id", Id, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("connector_deadline_s", sa.Integer, nullable=False),
    sa.Column("connector_reminder_s", sa.Integer, nullable=False),
    sa.Column("expert_deadline_s", sa.Integer, nullable=False),
    sa.Column("expert_reminder_s", sa.Integer, nullable=False),
    sa.Column("feedback_delay_s", sa.Integer, nullable=False, server_default="259200"),
    sa.Column("ask_lifetime_s", sa.Integer, nullable=False, server_default="2592000"),
    sa.Column("email_retry_s", sa.Integer, nullable=False, server_default="259200"),
    sa.Column("retention_s", sa.Integer, nullable=False, server_default="7776000"),
    sa.Column("connector_budget", sa.Integer, nullable=False),
    sa.Column("expert_budget", sa.Integer, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    _ws(),
    sa.Column("key_hash", sa.String(64), nullable=False),
    sa.Column("id", Id, nullable=False),
    sa.Column("label", sa.String(100), nullable=False, server_default=""),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("revoked_at", UTCDateTime),
    sa.PrimaryKeyConstraint("workspace_id", "key_hash"),
    sa.UniqueConstraint("workspace_id", "id"),
)

people = sa.Table(
    "people",
    metadata,
    _ws(),
    sa.Column("id", Id, nullable=False),
    sa.Column("email", sa.String(254), nullable=False),
    sa.Column("email_key", sa.String(254), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("headline", sa.String(300), nullable=False, server_default=""),
    sa.Column("bio", sa.Text, nullable=False, server_default=""),
    sa.Column("expertise", JSON, nullable=False),
    sa.Column("email_status", sa.String(16), nullable=False, server_default="ok"),
    sa.Column("ask_budget", sa.Integer),
    sa.Column("snooze_until", UTCDateTime),
    sa.Column("never_contact", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("discoverable", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("erased_at", UTCDateTime),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.PrimaryKeyConstraint("workspace_id", "id"),
    sa.UniqueConstraint("workspace_id", "email_key"),
    # People in name order (a connector's page lists their connections so).
    sa.Index("ix_people_workspace_id_lower_name_id", "workspace_id", sa.text("lower(name)"), "id"),
)

person_expertise = sa.Table(
    "person_expertise",
    metadata,
    _ws(),
    sa.Column("tag", sa.String(64), nullable=False),
    sa.Column("person_id", Id, nullable=False),
    sa.PrimaryKeyConstraint("workspace_id", "tag", "person_id"),
)

connections = sa.Table(
    "connections",
    metadata,
    _ws(),
    sa.Column("person_id", Id, nullable=False),
    sa.Column("other_id", Id, nullable=False),
    sa.Column("strength", sa.SmallInteger, nullable=False),
    sa.Column("context", sa.String(500), nullable=False, server_default=""),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.PrimaryKeyConstraint("workspace_id", "person_id", "other_id"),
    sa.CheckConstraint("strength BETWEEN 1 AND 5", name="strength"),
    # Who knows someone, read from the index alone (warm paths' network counts).
    sa.Index(None, "workspace_id", "other_id", "person_id"),
)

intro_requests = sa.Table(
    "intro_requests",
    metadata,
    _ws(),
    sa.Column("id", Id, nullable=False),
    sa.Column("asker_id", Id, nullable=False),
    sa.Column("connector_id", Id, nullable=False),
    sa.Column("expert_id", Id),
    sa.Column("expert_named_as", NULLABLE_JSON),
    sa.Column("target_id", Id),
    sa.Column("topic", sa.String(200), nullable=False),
    sa.Column("topic_key", sa.String(200), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("state", sa.String(24), nullable=False),
    sa.Column("hops", sa.SmallInteger, nullable=False),
    sa.Column("connector_named_as", NULLABLE_JSON),
    sa.Column("fallback_connector_ids", JSON, nullable=False),
    sa.Column("past_connector_ids", JSON, nullable=False),
    sa.Column("declined_expert_ids", JSON, nullable=False),
    sa.Column("declined_connector_ids", JSON, nullable=False),
    sa.Column("forwards", JSON, nullable=False),
    sa.Column("decline_reason", sa.String(16)),
    sa.Column("feedback_rating", sa.String(16)),
    sa.Column("deadline_at", UTCDateTime),
    sa.Column("reminder_at", UTCDateTime),
    sa.Column("reminded", sa.Boolean, nullable=False),
    sa.Column("introduced_at", UTCDateTime),
    sa.Column("feedback_due_at", UTCDateTime),
    sa.Column("feedback_asked", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("event_seq", sa.Integer, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.PrimaryKeyConstraint("workspace_id", "id"),
    sa.Index(
        "uq_intro_requests_open_ask",
        "workspace_id",
        "asker_id",
        "connector_id",
        "topic_key",
        unique=True,
        postgresql_where=sa.text("state IN ('awaiting_connector', 'awaiting_expert')"),
        sqlite_where=sa.text("state IN ('awaiting_connector', 'awaiting_expert')"),
    ),
    sa.Index(None, "workspace_id", "asker_id"),  # erasure scrubs what they asked
    # A person's open asks counted from the index alone (loads: count, earliest deadline).
    sa.Index(None, "workspace_id", "connector_id", "state", "deadline_at"),
    sa.Index(None, "workspace_id", "expert_id", "state", "deadline_at"),
    sa.Index(None, "workspace_id", "state", "id"),
)

request_parties = sa.Table(
    "request_parties",
    metadata,
    _ws(),
    sa.Column("person_id", Id, nullable=False),
    sa.Column("request_id", Id, nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.PrimaryKeyConstraint("workspace_id", "person_id", "request_id"),
    sa.Index(None, "workspace_id", "person_id", "role", "request_id"),
)

events = sa.Table(
    "events",
    metadata,
    _ws(),
    sa.Column("request_id", Id, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("id", Id, nullable=False),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("actor_id", Id),
    sa.Column("data", JSON, nullable=False),
    sa.Column("occurred_at", UTCDateTime, nullable=False),
    sa.PrimaryKeyConstraint("workspace_id", "request_id", "seq"),
    sa.Index(None, "workspace_id", "actor_id"),
)

outbox = sa.Table(
    "outbox",
    metadata,
    _ws(),
    sa.Column("id", Id, nullable=False),
    sa.Column("template", sa.String(64), nullable=False),
    sa.Column("recipient_id", Id, nullable=False),
    sa.Column("cc_ids", JSON, nullable=False),
    sa.Column("also_to_ids", JSON, nullable=False, server_default=sa.text("'[]'")),
    sa.Column("request_id", Id),
    sa.Column("event_id", Id),
    sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("available_at", UTCDateTime, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime),
    sa.Column("last_error", sa.Text),
    sa.Column("locked_until", UTCDateTime),
    sa.Column("message_id", sa.String(255)),
    sa.Column("provider_id", sa.String(255)),
    sa.Column("delivered_at", UTCDateTime),
    sa.Column("opened_at", UTCDateTime),
    sa.PrimaryKeyConstraint("workspace_id", "id"),
    sa.Index(None, "workspace_id", "status", "available_at"),
    sa.Index(None, "workspace_id", "request_id"),
    # The relay drains every workspace at once: the one kind of index not led by
    # workspace_id is a queue's due index (per shard, it stays local on Citus).
    sa.Index(
        "ix_outbox_due",
        "available_at",
        postgresql_where=sa.text("status IN ('pending', 'sending')"),
        sqlite_where=sa.text("status IN ('pending', 'sending')"),
    ),
)

timers = sa.Table(
    "timers",
    metadata,
    _ws(),
    sa.Column("request_id", Id, nullable=False),
    sa.Column("due_at", UTCDateTime, nullable=False),
    sa.PrimaryKeyConstraint("workspace_id", "request_id"),
    sa.Index("ix_timers_due", "due_at"),
)

action_links = sa.Table(
    "action_links",
    metadata,
    _ws(),
    sa.Column("token_hash", sa.String(64), nullable=False),
    sa.Column("request_id", Id),
    sa.Column("person_id", Id, nullable=False),
    sa.Column("purpose", sa.String(32), nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("used_at", UTCDateTime),
    sa.Column("used_action", sa.String(32)),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.PrimaryKeyConstraint("workspace_id", "token_hash"),
    sa.Index(None, "workspace_id", "request_id"),
)

webhook_endpoints = sa.Table(
    "webhook_endpoints",
    metadata,
    _ws(),
    sa.Column("id", Id, nullable=False),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("description", sa.String(500), nullable=False, server_default=""),
    sa.Column("event_types", JSON, nullable=False),
    sa.Column("secret", sa.String(100), nullable=False),
    sa.Column("previous_secret", sa.String(100)),
    sa.Column("previous_secret_until", UTCDateTime),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("disabled_reason", sa.Text),
    sa.Column("deleted_at", UTCDateTime),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.PrimaryKeyConstraint("workspace_id", "id"),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    _ws(),
    sa.Column("id", Id, nullable=False),
    sa.Column("endpoint_id", Id, nullable=False),
    sa.Column("event_id", Id),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("payload", JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Column("locked_until", UTCDateTime),
    sa.Column("delivered_at", UTCDateTime),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.PrimaryKeyConstraint("workspace_id", "id"),
    sa.Index(None, "workspace_id", "endpoint_id", "id"),
    sa.Index(
        "ix_webhook_deliveries_due",
        "next_attempt_at",
        postgresql_where=sa.text("status IN ('pending', 'sending')"),
        sqlite_where=sa.text("status IN ('pending', 'sending')"),
    ),
)

webhook_attempts = sa.Table(
    "webhook_attempts",
    metadata,
    _ws(),
    sa.Column("delivery_id", Id, nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("status_code", sa.Integer),
    sa.Column("duration_ms", sa.Integer, nullable=False),
    sa.Column("response_snippet", sa.String(500), nullable=False, server_default=""),
    sa.Column("error", sa.Text),
    sa.PrimaryKeyConstraint("workspace_id", "delivery_id", "attempt"),
)

inbound_events = sa.Table(
    "inbound_events",
    metadata,
    _ws(),
    sa.Column("provider_event_id", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("outbox_id", Id),
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.PrimaryKeyConstraint("workspace_id", "provider_event_id"),
)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    _ws(),
    sa.Column("principal", sa.String(64), nullable=False),
    sa.Column("key", sa.String(255), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("status_code", sa.Integer),
    sa.Column("response", JSON),
    sa.Column("locked_until", UTCDateTime),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.PrimaryKeyConstraint("workspace_id", "principal", "key"),
)
