"""Fakes for what goes out and what comes back: the outbox, webhook endpoints and
their deliveries, and the email provider's events."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

from tests.unit.fakes.store import FakeStore, ProviderEvent, QueuedEmail
from warmintro.domain.ids import new_id
from warmintro.domain.notifications import EmailIntent
from warmintro.domain.ports import OutboxEntry, Page, WebhookDelivery, WebhookMessage
from warmintro.domain.webhooks import WebhookEndpoint


class FakeOutbox:
    def __init__(self, store: FakeStore) -> None:
        self._store = store

    async def add_emails(
        self, workspace_id: uuid.UUID, intents: list[EmailIntent], now: datetime
    ) -> None:
        self._store.data.outbox.extend(QueuedEmail(workspace_id, i, now) for i in intents)

    async def entries(
        self, *, workspace_id: uuid.UUID | None, status: str | None, limit: int
    ) -> list[OutboxEntry]:
        """Queued emails of every workspace (or one), newest first."""
        names = {w.id: w.name for w in self._store.data.workspaces.values()}
        found = [
            OutboxEntry(
                id=row.id,
                workspace_id=row.workspace_id,
                workspace_name=names.get(row.workspace_id, ""),
                template=row.intent.template,
                status=row.status,
                attempts=row.attempts,
                created_at=row.available_at,
                last_error=row.last_error,
            )
            for row in self._store.data.outbox
            if (workspace_id is None or row.workspace_id == workspace_id)
            and (status is None or row.status == status)
        ]
        return sorted(found, key=lambda e: (e.created_at, e.id), reverse=True)[:limit]

    async def retry_failed(
        self, *, workspace_id: uuid.UUID | None, ids: list[uuid.UUID] | None, now: datetime
    ) -> list[uuid.UUID]:
        """Put failed emails (these `ids`, or all of them) back in the queue, due `now`
        with their attempts reset; returns the ids queued again."""
        outbox, queued = self._store.data.outbox, []
        for i, row in enumerate(outbox):
            if (
                row.status == "failed"
                and (workspace_id is None or row.workspace_id == workspace_id)
                and (ids is None or row.id in ids)
            ):
                outbox[i] = replace(
                    row, status="pending", attempts=0, available_at=now, last_error=None
                )
                queued.append(row.id)
        return queued


class FakeWebhooks:
    """Endpoints and their deliveries; the fake never sends, so a delivery stays
    pending (or held) until a test looks at it."""

    def __init__(self, store: FakeStore) -> None:
        self._store = store

    @property
    def _endpoints(self) -> dict[tuple[uuid.UUID, uuid.UUID], WebhookEndpoint]:
        return self._store.data.webhook_endpoints

    @property
    def _deliveries(self) -> dict[tuple[uuid.UUID, uuid.UUID], WebhookDelivery]:
        return self._store.data.webhook_deliveries

    def _live(self, workspace_id: uuid.UUID) -> list[WebhookEndpoint]:
        return [
            e
            for key, e in self._endpoints.items()
            if key[0] == workspace_id and key not in self._store.data.deleted_endpoints
        ]

    async def add(self, endpoint: WebhookEndpoint) -> None:
        self._endpoints[(endpoint.workspace_id, endpoint.id)] = endpoint

    async def get(self, workspace_id: uuid.UUID, endpoint_id: uuid.UUID) -> WebhookEndpoint | None:
        if (workspace_id, endpoint_id) in self._store.data.deleted_endpoints:
            return None
        return self._endpoints.get((workspace_id, endpoint_id))

    async def update(self, endpoint: WebhookEndpoint) -> None:
        if (endpoint.workspace_id, endpoint.id) in self._endpoints:
            self._endpoints[(endpoint.workspace_id, endpoint.id)] = endpoint

    async def delete(self, workspace_id: uuid.UUID, endpoint_id: uuid.UUID, now: datetime) -> None:
        """Kept for its delivery log, but never sent to again."""
        key = (workspace_id, endpoint_id)
        if key in self._endpoints:
            self._endpoints[key] = replace(
                self._endpoints[key], enabled=False, disabled_reason="deleted", updated_at=now
            )
            self._store.data.deleted_endpoints.add(key)

    async def page(
        self, workspace_id: uuid.UUID, *, after: uuid.UUID | None, limit: int
    ) -> Page[WebhookEndpoint]:
        found = sorted(
            (e for e in self._live(workspace_id) if after is None or e.id > after),
            key=lambda e: e.id,
        )
        items = found[:limit]
        return Page(items, items[-1].id if len(found) > limit else None)

    async def enqueue(
        self, workspace_id: uuid.UUID, messages: list[WebhookMessage], now: datetime
    ) -> None:
        """One delivery per (message, endpoint that wants its type); held while the
        endpoint is disabled."""
        for message in messages:
            for endpoint in self._live(workspace_id):
                if endpoint.wants(message.event_type):
                    delivery = WebhookDelivery(
                        id=new_id(),
                        endpoint_id=endpoint.id,
                        event_type=message.event_type,
                        payload=dict(message.payload),
                        status="pending" if endpoint.enabled else "held",
                        attempts=0,
                        next_attempt_at=now,
                        delivered_at=None,
                        last_error=None,
                        created_at=now,
                    )
                    self._deliveries[(workspace_id, delivery.id)] = delivery

    async def release_held(
        self, workspace_id: uuid.UUID, endpoint_id: uuid.UUID, now: datetime
    ) -> int:
        """Queue the deliveries held while the endpoint was disabled."""
        held = [
            key
            for key, d in self._deliveries.items()
            if key[0] == workspace_id and d.endpoint_id == endpoint_id and d.status == "held"
        ]
        for key in held:
            self._deliveries[key] = replace(
                self._deliveries[key], status="pending", next_attempt_at=now
            )
        return len(held)

    async def deliveries(
        self,
        workspace_id: uuid.UUID,
        endpoint_id: uuid.UUID,
        *,
        after: uuid.UUID | None,
        limit: int,
    ) -> Page[WebhookDelivery]:
        """Newest first, each with its attempts."""
        found = sorted(
            (
                d
                for (ws, _), d in self._deliveries.items()
                if ws == workspace_id
                and d.endpoint_id == endpoint_id
                and (after is None or d.id < after)
            ),
            key=lambda d: d.id,
            reverse=True,
        )
        items = found[:limit]
        return Page(items, items[-1].id if len(found) > limit else None)

    async def retry(
        self,
        workspace_id: uuid.UUID,
        endpoint_id: uuid.UUID,
        delivery_id: uuid.UUID,
        now: datetime,
    ) -> WebhookDelivery | None:
        """Queue a delivery to go again now; None if there is no such delivery."""
        found = self._deliveries.get((workspace_id, delivery_id))
        if found is None or found.endpoint_id != endpoint_id:
            return None
        if found.status != "sending":
            found = replace(found, status="pending", next_attempt_at=now)
            self._deliveries[(workspace_id, delivery_id)] = found
        return found


class FakeProviderEvents:
    def __init__(self, store: FakeStore) -> None:
        self._store = store

    async def first_time(
        self,
        workspace_id: uuid.UUID,
        event_id: str,
        kind: str,
        outbox_id: uuid.UUID | None,
        now: datetime,
    ) -> bool:
        """Record the event; False when it was recorded before (providers resend)."""
        key = (workspace_id, event_id)
        if key in self._store.data.provider_events:
            return False
        self._store.data.provider_events[key] = ProviderEvent(kind, outbox_id, now)
        return True

    async def mark_outbox(
        self, workspace_id: uuid.UUID, outbox_id: uuid.UUID, kind: str, at: datetime
    ) -> None:
        """Note a delivery or an open on the outbox message (the earliest one seen)."""
        outbox = self._store.data.outbox
        for i, row in enumerate(outbox):
            if row.workspace_id != workspace_id or row.id != outbox_id:
                continue
            if kind == "delivered" and (row.delivered_at is None or row.delivered_at > at):
                outbox[i] = replace(row, delivered_at=at)
            elif kind != "delivered" and (row.opened_at is None or row.opened_at > at):
                outbox[i] = replace(row, opened_at=at)
