"""Webhook endpoints and what they receive.

An integration registers a URL and the event types it wants (none = all). Every
lifecycle event becomes one delivery per subscribed endpoint, written in the
same transaction as the change. Payloads carry ids, states and reason codes,
never email addresses, names or the free text people wrote.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from warmintro.domain.errors import InvalidInput
from warmintro.domain.events import EventType

SECRET_PREFIX = "whsec_"
ROTATION_OVERLAP = timedelta(hours=24)
MAX_URL = 2000
MAX_DESCRIPTION = 500
EVENT_TYPES = tuple(EventType)
"""What an endpoint may subscribe to: every event type."""


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def check_url(url: str, *, allow_http_loopback: bool) -> str:
    """https always; plain http only to a loopback host, and only where private
    addresses are allowed (ALLOW_PRIVATE_WEBHOOKS)."""
    url = url.strip()
    if len(url) > MAX_URL:
        raise InvalidInput(f"url must be at most {MAX_URL} characters", field="url")
    try:
        parts = urlsplit(url)
    except ValueError:  # brackets that hold no IPv6 address
        raise InvalidInput("url is not a URL", field="url") from None
    if not parts.hostname or parts.username or parts.password:
        raise InvalidInput("url must be an absolute https URL without credentials", field="url")
    if parts.scheme == "https":
        return url
    loopback = parts.hostname in ("localhost", "127.0.0.1", "::1")
    if parts.scheme == "http" and loopback and allow_http_loopback:
        return url
    raise InvalidInput(
        "url must use https (http is allowed only to loopback, with ALLOW_PRIVATE_WEBHOOKS)",
        field="url",
    )


@dataclass(frozen=True, slots=True)
class WebhookEndpoint:
    id: uuid.UUID
    workspace_id: uuid.UUID
    url: str
    secret: str
    created_at: datetime
    updated_at: datetime
    description: str = ""
    event_types: tuple[str, ...] = ()
    """Subscribed types; empty means every type."""
    previous_secret: str | None = None
    previous_secret_until: datetime | None = None
    enabled: bool = True
    disabled_reason: str | None = None

    def __post_init__(self) -> None:
        if len(self.description) > MAX_DESCRIPTION:
            raise InvalidInput(
                f"description must be at most {MAX_DESCRIPTION} characters", field="description"
            )
        unknown = set(self.event_types) - set(EVENT_TYPES)
        if unknown:
            raise InvalidInput(
                f"unknown event types: {', '.join(sorted(unknown))}", field="event_types"
            )

    def wants(self, event_type: str) -> bool:
        """Subscribed to this type (delivered now if enabled, else held)."""
        return not self.event_types or event_type in self.event_types

    def secrets_at(self, now: datetime) -> list[str]:
        """The secrets to sign with: during a rotation, the new one and the old one."""
        keys = [self.secret]
        if self.previous_secret and self.previous_secret_until and now < self.previous_secret_until:
            keys.append(self.previous_secret)
        return keys

    def rotated(self, now: datetime) -> WebhookEndpoint:
        return replace(
            self,
            secret=new_secret(),
            previous_secret=self.secret,
            previous_secret_until=now + ROTATION_OVERLAP,
            updated_at=now,
        )

    def enabled_again(self, now: datetime) -> WebhookEndpoint:
        return replace(self, enabled=True, disabled_reason=None, updated_at=now)

    def disabled(self, reason: str, now: datetime) -> WebhookEndpoint:
        return replace(self, enabled=False, disabled_reason=reason, updated_at=now)


def payload(event_type: EventType, occurred_at: datetime, data: dict[str, Any]) -> dict[str, Any]:
    """The JSON an integration receives (Standard Webhooks shape: type, timestamp, data);
    what `data` may hold is decided by `views.for_integrations`."""
    return {
        "type": event_type.value,
        "timestamp": occurred_at.isoformat().replace("+00:00", "Z"),
        "data": data,
    }
