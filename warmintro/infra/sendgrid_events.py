"""Verifying SendGrid's signed Event Webhook with the SDK's own helper.

SendGrid signs timestamp + raw body with ECDSA (P-256, SHA-256). A missing or
garbled signature is a 401; a signature that does not match, or a timestamp
older than five minutes (a replay), is a 403; nothing is acted on in either case.
"""

from __future__ import annotations

import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sendgrid.helpers.eventwebhook import EventWebhook

from warmintro.domain.commands import ProviderEvent
from warmintro.domain.errors import InvalidInput, NotPermitted, Unauthenticated
from warmintro.domain.ports import Clock

MAX_AGE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Batch:
    received: int
    """How many events the batch held."""
    events: tuple[ProviderEvent, ...]
    """Those we can attribute to one of our emails."""


class SendGridEvents:
    def __init__(self, public_key: str, clock: Clock) -> None:
        self._clock = clock
        self._helper = EventWebhook()
        self._key = self._helper.convert_public_key_to_ecdsa(public_key) if public_key else None

    def read(self, body: bytes, signature: str | None, timestamp: str | None) -> Batch:
        """A verified batch (see `verify`), with the events we can act on."""
        raw = self.verify(body, signature, timestamp)
        return Batch(len(raw), tuple(parse(raw)))

    def verify(self, body: bytes, signature: str | None, timestamp: str | None) -> list[Any]:
        if self._key is None:
            raise Unauthenticated("inbound events are not configured (SENDGRID_WEBHOOK_PUBLIC_KEY)")
        if not signature or not timestamp or not timestamp.isdigit():
            raise Unauthenticated("missing SendGrid signature headers")
        try:
            text = body.decode()
            valid = self._helper.verify_signature(text, signature, timestamp, self._key)
        except (UnicodeDecodeError, binascii.Error, ValueError):
            raise Unauthenticated("garbled SendGrid signature") from None
        if not valid:
            raise NotPermitted("the SendGrid signature does not match")
        sent = datetime.fromtimestamp(int(timestamp), UTC)
        if abs(self._clock.now() - sent) > MAX_AGE:
            raise NotPermitted("the SendGrid timestamp is too old (or from the future)")
        try:
            events = json.loads(text)
        except ValueError:
            raise InvalidInput("the body is not JSON") from None
        if not isinstance(events, list):
            raise InvalidInput("SendGrid posts a JSON array of events")
        return events


# Drops that say the address itself is dead; others (e.g. a bad message) are not
# the person's fault and are only recorded.
DEAD_ADDRESS_DROPS = (
    "bounced address",
    "invalid",
    "spam reporting address",
    "unsubscribed address",
)


def _kind(raw: dict[str, Any]) -> str:
    """The event, with SendGrid's temporary failures told apart from permanent ones."""
    kind = str(raw["event"])[:32]
    if kind == "bounce" and str(raw.get("type", "bounce")).lower() == "blocked":
        return "blocked"  # a temporary block by the receiving server, not a dead address
    if kind == "dropped" and str(raw.get("reason", "")).strip().lower() not in DEAD_ADDRESS_DROPS:
        return "dropped_other"
    return kind


def parse(events: list[Any]) -> list[ProviderEvent]:
    """Events we can attribute: ours carry workspace_id (and outbox_id) in custom_args."""
    out = []
    for raw in events:
        if not isinstance(raw, dict):
            continue
        try:
            workspace_id = uuid.UUID(str(raw["workspace_id"]))
            event_id = str(raw["sg_event_id"])[:100]
            kind = _kind(raw)
            email = str(raw["email"])
        except (KeyError, ValueError):
            continue
        try:
            outbox_id = uuid.UUID(str(raw["outbox_id"])) if raw.get("outbox_id") else None
        except ValueError:
            outbox_id = None
        at = raw.get("timestamp")
        occurred = (
            datetime.fromtimestamp(int(at), UTC) if isinstance(at, int) else datetime.now(UTC)
        )
        out.append(ProviderEvent(workspace_id, event_id, kind, email, outbox_id, occurred))
    return out
