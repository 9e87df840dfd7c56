"""Delivering webhooks, signed to the Standard Webhooks spec.

Each delivery is POSTed with `webhook-id` (the same on every retry),
`webhook-timestamp` (fresh per attempt) and `webhook-signature`
(`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per active secret while
a secret rotates). Failures retry on a fixed schedule, honouring Retry-After;
a 410 or an exhausted schedule disables the endpoint and says why. Every
attempt is recorded with its status, duration and the start of the response, and
logged as one line (`webhook delivered`, `webhook retry`, `webhook failed`,
`webhook held`) with its ids, event type and status, never the URL or a body.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from warmintro.domain.errors import InvalidInput
from warmintro.domain.ports import Clock
from warmintro.domain.webhooks import SECRET_PREFIX
from warmintro.infra.database import reading, writing
from warmintro.infra.guarded_http import guarded_client
from warmintro.infra.leased_queue import Claim, LeasedQueue, RetryPolicy, error_class, redact
from warmintro.infra.repositories.webhooks import SqlWebhooks
from warmintro.infra.tables import webhook_attempts, webhook_deliveries
from warmintro.infra.url_guard import UrlGuard

log = logging.getLogger("warmintro.webhooks")

SCHEDULE = [
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
]
"""Wait before each attempt: the first goes at once, the eighth is the last."""
LEASE = timedelta(minutes=2)
TIMEOUT = 10.0
SNIPPET = 500
D = webhook_deliveries


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


@dataclass(frozen=True, slots=True)
class _Delivery:
    workspace_id: uuid.UUID
    id: uuid.UUID
    endpoint_id: uuid.UUID
    event_type: str
    payload: dict[str, Any]


def _delivery(row: sa.Row[Any]) -> _Delivery:
    return _Delivery(row.workspace_id, row.id, row.endpoint_id, row.event_type, dict(row.payload))


class WebhookRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        clock: Clock,
        guard: UrlGuard,
        *,
        client: httpx.AsyncClient | None = None,
        batch: int = 20,
        on_outcome: Callable[[str], None] = lambda outcome: None,
    ) -> None:
        """`on_outcome` hears how each claimed delivery ended: delivered, retry, failed
        or held (the metrics count them)."""
        self._engine = engine
        self._clock = clock
        self._outcome = on_outcome
        self._client = client or guarded_client(guard, timeout=TIMEOUT)
        self._queue = LeasedQueue(
            engine,
            D,
            D.c.next_attempt_at,
            clock,
            item=_delivery,
            retry=RetryPolicy(len(SCHEDULE), SCHEDULE.__getitem__),
            lease=LEASE,
            batch=batch,
        )

    async def close(self) -> None:
        await self._client.aclose()

    async def run_once(self) -> int:
        """Claim and deliver one batch; returns how many deliveries were claimed."""
        return await self._queue.work(self._deliver)

    async def seconds_to_next(self) -> float | None:
        """Until the next row falls due (a retry, say), or None: nothing waits."""
        return await self._queue.seconds_to_next()

    async def _deliver(self, claim: Claim[_Delivery]) -> None:
        item, now = claim.item, self._clock.now()
        async with reading(self._engine) as conn:
            endpoint = await SqlWebhooks(conn).get(item.workspace_id, item.endpoint_id)
        if endpoint is None:
            await claim.finish(status="failed", last_error="the endpoint was deleted")
            self._settled(claim, "failed")
            return
        if not endpoint.enabled:
            await claim.finish(status="held", last_error="the endpoint is disabled")
            self._settled(claim, "held")
            return
        body = json.dumps(item.payload, separators=(",", ":"), sort_keys=True).encode()
        msg_id = f"msg_{item.id.hex}"
        timestamp = int(now.timestamp())
        headers = {
            "content-type": "application/json",
            "user-agent": "warmintro-webhooks",
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": " ".join(
                sign(s, msg_id, timestamp, body) for s in endpoint.secrets_at(now)
            ),
        }
        if not await claim.renew():
            log.warning("webhook delivery %s was claimed by another relay", item.id)
            return
        started = time.perf_counter()
        status: int | None = None
        snippet, error, retry_after = "", None, None
        failure: Exception | None = None
        try:
            # The guarded client checks every address the host resolves to at
            # connect time, and refuses (InvalidInput) before connecting.
            response = await self._client.post(endpoint.url, content=body, headers=headers)
            status = response.status_code
            snippet = response.text[:SNIPPET]
            retry_after = _seconds(response.headers.get("retry-after"), now)
        except InvalidInput as exc:
            error, failure = f"refused: {exc.detail}", exc
        except httpx.HTTPError as exc:
            error, failure = f"{type(exc).__name__}: {exc}"[:SNIPPET], exc
        duration_ms = int((time.perf_counter() - started) * 1000)
        await self._log(claim, now, status, duration_ms, snippet, error)

        settled = partial(
            self._settled, claim, status=status, duration_ms=duration_ms, failure=failure
        )
        if status is not None and 200 <= status < 300:
            await claim.finish(status="delivered", delivered_at=now, last_error=None)
            settled("delivered")
            return
        reason = error or f"HTTP {status}"
        if status == 410:
            await claim.finish(status="failed", last_error=reason)
            settled("failed")
            await self._disable(item, "the endpoint answered 410 Gone")
        elif await claim.retry(reason, retry_after=retry_after, failed_at=now):
            settled("retry")
        else:
            settled("failed")
            await self._disable(item, f"{len(SCHEDULE)} attempts failed; last: {reason}")

    def _settled(
        self,
        claim: Claim[_Delivery],
        outcome: str,
        *,
        status: int | None = None,
        duration_ms: int | None = None,
        failure: Exception | None = None,
    ) -> None:
        """One line per delivery attempt (or delivery held or dropped unsent), and its
        count: ids, the event type, the receiver's HTTP status, never the URL (it may
        carry the receiver's secret), the payload or the response."""
        item = claim.item
        fields: dict[str, Any] = {
            "delivery_id": str(item.id),
            "endpoint_id": str(item.endpoint_id),
            "workspace_id": str(item.workspace_id),
            "event_type": item.event_type,
            "attempt": claim.attempts,
            "status": status,
            "duration_ms": duration_ms,
            "outcome": outcome,
        }
        if failure is not None:
            fields["error"] = error_class(failure)
        level = logging.WARNING if outcome == "failed" else logging.INFO
        log.log(level, "webhook %s", outcome, extra=fields)
        self._outcome(outcome)

    async def _log(
        self,
        claim: Claim[_Delivery],
        at: datetime,
        status: int | None,
        duration_ms: int,
        snippet: str,
        error: str | None,
    ) -> None:
        async with writing(self._engine) as conn:
            await conn.execute(
                webhook_attempts.insert().values(
                    workspace_id=claim.item.workspace_id,
                    delivery_id=claim.item.id,
                    attempt=claim.attempts,
                    at=at,
                    status_code=status,
                    duration_ms=duration_ms,
                    response_snippet=redact(snippet),
                    error=redact(error) if error else None,
                )
            )

    async def _disable(self, item: _Delivery, reason: str) -> None:
        async with writing(self._engine) as conn:
            repo = SqlWebhooks(conn)
            endpoint = await repo.get(item.workspace_id, item.endpoint_id)
            if endpoint is not None and endpoint.enabled:
                log.warning("disabling webhook endpoint %s: %s", endpoint.id, reason)
                await repo.update(endpoint.disabled(reason, self._clock.now()))


def _seconds(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds or as an HTTP date (RFC 9110 allows both)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - now).total_seconds())
    except (TypeError, ValueError):
        return None
