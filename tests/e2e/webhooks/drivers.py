"""Drivers for the webhooks suite: webhook endpoints through the API, SendGrid's
signed Event Webhook, and a search of every table for what erasure must remove."""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from datetime import datetime
from typing import Any

import httpx
import sqlalchemy as sa
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.clock import FakeClock
from tests.e2e.mail import drain
from tests.e2e.world import World, collect
from warmintro.api.container import Container
from warmintro.infra.tables import metadata

CREATED = ("intro_request.created",)
"""A subscription to one event type: each new ask sends exactly one delivery."""
SIGNATURE = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP = "X-Twilio-Email-Event-Webhook-Timestamp"


def at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def ask_again(world: World) -> str:
    """One more intro request (one `intro_request.created` event) in the workspace."""
    return (await world.party()).request


class Hooks:
    """Webhook endpoints through the API, with the workspace's API key."""

    def __init__(self, api: httpx.AsyncClient, container: Container) -> None:
        self.api = api
        self.container = container

    async def register(self, url: str, event_types: tuple[str, ...] = ()) -> dict[str, Any]:
        r = await self.api.post(
            "/v1/webhook-endpoints", json={"url": url, "event_types": list(event_types)}
        )
        assert r.status_code == 201, r.text
        endpoint: dict[str, Any] = r.json()
        return endpoint

    async def get(self, endpoint_id: str) -> dict[str, Any]:
        r = await self.api.get(f"/v1/webhook-endpoints/{endpoint_id}")
        assert r.status_code == 200, r.text
        endpoint: dict[str, Any] = r.json()
        return endpoint

    async def deliveries(self, endpoint_id: str) -> list[dict[str, Any]]:
        return await collect(self.api, f"/v1/webhook-endpoints/{endpoint_id}/deliveries")

    async def run(self) -> int:
        return await drain(self.container.worker)


class SendGrid:
    """Signs and posts Event Webhook batches the way SendGrid does: ECDSA P-256 with
    SHA-256 over the timestamp header followed by the raw body, base64 DER."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        clock: FakeClock,
        key: ec.EllipticCurvePrivateKey,
        workspace_id: uuid.UUID,
    ) -> None:
        self.client = client
        self.clock = clock
        self.key = key
        self.workspace_id = workspace_id

    def event(
        self,
        kind: str,
        email: str,
        *,
        outbox_id: Any = None,
        request_id: Any = None,
        at: datetime | None = None,
        sg_event_id: str | None = None,
    ) -> dict[str, Any]:
        """One event as SendGrid posts it; our custom args sit at the top level."""
        event: dict[str, Any] = {
            "email": email,
            "timestamp": int((at or self.clock.now()).timestamp()),
            "event": kind,
            "sg_event_id": sg_event_id
            or base64.urlsafe_b64encode(secrets.token_bytes(16)).decode(),
            "sg_message_id": f"{secrets.token_hex(11)}.filter0001.1.0",
            "workspace_id": str(self.workspace_id),
        }
        if outbox_id is not None:
            event["outbox_id"] = str(outbox_id)
        if request_id is not None:
            event["request_id"] = str(request_id)
        if kind == "bounce":
            event.update(reason="550 5.1.1 The email account does not exist", status="5.1.1")
            event["type"] = "bounce"
        if kind == "dropped":
            event["reason"] = "Bounced Address"
        return event

    def now(self) -> str:
        return str(int(self.clock.now().timestamp()))

    def signature(
        self, body: bytes, timestamp: str, key: ec.EllipticCurvePrivateKey | None = None
    ) -> str:
        der = (key or self.key).sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        return base64.b64encode(der).decode()

    def headers(
        self,
        body: bytes,
        timestamp: str | None = None,
        key: ec.EllipticCurvePrivateKey | None = None,
    ) -> dict[str, str]:
        ts = timestamp or self.now()
        return {
            "Content-Type": "application/json",
            SIGNATURE: self.signature(body, ts, key),
            TIMESTAMP: ts,
        }

    @staticmethod
    def body(events: list[dict[str, Any]]) -> bytes:
        return json.dumps(events).encode()

    async def post_raw(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        return await self.client.post("/v1/inbound/sendgrid/events", content=body, headers=headers)

    async def post(self, *events: dict[str, Any]) -> httpx.Response:
        body = self.body(list(events))
        return await self.post_raw(body, self.headers(body))


# ---- searching the whole database ------------------------------------------------


async def find_everywhere(engine: AsyncEngine, needles: list[str]) -> list[str]:
    """Every (table, column, value) in the database whose text holds one of the
    needles, case-insensitively."""
    wanted = [n.casefold() for n in needles if n]
    found = []
    async with engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in await conn.execute(sa.select(table)):
                for column, value in row._mapping.items():
                    text = str(value).casefold()
                    if isinstance(value, (dict, list)):
                        text += json.dumps(value).casefold()
                    for needle in wanted:
                        if needle in text:
                            found.append(f"{table.name}.{column} holds {needle!r}: {value!r:.200}")
    return found
