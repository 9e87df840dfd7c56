"""Verifying SendGrid's signed Event Webhook with the SDK's own helper.

SendGrid signs timestamp + raw body with ECDSA (P-256, SHA-256). A missing or
garbled signature is a 401; a signature that does not match, or a timestamp
older than five minutes (a replay), is a 403; nothing is acted on in either case.
"""

from __future__ import annotations

import binascii
import json
import logging
import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sendgrid.helpers.eventwebhook import EventWebhook

from warmintro.domain.commands import ProviderEvent
from warmintro.domain.errors import InvalidInput, NotPermitted, Unauthenticated
from warmintro.domain.ports import Clock

log = logging.getLogger("warmintro.inbound")

MAX_AGE = timedelta(minutes=5)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
"""An event timestamp before this, or more than a day ahead, is not believed."""
KINDS = frozenset(
    {
        "processed", "deferred", "delivered", "open", "click", "bounce", "dropped",
        "spamreport", "unsubscribe", "group_unsubscribe", "group_resubscribe",
    }
)  # fmt: skip
"""The event types SendGrid documents; anything else is skipped."""


@dataclass(frozen=True, slots=True)
class Batch:
    received: int
    """How many events the batch held."""
    events: tuple[ProviderEvent, ...]
    """Those we can attribute to one of our emails."""
    skipped: int = 0
    """Those we could not read (odd or missing values); logged, never acted on."""


class SendGridEvents:
    def __init__(self, public_key: str, clock: Clock) -> None:
        self._clock = clock
        self._helper = EventWebhook()
        self._key = self._helper.convert_public_key_to_ecdsa(public_key) if public_key else None

    def read(self, body: bytes, signature: str | None, timestamp: str | None) -> Batch:
        """A verified batch (see `verify`), with the events we can act on."""
        raw = self.verify(body, signature, timestamp)
        events, skipped = parse(raw, self._clock.now())
        return Batch(len(raw), tuple(events), skipped)

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


class _Odd(ValueError):
    """An event we cannot read; the message names the field, never its value."""


def _text(raw: dict[str, Any], name: str, *, limit: int) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or not value or len(value) > limit:
        raise _Odd(f"{name} is missing or not a short string")
    return value


def _kind(raw: dict[str, Any]) -> str:
    """The event, with SendGrid's temporary failures told apart from permanent ones."""
    kind = _text(raw, "event", limit=32)
    if kind not in KINDS:
        raise _Odd("event is not a type SendGrid documents")
    if kind == "bounce" and str(raw.get("type", "bounce")).lower() == "blocked":
        return "blocked"  # a temporary block by the receiving server, not a dead address
    if kind == "dropped" and str(raw.get("reason", "")).strip().lower() not in DEAD_ADDRESS_DROPS:
        return "dropped_other"
    return kind


def _occurred(raw: dict[str, Any], now: datetime) -> datetime:
    at = raw.get("timestamp")
    if at is None:
        return now
    if isinstance(at, bool) or not isinstance(at, int | float):
        raise _Odd("timestamp is not a number of seconds")
    if isinstance(at, float) and not math.isfinite(at):  # Python's json reads NaN
        raise _Odd("timestamp is not a number of seconds")
    if not EARLIEST.timestamp() <= at <= (now + timedelta(days=1)).timestamp():
        raise _Odd("timestamp is out of range")
    return datetime.fromtimestamp(at, UTC)


def _event(raw: object, now: datetime) -> ProviderEvent:
    if not isinstance(raw, dict):
        raise _Odd("the entry is not an object")
    try:
        workspace_id = uuid.UUID(_text(raw, "workspace_id", limit=40))
    except ValueError:
        raise _Odd("workspace_id is missing or not ours") from None
    event_id = _text(raw, "sg_event_id", limit=100)
    if "sg_message_id" in raw and not isinstance(raw["sg_message_id"], str):
        raise _Odd("sg_message_id is not a string")
    kind = _kind(raw)
    email = _text(raw, "email", limit=320)
    try:
        outbox = raw.get("outbox_id")
        outbox_id = uuid.UUID(outbox) if isinstance(outbox, str) and outbox else None
    except ValueError:
        outbox_id = None
    return ProviderEvent(workspace_id, event_id, kind, email, outbox_id, _occurred(raw, now))


def parse(events: list[Any], now: datetime) -> tuple[list[ProviderEvent], int]:
    """Events we can attribute (ours carry workspace_id, and outbox_id, in custom_args),
    and how many were skipped. A signed batch is SendGrid's; one odd event in it must
    not make SendGrid resend the whole batch forever, so each is judged alone."""
    out, skipped = [], 0
    for position, raw in enumerate(events):
        try:
            out.append(_event(raw, now))
        except _Odd as exc:
            skipped += 1
            log.warning("skipped SendGrid event %d of %d: %s", position + 1, len(events), exc)
    return out, skipped
