"""Webhook endpoints, their deliveries (a second outbox) and the attempts log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from warmintro.domain.ids import new_id
from warmintro.domain.ports import Page, WebhookAttempt, WebhookDelivery, WebhookMessage
from warmintro.domain.webhooks import WebhookEndpoint
from warmintro.infra.repositories.direct import Direct, Row
from warmintro.infra.tables import webhook_attempts, webhook_deliveries, webhook_endpoints

E, D, A = webhook_endpoints, webhook_deliveries, webhook_attempts
# Built once: every unit of work that records an event reads them (a create too).
_LIVE_ENDPOINTS = Direct(
    sa.select(E).where(E.c.workspace_id == sa.bindparam("b_workspace_id"), E.c.deleted_at.is_(None))
)
_INSERT_DELIVERIES = D.insert()


def _endpoint(row: Row) -> WebhookEndpoint:
    """From a whole row of the table, read by position (an asyncpg record has no
    attributes)."""
    (
        workspace_id,
        id_,
        url,
        description,
        event_types,
        secret,
        previous_secret,
        previous_secret_until,
        enabled,
        disabled_reason,
        _deleted_at,
        created_at,
        updated_at,
    ) = row
    return WebhookEndpoint(
        id=id_,
        workspace_id=workspace_id,
        url=url,
        secret=secret,
        description=description,
        event_types=tuple(event_types),
        previous_secret=previous_secret,
        previous_secret_until=previous_secret_until,
        enabled=enabled,
        disabled_reason=disabled_reason,
        created_at=created_at,
        updated_at=updated_at,
    )


def _values(e: WebhookEndpoint) -> dict[str, Any]:
    return dict(
        workspace_id=e.workspace_id,
        id=e.id,
        url=e.url,
        description=e.description,
        event_types=list(e.event_types),
        secret=e.secret,
        previous_secret=e.previous_secret,
        previous_secret_until=e.previous_secret_until,
        enabled=e.enabled,
        disabled_reason=e.disabled_reason,
        created_at=e.created_at,
        updated_at=e.updated_at,
    )


def delivery(row: sa.Row[Any], history: tuple[WebhookAttempt, ...] = ()) -> WebhookDelivery:
    return WebhookDelivery(
        id=row.id,
        endpoint_id=row.endpoint_id,
        event_type=row.event_type,
        payload=dict(row.payload),
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        delivered_at=row.delivered_at,
        last_error=row.last_error,
        created_at=row.created_at,
        history=history,
    )


class SqlWebhooks:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self.queued = 0

    async def add(self, endpoint: WebhookEndpoint) -> None:
        await self._conn.execute(E.insert().values(_values(endpoint)))

    async def get(self, workspace_id: uuid.UUID, endpoint_id: uuid.UUID) -> WebhookEndpoint | None:
        row = (
            await self._conn.execute(
                sa.select(E).where(
                    E.c.workspace_id == workspace_id,
                    E.c.id == endpoint_id,
                    E.c.deleted_at.is_(None),
                )
            )
        ).first()
        return _endpoint(row) if row else None

    async def update(self, endpoint: WebhookEndpoint) -> None:
        await self._conn.execute(
            E.update()
            .where(E.c.workspace_id == endpoint.workspace_id, E.c.id == endpoint.id)
            .values(_values(endpoint))
        )

    async def delete(self, workspace_id: uuid.UUID, endpoint_id: uuid.UUID, now: datetime) -> None:
        """Kept for its delivery log, but never sent to again."""
        await self._conn.execute(
            E.update()
            .where(E.c.workspace_id == workspace_id, E.c.id == endpoint_id)
            .values(deleted_at=now, enabled=False, disabled_reason="deleted", updated_at=now)
        )

    async def release_held(
        self, workspace_id: uuid.UUID, endpoint_id: uuid.UUID, now: datetime
    ) -> int:
        result = await self._conn.execute(
            D.update()
            .where(
                D.c.workspace_id == workspace_id,
                D.c.endpoint_id == endpoint_id,
                D.c.status == "held",
            )
            .values(status="pending", next_attempt_at=now)
        )
        self.queued += result.rowcount
        return int(result.rowcount)

    async def page(
        self, workspace_id: uuid.UUID, *, after: uuid.UUID | None, limit: int
    ) -> Page[WebhookEndpoint]:
        query = sa.select(E).where(E.c.workspace_id == workspace_id, E.c.deleted_at.is_(None))
        if after is not None:
            query = query.where(E.c.id > after)
        rows = list(await self._conn.execute(query.order_by(E.c.id).limit(limit + 1)))
        items = [_endpoint(r) for r in rows[:limit]]
        return Page(items, items[-1].id if len(rows) > limit else None)

    async def enqueue(
        self, workspace_id: uuid.UUID, messages: list[WebhookMessage], now: datetime
    ) -> None:
        if not messages:
            return
        rows = await _LIVE_ENDPOINTS.rows(self._conn, {"b_workspace_id": workspace_id})
        endpoints = [_endpoint(r) for r in rows]
        # A disabled endpoint's deliveries are held, not dropped: enabling it again
        # releases them in order.
        deliveries = [
            dict(
                workspace_id=workspace_id,
                id=new_id(),
                endpoint_id=endpoint.id,
                event_id=message.event_id,
                event_type=message.event_type.value,
                payload=message.payload,
                status="pending" if endpoint.enabled else "held",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
            for message in messages
            for endpoint in endpoints
            if endpoint.wants(message.event_type)
        ]
        if deliveries:
            self.queued += len(deliveries)
            await self._conn.execute(_INSERT_DELIVERIES, deliveries)

    async def deliveries(
        self,
        workspace_id: uuid.UUID,
        endpoint_id: uuid.UUID,
        *,
        after: uuid.UUID | None,
        limit: int,
    ) -> Page[WebhookDelivery]:
        query = sa.select(D).where(D.c.workspace_id == workspace_id, D.c.endpoint_id == endpoint_id)
        if after is not None:
            query = query.where(D.c.id < after)
        rows = list(await self._conn.execute(query.order_by(D.c.id.desc()).limit(limit + 1)))[
            : limit + 1
        ]
        page_rows = rows[:limit]
        history: dict[uuid.UUID, list[WebhookAttempt]] = {r.id: [] for r in page_rows}
        if page_rows:
            attempts = await self._conn.execute(
                sa.select(A)
                .where(A.c.workspace_id == workspace_id, A.c.delivery_id.in_(list(history)))
                .order_by(A.c.attempt)
            )
            for a in attempts:
                history[a.delivery_id].append(
                    WebhookAttempt(
                        attempt=a.attempt,
                        at=a.at,
                        status_code=a.status_code,
                        duration_ms=a.duration_ms,
                        response_snippet=a.response_snippet,
                        error=a.error,
                    )
                )
        items = [delivery(r, tuple(history[r.id])) for r in page_rows]
        return Page(items, items[-1].id if len(rows) > limit else None)

    async def retry(
        self,
        workspace_id: uuid.UUID,
        endpoint_id: uuid.UUID,
        delivery_id: uuid.UUID,
        now: datetime,
    ) -> WebhookDelivery | None:
        where = (
            D.c.workspace_id == workspace_id,
            D.c.endpoint_id == endpoint_id,
            D.c.id == delivery_id,
        )
        row = (
            await self._conn.execute(
                D.update()
                .where(*where, D.c.status != "sending")
                .values(status="pending", next_attempt_at=now, locked_until=None)
                .returning(D)
            )
        ).first()
        if row is None:
            row = (await self._conn.execute(sa.select(D).where(*where))).first()
        return delivery(row) if row else None
